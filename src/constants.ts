/**
 * Every magic string and default of podlab in one place: prefixes, default CIDRs, ports, paths.
 * A reader looking for "where does 10.244.0.0/16 come from" lands here.
 */

/** Prefix of every kernel object name podlab creates (network namespaces, /etc/netns entries). */
export const NETNS_PREFIX = 'podlab-';
/** Separator between the lab name and the rest of a namespace name; DNS-1123 labels cannot contain it, so `podlab-a.` never matches a namespace of lab `a-b`. */
export const NETNS_SEP = '.';

/** Where a live lab's state journal, rendered files, IPAM data and logs live (tmpfs: gone after reboot, like the namespaces). */
export const STATE_ROOT = process.env.PODLAB_STATE_ROOT ?? '/run/podlab';
/** Where `ip netns add` bind-mounts namespaces. */
export const NETNS_RUN_DIR = '/run/netns';
/** Per-namespace files (resolv.conf, hosts) that `ip netns exec` bind-mounts over /etc. */
export const ETC_NETNS_DIR = '/etc/netns';

/** Directories searched for the CNI reference plugins (Debian puts them in /usr/lib/cni). */
export const CNI_PLUGIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin'];
export const CNI_VERSION = '1.0.0';
/** CNI plugins of podlab's own (src/cni/<mode>/plugin.c), compiled into PODLAB_CNI_DIR, searched before the reference plugins. */
export const PODLAB_CNI_PLUGINS: readonly string[] = ['calico'];
/** Where podlab's own CNI plugins are compiled, relative to the repository root. */
export const PODLAB_CNI_DIR = 'build/cni';
/** The reference plugins' directory as up.sh names it (Debian's). */
export const DEBIAN_CNI_DIR = '/usr/lib/cni';

export const DEFAULTS = {
  nodeNetworkCidr: '172.16.94.0/24',
  /** First host number given to nodes without a fixed IP: .10, .11, … as in the classic lab. */
  firstNodeHost: 10,
  podCidr: '10.244.0.0/16',
  podCidrMaskSize: 24,
  serviceCidr: '10.96.0.0/12',
  clusterDomain: 'cluster.local',
  namespace: 'default',
  mtu: 1500,
  cni: 'flannel',
  /** The "internet" beyond the lab's gateway: TEST-NET-3, a documentation range no real host uses. */
  externalNetworkCidr: '203.0.113.0/24',
  /** Host number of the lab's gateway on the node network (and on the external network): .1. */
  gatewayHost: 1,
  natOutgoing: true,
  /** A denied packet is dropped, as Calico (Felix's iptablesFilterDenyAction), Cilium and Antrea do. */
  policyDenyAction: 'Drop',
} as const;

/**
 * The IPv6 side of a dual-stack or IPv6-only lab (ULA ranges, fd00::/8, never routed outside):
 * kind's defaults for pods and Services, and kube-controller-manager's /64 node slice
 * (--node-cidr-mask-size-ipv6).
 */
export const IPV6_DEFAULTS = {
  nodeNetworkCidr: 'fd00:172:16:94::/64',
  podCidr: 'fd00:10:244::/56',
  podCidrMaskSize: 64,
  serviceCidr: 'fd00:10:96::/112',
  /** The external network's IPv6 side (outside hosts and the gateway's far side): 203.0.113.0/24's twin. */
  externalNetworkCidr: 'fd00:203:0:113::/64',
  /**
   * Written in every IPv6-capable lab namespace before an address is added: duplicate address
   * detection would hold each new address "tentative" for about a second (the bridge plugin and
   * routes via it wait), and podlab gives out every address itself.
   */
  noDadSysctls: ['net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0'],
  /** A node routes IPv6 for its pods; switched on inside node namespaces only, never the host's. */
  forwardingSysctls: ['net.ipv6.conf.all.forwarding=1'],
} as const;

/**
 * DAD off in a lab namespace whose interface `iface` was made before (a veth end moved in by the
 * fabric's batch): the defaults cover what is made later (bridges, VXLAN devices, pods' veths).
 * Written before the interface comes up: while a node's link-local address was tentative (about a
 * second) neighbour solicitations across the fabric bridge (multicast snooping on, as on a real
 * switch) went unanswered, and the first IPv6 packet between nodes waited ~1 s (docs/dual-stack.md).
 */
export const noDadSysctls = (iface: string): string[] => [...IPV6_DEFAULTS.noDadSysctls, `net.ipv6.conf.${iface}.accept_dad=0`];

