/**
 * `podlab trace`, the prediction: from the plans of the example labs (flannel, kubenet, Calico
 * BGP, Services, NetworkPolicy) and from facts recorded on a live lab (test/fixtures/trace/,
 * written by `podlab trace see-dbg … --json` on labs/services.lab.ts): the hops in order, each
 * with the Linux fact and the Kubernetes object, the endpoint conntrack named, the SNAT address.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import calicoLab from '../../labs/calico.lab.ts';
import kubenetLab from '../../labs/kubenet.lab.ts';
import policyLab from '../../labs/network-policy.lab.ts';
import podLab from '../../labs/pod-networking.lab.ts';
import servicesLab from '../../labs/services.lab.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import { plannedView, type NftView } from '../../src/plan/nft-tables.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { parseConntrack, parseListeners } from '../../src/runtime/trace.ts';
import { TraceProblem } from '../../src/trace/ends.ts';
import { explain } from '../../src/trace/explain.ts';
import { corefileAnswerer, formatTrace, predictTrace, type TraceFacts, type TraceRequest } from '../../src/trace/trace.ts';

/** What a trace or explain refuses, as `code message | hint`; 'none' when it does not. */
function problemOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof TraceProblem) return `${e.code} ${e.message} | ${e.hint}`;
    throw e;
  }
  return 'none';
}

function viewOf(spec: unknown): NftView {
  const { lab, diagnostics } = validateValue(spec, 'x.lab.ts');
  if (!lab) throw new Error(JSON.stringify(diagnostics));
  return plannedView(buildPlan(lab));
}
const kinds = (t: { hops: { kind: string }[] }) => t.hops.map((h) => h.kind);
const hop = <H extends { kind: string; linux: string; k8s: string }>(t: { hops: H[] }, kind: string) => [...t.hops].reverse().find((h) => h.kind === kind)!;

const services = viewOf(servicesLab);
function recorded(name: string): { req: TraceRequest; facts: TraceFacts; endpoint: { ip: string; pod: string }; hops: string[] } {
  const r = JSON.parse(readFileSync(new URL(`../fixtures/trace/services-${name}.json`, import.meta.url), 'utf8'));
  const [from, to, , port] = (r.request as string).split(' ');
  return { req: { from: from!, to: to!, ...(port ? { port: Number(port) } : {}) }, facts: r.facts, endpoint: r.endpoint, hops: r.hops };
}

