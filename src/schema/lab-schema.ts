/**
 * The lab language: what an author may write in a `*.lab.ts` file, as a zod schema. Its input
 * type is the authoring type (`LabSpec`, optional fields and shorthands); structure only. Rules
 * that relate one part to another (references, overlaps, sizes) live in compile/rules.ts.
 */
import { z } from 'zod';
import { CODES } from '../compile/diagnostics.ts';
import { cniSchema } from '../cni/schemas.ts';
import { port } from './fields.ts';
import { containerLoopFields, deploymentSchemaOf, loopActionSchemas, loopsSettingsSchema } from '../loops/schema.ts';
import { clusterNetworkPolicySchema } from './cluster-network-policy-schema.ts';
import { namespaceSchema, networkPolicySchema, policyActionSchemas } from './network-policy-schema.ts';
import { ingressClassSchema, ingressControllerSchema, ingressSchema } from './ingress-schema.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 label: lower-case alphanumerics and '-', starting and ending alphanumeric, ≤ 63 bytes. */
export const dnsLabel = z
  .string()
  .max(63, { message: 'must be at most 63 characters (a DNS-1123 label)' })
  .regex(DNS1123_LABEL, {
    message: "must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit",
  });


const protocol = z.enum(['TCP', 'UDP']);

/** An IANA service name as Kubernetes uses for port names: a DNS-1123 label of at most 15 characters. */
const portName = dnsLabel.max(15, { message: 'must be at most 15 characters (an IANA service name)' });

export const containerPortSchema = z.strictObject({
  /** Port name, referenced by Services' targetPort. */
  name: portName.optional(),
  containerPort: port,
  /** @default 'TCP' */
  protocol: protocol.optional(),
  /** Also expose the port on the node's IP (CNI portmap plugin), as a pod's hostPort does. */
  hostPort: port.optional(),
});

/** Built-in workloads: small servers whose answers make the network visible. */
export const workloadSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('http-echo'),
    /** @default 8080 */
    port: port.optional(),
  }),
  z.strictObject({ kind: z.literal('tcp-echo'), /** @default 9000 */ port: port.optional() }),
  z.strictObject({ kind: z.literal('udp-echo'), /** @default 9001 */ port: port.optional() }),
]);

export const containerSchema = z
  .strictObject({
    name: dnsLabel,
    /** A built-in workload; exactly one of `workload` and `command`. */
    workload: workloadSchema.optional(),
    /** An argv to run inside the pod (no shell): e.g. ['sleep', 'infinity']. */
    command: z.array(z.string()).min(1, { message: 'must name a program' }).optional(),
    ports: z.array(containerPortSchema).optional(),
    env: z.record(z.string(), z.string()).optional(),
    ...containerLoopFields,
  });

/** A pod's own resolver settings, merged into (or, with dnsPolicy 'None', making up) its /etc/resolv.conf. */
export const dnsConfigSchema = z.strictObject({
  /** Up to 3 name server addresses. */
  nameservers: z.array(z.string()).max(3, { message: 'at most 3 nameservers (the resolver reads no more)' }).optional(),
  /** Search domains, appended after the policy's own. */
  searches: z.array(z.string()).max(32, { message: 'at most 32 search domains' }).optional(),
  /** Resolver options, e.g. { name: 'ndots', value: '2' }; they override the policy's. */
  options: z.array(z.strictObject({ name: z.string().regex(/^[a-z][a-z0-9-]*$/, { message: 'must be a resolver option name such as ndots, timeout, attempts, edns0' }), value: z.string().optional() })).optional(),
});

