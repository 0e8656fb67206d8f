/**
 * Pods: every running pod of the lab (a pod `podlab pod delete` removed is gone), with the
 * status kubectl shows: podIP/podIPs at the address it has now, hostIP its node's, phase,
 * conditions and one containerStatus per container (ready, restarts and the last exit as `podlab
 * status` and `podlab get` show them: the readiness and restarts the control loops record; without
 * control loops a running container is ready). Deleting one
 * does what Kubernetes does: a pod a workload owns comes back with a new IP — a Deployment's is
 * replaced by the agent's ReplicaSet loop (a new name, as a ReplicaSet names it), a copy a `scale`
 * made is re-created (runtime/pods.ts) — and a pod of its own is deleted (as `podlab pod delete`;
 * `podlab pod create` brings it back).
 */
import { containerReady, lastStateOf, podReady, SANDBOX, shownContainers, stoppedStateOf } from '../../runtime/status.ts';
import { podStatusColumn, restartsColumn, type ContainerStatusView } from '../../k8s/printers.ts';
import { containerObject } from './containers.ts';
import { startedAtIso } from '../../lib/proc.ts';
import { age, finish, uidOf, type ApiKind, type K8sObject, type LabView } from '../types.ts';

/** A Deployment's pod is its ReplicaSet's (`<deployment>-<pod-template-hash>`, kinds/deployments.ts): kubectl describe's "Controlled By". */
function ownerOf(view: LabView, deployment: string | undefined, namespace: string): Record<string, unknown>[] | undefined {
  const d = deployment ? view.plan.loops?.deployments.find((x) => x.name === deployment) : undefined;
  if (!d) return undefined;
  const name = `${d.name}-${d.hash}`;
  return [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name, uid: uidOf(view.lab, view.createdAt, `ReplicaSet/${namespace}/${name}`), controller: true, blockOwnerDeletion: true }];
}

export { SANDBOX };

function podObjects(view: LabView): K8sObject[] {
  const nodes = new Map(view.plan.nodes.map((n) => [n.name, n]));
  return view.status.pods.flatMap((p) => {
    if (!p.running) return [];
    const plan = view.plan.pods.find((q) => q.name === p.name && q.namespace === p.namespace)!;
    const node = nodes.get(p.node);
    const sandboxUp = p.hostNetwork || !!p.pause?.alive;
    // When its sandbox started (runtime/status.ts), as `podlab get pods` counts its AGE.
    const created = p.createdAt;
    const shown = new Map(shownContainers(p).map((c) => [c.name, c]));
    // A pod of only a sandbox (podlab's client pods) shows its pause process as the container, so
    // that kubectl exec, which needs a container, runs in it as podlab exec does.
    const containers = plan.containers.length ? plan.containers : [{ name: SANDBOX, argv: ['pause'], env: {}, ports: [] }];
    // As its template shows them (a Deployment's pod copies it; one written through the API as written).
    const written = writtenContainers(view, plan.owner);
    const specs = containers.map((c) => ({ ...containerObject(c), ...pick(written.find((w) => w.name === c.name)) }));
    const statuses = containers.map((c, i) => {
      const s = shown.get(c.name);
      const up = sandboxUp && !!s?.alive;
      return {
        name: c.name,
        image: specs[i]!.image,
        imageID: '',
        containerID: s ? `podlab://${s.pid}` : '',
        ready: up && containerReady(p, s!),
        started: up,
        restartCount: s?.restarts ?? 0,
        // Running since its own process started (a restarted container later than its pod).
        state: up ? { running: { startedAt: containerStarted(view, p.name, c.name) ?? created } } : stoppedStateOf(p, s, c.name),
        ...(s ? lastStateOf(s) : {}),
      };
    });
    const ready = sandboxUp && podReady(p) && statuses.every((s) => s.ready);
    const cond = (type: string, status: boolean) => ({ type, status: status ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: created });
    const obj: K8sObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: p.name,
        namespace: p.namespace,
        labels: plan.labels,
        creationTimestamp: created,
        ...(plan.replicaOf ? { annotations: { 'podlab.dev/replica-of': plan.replicaOf } } : {}),
        ...(plan.owner ? { ownerReferences: ownerOf(view, plan.owner, p.namespace) } : {}),
      },
      spec: {
        nodeName: p.node,
        hostNetwork: p.hostNetwork || undefined,
        hostname: plan.hostname,
        ...(plan.subdomain ? { subdomain: plan.subdomain } : {}),
        dnsPolicy: plan.dnsPolicy,
        restartPolicy: 'Always',
        containers: specs,
      },
      status: {
        phase: sandboxUp ? 'Running' : 'Failed',
        conditions: [cond('PodReadyToStartContainers', sandboxUp), cond('Initialized', true), cond('Ready', ready), cond('ContainersReady', ready), cond('PodScheduled', true)],
        // One address per family, primary first; podIP and hostIP are the primary family's.
        hostIP: node?.ips[0],
        hostIPs: node ? node.ips.map((ip) => ({ ip })) : [],
        podIP: p.podIPs[0],
        podIPs: p.podIPs.map((ip) => ({ ip })),
        startTime: created,
        containerStatuses: statuses,
        qosClass: 'BestEffort',
      },
    };
    // A new incarnation (re-created: new sandbox, new IP) is a new object: a new uid, as kubectl's delete --wait expects.
    return [finish(obj, view, podKind, [p.ip, String(p.pause?.pid ?? '')])];
  });
}

