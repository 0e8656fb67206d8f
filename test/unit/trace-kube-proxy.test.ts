/**
 * `podlab trace`, the prediction, where kube-proxy's rules decide by who the client is: a Service
 * with externalTrafficPolicy Local reached from a pod (to a NodePort on its own node, on another
 * node, to a load-balancer address), from a node itself and from outside; a pod that reaches its own
 * Service and lands on itself (hairpin); and the lab's gateway as the source. Each case is what the
 * node tables of src/plan/kube-proxy.ts do, rule for rule (test/unit/kube-proxy.test.ts), and what
 * kube-proxy's nftables and iptables modes do (the external chain's "short-circuit pod traffic" and
 * "masquerade local traffic" rules, the endpoint chain's hairpin masquerade).
 */
import { describe, expect, it } from 'vitest';
import calicoLab from '../../labs/calico.lab.ts';
import policyLab from '../../labs/network-policy.lab.ts';
import servicesLab from '../../labs/services.lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import { plannedView, type NftView } from '../../src/plan/nft-tables.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { TraceProblem } from '../../src/trace/ends.ts';
import { explain } from '../../src/trace/explain.ts';
import { formatTrace, predictTrace, type TracePath, type TraceRequest } from '../../src/trace/trace.ts';

function viewOf(spec: unknown): NftView {
  const { lab, diagnostics } = validateValue(spec, 'x.lab.ts');
  if (!lab) throw new Error(JSON.stringify(diagnostics));
  return plannedView(buildPlan(lab));
}
const spec = servicesLab as LabSpec;
/** labs/services.lab.ts with a LoadBalancer Service of externalTrafficPolicy Local over solo (one endpoint, on worker-2). */
const withLocalLb = (extra: Partial<LabSpec> = {}): LabSpec => ({
  ...spec,
  services: { ...spec.services, 'solo-lb': { type: 'LoadBalancer', externalTrafficPolicy: 'Local', selector: { app: 'solo' }, ports: [{ port: 80, targetPort: 8080 }] } },
  ...extra,
});
const services = viewOf(withLocalLb());
const at = (t: TracePath) => t.hops.map((h) => `${h.kind}@${h.at}`);
const hop = (t: TracePath, kind: string, where?: string) => t.hops.find((h) => h.kind === kind && (!where || h.at === where))!;
const problem = (v: NftView, req: TraceRequest): string => {
  try {
    predictTrace(v, req);
  } catch (e) {
    if (e instanceof TraceProblem) return `${e.code} ${e.message} | ${e.hint}`;
    throw e;
  }
  return 'none';
};
const solo = services.plan.pods.find((p) => p.name === 'solo')!;
const soloLb = services.plan.services.find((s) => s.name === 'solo-lb')!;

