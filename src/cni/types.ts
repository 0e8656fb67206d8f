/**
 * The contract of a CNI mode: everything that differs between kubenet, flannel and the next mode
 * (Calico) is answered by one object implementing `CniMode`, listed in `registry.ts`. The plan,
 * render, `up` and the kernel probe ask the mode; none of them branches on a mode's name.
 * See docs/cni-modes.md for how to add one.
 */
import type { z } from 'zod';
import type { Cidr } from '../net/ipv4.ts';
import type { Prefix } from '../net/addr.ts';

/** A route in a node's table (`ip route add <dst> via <via> dev <dev> [onlink]`). */
export interface Route {
  dst: string;
  via: string;
  dev: string;
  onlink?: boolean;
}

/** A CNI network configuration list (CNI spec §"Network configuration lists"). */
export interface CniConflist {
  cniVersion: string;
  name: string;
  plugins: Record<string, unknown>[];
}

/** A node as every mode sees it while planning: its address, interface and pod slice. */
export interface CniNodeInput {
  name: string;
  /** The node's address on the node network. */
  ip: string;
  /** The node's link to the node network (e.g. eth0). */
  iface: string;
  /** The node's slice of the pod network. */
  slice: Cidr;
  /** The pod gateway: the slice's first address (on the pod bridge for bridge-based modes: cni0, kubenet's cbr0). */
  podGateway: string;
  /** Whether a pod on this node asks for a hostPort (the portmap plugin is then chained). */
  hostPorts: boolean;
  /** The node's labels (Kubernetes' well-known ones and the lab's), for modes that select nodes (Calico's IP pools). */
  labels?: Readonly<Record<string, string>>;
  /**
   * A lab with IPv6: the node's IPv6 address, slice and pod gateway, whether IPv6 is the primary
   * family, and whether it is the only one (an IPv6-only lab: `ip` and `slice` then only number
   * the node and its pods, and a mode puts nothing IPv4 on a device, route or config).
   */
  ipv6?: { ip: string; slice: Prefix; podGateway: string; primary: boolean; only?: boolean };
}

/** What a mode is given to plan the lab's nodes. */
export interface CniPlanInput<Config> {
  lab: string;
  config: Config;
  /** Every node in declaration order (a mode plans each node knowing its peers). */
  nodes: readonly CniNodeInput[];
  /** The pod CIDRs each node's pods take their addresses from (`addressPods`' `nodeCidrs`), by node index. */
  nodeCidrs: readonly (readonly Cidr[])[];
  /** Where host-local keeps each node's leases: `<ipamDir>/<node>`. */
  ipamDir: string;
  /** The node network's MTU. */
  mtu: number;
  /** The lab's `natOutgoing`. */
  natOutgoing: boolean;
  /** The lab's pod network. */
  podCidr: Cidr;
  /** The pods with a network of their own, in plan order, with their node's index and their address (and IPv6 one, in a lab with IPv6). */
  pods: readonly { name: string; namespace: string; node: number; ip: string; ip6?: string }[];
  /** `addressPods`' IPv6 share, when the mode gave one. */
  ipv6?: { podCidr: Prefix; nodeCidrs: readonly (readonly Prefix[])[] };
}

/** What a mode is given to choose the pods' addresses: the plan is the single source of addresses. */
export interface CniAddressInput<Config> {
  config: Config;
  podCidr: Cidr;
  /** A lab with IPv6: its IPv6 pod network (a mode with IPAM of its own numbers IPv6 pods from it). */
  podCidr6?: Prefix;
  nodes: readonly CniNodeInput[];
  /** The pods with a network of their own, in plan order, by node index. */
  pods: readonly { node: number }[];
}

/** The pods' addresses (in the order given), the CIDRs each node hands them out from and its pods' gateway (by node index). */
export interface CniAddresses {
  pods: string[];
  nodeCidrs: Cidr[][];
  nodeGateways: string[];
  /**
   * A mode with IPv6 IPAM of its own (Calico's IPv6 blocks): each pod's IPv6 address and each
   * node's IPv6 pod CIDRs. Left out, a pod's IPv6 address is its IPv4 host number in its node's IPv6 slice.
   */
  ipv6?: { pods: string[]; nodeCidrs: Prefix[][]; /** The IPv6 gateway each node's pods route via, when not the slice's first address (Calico's fe80::ecee:eeff:feee:eeee). */ nodeGateways?: string[] };
}