/** When the container's process started (the journal's start time), if known. */
function containerStarted(view: LabView, pod: string, container: string): string | undefined {
  const ticks = view.state.pods[pod]?.containers[container]?.startTime;
  return ticks !== undefined ? startedAtIso(ticks, view.bootTime) : undefined;
}

/** The containers of the template a Deployment was written with through the API, if it was. */
function writtenContainers(view: LabView, owner: string | undefined): Record<string, unknown>[] {
  const d = owner ? view.plan.loops?.deployments.find((x) => x.name === owner) : undefined;
  return ((d?.written?.spec as { containers?: Record<string, unknown>[] } | undefined)?.containers ?? []);
}

/** What of a written container a pod shows as written: its image, command and args. */
function pick(w: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!w) return {};
  return Object.fromEntries(['image', 'command', 'args'].filter((k) => w[k] !== undefined).map((k) => [k, w[k]]));
}

export const podKind: ApiKind = {
  group: '',
  version: 'v1',
  kind: 'Pod',
  resource: 'pods',
  singular: 'pod',
  shortNames: ['po'],
  namespaced: true,
  verbs: ['get', 'list', 'watch', 'delete'],
  list: podObjects,
  columns: [
    { name: 'Name', type: 'string', format: 'name', priority: 0, description: 'the pod' },
    { name: 'Ready', type: 'string', priority: 0, description: 'ready containers / containers' },
    { name: 'Status', type: 'string', priority: 0, description: 'what the pod is doing' },
    { name: 'Restarts', type: 'string', priority: 0, description: 'container restarts' },
    { name: 'Age', type: 'string', priority: 0, description: 'since creation' },
    { name: 'IP', type: 'string', priority: 1, description: 'the pod IP' },
    { name: 'Node', type: 'string', priority: 1, description: 'the node it runs on' },
    { name: 'Nominated Node', type: 'string', priority: 1, description: 'preemption target' },
    { name: 'Readiness Gates', type: 'string', priority: 1, description: 'readiness gates' },
  ],
  row(o, view) {
    const st = o.status as { phase: string; podIP: string; containerStatuses: ContainerStatusView[]; conditions?: { type: string; status: string }[] };
    const ready = st.containerStatuses.filter((c) => c.ready).length;
    const all = st.containerStatuses.length;
    return [o.metadata.name, `${ready}/${all}`, podStatusColumn(st.phase, st.containerStatuses, !!st.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')), restartsColumn(st.containerStatuses, Date.now()), age(o.metadata.creationTimestamp as string), st.podIP, (o.spec as { nodeName: string }).nodeName, '<none>', '<none>'];
  },
  remove(o, ctx) {
    const planned = ctx.view.plan.pods.find((p) => p.name === o.metadata.name);
    if (planned?.replicaOf) return { op: 'recreate-pod', pod: o.metadata.name };
    return { op: 'delete-pod', pod: o.metadata.name };
  },
};

export { podStatusColumn };
