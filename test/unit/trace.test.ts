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
import { corefileAnswerer, formatTrace, predictTrace, type TraceFacts, type TraceRequest } from '../../src/trace/trace.ts';

function viewOf(spec: unknown): NftView {
  const { lab, diagnostics } = validateValue(spec, 'x.lab.ts');
  if (!lab) throw new Error(JSON.stringify(diagnostics));
  return plannedView(buildPlan(lab));
}
const kinds = (t: { hops: { kind: string }[] }) => t.hops.map((h) => h.kind);
const hop = (t: { hops: { kind: string; linux: string; k8s: string }[] }, kind: string) => t.hops.find((h) => h.kind === kind)!;

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
  });

  it('a NetworkPolicy drop ends the path at the policy hop, naming the policy and the nft rule', () => {
    const t = predictTrace(viewOf(policyLab), { from: 'x-b', to: 'svc/x/s-x-a', port: 80 });
    expect(kinds(t)).toEqual(['route', 'veth', 'dnat', 'policy']);
    expect(t.outcome).toBe('dropped');
    expect(hop(t, 'policy').linux).toContain('worker-1: ingress.x/x-a "x/x-a isolated for ingress by x/default-deny-ingress: no rule allowed"');
  });

  it('bad input: coded problems that name what exists', () => {
    const code = (req: TraceRequest) => {
      try {
        predictTrace(services, req);
      } catch (e) {
        if (e instanceof TraceProblem) return `${e.code} ${e.message} | ${e.hint}`;
        throw e;
      }
      return 'none';
    };
    expect(code({ from: 'client', to: 'nope' })).toMatch(/^PL3110 lab "services" has no pod or Service "nope" \| Name one of its pods: default\/web-1/);
    expect(code({ from: 'client', to: 'svc/web', protocol: 'icmp' })).toMatch(/^PL3111 a ClusterIP answers no ping/);
    expect(code({ from: 'client', to: 'svc/web', port: 81 })).toMatch(/^PL3111 Service default\/web has no port 81 \| Its ports: 80\/TCP/);
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