export const podSchema = z.strictObject({
  /** Kubernetes namespace. @default 'default' */
  namespace: dnsLabel.optional(),
  /** The pod's hostname. @default the pod's name */
  hostname: dnsLabel.optional(),
  /** With `hostname`, names the pod in DNS as `<hostname>.<subdomain>.<namespace>.svc.<zone>` when a headless Service called `<subdomain>` selects it. */
  subdomain: dnsLabel.optional(),
  /**
   * How the pod's /etc/resolv.conf is made: 'ClusterFirst' (the cluster DNS Service, the search
   * list `<ns>.svc.<zone> svc.<zone> <zone>`, ndots:5), 'Default' (the node's resolvers),
   * 'None' (only `dnsConfig`), 'ClusterFirstWithHostNet' (ClusterFirst, also for hostNetwork pods,
   * which otherwise fall back to Default). @default 'ClusterFirst'
   */
  dnsPolicy: z.enum(['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None']).optional(),
  dnsConfig: dnsConfigSchema.optional(),
  /** Node the pod is scheduled on (a key of `nodes`). */
  node: z.string(),
  labels: z.record(z.string(), z.string()).optional(),
  /** Share the node's network namespace instead of getting a pod IP. @default false */
  hostNetwork: z.boolean().optional(),
  /**
   * One PID namespace for the whole pod (Kubernetes' `shareProcessNamespace`): its pause process
   * is PID 1, and `ps` in the pod (`podlab exec`, any container) shows the pod's processes only.
   * Without it containers see the node's processes (podlab's departure from Kubernetes, which gives
   * each container a PID namespace of its own: see docs/labs.md). Not with `hostNetwork`.
   * @default false
   */
  shareProcessNamespace: z.boolean().optional(),
  /** @default [] — a pod with no containers is just its sandbox (the pause process). */
  containers: z.array(containerSchema).optional(),
});

export const nodeSchema = z.strictObject({
  /** @default 'worker' */
  role: z.enum(['control-plane', 'worker']).optional(),
  /** Fixed address on the node network; otherwise .10, .11, … in declaration order. */
  ip: z.string().optional(),
  /** Name of the node's link to the node network (e.g. 'enp0s8' as on a VM). @default 'eth0' */
  interface: z.string().optional(),
  /** The node's own labels, beside the well-known ones (kubernetes.io/hostname, …); Calico's IP pools select nodes by them. @default {} */
  labels: z.record(z.string(), z.string()).optional(),
});

export { cniSchema };

const checkEnds = {
  /** A pod key, `node/<name>` or `host/<name>`. */
  from: z.string(),
  /**
   * A pod key, `node/<name>`, `host/<name>`, an IPv4 address, a Service's ClusterIP as
   * `svc/<name>` or `svc/<namespace>/<name>`, or a LoadBalancer Service's address as `lb/<name>`.
   */
  to: z.string(),
  /** In a dual-stack lab: reach a pod, node or Service (`svc/…`) at its address of this family. @default its primary address */
  family: z.enum(['IPv4', 'IPv6']).optional(),
  /** @default 'reach' */
  expect: z.enum(['reach', 'no-reach']).optional(),
  /** How long to keep retrying before the check fails, in ms. @default 5000 */
  timeoutMs: z.number().int().min(100).max(120000).optional(),
  /** Shown in reports; defaults to a description built from the check. */
  name: z.string().optional(),
};

/** Record types a DNS check may ask for. */
export const dnsRecordType = z.enum(['A', 'AAAA', 'SRV', 'CNAME', 'PTR', 'TXT', 'NS', 'SOA', 'MX']);

export const dnsCheckSchema = z.strictObject({
  kind: z.literal('dns'),
  /** A pod key, `node/<name>` or `host/<name>`: where the lookup runs. */
  from: z.string(),
  /**
   * The name to look up, as a program in the pod would write it: `web` (the search list of the
   * pod's resolv.conf applies, with its ndots), `web.shop`, or a fully qualified
   * `web.default.svc.cluster.local.`. For PTR, an IPv4 or IPv6 address (asked under in-addr.arpa or ip6.arpa).
   */
  query: z.string().min(1),
  /** @default 'A' */
  type: dnsRecordType.optional(),
  /** Ask this server instead of the resolv.conf one: an IPv4 or IPv6 address, `svc/<ns>/<name>` or `host/<name>`. */
  server: z.string().optional(),
  /** In a lab with both families: ask the `server` (a Service or host) at its address of this family. @default its primary address */
  family: z.enum(['IPv4', 'IPv6']).optional(),
  /** Over TCP instead of UDP. @default false */
  tcp: z.boolean().optional(),
  /** @default 'NOERROR' */
  expectRcode: z.enum(['NOERROR', 'NXDOMAIN', 'SERVFAIL', 'REFUSED']).optional(),
  /** Each of these must be among the answers' data: an address, a target name (`web.default.svc.cluster.local`), a TXT string. */
  expectAnswers: z.array(z.string()).optional(),
  /** No answer records at all (NODATA when the rcode is NOERROR). @default false */
  expectEmpty: z.boolean().optional(),
  /** @default 5000 */
  timeoutMs: z.number().int().min(100).max(120000).optional(),
  name: z.string().optional(),
});