describe('externalTrafficPolicy Local, by who the client is', () => {
  it('a pod → a load-balancer address: short-circuited on its own node to every endpoint, no masquerade (kube-proxy: "short-circuit pod traffic")', () => {
    const t = predictTrace(services, { from: 'client', to: soloLb.loadBalancerIP!, port: 80 });
    expect(at(t).slice(0, 3)).toEqual(['route@pod default/client', 'veth@node control-plane', 'dnat@node control-plane']);
    expect(hop(t, 'dnat').linux).toBe(`nft table ip podlab, chain ext.default/solo-lb/tcp-80 → svc.default/solo-lb/tcp-80 (ip saddr 10.244.0.0/16 goto svc.default/solo-lb/tcp-80): dnat to ${solo.ip}:8080`);
    expect(hop(t, 'dnat').k8s).toContain('externalTrafficPolicy Local, but the client is a pod (source in the pod CIDR 10.244.0.0/16): kube-proxy sends pod traffic to every endpoint');
    expect(at(t)).not.toContain('dnat@gateway');
    expect(t.hops.map((h) => h.kind)).not.toContain('snat');
    expect(t.outcome).toBe('delivered');
  });

  it('a pod → a NodePort of its own node, which has no endpoint: every endpoint all the same, the client address kept', () => {
    const t = predictTrace(services, { from: 'client', to: 'node/control-plane', port: 30081 });
    expect(hop(t, 'dnat')).toMatchObject({ at: 'node control-plane', status: 'predicted' });
    expect(hop(t, 'dnat').linux).toMatch(/chain ext\.default\/solo-local\/tcp-80 → svc\.default\/solo-local\/tcp-80 \(ip saddr 10\.244\.0\.0\/16 goto /);
    expect(t.endpoint).toMatchObject({ pod: 'solo', node: 'worker-2' });
    expect(t.hops.map((h) => h.kind)).not.toContain('snat');
    expect(t.outcome).toBe('delivered');
  });

  it('a pod → a NodePort of another node without an endpoint: natOutgoing made it the node\'s address, so only that node\'s endpoints count: dropped there', () => {
    const t = predictTrace(services, { from: 'client', to: 'node/worker-1', port: 30081 });
    expect(at(t)).toEqual(['route@pod default/client', 'veth@node control-plane', 'node-route@node control-plane', 'snat@node control-plane', 'dnat@node worker-1']);
    expect(t.hops.at(-1)).toMatchObject({ kind: 'dnat', status: 'dropped', linux: 'nft table ip podlab, chain ext.default/solo-local/tcp-80: no endpoint on node worker-1, the rule is drop' });
    expect(t.hops.at(-1)!.k8s).toContain('pod default/client arrives masqueraded to node control-plane\'s address 172.16.94.10 by flanneld\'s --ip-masq, so kube-proxy on worker-1 takes it for one');
    expect(t.outcome).toBe('dropped');
    expect(t.reason).toBe('Service default/solo-local has no endpoint on node worker-1, and externalTrafficPolicy Local keeps a client from outside to the node\'s own: kube-proxy drops it (its endpoints are on worker-2)');
    expect(t.reason).not.toMatch(/no ready endpoints/);
  });

  it('… and to a node that has one: its own endpoint, seen from the source node\'s address (no second masquerade)', () => {
    const t = predictTrace(services, { from: 'client', to: 'node/worker-2', port: 30081 });
    expect(at(t).slice(2, 6)).toEqual(['node-route@node control-plane', 'snat@node control-plane', 'dnat@node worker-2', 'bridge@node worker-2']);
    expect(hop(t, 'dnat').k8s).toContain("externalTrafficPolicy Local: only node worker-2's own endpoints (1), the client's address kept");
    expect(t.hops.filter((h) => h.kind === 'snat')).toHaveLength(1);
    expect(hop(t, 'reply').linux).toBe(`conntrack: reply ${solo.ip}:8080 → 172.16.94.10 is un-DNATed to come from 172.16.94.12:30081, and un-SNATed to go to ${services.plan.pods.find((p) => p.name === 'client')!.ip}`);
  });

  it('without natOutgoing a pod arrives as a pod: sent anywhere unmasqueraded, so an endpoint on another node answers it directly and the reply bypasses the DNAT', () => {
    const v = viewOf(withLocalLb({ natOutgoing: false, services: { ...spec.services, 'solo-local': { type: 'NodePort', externalTrafficPolicy: 'Local', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, nodePort: 30081 }] } } }));
    const web3 = v.plan.pods.find((p) => p.name === 'web-3')!;
    // worker-1 DNATs, and web-3 (on worker-2) answers the client straight back: broken.
    const far = predictTrace(v, { from: 'client', to: 'node/worker-1', port: 30081 }, { chosenEndpoint: `${web3.ip}:8080` });
    expect(at(far).slice(2, 4)).toEqual(['node-route@node control-plane', 'dnat@node worker-1']);
    expect(hop(far, 'dnat').linux).toContain('(ip saddr 10.244.0.0/16 goto svc.default/solo-local/tcp-80)');
    expect(far.hops.at(-1)).toMatchObject({ kind: 'reply', at: 'node worker-2', status: 'dropped' });
    expect(far.outcome).toBe('dropped');
    expect(far.reason).toMatch(/^the reply bypasses node worker-1: endpoint default\/web-3 on worker-2 answers pod default\/client directly/);
    // An endpoint on the DNAT node answers through it: delivered.
    const web1 = v.plan.pods.find((p) => p.name === 'web-1')!;
    expect(predictTrace(v, { from: 'client', to: 'node/worker-1', port: 30081 }, { chosenEndpoint: `${web1.ip}:8080` }).outcome).toBe('delivered');
  });

  it('the node itself → its own NodePort: masqueraded and sent to every endpoint (kube-proxy: "masquerade local traffic"), not dropped for want of a local one', () => {
    const t = predictTrace(services, { from: 'node/worker-1', to: 'node/worker-1', port: 30081 });
    expect(t.outcome).toBe('delivered');
    expect(hop(t, 'dnat').linux).toMatch(/chain ext\.default\/solo-local\/tcp-80 → svc\.default\/solo-local\/tcp-80 \(fib saddr type local goto svc\.default\/solo-local\/tcp-80\): dnat to /);
    expect(hop(t, 'snat')).toMatchObject({ at: 'node worker-1', linux: 'masquerade (nat-postrouting, marked by mark-for-masquerade): source 172.16.94.11 becomes 10.244.1.0' });
    expect(hop(t, 'snat').k8s).toContain('fib saddr type local jump mark-for-masquerade');
    // A hostNetwork pod is its node: the same.
    const agent = predictTrace(services, { from: 'agent', to: 'node/worker-2', port: 30081 });
    expect(hop(agent, 'snat').linux).toMatch(/source 172\.16\.94\.12 becomes 10\.244\.2\.1$/);
    // To another node's NodePort it comes from outside that node: only its endpoints.
    expect(predictTrace(services, { from: 'agent', to: 'node/worker-1', port: 30081 }).outcome).toBe('dropped');
  });

  it('from outside: only the node\'s own endpoints; a node without one drops it (after the path there), with the client address kept where it has one', () => {
    const none = predictTrace(services, { from: 'host/internet', to: 'node/worker-1', port: 30081 });
    expect(at(none)).toEqual(['route@host internet', 'fabric@fabric', 'dnat@node worker-1']);
    expect(none.hops.at(-1)!.status).toBe('dropped');
    const one = predictTrace(services, { from: 'host/internet', to: 'node/worker-2', port: 30081 });
    expect(one.outcome).toBe('delivered');
    expect(one.hops.map((h) => h.kind)).not.toContain('snat');
  });

  it('internalTrafficPolicy Local: a ClusterIP from a node without an endpoint is dropped there, saying so', () => {
    const v = viewOf({ ...spec, services: { ...spec.services, 'solo-itp': { internalTrafficPolicy: 'Local', selector: { app: 'solo' }, ports: [{ port: 80, targetPort: 8080 }] } } });
    const t = predictTrace(v, { from: 'client', to: 'svc/solo-itp' });
    expect(t.hops.at(-1)).toMatchObject({ kind: 'dnat', at: 'node control-plane', status: 'dropped' });
    expect(t.reason).toMatch(/^Service default\/solo-itp has no endpoint on node control-plane, and internalTrafficPolicy Local keeps its ClusterIP traffic to the node's own/);
    expect(predictTrace(v, { from: 'web-3', to: 'svc/solo-itp' }).outcome).toBe('delivered');
  });
});