describe('trace prediction (pure)', () => {
  it('flannel, across nodes: the pod route via cni0, the veth, the flannel route, VNI 1 and the outer node addresses', () => {
    const t = predictTrace(viewOf(podLab), { from: 'client', to: 'web-2', port: 8080 });
    expect(kinds(t)).toEqual(['route', 'veth', 'node-route', 'vxlan', 'bridge', 'deliver', 'reply']);
    expect(hop(t, 'route').linux).toBe('10.244.2.2 via 10.244.1.1 dev eth0 src 10.244.1.3');
    expect(hop(t, 'node-route').linux).toBe('10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink');
    expect(hop(t, 'vxlan').linux).toMatch(/^VXLAN VNI 1: outer 172\.16\.94\.11 → 172\.16\.94\.12 UDP 8472, inner to 02:[0-9a-f:]+ \(FDB of flannel\.1\)$/);
    expect(hop(t, 'deliver').linux).toBe('eth0 10.244.2.2:8080/tcp: container web (port http)');
    expect(t.outcome).toBe('delivered');
    expect(formatTrace(t)).toMatch(/see: {3}podlab exec pod-networking node\/worker-1 -- ip route get 10\.244\.2\.2/);
  });

  it('same node: on-link, no node route', () => {
    const t = predictTrace(viewOf(podLab), { from: 'client', to: 'web', port: 8080 });
    expect(kinds(t)).toEqual(['route', 'veth', 'bridge', 'deliver', 'reply']);
    expect(hop(t, 'route').linux).toMatch(/^10\.244\.1\.\d+ dev eth0 src 10\.244\.1\.3$/);
  });

  it('kubenet: a route via the peer node over the node network, no tunnel', () => {
    const v = viewOf(kubenetLab);
    const t = predictTrace(v, { from: 'web-a', to: 'web-b', port: 8080 });
    const w2 = v.plan.nodes.find((n) => n.name === 'worker-2')!;
    expect(kinds(t)).toEqual(['route', 'veth', 'node-route', 'fabric', 'bridge', 'deliver', 'reply']);
    expect(hop(t, 'node-route').linux).toBe(`${w2.podCidr} via ${w2.ip} dev ${w2.iface}`);
  });

  it('Calico BGP: the default route via 169.254.1.1, a cali veth, the block learnt by BIRD, a /32 route to the pod', () => {
    const v = viewOf(calicoLab);
    const pods = v.plan.pods.filter((p) => !p.system && !p.hostNetwork);
    const a = pods[0]!;
    const b = pods.find((p) => p.node !== a.node)!;
    const port = b.containers.flatMap((c) => c.ports)[0]?.containerPort ?? 8080;
    const t = predictTrace(v, { from: a.name, to: b.name, port, protocol: 'tcp' });
    expect(hop(t, 'route').linux).toMatch(/via 169\.254\.1\.1 dev eth0/);
    expect(hop(t, 'veth').linux).toMatch(/↔ cali[0-9a-f]{11} on /);
    expect(hop(t, 'node-route').linux).toMatch(/proto bird$/);
    expect(hop(t, 'node-route').k8s).toMatch(/learnt by BIRD over iBGP/);
    expect(hop(t, 'bridge').linux).toMatch(/dev cali[0-9a-f]{11} scope link/);
  });

  it('recorded: outside → NodePort follows the endpoint conntrack named, masquerades to the address towards it', () => {
    const r = recorded('nodeport');
    const t = predictTrace(services, r.req, r.facts);
    expect(kinds(t)).toEqual(r.hops);
    expect(t.endpoint).toMatchObject({ pod: r.endpoint.pod, ip: r.endpoint.ip, of: 3 });
    const ct = parseConntrack(r.facts.conntrack!)!;
    expect(hop(t, 'snat').linux).toContain(`becomes ${ct.reply.dst}`);
    expect(hop(t, 'dnat').linux).toMatch(/chain ext\.default\/web-nodeport\/tcp-80: dnat to /);
    expect(hop(t, 'route').linux).toBe(r.facts.routes!['host internet|172.16.94.11']);
    expect(hop(t, 'reply').linux).toBe(r.facts.conntrack);
  });

  it('recorded: a Service by DNS name — the answer, the Corefile block and plugin, the DNAT', () => {
    const r = recorded('clusterip');
    const t = predictTrace(services, r.req, r.facts);
    expect(kinds(t)).toEqual(r.hops);
    expect(hop(t, 'dns').linux).toBe(`A web.default.svc.cluster.local → ${r.facts.dns!.answers.join(', ')} from 10.96.0.10`);
    expect(hop(t, 'dns').k8s).toBe('Service default/web in CoreDNS: server block ".:53", plugin "kubernetes cluster.local in-addr.arpa ip6.arpa"');
    expect(t.endpoint!.ip).toBe(r.endpoint.ip);
  });

  it('a Service with no ready endpoints ends at kube-proxy, saying so', () => {
    const t = predictTrace({ ...services, endpoints: { ...services.endpoints, 'default/web': [] } }, { from: 'client', to: 'svc/web' });
    expect(t.outcome).toBe('dropped');
    expect(t.reason).toBe('Service default/web has no ready endpoints');
    expect(t.hops.at(-1)).toMatchObject({ kind: 'dnat', status: 'dropped' });
    // kube-proxy's reject-chain answers at once: the client hears a refusal, not silence.
    expect(formatTrace(t)).toMatch(/^predicted: refused — Service default\/web has no ready endpoints$/m);
  });

  it('a NetworkPolicy drop ends the path at the policy hop, naming the policy and the nft rule', () => {
    // x-b on worker-2, x-a on worker-1: the ingress drop is on worker-1, past the crossing.
    const t = predictTrace(viewOf(policyLab), { from: 'x-b', to: 'svc/x/s-x-a', port: 80 });
    expect(kinds(t)).toEqual(['route', 'veth', 'dnat', 'policy', 'node-route', 'vxlan', 'policy']);
    expect(t.outcome).toBe('dropped');
    expect(hop(t, 'policy').linux).toContain('worker-1: ingress.x/x-a "x/x-a isolated for ingress by x/default-deny-ingress: no rule allowed"');
    expect(t.reason).toMatch(/^denied by NetworkPolicy \(dropped: the client hears nothing\): /);
    // A lab that rejects says so.
    const rejecting = predictTrace(viewOf({ ...policyLab, policyDenyAction: 'Reject' }), { from: 'x-b', to: 'svc/x/s-x-a', port: 80 });
    expect(rejecting.reason).toMatch(/^denied by NetworkPolicy \(rejected: ICMP port unreachable\): /);
    expect(hop(rejecting, 'policy').linux).toContain('worker-1 reject');
  });

  it('a ping meets the policies too: the policy hop ends it, and names explain --proto icmp', () => {
    const t = predictTrace(viewOf(policyLab), { from: 'x-b', to: 'x-a', protocol: 'icmp' });
    expect(kinds(t)).toEqual(['route', 'veth', 'policy', 'node-route', 'vxlan', 'policy']);
    expect(t.outcome).toBe('dropped');
    expect(hop(t, 'policy').linux).toContain('worker-1: ingress.x/x-a "x/x-a isolated for ingress by x/default-deny-ingress: no rule allowed"');
    expect(hop(t, 'policy').see).toBe('podlab explain network-policy x-b x-a --proto icmp');
    // Not isolated for ingress (y): the ping goes through, the policy hop says so.
    expect(predictTrace(viewOf(policyLab), { from: 'x-b', to: 'y-a', protocol: 'icmp' }).outcome).toBe('delivered');
  });

  it('bad input: coded problems that name what exists', () => {
    const code = (req: TraceRequest) => problemOf(() => predictTrace(services, req));
    expect(code({ from: 'client', to: 'nope' })).toMatch(/^PL3110 lab "services" has no pod or Service "nope" \| Name one of its pods: default\/web-1/);
    expect(code({ from: 'client', to: 'svc/web', protocol: 'icmp' })).toMatch(/^PL3111 a ClusterIP answers no ping/);
    expect(code({ from: 'client', to: 'svc/web', port: 81 })).toMatch(/^PL3111 Service default\/web has no port 81 \| Its ports: 80\/TCP/);
  });

  it('an ExternalName Service is a CNAME only: trace and explain say what the name resolves to, not "one of its pods"', () => {
    const problem = problemOf;
    const cname =
      'PL3111 Service default/db is type ExternalName: a DNS name only. The cluster DNS answers db.default.svc.cluster.local with a CNAME to db.example.com; the Service has no cluster IP, no kube-proxy rules and no endpoints, so there is no packet to it to follow | A client connects to wherever db.example.com resolves (podlab exec services client -- dig db.default.svc.cluster.local shows the CNAME). A podlab lab reaches no address outside itself: trace that address only if it is one the lab owns (host/internet).';
    // By reference and by DNS name (no dns hop that pretends to answer an address), in trace and in explain, a ping too.
    expect(problem(() => predictTrace(services, { from: 'client', to: 'svc/db', port: 80 }))).toBe(cname);
    expect(problem(() => predictTrace(services, { from: 'client', to: 'db.default' }))).toBe(cname);
    expect(problem(() => explain(services, { from: 'client', to: 'svc/db', port: 80 }))).toBe(cname);
    expect(problem(() => explain(services, { from: 'client', to: 'svc/db', protocol: 'ICMP' }))).toBe(cname);
    expect(problem(() => predictTrace(services, { from: 'node/worker-1', to: 'svc/db', port: 80 }))).toContain('podlab exec services <pod> -- dig db.default.svc.cluster.local');
    expect(cname).not.toMatch(/pods? instead/);
    // A headless Service has pods: they are named, the same in trace and explain.
    const headless = 'PL3111 Service default/web-headless is headless (clusterIP None): it has no virtual IP and no DNAT; DNS answers its name with its endpoints\' own addresses | Name one of its pods instead: default/web-1, default/web-2, default/web-3.';
    expect(problem(() => predictTrace(services, { from: 'client', to: 'svc/web-headless' }))).toBe(headless);
    expect(problem(() => explain(services, { from: 'client', to: 'svc/web-headless' }))).toBe(headless);
  });

  it('parsers of recorded output: ss listeners, a conntrack line, a Corefile', () => {
    expect(parseListeners('LISTEN 0 511 0.0.0.0:8080 0.0.0.0:*\nLISTEN 0 4096 [::]:9000 [::]:*\n')).toEqual([8080, 9000]);
    expect(parseConntrack('tcp 6 119 TIME_WAIT src=10.244.0.2 dst=10.96.0.1 sport=40000 dport=80 src=10.244.1.3 dst=10.244.0.2 sport=8080 dport=40000 [ASSURED] mark=0 use=1')).toEqual({
      orig: { src: '10.244.0.2', dst: '10.96.0.1', sport: 40000, dport: 80 },
      reply: { src: '10.244.1.3', dst: '10.244.0.2', sport: 8080, dport: 40000 },
    });
    expect(corefileAnswerer('example.org:53 {\n  file db\n}\n.:53 {\n  errors\n  kubernetes cluster.local in-addr.arpa {\n    pods insecure\n  }\n}\n', 'cluster.local')).toBe('server block ".:53", plugin "kubernetes cluster.local in-addr.arpa"');
  });
});