const checkTimeout = z.number().int().min(100).max(120000).optional();

export const commandCheckSchema = z.strictObject({
  kind: z.literal('command'),
  /** A pod key, `node/<name>` or `host/<name>`: where the command runs. */
  from: z.string(),
  /** An argv run there (no shell), e.g. ['ip', 'route']. */
  command: z.array(z.string()).min(1, { message: 'must name a program' }),
  /** @default 0 */
  expectExit: z.number().int().min(0).max(255).optional(),
  /** Its output (stdout and stderr) must contain this text. */
  expectOutput: z.string().optional(),
  /** Its output must match this regular expression (JavaScript syntax). */
  expectMatch: z.string().optional(),
  timeoutMs: checkTimeout,
  name: z.string().optional(),
});

export const routeCheckSchema = z.strictObject({
  kind: z.literal('route'),
  /** `node/<name>`, a pod key or `host/<name>`: whose routing table. */
  from: z.string(),
  /** The destination: a CIDR (an exact route), an address (the route it takes), or `node/<name>` (that node's pod CIDR). */
  to: z.string(),
  /** The next hop: an address or `node/<name>` (that node's address, in the destination's family). */
  via: z.string().optional(),
  /** In a lab with both families: `node/<name>` as `to` is that node's pod CIDR of this family (`ip -6 route` for IPv6). @default the destination's family, else the primary */
  family: z.enum(['IPv4', 'IPv6']).optional(),
  /** The outgoing interface, e.g. 'flannel.1' or 'cni0'. */
  dev: z.string().optional(),
  /** The route's protocol as `ip route` prints it after `proto`: 'bird' (learned over BGP by BIRD), 'kernel', 'static', 'boot'. */
  proto: z.string().optional(),
  /** The route's type: 'unicast' (a next hop or device), 'blackhole' (Calico's route for a node's own block), 'unreachable', 'prohibit'. */
  type: z.enum(['unicast', 'blackhole', 'unreachable', 'prohibit', 'local']).optional(),
  /** Assert that there is no such route. @default false */
  absent: z.boolean().optional(),
  timeoutMs: checkTimeout,
  name: z.string().optional(),
});

/** Calico BGP (BIRD in every node, asked through the node's control socket with birdc). */
export const bgpCheckSchema = z.strictObject({
  kind: z.literal('bgp'),
  /** `node/<name>`: the node whose BIRD is asked. */
  from: z.string(),
  /** `node/<name>`: the peer; the session to it must be Established. */
  peer: z.string(),
  /** A CIDR the node must have learned from the peer over that session, or 'blocks': every block the peer holds in the plan. */
  learned: z.string().optional(),
  /** The opposite: the session is not Established (without `learned`), or the route was not learned from the peer. @default false */
  absent: z.boolean().optional(),
  /** The session's family: 'IPv6' asks the IPv6 mesh session (between the nodes' IPv6 addresses), and 'blocks' are then the peer's IPv6 blocks. @default the lab's first family that is IPv4 (an IPv6-only lab: 'IPv6') */
  family: z.enum(['IPv4', 'IPv6']).optional(),
  timeoutMs: checkTimeout,
  name: z.string().optional(),
});

/** Calico IPAM facts, read from the node's blackhole routes (one per block the node holds). */
export const blockCheckSchema = z.strictObject({
  kind: z.literal('block'),
  /** `node/<name>`: the node asked. */
  from: z.string(),
  /** The blocks the node holds: exactly these CIDRs, in any order. */
  holds: z.array(z.string()).optional(),
  /** A pod on that node: where its current address came from (see `borrowed`). */
  pod: z.string().optional(),
  /** With `pod`: true, its address lies in no block of its node (borrowed from another node's block); false, in one of its node's own. @default true */
  borrowed: z.boolean().optional(),
  /** Which family's blocks: 'IPv6' reads the node's IPv6 blackholes (and, with `pod`, the pod's IPv6 address). @default the family of `holds`, else IPv4 (an IPv6-only lab: 'IPv6') */
  family: z.enum(['IPv4', 'IPv6']).optional(),
  timeoutMs: checkTimeout,
  name: z.string().optional(),
});