describe('hairpin: a pod reaching its own Service lands on itself', () => {
  it('DNAT to itself, masqueraded to its bridge\'s address by the @hairpin rule, back out its own bridge port (hairpin mode)', () => {
    const t = predictTrace(services, { from: 'solo', to: 'svc/solo-local' });
    expect(at(t)).toEqual(['route@pod default/solo', 'veth@node worker-2', 'dnat@node worker-2', 'snat@node worker-2', 'bridge@node worker-2', 'deliver@pod default/solo', 'reply@node worker-2']);
    expect(hop(t, 'dnat').linux).toBe(`nft table ip podlab, chain svc.default/solo-local/tcp-80: dnat to ${solo.ip}:8080`);
    expect(hop(t, 'dnat').k8s).toContain('→ endpoint default/solo (targetPort 8080), the client itself');
    expect(hop(t, 'snat').linux).toBe(`masquerade (nat-postrouting: ct status dnat ip saddr . ip daddr @hairpin): source ${solo.ip} becomes 10.244.2.1`);
    expect(hop(t, 'snat').k8s).toMatch(/^hairpin: pod default\/solo reached Service default\/solo-local and kube-proxy chose the pod itself/);
    expect(hop(t, 'bridge').linux).toMatch(/^cni0 forwards to veth… \(FDB: the pod's MAC\), back out the port it came in on: hairpin mode on/);
    expect(hop(t, 'reply').linux).toBe(`conntrack: reply ${solo.ip}:8080 → 10.244.2.1 is un-DNATed to come from ${hop(t, 'dnat').k8s.match(/(10\.96\.\d+\.\d+:80)/)![1]}, and un-SNATed to go to ${solo.ip}`);
    expect(t.outcome).toBe('delivered');
  });

  it('the endpoint kube-proxy picked among several: a hairpin only when it is the client', () => {
    const web1 = services.plan.pods.find((p) => p.name === 'web-1')!;
    const self = predictTrace(services, { from: 'web-1', to: 'svc/web' }, { chosenEndpoint: `${web1.ip}:8080` });
    expect(hop(self, 'snat').linux).toContain(`source ${web1.ip} becomes 10.244.1.1`);
    const other = predictTrace(services, { from: 'web-1', to: 'svc/web' }, { chosenEndpoint: `${services.plan.pods.find((p) => p.name === 'web-2')!.ip}:8080` });
    expect(other.hops.map((h) => h.kind)).not.toContain('snat');
  });

  it('through a load-balancer address of externalTrafficPolicy Cluster: kube-proxy\'s mark masquerades it anyway, once', () => {
    const web1 = services.plan.pods.find((p) => p.name === 'web-1')!;
    const lb = services.plan.services.find((s) => s.name === 'web-lb')!;
    const t = predictTrace(services, { from: 'web-1', to: lb.loadBalancerIP!, port: 80 }, { chosenEndpoint: `${web1.ip}:8080` });
    expect(t.hops.filter((h) => h.kind === 'snat')).toHaveLength(1);
    expect(hop(t, 'snat').linux).toBe(`masquerade (nat-postrouting, marked by mark-for-masquerade): source ${web1.ip} becomes 10.244.1.1`);
    expect(hop(t, 'snat').k8s).toContain('the pod reached itself (hairpin)');
  });

  it('with NetworkPolicy: the policy table\'s @self rule lets it through, and is the counted rule the trace names', () => {
    const t = predictTrace(viewOf(policyLab), { from: 'x-a', to: 'svc/x/s-x-a', port: 80 });
    expect(at(t)).toEqual(['route@pod x/x-a', 'veth@node worker-1', 'dnat@node worker-1', 'policy@node worker-1', 'snat@node worker-1', 'bridge@node worker-1', 'deliver@pod x/x-a', 'reply@node worker-1']);
    expect(hop(t, 'policy').linux).toBe('nft table ip podlab-policy, hook forward: worker-1 accept; rules: worker-1: forward "a pod reaching itself through a Service (hairpin)"');
    expect(hop(t, 'policy').k8s).toContain('(pod to itself)');
  });

  it('Calico: back out its own cali veth, masqueraded to the node\'s address (the veth has none)', async () => {
    const calico = viewOf((await import('../../labs/calico.lab.ts')).default);
    const web1 = calico.plan.pods.find((p) => p.name === 'web-1')!;
    const node = calico.plan.nodes.find((n) => n.name === web1.node)!;
    const t = predictTrace(calico, { from: 'web-1', to: 'svc/web' }, { chosenEndpoint: `${web1.ip}:8080` });
    expect(hop(t, 'snat').linux).toContain(`source ${web1.ip} becomes ${node.ip}`);
    expect(hop(t, 'bridge').linux).toMatch(/scope link \(a \/32 route per local pod\), back out the veth it came in on$/);
  });
});

describe('the gateway as the source', () => {
  it('to a pod: its return route to the pod\'s node, the node network, the bridge', () => {
    const client = services.plan.pods.find((p) => p.name === 'client')!;
    const t = predictTrace(services, { from: 'gateway', to: 'client', port: 8080 });
    expect(at(t)).toEqual(['route@gateway', 'fabric@fabric', 'bridge@node control-plane', 'deliver@pod default/client', 'reply@node control-plane']);
    expect(hop(t, 'route').linux).toBe(`${client.ip} via 172.16.94.10 dev eth0`);
    expect(hop(t, 'route').k8s).toBe("the lab's gateway: its return route to 10.244.0.0/24, the pod addresses of node control-plane");
    expect(formatTrace(t)).toContain(`see:   podlab exec services gateway -- ip route get ${client.ip}`);
    // A host beyond it: its own route first, then the gateway's.
    expect(at(predictTrace(services, { from: 'host/internet', to: 'client', port: 8080 })).slice(0, 3)).toEqual(['route@host internet', 'node-route@gateway', 'fabric@fabric']);
  });

  it('to a NodePort: straight over the node network; externalTrafficPolicy Cluster masquerades it on the node', () => {
    const t = predictTrace(services, { from: 'gateway', to: 'node/worker-1', port: 30080 });
    expect(at(t).slice(0, 3)).toEqual(['route@gateway', 'fabric@fabric', 'dnat@node worker-1']);
    expect(hop(t, 'route').status).toBe('predicted');
    expect(hop(t, 'snat').linux).toMatch(/source 172\.16\.94\.1 becomes /);
  });

  it('to a load-balancer address it holds itself, or to a cluster IP: PL3119, saying why and what to trace instead', () => {
    expect(problem(services, { from: 'gateway', to: soloLb.loadBalancerIP!, port: 80 })).toMatch(
      new RegExp(`^PL3119 the gateway holds load-balancer address ${soloLb.loadBalancerIP!.replaceAll('.', '\\.')} of Service default/solo-lb itself \\(on its loopback\\) and forwards only packets that arrive from outside \\(its nat-prerouting hook\\).* \\| Trace the address from a client the load balancer serves: host/internet, a pod, node/<name>\\. podlab exec services gateway -- … runs in the gateway all the same\\.$`),
    );
    expect(problem(services, { from: 'gateway', to: 'svc/web-lb' })).toMatch(/^PL3119 cluster IP 10\.96\.0\.\d+ of Service default\/web-lb is reachable only inside the cluster: the gateway is outside it.* \| From outside, trace its load-balancer address 172\.16\.94\.\d+, or its NodePort on a node \(node\/<name> --port 3\d+\/tcp\)/);
    // The same for a host beyond it (the trace used to predict a delivery that the probe never got).
    expect(problem(services, { from: 'host/internet', to: 'svc/web' })).toMatch(/^PL3119 cluster IP 10\.96\.0\.1 of Service default\/web is reachable only inside the cluster: host internet is outside it/);
    // A lab without a gateway says so, as podlab exec does.
    expect(problem(viewOf({ ...spec, hosts: {}, loadBalancer: undefined, services: { web: spec.services!.web! }, checks: [], scenarios: {} }), { from: 'gateway', to: 'web-1', port: 8080 })).toMatch(/^PL3110 lab "services" has no gateway \(it has no external hosts and no load-balancer pool\)/);
  });
});

describe('a masquerade where the kernel does it: nat postrouting, after the node\'s route and before the packet leaves the node', () => {
  // The crossing is the VXLAN device (flannel.1, vxlan.calico) or the node network (kubenet, Calico BGP):
  // the outer header wraps the translated packet, so the snat hop comes before it, never after.
  const modes = [
    ['flannel', 'flannel', 'vxlan@node worker-1'],
    ['kubenet', 'kubenet', 'fabric@fabric'],
    ['Calico BGP', { type: 'calico' }, 'fabric@fabric'],
    ['Calico VXLAN', { type: 'calico', encapsulation: 'VXLAN' }, 'vxlan@node worker-1'],
  ] as const;
  for (const [mode, cni, crossing] of modes) {
    const v = viewOf({ ...spec, cni });
    const web3 = v.plan.pods.find((p) => p.name === 'web-3')!;
    const facts = { chosenEndpoint: `${web3.ip}:8080` };
    const path = ['dnat@node worker-1', 'node-route@node worker-1', 'snat@node worker-1', crossing, 'bridge@node worker-2', 'deliver@pod default/web-3', 'reply@node worker-1'];
    it(`${mode}: a NodePort of worker-1 whose endpoint is on worker-2, from the gateway, a host outside and worker-1 itself`, () => {
      expect(at(predictTrace(v, { from: 'gateway', to: 'node/worker-1', port: 30080 }, facts))).toEqual(['route@gateway', 'fabric@fabric', ...path]);
      expect(at(predictTrace(v, { from: 'host/internet', to: 'node/worker-1', port: 30080 }, facts))).toEqual(['route@host internet', 'fabric@fabric', ...path]);
      expect(at(predictTrace(v, { from: 'node/worker-1', to: 'node/worker-1', port: 30080 }, facts))).toEqual(['route@node worker-1', ...path]);
    });
    it(`${mode}: a ClusterIP from a node, its endpoint on another node`, () => {
      expect(at(predictTrace(v, { from: 'node/worker-1', to: 'svc/web' }, facts))).toEqual(['route@node worker-1', ...path]);
    });
  }
  it('the text and the JSON list the hops in that order', () => {
    const web3 = services.plan.pods.find((p) => p.name === 'web-3')!;
    const t = predictTrace(services, { from: 'gateway', to: 'node/worker-1', port: 30080 }, { chosenEndpoint: `${web3.ip}:8080` });
    const lines = formatTrace(t).split('\n').filter((l) => /^ ?\d+ /.test(l)).map((l) => l.trim().split(/\s+/).slice(2, 3).join(''));
    expect(lines).toEqual(['route', 'fabric', 'dnat', 'node-route', 'snat', 'vxlan', 'bridge', 'deliver', 'reply']);
    expect((JSON.parse(JSON.stringify(t)) as TracePath).hops.map((h) => h.kind)).toEqual(lines);
  });
});

describe('NetworkPolicy judges the packet as it is where it is judged (a NodePort of another node, a masquerade on the way)', () => {
  // labs/calico.lab.ts (natOutgoing) with NodePorts, and web admitting only pods labelled role=client.
  const calico = calicoLab as LabSpec;
  const webFromClient = { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 8080 }] }] };
  const calicoWith = (networkPolicies: LabSpec['networkPolicies']) =>
    viewOf({
      ...calico,
      checks: [],
      pods: { ...calico.pods, client: { ...calico.pods!.client!, labels: { role: 'client' } } },
      services: {
        ...calico.services,
        'web-np': { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }] },
        'web-local': { type: 'NodePort', externalTrafficPolicy: 'Local', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, nodePort: 30081 }] },
      },
      networkPolicies,
    });
  const v = calicoWith({ 'web-from-client': webFromClient });
  const ip = (view: NftView, pod: string) => view.plan.pods.find((p) => p.name === pod)!.ip;
  const on = (view: NftView, pod: string) => ({ chosenEndpoint: `${ip(view, pod)}:8080` });

  it('natOutgoing: a pod to another node\'s NodePort arrives from its node\'s address, and the endpoint\'s ingress is judged on that, not on the pod', () => {
    const t = predictTrace(v, { from: 'client', to: 'node/c1-node2', port: 30081 });
    expect(at(t)).toEqual(['route@pod default/client', 'veth@node c1-node1', 'policy@node c1-node1', 'node-route@node c1-node1', 'snat@node c1-node1', 'dnat@node c1-node2', 'policy@node c1-node2']);
    expect(t.hops.at(-1)).toMatchObject({ status: 'dropped', action: 'drop', see: 'podlab explain calico node/c1-node1 default/web-2 --port 8080/tcp' });
    expect(t.hops.at(-1)!.k8s).toContain('ingress at destination denied (isolated by default/web-from-client; no rule matched) from 172.16.94.11, the source as masqueraded by the IP pool\'s natOutgoing on node c1-node1 (not the client\'s own ');
    expect(t.hops.at(-1)!.linux).toMatch(/^nft table ip podlab-policy, hook forward: c1-node2 drop; rules: c1-node2: ingress\.default\/web-2 /);
    expect(t.outcome).toBe('dropped');
    // The see: line asks explain the same question, and it answers the same.
    expect(explain(v, { from: 'node/c1-node1', to: 'default/web-2', port: 8080 }).allowed).toBe(false);
    // To a cluster IP kube-proxy DNATs on the client's own node, without masquerade: the pod is judged, and admitted.
    expect(predictTrace(v, { from: 'client', to: 'svc/web' }, on(v, 'web-2')).outcome).toBe('delivered');
  });

  it('… so an ipBlock of the node network admits it, though not the pod network', () => {
    const nodes = calicoWith({ 'web-from-nodes': { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ ipBlock: { cidr: '172.16.94.0/24' } }] }] } });
    expect(predictTrace(nodes, { from: 'client', to: 'node/c1-node2', port: 30081 }).outcome).toBe('delivered');
    expect(predictTrace(nodes, { from: 'client', to: 'web-2', port: 8080 }).outcome).toBe('dropped');
  });

  it('kube-proxy\'s masquerade (externalTrafficPolicy Cluster) towards an endpoint on another node: judged from the node that DNATed it', () => {
    const t = predictTrace(v, { from: 'client', to: 'node/c1-node1', port: 30080 }, on(v, 'web-2'));
    expect(at(t)).toEqual(['route@pod default/client', 'veth@node c1-node1', 'dnat@node c1-node1', 'policy@node c1-node1', 'node-route@node c1-node1', 'snat@node c1-node1', 'fabric@fabric', 'policy@node c1-node2']);
    expect(t.reason).toMatch(/ingress denied \(isolated by default\/web-from-client; no rule matched\) from 172\.16\.94\.11, the source as masqueraded by kube-proxy on node c1-node1 /);
    // An endpoint on the node that DNATs it is judged before its masquerade (forward, then postrouting): the pod itself, admitted.
    const local = predictTrace(v, { from: 'client', to: 'node/c1-node1', port: 30080 }, on(v, 'web-1'));
    expect(at(local).slice(2, 5)).toEqual(['dnat@node c1-node1', 'policy@node c1-node1', 'snat@node c1-node1']);
    expect(local.outcome).toBe('delivered');
  });

  it('out to another node\'s NodePort and back, masqueraded: the source\'s node judges it twice, the second time after the crossing back', () => {
    const t = predictTrace(v, { from: 'web-1', to: 'node/c1-node2', port: 30080 }, on(v, 'web-1'));
    expect(at(t)).toEqual(['route@pod default/web-1', 'veth@node c1-node1', 'policy@node c1-node1', 'node-route@node c1-node1', 'snat@node c1-node1', 'dnat@node c1-node2', 'node-route@node c1-node2', 'snat@node c1-node2', 'fabric@fabric', 'policy@node c1-node1']);
    // Not "pod to itself": it comes back from c1-node2's address.
    expect(t.policy!.ingress).toMatch(/^denied \(isolated by default\/web-from-client; no rule matched\) from 172\.16\.94\.12, /);
    // A node's own packet, the same way back: judged when it comes back, not waved through as its own node's.
    const fromNode = predictTrace(v, { from: 'node/c1-node1', to: 'node/c1-node2', port: 30080 }, on(v, 'web-1'));
    expect(at(fromNode).slice(-2)).toEqual(['fabric@fabric', 'policy@node c1-node1']);
    expect(fromNode.outcome).toBe('dropped');
  });

  it('egress from a pod to another node\'s NodePort is judged on its node before the DNAT: to the node\'s address and NodePort', () => {
    const clientEgress = { podSelector: { matchLabels: { role: 'client' } }, policyTypes: ['Egress' as const], egress: [{ to: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 8080 }] }] };
    const e = calicoWith({ 'web-from-client': webFromClient, 'client-egress': clientEgress });
    const t = predictTrace(e, { from: 'client', to: 'node/c1-node2', port: 30081 });
    expect(at(t)).toEqual(['route@pod default/client', 'veth@node c1-node1', 'policy@node c1-node1']);
    expect(t.hops.at(-1)).toMatchObject({ status: 'dropped', see: 'podlab explain calico client node/c1-node2 --port 30081/tcp' });
    expect(t.policy!.egress).toBe("denied (isolated by default/client-egress; no rule matched) to 172.16.94.12:30081, node c1-node2's NodePort (DNATed there, not on the source's node)");
    // Through a cluster IP, DNATed on its own node: the endpoint is judged, and the rule admits it.
    expect(predictTrace(e, { from: 'client', to: 'svc/web' }, on(e, 'web-2')).outcome).toBe('delivered');
  });

  it('flannel: masqueraded to the VXLAN device\'s address, which no end has: judged on that address; see: the policy table', () => {
    const f = viewOf({ ...spec, networkPolicies: { 'web-from-pods': { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 8080 }] }] } } });
    const t = predictTrace(f, { from: 'gateway', to: 'node/worker-1', port: 30080 }, on(f, 'web-3'));
    expect(t.hops.at(-1)).toMatchObject({ kind: 'policy', at: 'node worker-2', status: 'dropped', see: 'nft list table ip podlab-policy' });
    expect(t.policy!.ingress).toMatch(/ from 10\.244\.1\.0, the source as masqueraded by kube-proxy on node worker-1 \(not the client's own 172\.16\.94\.1\)$/);
    // A pod to another node's NodePort is a pod no more once natOutgoing masqueraded it: not admitted by a rule for pods.
    expect(predictTrace(f, { from: 'client', to: 'node/worker-1', port: 30080 }, on(f, 'web-1')).outcome).toBe('dropped');
    expect(predictTrace(f, { from: 'client', to: 'svc/web' }, on(f, 'web-1')).outcome).toBe('delivered');
  });
});
