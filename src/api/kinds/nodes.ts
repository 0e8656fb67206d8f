/**
 * Nodes: one per lab node (a network namespace), with its address, pod CIDR, role and what its
 * "kubelet" reports (lib/node-info.ts: the host's kernel and OS, podlab as the runtime); a failed node
 * NotReady, with the unreachable taint, as `podlab get nodes` shows it. Every node shares the host's
 * CPUs and memory, so each shows them as its capacity (kubectl describe node divides by it). In a
 * Calico lab a Node carries calico-node's annotations, and its spec.podCIDR is kube-controller-manager's
 * slice, not the node's Calico blocks (those are BlockAffinities: calico.ts). Read only.
 */
import { cpus, totalmem } from 'node:os';
import { nodeFailed } from '../../runtime/status.ts';
import type { CalicoNode } from '../../cni/calico/index.ts';
import { nodeAnnotations } from '../../cni/calico/resources.ts';
import { age, finish, type ApiKind, type K8sObject, type LabView } from '../types.ts';
import { isoSeconds } from '../../lib/time.ts';
import { nodeInfo, type NodeInfo } from '../../lib/node-info.ts';

function nodeObjects(view: LabView): K8sObject[] {
  const resources = { cpu: String(cpus().length), memory: `${Math.floor(totalmem() / 1024)}Ki`, pods: '110' };
  const at = isoSeconds(view.createdAt);
  const info = nodeInfo();
  return view.status.nodes.map((n) => {
    const plan = view.plan.nodes.find((p) => p.name === n.name)!;
    const failed = nodeFailed(view.status, n.name);
    const obj: K8sObject = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: n.name,
        // What calico-node writes on its Node: its BGP address per family and, with VXLAN, its tunnel address and VTEP MAC.
        ...(plan.cni.type === 'calico' ? { annotations: nodeAnnotations({ name: n.name, ips: n.ips, cni: plan.cni as unknown as CalicoNode }, view.plan.nodeNetwork.cidrs ?? [view.plan.nodeNetwork.cidr]) } : {}),
        labels: {
          'kubernetes.io/hostname': n.name,
          'kubernetes.io/os': 'linux',
          ...(n.role === 'control-plane' ? { 'node-role.kubernetes.io/control-plane': '' } : {}),
        },
      },
      // In a Calico lab kube-controller-manager's slice (or none), not the node's Calico blocks: those are BlockAffinities (calico.ts).
      spec: { ...(n.kubePodCidrs.length ? { podCIDR: n.kubePodCidrs[0], podCIDRs: n.kubePodCidrs } : {}), ...(failed ? { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: at }, { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: at }] } : {}) },
      status: {
        capacity: resources,
        allocatable: resources,
        addresses: [
          ...n.ips.map((address) => ({ type: 'InternalIP', address })),
          { type: 'Hostname', address: n.name },
        ],
        // A node `podlab node fail` failed: its kubelet stopped, so the node controller holds Ready Unknown.
        conditions: [
          {
            ...(failed
              ? { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' }
              : { type: 'Ready', status: n.present ? 'True' : 'False', reason: n.present ? 'KubeletReady' : 'NamespaceMissing', message: n.present ? `network namespace ${n.netns}` : `network namespace ${n.netns} is missing` }),
            lastHeartbeatTime: at,
            lastTransitionTime: at,
          },
        ],
        nodeInfo: info,
      },
    };
    return finish(obj, view, nodeKind);
  });
}

export const nodeKind: ApiKind = {
  group: '',
  version: 'v1',
  kind: 'Node',
  resource: 'nodes',
  singular: 'node',
  shortNames: ['no'],
  namespaced: false,
  verbs: ['get', 'list', 'watch'],
  list: nodeObjects,
  // Kubernetes' node printer (pkg/printers/internalversion: nodeColumnDefinitions, printNode), column for column.
  columns: [
    { name: 'Name', type: 'string', format: 'name', priority: 0, description: 'the node' },
    { name: 'Status', type: 'string', priority: 0, description: 'The status of the node' },
    { name: 'Roles', type: 'string', priority: 0, description: 'The roles of the node' },
    { name: 'Age', type: 'string', priority: 0, description: 'since creation' },
    { name: 'Version', type: 'string', priority: 0, description: 'Kubelet Version reported by the node.' },
    { name: 'Internal-IP', type: 'string', priority: 1, description: 'address on the node network' },
    { name: 'External-IP', type: 'string', priority: 1, description: 'external address' },
    { name: 'OS-Image', type: 'string', priority: 1, description: 'OS Image reported by the node from /etc/os-release' },
    { name: 'Kernel-Version', type: 'string', priority: 1, description: "Kernel Version reported by the node from 'uname -r'" },
    { name: 'Container-Runtime', type: 'string', priority: 1, description: 'ContainerRuntime Version reported by the node' },
  ],
  row(o) {
    const labels = o.metadata.labels as Record<string, string>;
    const st = o.status as { conditions: { status: string }[]; addresses: { type: string; address: string }[]; nodeInfo: NodeInfo };
    const unknown = (v: string) => v || '<unknown>';
    return [
      o.metadata.name,
      st.conditions[0]!.status === 'True' ? 'Ready' : 'NotReady',
      'node-role.kubernetes.io/control-plane' in labels ? 'control-plane' : '<none>',
      age(o.metadata.creationTimestamp as string),
      st.nodeInfo.kubeletVersion,
      st.addresses.find((a) => a.type === 'InternalIP')?.address ?? '<none>',
      st.addresses.find((a) => a.type === 'ExternalIP')?.address ?? '<none>',
      unknown(st.nodeInfo.osImage),
      unknown(st.nodeInfo.kernelVersion),
      unknown(st.nodeInfo.containerRuntimeVersion),
    ];
  },
};