export const vxlanCheckSchema = z.strictObject({
  kind: z.literal('vxlan'),
  /** `node/<name>`: the node that must have the device. */
  from: z.string(),
  /** The VXLAN network identifier. */
  vni: z.number().int().min(1).max(16777215),
  /** The UDP port. */
  port: port.optional(),
  /** The device name, e.g. 'flannel.1'. */
  dev: z.string().optional(),
  timeoutMs: checkTimeout,
  name: z.string().optional(),
});

/** One check of a connectivity matrix: how a cell is probed. */
const matrixProbe = z.enum(['ping', 'tcp', 'udp', 'http']);
const reachOrNot = z.enum(['reach', 'no-reach']);

/**
 * A connectivity matrix: every source in `from` tries every target in `to`; the report shows the
 * grid. `expect` is one verdict for every cell, or one row per source with one entry per target.
 */
export const matrixCheckSchema = z.strictObject({
  kind: z.literal('matrix'),
  /** Sources: pod keys, `node/<name>` or `host/<name>`. */
  from: z.array(z.string()).min(1, { message: 'must list at least one source' }),
  /** Targets, as in other checks: pods, `node/…`, `host/…`, `svc/…`, `lb/…` or IPv4 addresses; `:port` after one gives its own port (`web-1:8080`). */
  to: z.array(z.string()).min(1, { message: 'must list at least one target' }),
  /** How each cell is tried. @default 'tcp' (or 'ping' when no port is given and no target is a Service) */
  probe: matrixProbe.optional(),
  /** Required for tcp, udp and http unless every target is a Service. */
  port: port.optional(),
  /** @default 'reach' for every cell */
  expect: z.union([reachOrNot, z.array(z.array(reachOrNot))]).optional(),
  /** Per cell. @default 3000 */
  timeoutMs: checkTimeout,
  name: z.string().optional(),
});

export const checkSchema = z.discriminatedUnion('kind', [
  dnsCheckSchema,
  commandCheckSchema,
  routeCheckSchema,
  vxlanCheckSchema,
  z.strictObject({ kind: z.literal('ping'), ...checkEnds }),
  z.strictObject({
    kind: z.literal('tcp'),
    ...checkEnds,
    /** Required unless `to` is a Service (then its first port). */
    port: port.optional(),
  }),
  z.strictObject({
    kind: z.literal('udp'),
    ...checkEnds,
    /** The target must echo datagrams (the udpEcho workload). Required unless `to` is a Service. */
    port: port.optional(),
  }),
  z.strictObject({
    kind: z.literal('http'),
    ...checkEnds,
    /** Required unless `to` is a Service (then its first port). */
    port: port.optional(),
    /** @default '/' */
    path: z.string().startsWith('/').optional(),
    /** The pod expected to answer (its name in the http-echo reply). */
    expectPod: z.string().optional(),
    /** The HTTP status expected. @default 200 */
    expectStatus: z.number().int().min(100).max(599).optional(),
    /**
     * Where a redirect answer points (its Location), e.g. 'https://shop.example.com/api' for an
     * Ingress's HTTP → HTTPS redirect; give expectStatus too (e.g. 308). Asked with curl.
     */
    expectLocation: z.string().optional(),
    /** The response body must contain this text. */
    expectBody: z.string().optional(),
    /** Assert that the server saw the client's own IP (no NAT on the path). @default false */
    expectNoNat: z.boolean().optional(),
    /**
     * Assert the source address the server saw: `node/<name>` (one of that node's addresses),
     * `nodes` (any node's), `host/<name>`, a pod key, or an IPv4 address. Shows SNAT.
     */
    expectSource: z.string().optional(),
    /** Send this many requests, each on a new connection (a new load-balancing decision). @default 1 */
    requests: z.number().int().min(1).max(1000).optional(),
    /** At least this many different pods must answer the requests (load balancing). */
    expectSpread: z.number().int().min(1).optional(),
    /** Every request must be answered by the same pod (session affinity). @default false */
    expectSticky: z.boolean().optional(),
    /** The Host header to send (an Ingress routes on it), e.g. 'shop.example.com'. Sent with curl. */
    host: z.string().optional(),
    /** Speak HTTPS (curl), verifying the certificate against the lab's CA when `sni` is given. @default false */
    https: z.boolean().optional(),
    /** With https: the TLS server name (SNI) to ask for; the certificate must be valid for it. @default `host` */
    sni: z.string().optional(),
    /** Every answer must come from a pod of this Service (`<name>` or `<namespace>/<name>`): which backend an Ingress chose. */
    expectService: z.string().optional(),
    /** Request headers the server must have seen (names case-insensitive), e.g. { 'x-forwarded-proto': 'https' }. */
    expectHeaders: z.record(z.string(), z.string()).optional(),
    /** The path (and query) the server must have seen: what an Ingress's rewrite-target made of `path` (http-echo reports it). */
    expectPath: z.string().optional(),
  }),
  matrixCheckSchema,
  bgpCheckSchema,
  blockCheckSchema,
]);

