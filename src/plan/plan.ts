/**
 * Step "plan": a pure, deterministic function from the resolved lab to the Plan — every name,
 * address, MAC, VNI, route, CNI config and process the runtime will create. Render, apply, down,
 * status and checks all read this one object; nothing downstream chooses an address.
 */
import { CNI_VERSION, FABRIC_BRIDGE, FLANNEL, POD_BRIDGE, DEFAULTS, STATE_ROOT } from '../constants.ts';
import type { Lab } from '../compile/lab.ts';
import * as ip from '../net/ipv4.ts';
import { containerId, fabricPortName, macFor, netns } from './names.ts';

export const PLAN_VERSION = 1;

export interface Route { dst: string; via: string; dev: string; onlink?: boolean }

export interface PlanNode {
  name: string;
  role: 'control-plane' | 'worker';
  netns: string;
  /** The node's link to the node network. */
  iface: string;
  /** Its peer, on the fabric bridge. */
  fabricPort: string;
  ip: string;
  prefixLen: number;
  mac: string;
  mtu: number;
  podCidr: string;
  podGateway: string;
  routes: Route[];
  vxlan?: {
    dev: string;
    vni: number;
    port: number;
    mac: string;
    mtu: number;
    /** flannel gives the VXLAN device the pod slice's network address as a /32. */
    address: string;
    peers: { node: string; nodeIp: string; mac: string; gateway: string }[];
  };
  /** The CNI network configuration list handed to the plugins on this node. */
  conflist: CniConflist;
}

export interface CniConflist {
  cniVersion: string;
  name: string;
  plugins: Record<string, unknown>[];
}

export interface PlanContainer {
  name: string;
  argv: string[];
  env: Record<string, string>;
  ports: { name?: string; containerPort: number; protocol: 'TCP' | 'UDP' }[];
}

export interface PlanPod {
  name: string;
  namespace: string;
  node: string;
  hostNetwork: boolean;
  /** For hostNetwork pods this is the node's namespace. */
  netns: string;
  hostname: string;
  /** The address the plan asks host-local for (CNI_ARGS IP=…); a hostNetwork pod has the node IP. */
  ip: string;
  labels: Record<string, string>;
  containerId: string;
  containers: PlanContainer[];
}

export interface PlanCheck {
  index: number;
  name: string;
  kind: 'ping' | 'tcp' | 'http';
  from: { kind: 'pod' | 'node'; name: string };
  to: { kind: 'pod' | 'node' | 'ip'; name: string; ip: string };
  expect: 'reach' | 'no-reach';
  timeoutMs: number;
  port?: number;
  path?: string;
  expectPod?: string;
  expectNoNat: boolean;
}

export interface Plan {
  version: number;
  lab: string;
  description: string;
  source: string;
  cni: Lab['cni'];
  clusterDomain: string;
  serviceCidr: string;
  podCidr: string;
  nodeNetwork: { cidr: string; bridge: string };
  fabric: { netns: string };
  /** Where the live lab keeps state; the host-local IPAM data of each node lives below it. */
  stateDir: string;
  nodes: PlanNode[];
  pods: PlanPod[];
  checks: PlanCheck[];
  /** Kernel features the lab needs; the runtime probes them before touching anything. */
  kernelFeatures: string[];
}