/** A lab as a mode's validation sees it. */
export interface CniValidationInput {
  podCidr: string;
  /** The lab's address families, primary first. */
  ipFamilies?: readonly ('IPv4' | 'IPv6')[];
  /** A lab with IPv6: its IPv6 pod network and node network (where IPv6 BGP peers must be). */
  ipv6?: { podCidr: string; nodeCidr?: string };
  /** The node network, where peers of a routing daemon must be (Calico's BGPPeer peerIP). */
  nodeNetwork?: { cidr: string };
  /**
   * With their labels (Kubernetes' well-known ones and the lab's), for modes that select nodes, and
   * their IPv4 addresses as the plan will give them (absent when the node network cannot tell yet).
   */
  nodes: readonly { name: string; labels?: Readonly<Record<string, string>>; ip?: string }[];
  pods: readonly { node: string; hostNetwork: boolean }[];
}

/** A problem with a mode's config: a coded diagnostic (compile/diagnostics.ts), its path below `cni`. */
export interface CniProblem {
  code: string;
  /** Below `cni` in the lab, e.g. ['ipPool', 'blockSize']. */
  path: (string | number)[];
  message: string;
  hint: string;
  /** A warning: the lab builds, but likely not as meant. Absent: an error. */
  severity?: 'warning';
}

/** A long-lived process a mode runs in each node's network namespace (e.g. BIRD). */
export interface CniDaemon {
  /** Unique on the node, e.g. 'bird'; its log is `logs/<node>_<name>.log` in the state directory. */
  name: string;
  /** Run inside the node's network namespace. */
  argv: string[];
  /** A file the daemon creates once it is serving (e.g. its control socket); `up` waits for it. */
  readyFile?: string;
  /**
   * The arguments that make the daemon give up root for an unprivileged uid of podlab's once it
   * has what needs root (BIRD's `-u U -g U`: it keeps only its CAP_NET_* capabilities, and reads
   * its configuration, and any file that names, as that uid). `up` takes the uid.
   */
  dropTo?: (uid: number) => string[];
}

/** One node's share of a mode's plan. `data` is the mode's own, kept in the plan as `node.cni`. */
export interface CniNodePlan<Data> {
  /** Routes to the other nodes' pod CIDRs (the lab's default route is added by the plan). */
  routes: Route[];
  conflist: CniConflist;
  data: Data;
}

/** The node as render and `up` see it: the plan's node with the mode's data. */
export interface CniPlannedNode<Data> {
  name: string;
  netns: string;
  ip: string;
  /** The node's link to the node network. */
  iface: string;
  cni: Data;
}

/** A file the mode renders per node, relative to generated/<lab>/. */
export interface CniNodeFile {
  path: string;
  /** Name of the template under templates/ (without .hbs), rendered with `{ banner, node }`. */
  template: string;
}

/**
 * What a drawing of the lab (`podlab graph`) shows of a mode on one node: the devices it adds
 * beside the node's link and pod bridge, and how the node reaches each peer node's pods.
 */
export interface CniTopology {
  /** Devices the mode creates on the node (e.g. a VXLAN device), each with a line for a reader. */
  devices: { name: string; detail: string }[];
  /**
   * One per peer node: `tunnel` (encapsulated over the node network, through `device`) or `route`
   * (plain routing to the peer over the node network, out of `device`), with a line for a reader.
   */
  links: { peer: string; kind: 'tunnel' | 'route'; device: string; detail: string }[];
}

/**
 * A mode, typed by `Schema`: the object form of `cni:` in a lab (`cni: '<type>'` is the shorthand
 * for `{ type }`), which lives beside the mode in `<mode>/schema.ts` and is listed in `schemas.ts`.
 */