/** Something a scenario does to the live lab between its checks. */
export const actionSchema = z.discriminatedUnion('action', [
  /** Delete the pod and create it again, as a ReplicaSet does: a new sandbox and a new IP. */
  z.strictObject({ action: z.literal('recreate-pod'), pod: z.string() }),
  z.strictObject({ action: z.literal('delete-pod'), pod: z.string() }),
  /** Create a deleted pod again (a new IP). */
  z.strictObject({ action: z.literal('create-pod'), pod: z.string() }),
  /** Stop one container and start it again; the pod keeps its sandbox and its IP. */
  z.strictObject({ action: z.literal('restart-container'), pod: z.string(), container: z.string() }),
  /**
   * Run `replicas` copies of the pod, as a Deployment does: the pod itself and copies named
   * `<pod>-r2`, `<pod>-r3`, … on the same node with the same labels (so its Services select them).
   * Scaling down deletes the highest-numbered copies first; 0 deletes the pod too.
   */
  z.strictObject({ action: z.literal('scale'), pod: z.string(), replicas: z.number().int().min(0).max(50) }),
  /** Give the cluster DNS a new Corefile (checked first) and reload it; without `corefile`, reload the current one. */
  z.strictObject({ action: z.literal('reload-dns'), corefile: z.string().optional() }),
  /** Unplug the node's link to the node network (its port on the fabric bridge goes down). */
  z.strictObject({ action: z.literal('link-down'), node: z.string() }),
  /** Plug it back in. */
  z.strictObject({ action: z.literal('link-up'), node: z.string() }),
  /** Calico BGP: stop the node's BIRD (its peers drop the routes it advertised). */
  z.strictObject({ action: z.literal('stop-bird'), node: z.string() }),
  /** Calico BGP: start the node's BIRD again (the sessions come back, and the routes with them). */
  z.strictObject({ action: z.literal('start-bird'), node: z.string() }),
  /**
   * Calico BGP: reserve every free address of the node's blocks (as an IPReservation does), so the
   * next pod created on it claims a new block of its pools or, with none free, borrows an address
   * of another node's block (its /32 advertised by BIRD).
   */
  /** Reserves the free addresses of a Calico node's blocks: those of `family`, or of every family the lab has. */
  z.strictObject({ action: z.literal('exhaust-block'), node: z.string(), family: z.enum(['IPv4', 'IPv6']).optional() }),
  /** Calico: set an IP pool's natOutgoing (masquerade pod traffic leaving every pool, or not): the pool named `pool`, or every pool. */
  z.strictObject({ action: z.literal('set-nat-outgoing'), natOutgoing: z.boolean(), pool: z.string().optional() }),
  /** Run a command in a pod, node or host; the step fails unless it exits with `expectExit`. */
  z.strictObject({
    action: z.literal('exec'),
    /** A pod key, `node/<name>` or `host/<name>`. */
    from: z.string(),
    command: z.array(z.string()).min(1, { message: 'must name a program' }),
    /** @default 0 */
    expectExit: z.number().int().min(0).max(255).optional(),
  }),
  ...policyActionSchemas,
  ...loopActionSchemas,
]);

/** A scenario step: an action, or a check (retried until it passes or times out, as every check is). */
export const scenarioStepSchema = z.union([actionSchema, z.strictObject({ check: checkSchema })]);

/** Ordered steps mixing actions and checks: "the pod IP changed but the Service still works". */
export const scenarioSchema = z.strictObject({
  description: z.string().optional(),
  steps: z.array(scenarioStepSchema).min(1, { message: 'a scenario needs at least one step' }),
});

export const servicePortSchema = z.strictObject({
  /** Required when a Service has more than one port; names SRV records and endpoint ports. */
  name: portName.optional(),
  /** @default 'TCP' */
  protocol: protocol.optional(),
  /** The port on the ClusterIP (and on the load-balancer address). */
  port,
  /** The pods' port: a number, or the name of a container port. @default the same as `port` */
  targetPort: z.union([port, portName]).optional(),
  /** NodePort and LoadBalancer only: the port on every node's IP, 30000–32767; allocated from 30000 up unless given. */
  nodePort: z.number().int({ message: 'must be a whole number' }).optional(),
});