describe('learner commands for a failing check (src/check/why.ts)', () => {
  it('curl for http, ping for ping, podlab trace for tcp and udp', async () => {
    const { learnerCommand } = await import('../../src/check/why.ts');
    const plan = viewOf({
      ...podLab,
      checks: [
        { kind: 'http', from: 'client', to: 'web-2', port: 8080 },
        { kind: 'ping', from: 'client', to: 'web' },
        { kind: 'tcp', from: 'client', to: 'echo', port: 9000 },
        { kind: 'udp', from: 'node/worker-1', to: 'web', port: 53 },
      ],
    }).plan;
    const [http, ping, tcp, udp] = plan.checks.map((c) => learnerCommand(plan.lab, c as never));
    expect(http).toBe('podlab exec pod-networking client -- curl -sS -m 2 http://10.244.2.2:8080/');
    expect(ping).toMatch(/^podlab exec pod-networking client -- ping -c 1 10\.244\.1\.\d+$/);
    expect(tcp).toBe('podlab trace pod-networking client echo --port 9000 --proto tcp');
    expect(udp).toBe('podlab trace pod-networking node/worker-1 web --port 53 --proto udp');
  });
});

describe('trace audit: Services with a dead endpoint, load balancers, masquerade to node addresses, failed nodes, ports', () => {
  const node = (t: { hops: { kind: string; at: string }[] }) => t.hops.map((h) => `${h.kind}@${h.at}`);
  const problem = problemOf;

  it('a Service with 1 of 3 endpoints refusing: a trace, not PL3112; the refusing endpoint, when followed, is a drop at delivery', () => {
    // web-1's http-echo killed: it listens on nothing.
    const listening = { 'default/web-1': [], 'default/web-2': [8080], 'default/web-3': [8080] };
    const good = predictTrace(services, { from: 'client', to: 'svc/web' }, { listening });
    expect(good.outcome).toBe('delivered');
    expect(good.endpoint!.pod).not.toBe('web-1');
    expect(hop(good, 'dnat').k8s).toContain('1 of 3 endpoints refuse the port (default/web-1: nothing listens)');
    expect(good.reason).toMatch(/but 1 of 3 endpoints of Service default\/web refuse: default\/web-1/);
    const web1 = services.plan.pods.find((p) => p.name === 'web-1')!;
    const bad = predictTrace(services, { from: 'client', to: 'svc/web' }, { listening, chosenEndpoint: `${web1.ip}:8080` });
    expect(bad.outcome).toBe('dropped');
    expect(bad.endpoint!.pod).toBe('web-1');
    expect(bad.hops.at(-1)).toMatchObject({ kind: 'deliver', status: 'dropped' });
    expect(bad.reason).toBe(`endpoint default/web-1 refuses ${web1.ip}:8080/tcp: it listens on TCP no port at all (1 of 3 endpoints of Service default/web refuse; kube-proxy still balances over all 3)`);
    expect(formatTrace(bad)).not.toMatch(/--port N/);
  });

  it('a load-balancer address from outside: the gateway DNATs to a node NodePort, then the node DNATs to the pod and masquerades', () => {
    const lb = services.plan.services.find((s) => s.name === 'web-lb')!;
    const nodePort = lb.ports[0]!.nodePort!;
    const t = predictTrace(services, { from: 'host/internet', to: lb.loadBalancerIP!, port: 80 }, { lbNode: `172.16.94.12:${nodePort}` });
    expect(node(t).slice(0, 4)).toEqual(['route@host internet', 'dnat@gateway', 'fabric@fabric', 'dnat@node worker-2']);
    expect(t.hops[1]!.linux).toBe(`nft table ip podlab (the gateway), chain lb.default/web-lb/tcp-80/worker-2: dnat to 172.16.94.12:${nodePort} (1 of 3 nodes, numgen random)`);
    expect(t.hops[3]!.linux).toMatch(/chain ext\.default\/web-lb\/tcp-80: dnat to 10\.244\./);
    expect(hop(t, 'snat')).toMatchObject({ at: 'node worker-2' });
    expect(hop(t, 'snat').linux).toMatch(/source 203\.0\.113\.10 becomes 10\.244\.2\./);
    expect(t.outcome).toBe('delivered');
  });

  it('a pod to a node address is masqueraded by natOutgoing on its node: a hostNetwork pod, a NodePort (twice: then by kube-proxy)', () => {
    const agent = predictTrace(services, { from: 'client', to: 'agent' });
    expect(node(agent)).toEqual(['route@pod default/client', 'veth@node control-plane', 'node-route@node control-plane', 'snat@node control-plane', 'deliver@agent', 'reply@node control-plane']);
    expect(hop(agent, 'snat').linux).toMatch(/source 10\.244\.0\.\d+ becomes 172\.16\.94\.10 /);
    const np = predictTrace(services, { from: 'client', to: 'node/worker-1', port: 30080 });
    expect(node(np).slice(0, 6)).toEqual(['route@pod default/client', 'veth@node control-plane', 'node-route@node control-plane', 'snat@node control-plane', 'dnat@node worker-1', 'snat@node worker-1']);
    expect(np.hops[2]!.linux).toBe('172.16.94.11 dev eth0 (the node network)');
    expect(np.hops[5]!.linux).toMatch(/source 172\.16\.94\.10 becomes /);
    // To its own node's address: delivered locally (hook input), no masquerade.
    const own = predictTrace(services, { from: 'web-1', to: 'node/worker-1', port: 8081 });
    expect(kinds(own)).not.toContain('snat');
  });

  it("the masquerade to a node address is credited to what installs it in each CNI mode, not to Calico's natOutgoing", () => {
    const k8sOf = (t: ReturnType<typeof predictTrace>) => t.hops.find((h) => h.kind === 'snat')!.k8s;
    const kubenet = predictTrace(viewOf(kubenetLab), { from: 'web-a', to: 'node/worker-2', port: 9100 });
    expect(k8sOf(kubenet)).toBe("kubelet's masquerade of pod traffic outside its --non-masquerade-cidr (the pod CIDR; ip-masq-agent's rule where a cluster runs it; the lab's natOutgoing): pod traffic to a node address is masqueraded; node worker-2 sees node worker-1");
    expect(k8sOf(predictTrace(services, { from: 'client', to: 'agent' }))).toMatch(/^flanneld's --ip-masq: traffic from the flannel network to outside it \(the lab's natOutgoing\): pod traffic to a node address is masqueraded; /);
    const calico = viewOf(calicoLab);
    expect(k8sOf(predictTrace(calico, { from: 'client', to: 'host/internet', port: 80 }))).toBe("the Calico IPPool's natOutgoing: Felix's cali-nat-outgoing, traffic from the pool to outside every pool: pod traffic to outside the cluster is masqueraded");
    for (const t of [kubenet, predictTrace(services, { from: 'client', to: 'host/internet', port: 80 })]) expect(k8sOf(t)).not.toMatch(/^natOutgoing/);
  });

  it('a failed node: the packet is lost at its link, and the trace says the node is failed', () => {
    const t = predictTrace(services, { from: 'node/worker-1', to: 'node/worker-2', protocol: 'icmp' }, { failedNodes: ['worker-2'] });
    expect(t.outcome).toBe('dropped');
    expect(t.hops.at(-1)).toMatchObject({ kind: 'fabric', at: 'node worker-2', status: 'dropped' });
    expect(t.hops.at(-1)!.k8s).toMatch(/^node worker-2 is failed \(podlab node fail\)/);
    expect(t.reason).toBe('node worker-2 is failed (podlab node fail): its link to the node network is down');
    // Into a failed node's pods too; a healthy path is untouched.
    expect(predictTrace(services, { from: 'client', to: 'web-3', port: 8080 }, { failedNodes: ['worker-2'] }).outcome).toBe('dropped');
    expect(predictTrace(services, { from: 'client', to: 'web-1', port: 8080 }, { failedNodes: ['worker-2'] }).outcome).toBe('delivered');
  });

  it('which port: a node without --port, a Service with several ports (PL3115, and the hint works)', () => {
    expect(problem(() => predictTrace(services, { from: 'client', to: 'node/worker-1' }))).toMatch(/^PL3115 which port of node worker-1\? \| Add --port N \(a NodePort: 30080\/tcp/);
    const np = viewOf(policyLab);
    expect(problem(() => predictTrace(np, { from: 'y-a', to: 'svc/x/s-x-a' }))).toMatch(/^PL3115 Service x\/s-x-a has several ports; which one\? \| Add --port N\/proto, one of: 80\/tcp, 80\/udp, 81\/tcp, 81\/udp\.$/);
    expect(predictTrace(np, { from: 'y-a', to: 'svc/x/s-x-a', port: 81, protocol: 'udp' }).protocol).toBe('udp');
  });

  it('the CLI takes --port N/proto, as the hint says', async () => {
    const { execa } = await import('execa');
    const r = await execa('node', ['bin/podlab.js', 'trace', 'labs/network-policy.lab.ts', 'y-a', 'svc/x/s-x-a', '--port', '81/udp', '--json'], { reject: false });
    expect(r.stderr).not.toMatch(/error: option/);
    expect(JSON.parse(r.stdout)).toMatchObject({ protocol: 'udp', port: 81 });
    const clash = await execa('node', ['bin/podlab.js', 'trace', 'labs/network-policy.lab.ts', 'y-a', 'svc/x/s-x-a', '--port', '81/udp', '--proto', 'tcp'], { reject: false });
    expect(clash.exitCode).toBe(2);
    expect(clash.stderr).toMatch(/PL3115 --port 81\/udp and --proto tcp disagree/);
  }, 60_000);

  it('same node: the route is on-link on the bridge, and the k8s line says so (not "default route via cni0")', () => {
    const t = predictTrace(services, { from: 'web-1', to: 'web-2', port: 8080 });
    expect(hop(t, 'route').linux).toMatch(/^10\.244\.1\.\d+ dev eth0 src /);
    expect(hop(t, 'route').k8s).toMatch(/10\.244\.1\.\d+ is on-link, a pod on the same bridge cni0/);
    expect(hop(t, 'route').k8s).not.toContain('default route');
    expect(hop(predictTrace(services, { from: 'client', to: 'web-1', port: 8080 }), 'route').k8s).toContain('default route via cni0');
  });
});