/** NetworkPolicy enforcement (src/policy/): its own nftables table per node, beside kube-proxy's. */
export const POLICY = {
  table: 'podlab-policy',
  /**
   * Forward-hook filter priority. DNAT happens in prerouting (priority dstnat, -100), before any
   * forward chain, so policies see the endpoint's real address; 'filter' (0) is iptables' FORWARD.
   */
  priority: 'filter',
  /**
   * Set in each node namespace of a lab whose policies reject (`policyDenyAction: 'Reject'`): the
   * kernel rate-limits the ICMP errors a reject sends (icmp_ratelimit, 1 s per peer after a small
   * burst), so a truth table's denied UDP cells would otherwise wait out the probe's timeout.
   */
  nodeSysctls: ['net.ipv4.icmp_ratelimit=0'],
  /**
   * How long a probe waits for an answer when the policies in force drop its connection: a drop
   * is silence, and an allowed connection inside one host is answered in well under a
   * millisecond, so this much silence is the drop (a probe otherwise waits a second).
   */
  dropSilenceMs: 250,
} as const;

/** nodeNetwork.podTraffic 'drop': the table on the node network's bridge (family bridge, in the fabric namespace). */
export const UNDERLAY = { table: 'podlab_underlay' } as const;

export const SERVICES = {
  /** kube-apiserver's default --service-node-port-range. */
  nodePortMin: 30000,
  nodePortMax: 32767,
  /** Host number in serviceCidr that kubeadm gives the DNS Service (10.96.0.10); never allocated to another Service. */
  dnsHost: 10,
  /** kube-proxy's default sessionAffinity timeout: 3 hours. */
  affinityTimeoutSeconds: 10800,
  /** The nftables table podlab's kube-proxy owns in each node namespace (and the gateway's). */
  table: 'podlab',
  /** kube-proxy's masquerade mark bit. */
  masqueradeMark: '0x4000',
} as const;