/** A CIDR, or one per address family in the lab's ipFamilies order (as kubeadm's comma-separated podSubnet). */
const cidrs = z.union([z.string(), z.array(z.string()).min(1).max(2)]);

export const serviceSchema = z.strictObject({
  /** @default 'default' */
  namespace: dnsLabel.optional(),
  /** @default 'ClusterIP' */
  type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']).optional(),
  /** Pods whose labels include all of these are the Service's endpoints. No selector: no endpoints. */
  selector: z.record(z.string(), z.string()).optional(),
  ports: z.array(servicePortSchema).optional(),
  /** A fixed address inside serviceCidr, or 'None' for a headless Service. Allocated from serviceCidr (.1 upward; .10 is kept for DNS) unless given. */
  clusterIP: z.string().optional(),
  /** ExternalName only: the DNS name the Service is an alias (CNAME) of. */
  externalName: z.string().optional(),
  /**
   * LoadBalancer only: a fixed address from the lab's loadBalancer pool, of one of the Service's
   * families (one address, as Kubernetes' spec.loadBalancerIP; a dual-stack Service's other one is allocated).
   */
  loadBalancerIP: z.string().optional(),
  /** 'ClientIP': one client keeps reaching the same endpoint (for 3 hours). @default 'None' */
  sessionAffinity: z.enum(['None', 'ClientIP']).optional(),
  /** NodePort/LoadBalancer traffic: 'Cluster' spreads it over all endpoints with SNAT to the node; 'Local' uses only the node's own endpoints and keeps the client IP. @default 'Cluster' */
  externalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
  /** ClusterIP traffic: 'Local' uses only endpoints on the client's own node. @default 'Cluster' */
  internalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
  /**
   * 'SingleStack': one cluster IP, of `ipFamilies[0]` or the lab's primary family; 'PreferDualStack':
   * one per family of a dual-stack lab; 'RequireDualStack': the same, an error on a single-stack lab.
   * @default 'SingleStack'
   */
  ipFamilyPolicy: z.enum(['SingleStack', 'PreferDualStack', 'RequireDualStack']).optional(),
  /** The Service's families, primary first. @default from ipFamilyPolicy and the lab's ipFamilies */
  ipFamilies: z.array(z.enum(['IPv4', 'IPv6'])).min(1).max(2).optional(),
  /** Fixed cluster IPs, one per family in ipFamilies order; the first is `clusterIP`. */
  clusterIPs: z.array(z.string()).min(1).max(2).optional(),
  /** Keep pods that are not ready in the endpoints (and DNS answers), as a StatefulSet's headless Service often does. @default false */
  publishNotReadyAddresses: z.boolean().optional(),
});

/** A DNS server run by a host (podlab's own server, as for the cluster): zone files it is authoritative for. */
export const hostDnsSchema = z.strictObject({
  /** Zone files (RFC 1035 master-file text) by origin, e.g. { 'example.org': zoneText }. */
  zones: z.record(z.string(), z.string()).optional(),
  /** A Corefile of its own; by default one server block per zone with `file`, `log` and `errors`. */
  corefile: z.string().optional(),
  /** More files beside that Corefile, by name. */
  files: z.record(z.string(), z.string()).optional(),
});

/** A machine outside the cluster: a client, an "internet" server, in a namespace of its own. */
export const hostSchema = z.strictObject({
  /** 'nodes': on the node network, beside the nodes; 'external': beyond the lab's gateway (the "internet"). @default 'nodes' */
  network: z.enum(['nodes', 'external']).optional(),
  /** Fixed address; otherwise the next free one (after the nodes on the node network, from .10 on the external one). */
  ip: z.string().optional(),
  /** Programs to run on the host, e.g. container(workloads.httpEcho()). */
  containers: z.array(containerSchema).optional(),
  /** Run a DNS server on port 53 (UDP and TCP), e.g. the upstream a custom CoreDNS forwarder points at. */
  dns: hostDnsSchema.optional(),
});