describe('the try: line of a failing http check reproduces it (Host header, HTTPS with SNI and the lab CA)', () => {
  it('curl -H Host for http with a host; curl --resolve … --cacert … https://name for https', async () => {
    const { learnerCommand } = await import('../../src/check/why.ts');
    const ingressLab = (await import('../../labs/ingress.lab.ts')).default as { checks?: unknown[] };
    const plan = viewOf({
      ...ingressLab,
      checks: [
        { kind: 'http', from: 'host/internet', to: 'lb/ingress-nginx/ingress-nginx-controller', https: true, host: 'shop.example.com', path: '/apiary', expectService: 'api' },
        { kind: 'http', from: 'host/internet', to: 'lb/ingress-nginx/ingress-nginx-controller', host: 'shop.example.com', path: '/api' },
      ],
    }).plan;
    const [https, http] = plan.checks.map((c) => learnerCommand(plan.lab, c as never));
    const ip = (plan.checks[0] as unknown as { to: { ip: string } }).to.ip;
    const ca = (plan.checks[0] as unknown as { caFile?: string }).caFile;
    expect(ca).toMatch(/ca\.crt$/);
    expect(https).toBe(`podlab exec ingress host/internet -- curl -sS -m 2 -H 'Host: shop.example.com' --resolve shop.example.com:443:${ip} --cacert ${ca} https://shop.example.com:443/apiary`);
    expect(http).toBe(`podlab exec ingress host/internet -- curl -sS -m 2 -H 'Host: shop.example.com' http://${ip}:80/api`);
  });
});