export interface CniMode<Type extends string = string, Schema extends z.ZodType = z.ZodType, Config extends { type: Type } = { type: Type }, Data extends { type: Type } = { type: Type }> {
  type: Type;
  /**
   * Defaults filled: the resolved config the plan reads. `spec` is undefined for the shorthand;
   * `families` the lab's ipFamilies (an IPv6-only lab gets no IPv4 default). @default ['IPv4']
   */
  normalize(spec: z.output<Schema> | undefined, families?: readonly ('IPv4' | 'IPv6')[]): Config;
  /**
   * Whether pods take their addresses from per-node slices of podCidr (`podCidrMaskSize`), whose
   * size the lab's rules check; a mode with IPAM of its own says false and checks it in `validate`.
   */
  nodeSlices: boolean;
  /** The mode's own rules over its config and the lab (codes PL2xxx), run with the lab's rules. */
  validate(config: Config, lab: CniValidationInput): CniProblem[];
  /** Each pod's address and each node's pod CIDRs: the node's slice (`sliceAddresses`), or the mode's IPAM. */
  addressPods(input: CniAddressInput<Config>): CniAddresses;
  /** Per node: routes to the other nodes' pods, the conflist, and the mode's own data. */
  planNodes(input: CniPlanInput<Config>): CniNodePlan<Data>[];
  /** Whether podlab's kube-proxy table masquerades pod traffic leaving podCidr; false when the mode does its own NAT. */
  kubeProxyNat(config: Config, labNatOutgoing: boolean): boolean;
  /**
   * Who masquerades pod traffic leaving the pod network in a real cluster of this mode, as a trace
   * names it: `short` where a masquerade's source is said (`masqueraded by flanneld's --ip-masq on
   * node …`), `who` on a snat hop's Kubernetes line (`<who>: pod traffic to outside the cluster is
   * masqueraded`), each saying what podlab's lab field it comes from.
   */
  masquerade: { short: string; who: string };
  /** Kernel features the mode needs (probed before anything is created; see runtime/preflight.ts PROBES). */
  kernelFeatures(config: Config): string[];
  /** What to tell a user whose kernel lacks one of those features (the PL3001 hint). */
  featureHints: Record<string, string>;
  /** Lines of the node's `ip -batch` file that create the mode's devices (after the node's own link, before the routes). */
  nodeBatchLines(node: CniPlannedNode<Data>): string[];
  /** Further files rendered per node (e.g. flannel's FDB batch). */
  nodeFiles(node: CniPlannedNode<Data>): CniNodeFile[];
  /** Commands `up` runs per node after its ip batch, with `dir` the rendered files' directory. */
  nodeCommands(node: CniPlannedNode<Data>, dir: string): string[][];
  /**
   * Daemons `up` starts in the node's namespace after its commands (recorded in the state, stopped
   * by `down`), with `dir` the rendered files' directory and `run` the lab's state directory.
   */
  nodeDaemons(node: CniPlannedNode<Data>, dir: string, run: string): CniDaemon[];
  /**
   * The node's pod CIDRs that the network upstream of the nodes (the lab's gateway) routes to it;
   * absent: every pod CIDR of the node (a cloud's routes, kubenet's; an overlay's slices). Calico
   * says which of its blocks leave the cluster unmasqueraded (nat.ts, `unmasqueradedBlocks`).
   */
  upstreamCidrs?(node: CniPlannedNode<Data>): string[];
  /** Addresses the node itself may appear as, besides its node IP and pod gateway (e.g. a VXLAN device's). */
  nodeAddresses(node: CniPlannedNode<Data>): string[];
  /** Kernel interface names the mode creates on the node (each must fit IFNAMSIZ). */
  interfaces(node: CniPlannedNode<Data>): string[];
  /** For drawings: the mode's devices on the node and its link to each of `peers` (every other node). */
  topology(node: CniPlannedNode<Data>, peers: readonly CniPlannedNode<Data>[]): CniTopology;
  /**
   * For a reader: what the devices are (`'VXLAN device, '` in up.sh), the config (`' (VXLAN VNI 1, UDP 8472)'`),
   * what pods hang off on a node (`'cni0'`, in topology.md), and the same as a sentence for the node's batch.
   * `families`: the lab's ipFamilies (a mode whose devices differ per family says so).
   */
  describe(config: Config, families?: readonly ('IPv4' | 'IPv6')[]): { devices: string; summary: string; podLink: string; podLinkText: string };
}