export const DNS = {
  /** The cluster DNS pod, Service and label, named as kubeadm names them. */
  podName: 'coredns',
  namespace: 'kube-system',
  serviceName: 'kube-dns',
  labels: { 'k8s-app': 'kube-dns' } as Record<string, string>,
  /** Where the DNS container sees its Corefile and files (a read-only bind mount). */
  configDir: '/etc/coredns',
  /** kubelet's default resolver options for ClusterFirst pods. */
  ndots: 5,
  /** The Kubernetes DNS spec version answered by `dns-version.<zone>` TXT. */
  specVersion: '1.1.0',
  metricsPort: 9153,
  /** The DNS container's ports, named as kubeadm's CoreDNS Deployment names them. */
  ports: [
    { name: 'dns', containerPort: 53, protocol: 'UDP' },
    { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
    { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
  ] as { name: string; containerPort: number; protocol: 'TCP' | 'UDP' }[],
  healthPort: 8080,
  readyPort: 8181,
} as const;

export const FLANNEL = {
  /** flannel's VXLAN backend defaults: VNI 1, the Linux-assigned VXLAN port 8472, device flannel.<vni>. */
  vni: 1,
  port: 8472,
  /** VXLAN over IPv4 adds 50 bytes (outer IP 20 + UDP 8 + VXLAN 8 + inner Ethernet 14). */
  overhead: 50,
  /** VXLAN over IPv6 (an IPv6-only lab) adds 70 bytes: the outer IPv6 header is 40. */
  overhead6: 70,
} as const;

export const CALICO = {
  /** Calico's default node-to-node mesh AS (calicoctl's default BGPConfiguration). */
  asNumber: 64512,
  /** IPPool blockSize default: each node claims /26 blocks (64 addresses) of the pool. */
  blockSize: 26,
  /** The name of the IP pool a lab gets from `ipPool` (Calico's default IPPool). */
  defaultPool: 'default-ipv4-ippool',
  /** The pod's gateway: a link-local address no interface holds; the host-side veth answers ARP for it (proxy ARP). */
  gateway: '169.254.1.1',
  /** The IPv6 pool's block size default (CALICO_IPV6POOL_BLOCK_SIZE): /122, 64 addresses, as an IPv4 /26. */
  blockSize6: 122,
  /** The name of a dual-stack lab's IPv6 pool (Calico's default IPv6 IPPool, from CALICO_IPV6POOL_CIDR). */
  defaultPool6: 'default-ipv6-ippool',
  /**
   * The pods' IPv6 gateway: the host-side veth's own link-local address, which the kernel derives
   * (EUI-64) from its MAC ee:ee:ee:ee:ee:ee; Calico's plugin reads it off the veth and routes the
   * pod's default via it, so no proxy is needed for it (the veth answers neighbour solicitations itself).
   */
  gateway6: 'fe80::ecee:eeff:feee:eeee',
  /** The MAC Calico gives every host-side veth. */
  hostVethMac: 'ee:ee:ee:ee:ee:ee',
  /** Host-side veth names: `cali` + the first 11 hex digits of sha1("<namespace>.<pod>") (15 bytes). */
  vethPrefix: 'cali',
  /** Felix's VXLAN defaults: device vxlan.calico, VNI 4096, the IANA VXLAN port. */
  vxlanDevice: 'vxlan.calico',
  vni: 4096,
  port: 4789,
  /** VXLAN over IPv4 adds 50 bytes; Calico's default VXLAN MTU is 1450. */
  vxlanOverhead: 50,
  /** Felix's IPv6 VXLAN device (same VNI and port as vxlan.calico: Felix has one VXLANVNI and VXLANPort). */
  vxlanDevice6: 'vxlan-v6.calico',
  /** VXLAN over IPv6 adds 70 bytes (Felix's vxlanV6MTUOverhead): the IPv6 header is 20 bytes longer. */
  vxlanOverhead6: 70,
  /** The nftables table of a node's per-pool NAT (Calico's cali-nat-outgoing chain). */
  natTable: 'calico',
} as const;

/** Name of the Linux bridge the CNI bridge plugin creates on every node, as flannel's CNI plugin names it. */
export const POD_BRIDGE = 'cni0';
/** kubenet's bridge: kubelet's kubenet plugin names it cbr0 ("custom bridge"), not cni0. */
export const KUBENET_BRIDGE = 'cbr0';
/** Name of the node-network bridge inside the fabric namespace. */
export const FABRIC_BRIDGE = 'br0';
/** Interface name of a node's link to the node network, and of a pod's link to its node. */
export const NODE_IFNAME = 'eth0';
export const POD_IFNAME = 'eth0';

/** Linux IFNAMSIZ is 16 including the NUL: 15 usable bytes. */
export const IFNAME_MAX = 15;

/** How long a check retries by default before it is judged failed. */
export const CHECK_TIMEOUT_MS = 5000;

/** The diagnostic every host-affecting error ends with. */
export const NOTHING_CHANGED = 'Nothing was changed on this host.';

/**
 * The uids (and gids of the same number) podlab runs untrusted code as, never root and never a
 * user of the machine: each container of a lab gets one of `container` while it runs, each
 * sandbox evaluating a lab file or submission one of `sandbox`, so RLIMIT_NPROC and file access
 * are per container and per sandbox. Above the ranges systemd hands out (nspawn's ends at
 * 1879048191), below 2^31 (tools that treat a uid as signed). Held by lock files in UID_LOCK_DIR.
 */
/** Submissions graded at once by default (grade, exercise test): each lab is mostly waiting on the kernel and short-lived processes. */
export const DEFAULT_JOBS = 4;

export const PODLAB_UIDS = {
  sandbox: { first: 1_950_000_000, count: 4096 },
  container: { first: 1_950_004_096, count: 61_440 },
} as const;
/**
 * One file per uid in use (`<uid>`, holding the holder's pid and start time). Shared by every lab
 * and grading run on the machine, so not inside a lab's state: beside STATE_ROOT (whose listing is
 * the host baseline), or inside a state root given for tests.
 */
/**
 * The kernel features a probe found present in this boot (runtime/preflight.ts), so that `up` does
 * not probe them again: beside STATE_ROOT as the uid locks are, on /run (a tmpfs, empty at boot).
 */
export const KERNEL_PROBE_FILE = process.env.PODLAB_STATE_ROOT ? `${process.env.PODLAB_STATE_ROOT}/.kernel.json` : '/run/podlab-kernel.json';
export const UID_LOCK_DIR = process.env.PODLAB_UID_DIR ?? (process.env.PODLAB_STATE_ROOT ? `${process.env.PODLAB_STATE_ROOT}/.uids` : '/run/podlab-uids');

/** The PATH of a container's environment: the one container images commonly set. */
export const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Who answered an HTTP check (SECURITY.md, boundary 13; src/lib/proof.ts): the header a check's
 * requests carry their nonce in, the descriptor an http-echo container gets its key on (contain
 * --key-file hands it over; a container with a key has no --listen sockets before it), and the
 * bytes of the lab's secret.
 */
export const IDENTITY = {
  nonceHeader: 'X-Podlab-Nonce',
  keyFd: 3,
  secretBytes: 32,
} as const;