export function buildPlan(lab: Lab): Plan {
  const nodeNet = ip.parseCidr(lab.nodeNetwork.cidr)!;
  const podNet = ip.parseCidr(lab.podCidr)!;
  const stateDir = `${STATE_ROOT}/${lab.name}`;

  // Node addresses: fixed ones as given, the rest from .10 upward skipping taken ones.
  const taken = new Set(lab.nodes.filter((n) => n.ip).map((n) => ip.parseIp(n.ip!)!));
  let next = ip.nth(nodeNet, DEFAULTS.firstNodeHost);
  const nodeIps = lab.nodes.map((n) => {
    if (n.ip) return n.ip;
    while (taken.has(next)) next++;
    taken.add(next);
    return ip.formatIp(next++);
  });

  const flannel = lab.cni.type === 'flannel' ? lab.cni : undefined;
  const mtu = DEFAULTS.mtu;
  const podMtu = flannel ? mtu - FLANNEL.overhead : mtu;
  const base = lab.nodes.map((n, i) => {
    const slice = ip.subnet(podNet, lab.podCidrMaskSize, i);
    return {
      n,
      nodeIp: nodeIps[i]!,
      slice,
      gateway: ip.formatIp(ip.nth(slice, 1)),
      vtepMac: macFor(`${lab.name}/vtep/${n.name}`),
    };
  });

  const nodes: PlanNode[] = base.map(({ n, nodeIp, slice, gateway, vtepMac }) => {
    const others = base.filter((b) => b.n.name !== n.name);
    const vxlanDev = flannel ? `flannel.${flannel.vni}` : undefined;
    const routes: Route[] = others.map((o) =>
      flannel
        ? { dst: ip.formatCidr(o.slice), via: ip.formatIp(o.slice.network), dev: vxlanDev!, onlink: true }
        : { dst: ip.formatCidr(o.slice), via: o.nodeIp, dev: n.interface },
    );
    return {
      name: n.name,
      role: n.role,
      netns: netns.node(lab.name, n.name),
      iface: n.interface,
      fabricPort: fabricPortName(n.name),
      ip: nodeIp,
      prefixLen: nodeNet.prefix,
      mac: macFor(`${lab.name}/node/${n.name}`),
      mtu,
      podCidr: ip.formatCidr(slice),
      podGateway: gateway,
      routes,
      vxlan: flannel && {
        dev: vxlanDev!,
        vni: flannel.vni,
        port: flannel.port,
        mac: vtepMac,
        mtu: podMtu,
        address: ip.formatIp(slice.network),
        peers: others.map((o) => ({ node: o.n.name, nodeIp: o.nodeIp, mac: o.vtepMac, gateway: ip.formatIp(o.slice.network) })),
      },
      conflist: {
        cniVersion: CNI_VERSION,
        name: `podlab-${lab.name}`,
        plugins: [
          {
            type: 'bridge',
            bridge: POD_BRIDGE,
            isGateway: true,
            ipMasq: false,
            hairpinMode: true,
            mtu: podMtu,
            ipam: {
              type: 'host-local',
              ranges: [[{ subnet: ip.formatCidr(slice), gateway }]],
              routes: [{ dst: '0.0.0.0/0' }],
              dataDir: `${stateDir}/ipam/${n.name}`,
            },
          },
        ],
      },
    };
  });

  const nodeByName = new Map(nodes.map((n) => [n.name, n]));
  const nextHost = new Map(nodes.map((n) => [n.name, 2]));
  const pods: PlanPod[] = lab.pods.map((p) => {
    const node = nodeByName.get(p.node)!;
    let podIp = node.ip;
    if (!p.hostNetwork) {
      const host = nextHost.get(p.node)!;
      nextHost.set(p.node, host + 1);
      podIp = ip.formatIp(ip.nth(ip.parseCidr(node.podCidr)!, host));
    }
    return {
      name: p.name,
      namespace: p.namespace,
      node: p.node,
      hostNetwork: p.hostNetwork,
      netns: p.hostNetwork ? node.netns : netns.pod(lab.name, p.namespace, p.name),
      hostname: p.hostNetwork ? p.node : p.name,
      ip: podIp,
      labels: p.labels,
      containerId: containerId(lab.name, p.namespace, p.name),
      containers: p.containers.map((c) => ({
        name: c.name,
        argv: c.workload ? ['@workload', c.workload.kind, '--port', String(c.workload.port), '--pod', p.name] : c.command!,
        env: c.env,
        ports: c.ports,
      })),
    };
  });

  const podByName = new Map(pods.map((p) => [p.name, p]));
  const ref = (r: string): { kind: 'pod' | 'node' | 'ip'; name: string; ip: string } => {
    if (r.startsWith('node/')) return { kind: 'node', name: r.slice(5), ip: nodeByName.get(r.slice(5))!.ip };
    const pod = podByName.get(r);
    return pod ? { kind: 'pod', name: r, ip: pod.ip } : { kind: 'ip', name: r, ip: r };
  };
  const checks: PlanCheck[] = lab.checks.map((c) => {
    const from = ref(c.from);
    return {
      index: c.index,
      name: c.name,
      kind: c.kind,
      from: { kind: from.kind === 'node' ? 'node' : 'pod', name: from.name },
      to: ref(c.to),
      expect: c.expect,
      timeoutMs: c.timeoutMs,
      port: c.port,
      path: c.path,
      expectPod: c.expectPod,
      expectNoNat: c.expectNoNat,
    };
  });

  return {
    version: PLAN_VERSION,
    lab: lab.name,
    description: lab.description,
    source: lab.source,
    cni: lab.cni,
    clusterDomain: lab.clusterDomain,
    serviceCidr: lab.serviceCidr,
    podCidr: lab.podCidr,
    nodeNetwork: { cidr: ip.formatCidr(nodeNet), bridge: FABRIC_BRIDGE },
    fabric: { netns: netns.fabric(lab.name) },
    stateDir,
    nodes,
    pods,
    checks,
    kernelFeatures: ['veth', 'bridge', ...(flannel ? ['vxlan'] : [])],
  };
}