/** The cluster DNS: a kube-system/coredns pod behind the kube-dns Service, configured by a Corefile. */
export const clusterDnsSchema = z.strictObject({
  /** The Corefile. @default kubeadm's default Corefile for the lab's cluster domain */
  corefile: z.string().optional(),
  /** Files beside the Corefile (/etc/coredns/<name>): zone files for `file`, hosts files for `hosts`, snippets for `import`. */
  files: z.record(z.string(), z.string()).optional(),
  /** The node the DNS pod runs on. @default the first control-plane node, else the first node */
  node: z.string().optional(),
  /**
   * The nodes' own resolvers: what a 'Default' dnsPolicy pod and `forward . /etc/resolv.conf`
   * use. An IPv4 address or `host/<name>`. @default [] (none: names outside the cluster do not resolve)
   */
  nameservers: z.array(z.string()).max(3, { message: 'at most 3 nameservers (the resolver reads no more)' }).optional(),
});

export const labSchema = z.strictObject({
  name: dnsLabel,
  description: z.string().optional(),
  /**
   * Warnings this lab does not print (e.g. `['PL2189']`): a lab whose mistake is the learner's to
   * find, as an exercise's starter, where validate would name it. Errors are never quieted.
   */
  quietWarnings: z.array(z.string().refine((c) => c in CODES, { message: 'not a podlab diagnostic code (docs/errors.md lists them)' })).optional(),
  /**
   * Kubernetes manifests merged into the lab: YAML files or globs (`'k8s/*.yaml'`, relative to the
   * lab file) or inline YAML (a string with a line break). Namespace, Pod, Deployment, ReplicaSet,
   * Service and the kube-system/coredns ConfigMap, checked against the Kubernetes API schemas:
   * docs/manifests.md. @default []
   */
  manifests: z.array(z.string()).optional(),
  /** The network between the nodes: one switch in the lab's fabric namespace. */
  nodeNetwork: z
    .strictObject({
      /** One CIDR, or one per family in ipFamilies order. @default '172.16.94.0/24' (IPv6: 'fd00:172:16:94::/64') */
      cidr: cidrs.optional(),
      /**
       * What the node network does with packets from or to pod addresses (podCidr). 'deliver': a plain
       * switch, so kubenet's routes via node addresses work. 'drop': a cloud network that knows only the
       * nodes' addresses, so pods on different nodes reach each other only through an overlay (flannel's
       * VXLAN) or NAT. @default 'deliver'
       */
      podTraffic: z.enum(['deliver', 'drop']).optional(),
    })
    .optional(),
  nodes: z.record(z.string(), nodeSchema),
  /**
   * The lab's address families, primary first: ['IPv4'], ['IPv4', 'IPv6'] or ['IPv6', 'IPv4'] (dual
   * stack) or ['IPv6']. Every node, pod and dual-stack Service gets one address per family. @default ['IPv4']
   */
  ipFamilies: z.array(z.enum(['IPv4', 'IPv6'])).min(1).max(2).optional(),
  /** Cluster pod network, one CIDR per family in ipFamilies order; node N (in declaration order) gets the N-th slice. @default '10.244.0.0/16' (IPv6: 'fd00:10:244::/56') */
  podCidr: cidrs.optional(),
  /** Prefix length of each node's slice of podCidr. @default 24 */
  podCidrMaskSize: z.number().int().min(8).max(30).optional(),
  /** Prefix length of each node's slice of the IPv6 podCidr (kube-controller-manager's --node-cidr-mask-size-ipv6). @default 64 */
  podCidrMaskSizeIPv6: z.number().int().min(8).max(126).optional(),
  /** One CIDR per family in ipFamilies order. @default '10.96.0.0/12' (IPv6: 'fd00:10:96::/112') */
  serviceCidr: cidrs.optional(),
  /** @default 'cluster.local' */
  clusterDomain: z.string().optional(),
  /**
   * Kubernetes namespaces; 'default' and 'kube-system' always exist. A name, or { name, labels }
   * (labels for NetworkPolicy namespaceSelectors; `kubernetes.io/metadata.name` is always set).
   */
  namespaces: z.array(z.union([dnsLabel, namespaceSchema])).optional(),
  /** @default 'flannel' */
  cni: cniSchema.optional(),
  pods: z.record(z.string(), podSchema).optional(),
  /** Deployments by name: pods made from a template and kept at `replicas` by the lab's control loops (docs/control-loops.md). */
  deployments: z.record(dnsLabel, deploymentSchemaOf(containerSchema)).optional(),
  /** The control loops' timings (restart back-off, node grace); Kubernetes' own by default. */
  loops: loopsSettingsSchema.optional(),
  /** Kubernetes Services; keys are Service names (use `namespace` for other namespaces). */
  services: z.record(z.string(), serviceSchema).optional(),
  /** Masquerade pod traffic leaving the pod network to the node's IP (flannel's ipMasq). @default true */
  natOutgoing: z.boolean().optional(),
  /** Cluster DNS settings; `false` leaves the lab without cluster DNS. @default {} (kubeadm's setup) */
  dns: z.union([z.literal(false), clusterDnsSchema]).optional(),
  /** Machines outside the cluster. Any host on the 'external' network, or a loadBalancer pool, adds the lab's gateway: a router at the node network's first address. */
  hosts: z.record(z.string(), hostSchema).optional(),
  /**
   * The network beyond the gateway, where 'external' hosts live: one CIDR per family, in ipFamilies
   * order (the IPv6 one in a lab with IPv6). @default { cidr: ['203.0.113.0/24', 'fd00:203:0:113::/64'] }
   */
  externalNetwork: z.strictObject({ cidr: cidrs }).optional(),
  /**
   * Addresses for LoadBalancer Services, held by the gateway (as a cloud load balancer or MetalLB would), which forwards them to the Service's NodePort.
   * `pool` is one CIDR or one per family, e.g. ['172.16.94.240/28', 'fd00:172:16:94::f0/124'] (as MetalLB's IPAddressPool lists addresses); a family the lab lacks is not used.
   */
  loadBalancer: z.strictObject({ pool: cidrs }).optional(),
  /** NetworkPolicies (networking.k8s.io/v1) by name; enforced in nftables on every node (docs/network-policy.md). */
  networkPolicies: z.record(z.string(), networkPolicySchema).optional(),
  /** ClusterNetworkPolicies (policy.networking.k8s.io, tiers Admin and Baseline) by name; evaluated Admin → NetworkPolicy → Baseline → allow (docs/network-policy.md). */
  clusterNetworkPolicies: z.record(z.string(), clusterNetworkPolicySchema).optional(),
  /**
   * What happens to a packet a policy denies, as Calico's FelixConfiguration `iptablesFilterDenyAction`:
   * 'Drop' (Calico's default, as Cilium and Antrea: the client hears nothing and times out) or
   * 'Reject' (as kube-router: ICMP port unreachable, the connection is refused at once). @default 'Drop'
   */
  policyDenyAction: z.enum(['Drop', 'Reject']).optional(),
  /** IngressClasses (networking.k8s.io/v1) by name; podlab's controller serves those of controller 'k8s.io/ingress-nginx' (docs/ingress.md). */
  ingressClasses: z.record(z.string(), ingressClassSchema).optional(),
  /** Ingresses (networking.k8s.io/v1) by name, served by an ingress-nginx/controller pod running real nginx (docs/ingress.md). */
  ingresses: z.record(z.string(), ingressSchema).optional(),
  /** Where the ingress controller pod runs and how its Service is exposed. */
  ingressController: ingressControllerSchema.optional(),
  checks: z.array(checkSchema).optional(),
  /** Scenarios by name: run with `podlab scenario <lab> [name…]` (or `podlab check --scenarios`), in the order written. */
  scenarios: z.record(dnsLabel, scenarioSchema).optional(),
});

/** What an author writes (optional fields, shorthands). */
export type LabSpec = z.input<typeof labSchema>;
export type PodSpec = z.input<typeof podSchema>;
export type ContainerSpec = z.input<typeof containerSchema>;
export type CheckSpec = z.input<typeof checkSchema>;
export type ActionSpec = z.input<typeof actionSchema>;
export type ScenarioSpec = z.input<typeof scenarioSchema>;
export type ScenarioStepSpec = z.input<typeof scenarioStepSchema>;
export type Workload = z.input<typeof workloadSchema>;
export type ServiceSpec = z.input<typeof serviceSchema>;
export type HostSpec = z.input<typeof hostSchema>;
export type ClusterDnsSpec = z.input<typeof clusterDnsSchema>;
export type DnsConfigSpec = z.input<typeof dnsConfigSchema>;
export type { LabelSelectorSpec, NamespaceSpec, NetworkPolicySpec, PolicyPeerSpec, PolicyPortSpec } from './network-policy-schema.ts';
export type { ClusterNetworkPolicySpec } from './cluster-network-policy-schema.ts';