describe('a load-balancer address by name, lb/<ns>/<name>, as checks name it', () => {
  const lb = services.plan.services.find((s) => s.name === 'web-lb')!;
  const problem = (v: NftView, req: TraceRequest) => {
    try {
      predictTrace(v, req);
    } catch (e) {
      if (e instanceof TraceProblem) return `${e.code} ${e.message} | ${e.hint}`;
      throw e;
    }
    return 'none';
  };

  it('trace: lb/web-lb (the default namespace) and lb/default/web-lb are its address, through the gateway from outside', () => {
    const byAddress = predictTrace(services, { from: 'host/internet', to: lb.loadBalancerIP!, port: 80 });
    for (const to of ['lb/web-lb', 'lb/default/web-lb']) {
      const t = predictTrace(services, { from: 'host/internet', to, port: 80 });
      expect(t.daddr).toBe(lb.loadBalancerIP);
      expect(t.to).toBe(to);
      expect(t.hops).toEqual(byAddress.hops);
      expect(formatTrace(t).split('\n')[0]).toBe(`trace host/internet → ${to} tcp/80 (first packet to ${lb.loadBalancerIP}, endpoint ${t.endpoint!.namespace}/${t.endpoint!.pod} ${t.endpoint!.ip}:8080)`);
    }
    // The port defaults to the Service's only one, as for svc/…; from a pod, kube-proxy's ext chain on its own node.
    expect(predictTrace(services, { from: 'host/internet', to: 'lb/web-lb' }).port).toBe(80);
    expect(predictTrace(services, { from: 'client', to: 'lb/web-lb' }).hops.find((h) => h.kind === 'dnat')!.linux).toMatch(/^nft table ip podlab, chain ext\.default\/web-lb\/tcp-80: dnat to /);
    // In a dual-stack lab, the address of the trace's family.
    const dual = viewOf({ ...servicesLab, ipFamilies: ['IPv4', 'IPv6'], services: { ...servicesLab.services, 'web-lb': { ...servicesLab.services!['web-lb']!, ipFamilyPolicy: 'RequireDualStack' } } });
    const six = dual.plan.services.find((s) => s.name === 'web-lb')!.loadBalancerIPs!.find((a) => a.includes(':'))!;
    expect(predictTrace(dual, { from: 'host/internet', to: 'lb/web-lb', port: 80, family: 'IPv6' }).daddr).toBe(six);
  });

  it('bad names: a Service without a load-balancer address, an unknown one, lb/ as the source; every hint lists the lb/ names', () => {
    expect(problem(services, { from: 'host/internet', to: 'lb/web', port: 80 })).toMatch(/^PL3110 Service default\/web of lab "services" has no load-balancer address: it is type ClusterIP \| Trace svc\/default\/web \(its cluster IP\); or name one of its pods: /);
    expect(problem(services, { from: 'host/internet', to: 'lb/web-nodeport', port: 80 })).toMatch(/it is type NodePort \| Trace svc\/default\/web-nodeport \(its cluster IP\), or a node's NodePort \(node\/<name> --port 30080\); /);
    expect(problem(services, { from: 'host/internet', to: 'lb/nope', port: 80 })).toMatch(/^PL3110 lab "services" has no Service "nope" \| .*; load-balancer addresses: lb\/default\/web-lb; nodes: /);
    expect(problem(services, { from: 'lb/web-lb', to: 'web-1', port: 8080 })).toMatch(/^PL3110 a load-balancer address cannot be the source of a connection \("lb\/web-lb"\)/);
    expect(problem(services, { from: 'client', to: 'nope' })).toContain('; load-balancer addresses: lb/default/web-lb; ');
  });

  it('explain takes the name too, and says (and probes) the load-balancer address; a failing check to lb/… gets a trace to try', async () => {
    const { explain } = await import('../../src/trace/explain.ts');
    const x = explain(services, { from: 'host/internet', to: 'lb/web-lb', port: 80 });
    expect(x.to).toEqual({ ref: 'lb/web-lb', what: `Service default/web-lb load-balancer address ${lb.loadBalancerIP}`, ip: lb.loadBalancerIP });
    // One case per node the gateway may choose and endpoint (test/unit/explain.test.ts: judged as it arrives, masqueraded or not).
    expect(x.cases.map((c) => `${c.through}/${c.endpoint!.pod}`)).toEqual(['control-plane', 'worker-1', 'worker-2'].flatMap((n) => ['web-1', 'web-2', 'web-3'].map((p) => `${n}/${p}`)));
    // A Service named otherwise is reached at its cluster IP, as before.
    expect(explain(services, { from: 'client', to: 'svc/web-lb', port: 80 }).to).toEqual({ ref: 'svc/web-lb', what: `Service default/web-lb ${lb.clusterIP}`, ip: lb.clusterIP });
    const { learnerCommand } = await import('../../src/check/why.ts');
    const plan = viewOf({ ...servicesLab, checks: [{ kind: 'tcp', from: 'host/internet', to: 'lb/web-lb' }] }).plan;
    expect(learnerCommand(plan.lab, plan.checks[0] as never)).toBe('podlab trace services host/internet lb/web-lb --port 80 --proto tcp');
  });
});

describe("the dns hop asks the source's own resolver (its resolv.conf, from its dnsPolicy)", async () => {
  const dnsLab = (await import('../../labs/dns.lab.ts')).default;
  const { judgeTrace } = await import('../../src/runtime/trace.ts');
  const spec = dnsLab as { pods: Record<string, unknown> };
  const view = viewOf({ ...dnsLab, pods: { ...spec.pods, 'upstream-only': { node: 'worker-2', dnsPolicy: 'None', dnsConfig: { nameservers: ['203.0.113.53'] } } } });
  const noNameservers = viewOf({ ...dnsLab, dns: { ...(dnsLab as { dns: object }).dns, nameservers: [] } });

  it('dnsPolicy Default: the node\'s resolver (host/upstream), which knows nothing of cluster.local: unresolved, no connection', () => {
    const t = predictTrace(view, { from: 'node-resolver', to: 'web.default' });
    expect(t).toMatchObject({ daddr: '203.0.113.53', dnsServer: '203.0.113.53', outcome: 'dropped' });
    expect(t.hops).toEqual([
      {
        kind: 'dns',
        at: 'pod default/node-resolver',
        linux: 'A web.default: no address from 203.0.113.53',
        k8s: "dnsPolicy Default: pod default/node-resolver's resolv.conf is its node's (the lab's dns.nameservers), and names 203.0.113.53 (host/upstream), not the cluster DNS Service 10.96.0.10. A resolver outside the cluster does not serve the cluster domain cluster.local, so web.default does not resolve and no connection to Service default/web is opened",
        see: 'dig web.default',
        status: 'dropped',
      },
    ]);
    expect(formatTrace(t)).toContain("predicted: unresolved — web.default does not resolve: dnsPolicy Default: pod default/node-resolver's resolv.conf is its node's (the lab's dns.nameservers), and names 203.0.113.53 (host/upstream), not the cluster DNS Service 10.96.0.10");
    // Live, dig at that server got no address: confirmed, and no policy or refusal is blamed.
    const differences = judgeTrace(view.plan, t, { dns: { answers: [], server: '203.0.113.53' } }, { ok: false, probe: 'dig web.default.default.svc.cluster.local A @203.0.113.53: no answer (no address)', code: 'ETIMEDOUT', links: {}, fired: {} });
    expect(differences).toEqual([]);
    expect(t.hops[0]!.observed).toBe('dig got no address, as predicted (an empty answer)');
  });

  it('a resolver that does answer, live: the path goes on from its answer', () => {
    const web = view.plan.services.find((s) => s.name === 'web')!;
    const t = predictTrace(view, { from: 'node-resolver', to: 'web.default' }, { dns: { answers: [web.clusterIP!], server: '203.0.113.53' } });
    expect(kinds(t)[0]).toBe('dns');
    expect(t.hops[0]!.linux).toBe(`A web.default → ${web.clusterIP} from 203.0.113.53`);
    expect(t.outcome).toBe('delivered');
  });

  it('dnsPolicy None: its dnsConfig.nameservers, kube-dns (the lab\'s custom pod) or not', () => {
    const t = predictTrace(view, { from: 'custom', to: 'web.default' });
    expect(t.dnsServer).toBe('10.96.0.10');
    expect(hop(t, 'dns').k8s).toBe('Service default/web in CoreDNS: server block ".:53", plugin "kubernetes cluster.local in-addr.arpa ip6.arpa" (dnsPolicy None: pod default/custom\'s resolv.conf is its dnsConfig alone, and names 10.96.0.10, the cluster DNS Service)');
    expect(t.outcome).toBe('delivered');
    const up = predictTrace(view, { from: 'upstream-only', to: 'web.default' });
    expect(up.hops.map((h) => [h.kind, h.status])).toEqual([['dns', 'dropped']]);
    expect(up.reason).toBe("web.default does not resolve: dnsPolicy None: pod default/upstream-only's resolv.conf is its dnsConfig alone, and names 203.0.113.53 (host/upstream), not the cluster DNS Service 10.96.0.10");
  });

  it('dnsPolicy Default without node resolvers: 127.0.0.1, where nothing listens; ClusterFirst and nodes ask kube-dns as before', () => {
    const t = predictTrace(noNameservers, { from: 'node-resolver', to: 'web.default' });
    expect(t.dnsServer).toBe('127.0.0.1');
    expect(t.hops[0]!.linux).toBe('A web.default: no address from 127.0.0.1, where nothing listens');
    expect(t.hops[0]!.k8s).toMatch(/and names no nameserver, so the resolver asks 127\.0\.0\.1 \(glibc's default\), not the cluster DNS Service 10\.96\.0\.10\./);
    expect(predictTrace(view, { from: 'client', to: 'web.default' })).toMatchObject({ dnsServer: '10.96.0.10', outcome: 'delivered' });
    expect(predictTrace(view, { from: 'node/worker-1', to: 'web.default' })).toMatchObject({ dnsServer: '10.96.0.10', outcome: 'delivered' });
  });
});

describe("the vxlan hop, live: the device's FDB and neighbour entries say why it sent nothing", async () => {
  const { judgeTrace, parseVtepEntries } = await import('../../src/runtime/trace.ts');
  const view = viewOf(podLab);
  const plan = view.plan;
  const t0 = predictTrace(view, { from: 'client', to: 'web-2', port: 8080 });
  const tunnel = t0.hops.find((h) => h.kind === 'vxlan')!;
  const [, mac] = /inner to (\S+)/.exec(tunnel.linux)!;
  const veth = /↔ (\S+)/.exec(t0.hops.find((h) => h.kind === 'veth')!.linux)![1]!;
  const w2 = plan.nodes.find((n) => n.name === 'worker-2')!;
  const w3 = plan.nodes.find((n) => n.name === 'worker-3')!;
  // As `bridge -j fdb show dev flannel.1` and `ip -j neigh show dev flannel.1` print them on worker-1.
  const fdb = (entries: [string, string][]) => JSON.stringify(entries.map(([m, dst]) => ({ mac: m, dst, flags: ['self'], state: 'permanent' })));
  const neigh = (entries: [string, string | undefined, string][]) => JSON.stringify(entries.map(([dst, lladdr, state]) => ({ dst, ...(lladdr ? { lladdr } : {}), state: [state] })));
  const judged = (vteps: TraceFacts['vteps'], sent: number) => {
    const t = predictTrace(view, { from: 'client', to: 'web-2', port: 8080 });
    const differences = judgeTrace(plan, t, { vteps }, { ok: sent > 0, probe: sent > 0 ? 'connected from 10.244.1.3' : 'ETIMEDOUT connect to 10.244.2.2:8080 timed out after 1000ms', ...(sent > 0 ? {} : { code: 'ETIMEDOUT' }), links: { 'worker-1': { [veth]: { rx: 3, tx: 0 }, 'flannel.1': { rx: 0, tx: sent } } }, fired: {} });
    return { hop: t.hops.find((h) => h.kind === 'vxlan')!, differences };
  };
  const key = 'node worker-1|flannel.1';

  it('both entries there: confirmed by the counter alone', () => {
    const { hop: h } = judged({ [key]: parseVtepEntries(fdb([[mac!, w2.ip]]), neigh([['10.244.2.0', mac, 'PERMANENT']])) }, 3);
    expect(h).toMatchObject({ status: 'confirmed', observed: 'flannel.1 sent 3 packets' });
  });

  it("the peer's FDB entry deleted: the hop says so, and how flannel writes it", () => {
    const { hop: h, differences } = judged({ [key]: parseVtepEntries(fdb([['02:00:00:00:00:03', w3.ip]]), neigh([['10.244.2.0', mac, 'PERMANENT']])) }, 0);
    expect(h.status).toBe('differs');
    expect(h.observed).toBe(`flannel.1 sent 0 packets: no FDB entry for ${mac} on flannel.1: the kernel does not know which node to send the VXLAN packet to, so it is not sent; the CNI writes it: bridge fdb append ${mac} dev flannel.1 dst ${w2.ip}; the probe: ETIMEDOUT connect to 10.244.2.2:8080 timed out after 1000ms`);
    expect(differences.some((d) => d.startsWith('vxlan at node worker-1: ') && d.includes('no FDB entry for'))).toBe(true);
  });

  it("the peer VTEP's neighbour entry deleted (an ARP left INCOMPLETE): the hop names it", () => {
    const { hop: h } = judged({ [key]: parseVtepEntries(fdb([[mac!, w2.ip]]), neigh([['10.244.2.0', undefined, 'INCOMPLETE']])) }, 0);
    expect(h.status).toBe('differs');
    expect(h.observed).toMatch(/^flannel\.1 sent 0 packets: no neighbour entry gives 10\.244\.2\.0 \(the peer's VTEP\) a MAC on flannel\.1 \(INCOMPLETE: an ARP or NDP query that nothing answers across the tunnel\), so the packet is not sent; the CNI writes it permanent: ip neigh replace 10\.244\.2\.0 lladdr \S+ dev flannel\.1 nud permanent; the probe: /);
  });

  it('an FDB entry that sends the MAC to another node: differs, even when the device counted packets', () => {
    const { hop: h } = judged({ [key]: parseVtepEntries(fdb([[mac!, w3.ip]]), neigh([['10.244.2.0', mac, 'PERMANENT']])) }, 2);
    expect(h.status).toBe('differs');
    expect(h.observed).toBe(`flannel.1 sent 2 packets: the FDB of flannel.1 sends ${mac} to ${w3.ip}, not to ${w2.ip}`);
  });

  it('entries not read (a recorded trace without them): judged by the counter, as before', () => {
    expect(judged(undefined, 0).hop).toMatchObject({ status: 'differs', observed: expect.stringMatching(/^flannel\.1 sent 0 packets; the probe: /) });
    expect(parseVtepEntries('', 'not json')).toEqual({ fdb: [], neigh: [] });
  });
});

describe('a link set down by hand, live: the hop that needs it says so', async () => {
  const { judgeTrace, parseLinkStats } = await import('../../src/runtime/trace.ts');

  it("reads ip -s -j link: a veth set down (no UP flag), a pod's eth0 whose peer is down (NO-CARRIER)", () => {
    const stats = { rx: { bytes: 0, packets: 4 }, tx: { bytes: 0, packets: 7 } };
    const json = JSON.stringify([
      { ifname: 'veth13f17da9', flags: ['BROADCAST', 'MULTICAST'], operstate: 'DOWN', master: 'cni0', stats64: stats },
      { ifname: 'eth0', flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'], operstate: 'DOWN', stats64: stats },
      { ifname: 'cni0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], operstate: 'UP', stats64: stats },
    ]);
    expect(parseLinkStats(json)).toEqual({ veth13f17da9: { rx: 4, tx: 7, down: 'down' }, eth0: { rx: 4, tx: 7, down: 'no carrier' }, cni0: { rx: 4, tx: 7 } });
    expect(parseLinkStats('not json')).toEqual({});
  });

  it('flannel.1 set down on the source node: the node-route hop says the kernel took its routes, and nothing after it was reached (whatever a counter there saw)', () => {
    const view = viewOf(podLab);
    const t = predictTrace(view, { from: 'client', to: 'web-2', port: 8080 });
    const veth = /↔ (\S+)/.exec(t.hops.find((h) => h.kind === 'veth')!.linux)![1]!;
    const route = t.hops.find((h) => h.kind === 'node-route')!;
    const addr = /route get (\S+)/.exec(route.see!)![1]!;
    const probe = 'connect ENETUNREACH 10.244.2.2:8080';
    // web-2's veth passed a packet meanwhile: an IPv6 router solicitation of another pod's, flooded by cni0, not the probe.
    const dest = /to (\S+) \(FDB/.exec(t.hops.find((h) => h.kind === 'bridge')!.linux)![1]!;
    const differences = judgeTrace(view.plan, t, { routes: { [`${route.at}|${addr}`]: 'RTNETLINK answers: Network is unreachable' } }, { ok: false, probe, code: 'ENETUNREACH', links: { 'worker-1': { [veth]: { rx: 1, tx: 0 }, 'flannel.1': { rx: 0, tx: 0, down: 'down' } }, 'worker-2': { [dest]: { rx: 0, tx: 1 } } }, fired: {} });
    expect(route.status).toBe('differs');
    expect(route.observed).toBe(`ip route get: RTNETLINK answers: Network is unreachable (not via 10.244.2.0: the route predicted is not in the node's table); flannel.1 is down (ip link: no UP flag), and the kernel removed the routes through it when it went down: ip link set up does not bring them back; the probe: ${probe}`);
    expect(t.hops.slice(t.hops.indexOf(route) + 1).map((h) => h.status)).toEqual(['unreached', 'unreached', 'unreached', 'unreached']);
    expect(differences).toHaveLength(2);
  });

  it("the destination pod's veth set down: the bridge hop says so and how to set it up", () => {
    const view = viewOf(podLab);
    const t = predictTrace(view, { from: 'client', to: 'web-2', port: 8080 });
    const veth = /↔ (\S+)/.exec(t.hops.find((h) => h.kind === 'veth')!.linux)![1]!;
    const bridge = t.hops.find((h) => h.kind === 'bridge')!;
    const dest = /to (\S+) \(FDB/.exec(bridge.linux)![1]!;
    judgeTrace(view.plan, t, {}, { ok: false, probe: 'ETIMEDOUT connect to 10.244.2.2:8080 timed out after 1000ms', code: 'ETIMEDOUT', links: { 'worker-1': { [veth]: { rx: 2, tx: 0 }, 'flannel.1': { rx: 0, tx: 2 } }, 'worker-2': { [dest]: { rx: 0, tx: 0, down: 'down' } } }, fired: {} });
    expect(bridge.status).toBe('differs');
    expect(bridge.observed).toMatch(new RegExp(`^${dest} sent 0 packets to the pod; ${dest} is down \\(ip link: no UP flag\\): ip link set ${dest} up; the probe: ETIMEDOUT`));
  });
});

describe('a probe stopped before a policy hop that counts nothing: that hop was not reached', async () => {
  const { judgeTrace } = await import('../../src/runtime/trace.ts');
  it("x-a → y-b with worker-1's route to worker-2's pods deleted: worker-2's policy hop is not reached, not confirmed, and the pod's hops are not differences", () => {
    const view = viewOf(policyLab);
    const t = predictTrace(view, { from: 'x/x-a', to: 'y/y-b', port: 80 });
    const veth = /↔ (\S+)/.exec(t.hops.find((h) => h.kind === 'veth')!.linux)![1]!;
    const route = t.hops.find((h) => h.kind === 'node-route')!;
    const addr = /route get (\S+)/.exec(route.see!)![1]!;
    const probe = `connect ENETUNREACH ${t.daddr}:80`;
    const differences = judgeTrace(view.plan, t, { routes: { [`${route.at}|${addr}`]: 'RTNETLINK answers: Network is unreachable' } }, { ok: false, probe, code: 'ENETUNREACH', links: { [route.at.slice(5)]: { [veth]: { rx: 1, tx: 0 } } }, fired: {} });
    const after = t.hops.slice(t.hops.indexOf(route) + 1);
    expect(after.map((h) => `${h.kind}:${h.status}`)).toEqual(after.map((h) => `${h.kind}:unreached`));
    expect(after.find((h) => h.kind === 'policy')!.observed).toBe('not reached');
    expect(differences.map((d) => d.split(':')[0])).toEqual(['predicted delivered, but the probe failed', 'node-route at node worker-1']);
  });
});

describe("a learner's own nftables rule drops the probe: the hop where it stopped names the tables podlab did not write", async () => {
  const { judgeTrace, parseForeignTables } = await import('../../src/runtime/trace.ts');
  it('reads nft -j list tables, leaving out the tables podlab applied there and its own podlab… ones', () => {
    const json = JSON.stringify({ nftables: [{ metainfo: { version: '1.0.6' } }, { table: { family: 'ip', name: 'podlab', handle: 1 } }, { table: { family: 'ip', name: 'podlab-policy', handle: 2 } }, { table: { family: 'ip', name: 'calico', handle: 3 } }, { table: { family: 'inet', name: 'sn-learner', handle: 4 } }] });
    expect(parseForeignTables(json, new Set(['ip podlab', 'ip calico']))).toEqual(['inet sn-learner']);
    expect(parseForeignTables('not json', new Set())).toEqual([]);
  });

  it('web-2 never got the packet, and worker-2 holds inet sn-learner: the bridge hop says so', () => {
    const view = viewOf(podLab);
    const t = predictTrace(view, { from: 'client', to: 'web-2', port: 8080 });
    const veth = /↔ (\S+)/.exec(t.hops.find((h) => h.kind === 'veth')!.linux)![1]!;
    const bridge = t.hops.find((h) => h.kind === 'bridge')!;
    const dest = /to (\S+) \(FDB/.exec(bridge.linux)![1]!;
    const probe = 'ETIMEDOUT connect to 10.244.2.2:8080 timed out after 1000ms';
    const differences = judgeTrace(view.plan, t, { foreignTables: { 'worker-2': ['inet sn-learner'] } }, { ok: false, probe, code: 'ETIMEDOUT', links: { 'worker-1': { [veth]: { rx: 2, tx: 0 }, 'flannel.1': { rx: 0, tx: 2 } }, 'worker-2': { [dest]: { rx: 0, tx: 0 } } }, fired: {} });
    expect(bridge.observed).toBe(`${dest} sent 0 packets to the pod; node worker-2 has nftables table podlab did not write, inet sn-learner: a rule there may drop it (nft list table inet sn-learner); the probe: ${probe}`);
    expect(differences.some((d) => d.includes('inet sn-learner'))).toBe(true);
  });
});
