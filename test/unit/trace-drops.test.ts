/**
 * `podlab trace`, how a connection that is not delivered is shown (the prediction, pure): a port
 * nothing listens on is a path that ends at the `deliver` hop in a refusal (a TCP reset, ICMP port
 * unreachable), not an error before any probe; a NetworkPolicy is met where the packet meets it,
 * egress on the source's node before the crossing and ingress on the destination's node after it;
 * and a translation with no conntrack entry on a path that was dropped or refused says why, and
 * what else confirms it (src/runtime/trace.ts withoutEntry).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import kubenetLab from '../../labs/kubenet.lab.ts';
import podLab from '../../labs/pod-networking.lab.ts';
import policyLab from '../../labs/network-policy.lab.ts';
import servicesLab from '../../labs/services.lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import { plannedView, type NftView } from '../../src/plan/nft-tables.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { gatewayPickedBy, judgeTrace, parseDig, parseNftRules, withoutEntry } from '../../src/runtime/trace.ts';
import { formatTrace, predictTrace, type TracePath } from '../../src/trace/trace.ts';

function viewOf(spec: unknown): NftView {
  const { lab, diagnostics } = validateValue(spec, 'x.lab.ts');
  if (!lab) throw new Error(JSON.stringify(diagnostics));
  return plannedView(buildPlan(lab));
}
const at = (t: TracePath) => t.hops.map((h) => `${h.kind}@${h.at}`);
const kinds = (t: TracePath) => t.hops.map((h) => h.kind);
const services = viewOf(servicesLab);
const ipOf = (v: NftView, pod: string) => v.plan.pods.find((p) => p.name === pod)!.ip;
/** Link counters in which every veth, VXLAN and bridge hop of the path (up to `upTo` kinds) counted the packet. */
function countedAlong(t: TracePath, kinds: string[] = ['veth', 'vxlan', 'bridge']): Record<string, Record<string, { rx: number; tx: number }>> {
  const links: Record<string, Record<string, { rx: number; tx: number }>> = {};
  for (const h of t.hops.filter((x) => kinds.includes(x.kind))) {
    const dev = h.kind === 'veth' ? /↔ (\S+)/.exec(h.linux)![1]! : h.kind === 'vxlan' ? /FDB of (\S+)\)/.exec(h.linux)![1]! : /to (\S+) \(FDB/.exec(h.linux)![1]!;
    (links[h.at.slice('node '.length)] ??= {})[dev] = { rx: 1, tx: 1 };
  }
  return links;
}

describe('a refusal is traced: the path to the pod, then the deliver hop', () => {
  it('a pod port nothing listens on: the deliver hop is dropped with the reset and what ss lists; the summary says refused', () => {
    const web1 = ipOf(services, 'web-1');
    const t = predictTrace(services, { from: 'client', to: 'web-1', port: 9999 }, { listening: { 'default/web-1': [8080] } });
    expect(t.listenAt).toBe('default/web-1');
    expect(kinds(t)).toEqual(['route', 'veth', 'node-route', 'vxlan', 'bridge', 'deliver']);
    expect(t.hops.at(-1)).toMatchObject({
      kind: 'deliver',
      at: 'pod default/web-1',
      status: 'dropped',
      linux: `eth0 ${web1}:9999/tcp: nothing listens on 9999/tcp: the kernel answers with a TCP reset`,
      k8s: 'pod default/web-1 listens on TCP 8080 (ss); no container declares 9999/TCP',
      see: 'ss -ltnup',
    });
    expect(t.outcome).toBe('dropped');
    expect(t.refused).toEqual({ at: 'pod default/web-1', ip: web1, port: 9999, protocol: 'tcp', listening: [8080], declared: false, pod: { namespace: 'default', name: 'web-1' } });
    expect(t.reason).toBe(`${web1}:9999/tcp refused (a TCP reset): pod default/web-1 listens on TCP 8080`);
    expect(formatTrace(t)).toMatch(/^predicted: refused — /m);
    // Every hop before the refusal stays: the SYN did reach the pod.
    expect(t.hops.slice(0, -1).every((h) => h.status === 'predicted')).toBe(true);
  });

  it('UDP: ICMP port unreachable; a declared port nobody listens on says its server is not listening', () => {
    const udp = predictTrace(services, { from: 'client', to: 'web-1', port: 53, protocol: 'udp' }, { listening: { 'default/web-1': [] } });
    expect(udp.hops.at(-1)!.linux).toMatch(/: nothing listens on 53\/udp: the kernel answers with ICMP port unreachable$/);
    expect(udp.hops.at(-1)!.k8s).toBe('pod default/web-1 listens on UDP no port at all (ss); no container declares 53/UDP');
    const declared = predictTrace(services, { from: 'client', to: 'web-1', port: 8080 }, { listening: { 'default/web-1': [] } });
    expect(declared.refused).toMatchObject({ declared: true, listening: [] });
    expect(declared.hops.at(-1)!.k8s).toBe('pod default/web-1 listens on TCP no port at all (ss); a container declares 8080/TCP, but its server is not listening');
  });

  it('a port that is listened on, or a lab file (no ss read): delivered as before', () => {
    expect(predictTrace(services, { from: 'client', to: 'web-1', port: 8080 }, { listening: { 'default/web-1': [8080] } }).outcome).toBe('delivered');
    const planned = predictTrace(services, { from: 'client', to: 'web-1', port: 9999 });
    expect(planned.outcome).toBe('delivered');
    expect(planned.refused).toBeUndefined();
  });

  it('a node port nothing listens on (not a NodePort): refused at the node, read in its namespace', () => {
    const t = predictTrace(services, { from: 'node/worker-1', to: 'node/worker-2', port: 9999 }, { listening: { 'node/worker-2': [179] } });
    expect(t.listenAt).toBe('node/worker-2');
    expect(t.hops.at(-1)).toMatchObject({ kind: 'deliver', at: 'node/worker-2', status: 'dropped', k8s: 'node worker-2 listens on TCP 179 (ss)', see: 'podlab exec services node/worker-2 -- ss -ltnup' });
    expect(t.reason).toMatch(/^172\.16\.94\.12:9999\/tcp refused \(a TCP reset\): node worker-2 listens on TCP 179$/);
  });

  it('a Service every endpoint of which refuses: traced to one of them, the summary says all do', () => {
    const listening = { 'default/web-1': [], 'default/web-2': [], 'default/web-3': [] };
    const t = predictTrace(services, { from: 'client', to: 'svc/web' }, { listening });
    expect(t.listenAt).toBeUndefined();
    expect(t.endpoint!.pod).toBe('web-1');
    expect(t.hops.at(-1)).toMatchObject({ kind: 'deliver', status: 'dropped' });
    expect(t.hops.at(-1)!.k8s).toBe('pod default/web-1, a ready endpoint of Service default/web, listens on TCP no port at all (ss); a container declares 8080/TCP, but its server is not listening');
    expect(t.hops.find((h) => h.kind === 'dnat')!.k8s).toMatch(/; all 3 endpoints refuse the port \(default\/web-1, default\/web-2, default\/web-3: nothing listens\)$/);
    expect(t.reason).toBe(`endpoint default/web-1 refuses ${ipOf(services, 'web-1')}:8080/tcp: it listens on TCP no port at all (all 3 endpoints of Service default/web refuse)`);
    expect(t.refused).toMatchObject({ pod: { name: 'web-1' }, port: 8080, refusing: 3, of: 3, declared: true });
  });

  it('a NetworkPolicy that denies it comes first: a closed port behind a policy drop is a drop', () => {
    const v = viewOf(policyLab);
    const t = predictTrace(v, { from: 'x-b', to: 'x-a', port: 9999 }, { listening: { 'x/x-a': [80, 81] } });
    expect(t.hops.at(-1)).toMatchObject({ kind: 'policy', status: 'dropped' });
    expect(t.refused).toBeUndefined();
    expect(formatTrace(t)).toMatch(/^predicted: dropped — denied by NetworkPolicy \(dropped: the client hears nothing\)/m);
  });
});

describe('NetworkPolicy where the packet meets it: egress at the source node, the crossing, ingress at the destination node', () => {
  const np = viewOf(policyLab);

  it('an ingress drop across nodes: egress let through on worker-2, the VXLAN crossing, the drop on worker-1', () => {
    const t = predictTrace(np, { from: 'x-b', to: 'svc/x/s-x-a', port: 80 });
    expect(at(t)).toEqual(['route@pod x/x-b', 'veth@node worker-2', 'dnat@node worker-2', 'policy@node worker-2', 'node-route@node worker-2', 'vxlan@node worker-2', 'policy@node worker-1']);
    const [egress, ingress] = t.hops.filter((h) => h.kind === 'policy');
    expect(egress).toMatchObject({ status: 'predicted', linux: 'nft table ip podlab-policy, hook forward: worker-2 accept' });
    expect(egress!.k8s).toBe("NetworkPolicy: egress at source allowed (not isolated); the destination's ingress is judged on node worker-1, after the crossing");
    expect(ingress).toMatchObject({ status: 'dropped', linux: 'nft table ip podlab-policy, hook forward: worker-1 drop; rules: worker-1: ingress.x/x-a "x/x-a isolated for ingress by x/default-deny-ingress: no rule allowed"' });
    expect(ingress!.k8s).toBe("NetworkPolicy: ingress at destination denied (isolated by x/default-deny-ingress; no rule matched); the source's egress was judged on node worker-2");
    expect(t.reason).toMatch(/^denied by NetworkPolicy \(dropped: the client hears nothing\): egress allowed \(not isolated\); ingress denied /);
  });

  it('an egress drop still ends before the crossing', () => {
    const v = viewOf({ ...policyLab, networkPolicies: { ...(policyLab as LabSpec).networkPolicies, 'b-no-egress': { namespace: 'x', podSelector: { matchLabels: { pod: 'b' } }, policyTypes: ['Egress'] } } });
    const t = predictTrace(v, { from: 'x-b', to: 'svc/y/s-y-a', port: 80 });
    expect(at(t)).toEqual(['route@pod x/x-b', 'veth@node worker-2', 'dnat@node worker-2', 'policy@node worker-2']);
    expect(t.hops.at(-1)).toMatchObject({ status: 'dropped' });
    expect(t.hops.at(-1)!.linux).toMatch(/^nft table ip podlab-policy, hook forward: worker-2 drop; rules: worker-2: egress\.x\/x-b /);
  });

  it('allowed across nodes: both judging nodes, each where the packet meets it', () => {
    const t = predictTrace(np, { from: 'x-a', to: 'svc/y/s-y-b', port: 80 });
    expect(kinds(t)).toEqual(['route', 'veth', 'dnat', 'policy', 'node-route', 'vxlan', 'policy', 'bridge', 'deliver', 'reply']);
    expect(t.hops.filter((h) => h.kind === 'policy').map((h) => h.at)).toEqual(['node worker-1', 'node worker-2']);
    expect(t.outcome).toBe('delivered');
  });

  it('on the same node: one policy hop, both directions, before the bridge', () => {
    const t = predictTrace(np, { from: 'z-a', to: 'svc/x/s-x-a', port: 80 });
    expect(at(t)).toEqual(['route@pod z/z-a', 'veth@node worker-1', 'dnat@node worker-1', 'policy@node worker-1']);
    expect(t.hops.at(-1)!.k8s).toBe('NetworkPolicy: egress at source allowed (not isolated); ingress at destination denied (isolated by x/default-deny-ingress; no rule matched)');
  });

  it('kubenet: the route via the peer and the node network, then the drop', () => {
    const t = predictTrace(viewOf({ ...policyLab, cni: 'kubenet' }), { from: 'x-b', to: 'x-a', port: 80 });
    expect(kinds(t)).toEqual(['route', 'veth', 'policy', 'node-route', 'fabric', 'policy']);
    expect(t.hops.at(-1)).toMatchObject({ at: 'node worker-1', status: 'dropped' });
  });

  it('from a node (judged only at the destination): the crossing first, then the drop', () => {
    const t = predictTrace(np, { from: 'node/worker-2', to: 'x-a', port: 80 });
    expect(at(t)).toEqual(['route@node worker-2', 'node-route@node worker-2', 'vxlan@node worker-2', 'policy@node worker-1']);
    expect(t.hops.at(-1)!.status).toBe('dropped');
  });

  it('a NodePort on the endpoint\'s node: the source node lets it out, that node drops it before its masquerade', () => {
    const v = viewOf({ ...policyLab, services: { ...(policyLab as LabSpec).services, 'np-x-a': { namespace: 'x', type: 'NodePort', selector: { pod: 'a' }, ports: [{ port: 80, targetPort: 80, nodePort: 30080 }] } } });
    const t = predictTrace(v, { from: 'y-b', to: 'node/worker-1', port: 30080 });
    expect(kinds(t).at(-2)).toBe('dnat');
    expect(at(t).at(-1)).toBe('policy@node worker-1');
    expect(at(t).indexOf('policy@node worker-2')).toBeLessThan(at(t).indexOf('node-route@node worker-2'));
    expect(kinds(t)).not.toContain('bridge');
  });

  it('a failed node on the way ends the path at its link, and the summary says so, not the policy', () => {
    const t = predictTrace(np, { from: 'x-b', to: 'x-a', port: 80 }, { failedNodes: ['worker-1'] });
    expect(t.hops.at(-1)).toMatchObject({ kind: 'fabric', at: 'node worker-1', status: 'dropped' });
    expect(t.reason).toBe('node worker-1 is failed (podlab node fail): its link to the node network is down');
  });
});

describe('a translation without a conntrack entry on a path that was not delivered (withoutEntry)', () => {
  const np = viewOf(policyLab);

  it('dropped by policy on the node that DNATs it: no entry is ever confirmed; the endpoint\'s ingress chain confirms the DNAT', () => {
    const t = predictTrace(np, { from: 'z-a', to: 'svc/x/s-x-a', port: 80 });
    const dnat = t.hops.find((h) => h.kind === 'dnat')!;
    const x = withoutEntry(t, dnat, { fired: { 'worker-1': [{ chain: 'ingress.x/x-a', delta: 2 }] }, toPod: {}, code: 'ETIMEDOUT' });
    expect(x).toEqual({
      confirmed: true,
      observed: `no conntrack entry, as expected: the first packet was dropped on node worker-1 by NetworkPolicy (hook forward) before conntrack confirms an entry, so it lists none; the DNAT to ${ipOf(np, 'x-a')}:80 is confirmed by chain ingress.x/x-a of the policy table, which only a packet to ${ipOf(np, 'x-a')} enters: its rule counted +2`,
    });
    // Without that counter: predicted, not contradicted.
    expect(withoutEntry(t, dnat, { fired: {}, toPod: {} })).toMatchObject({ confirmed: false, observed: expect.stringMatching(/; the DNAT to \S+ is predicted, not contradicted \(kube-proxy's chains count nothing\)$/) });
    // A lab whose policies reject: "rejected", from the policy hop's action.
    const rej = predictTrace(viewOf({ ...policyLab, policyDenyAction: 'Reject' }), { from: 'z-a', to: 'svc/x/s-x-a', port: 80 });
    expect(withoutEntry(rej, rej.hops.find((h) => h.kind === 'dnat')!, { fired: {}, toPod: {} })!.observed).toMatch(/^no conntrack entry, as expected: the first packet was rejected on node worker-1 by NetworkPolicy/);
  });

  it('an egress drop: the chain is chosen by the source, which proves nothing of the DNAT', () => {
    const v = viewOf({ ...policyLab, networkPolicies: { ...(policyLab as LabSpec).networkPolicies, 'c-no-egress': { namespace: 'z', podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'] } } });
    const t = predictTrace(v, { from: 'z-a', to: 'svc/y/s-y-a', port: 80 });
    const x = withoutEntry(t, t.hops.find((h) => h.kind === 'dnat')!, { fired: { 'worker-1': [{ chain: 'egress.z/z-a', delta: 1 }] }, toPod: {} });
    expect(x!.confirmed).toBe(false);
    expect(x!.observed).toMatch(/predicted, not contradicted/);
  });

  it('refused: the reset deletes the entry; the endpoint\'s veth passing the packet confirms the DNAT', () => {
    const listening = { 'default/web-1': [], 'default/web-2': [], 'default/web-3': [] };
    const t = predictTrace(services, { from: 'client', to: 'svc/web' }, { listening });
    const dnat = t.hops.find((h) => h.kind === 'dnat')!;
    expect(withoutEntry(t, dnat, { fired: {}, toPod: { 'default/web-1': { veth: 'veth1234', packets: 1 } }, code: 'ECONNREFUSED' })).toEqual({
      confirmed: true,
      observed: 'no conntrack entry, as expected: a TCP reset answered the first packet, and conntrack deletes such an entry at once; the DNAT to ' + `${ipOf(services, 'web-1')}:8080 is confirmed by veth1234, which passed 1 packet to pod default/web-1`,
    });
    // Not refused after all (silence): nothing to explain.
    expect(withoutEntry(t, dnat, { fired: {}, toPod: {}, code: 'ETIMEDOUT' })).toBeUndefined();
    // A delivered path never asks.
    const ok = predictTrace(services, { from: 'client', to: 'svc/web' });
    expect(withoutEntry(ok, ok.hops.find((h) => h.kind === 'dnat')!, { fired: {}, toPod: {} })).toBeUndefined();
  });
});

describe('the summary line says what the client hears', () => {
  it('dropped (silence), rejected (a lab with policyDenyAction Reject), refused (a closed port)', () => {
    expect(formatTrace(predictTrace(viewOf(policyLab), { from: 'x-b', to: 'x-a', port: 80 }))).toMatch(/^predicted: dropped — denied by NetworkPolicy \(dropped: the client hears nothing\)/m);
    const rejecting = predictTrace(viewOf({ ...policyLab, policyDenyAction: 'Reject' }), { from: 'x-b', to: 'x-a', port: 80 });
    expect(rejecting.hops.at(-1)!.linux).toMatch(/^nft table ip podlab-policy, hook forward: worker-1 reject; rules: /);
    expect(formatTrace(rejecting)).toMatch(/^predicted: rejected — denied by NetworkPolicy \(rejected: ICMP port unreachable\)/m);
    expect(formatTrace(predictTrace(services, { from: 'client', to: 'web-1', port: 9999 }, { listening: { 'default/web-1': [8080] } }))).toMatch(/^predicted: refused — /m);
  });

  it('the denying policy hop says what its node\'s table does (action drop or reject), and the summary line reads that, not the rule text', () => {
    const dropping = predictTrace(viewOf(policyLab), { from: 'x-b', to: 'x-a', port: 80 });
    const rejecting = predictTrace(viewOf({ ...policyLab, policyDenyAction: 'Reject' }), { from: 'x-b', to: 'x-a', port: 80 });
    expect(dropping.hops.at(-1)).toMatchObject({ kind: 'policy', status: 'dropped', action: 'drop' });
    expect(rejecting.hops.at(-1)).toMatchObject({ kind: 'policy', status: 'dropped', action: 'reject' });
    // A policy hop that lets the packet through carries no action (the source's egress, before the crossing).
    const allowed = rejecting.hops.filter((h) => h.kind === 'policy' && h.status !== 'dropped');
    expect(allowed.length).toBeGreaterThan(0);
    for (const h of allowed) expect(h).not.toHaveProperty('action');
    // In --json too.
    expect((JSON.parse(JSON.stringify(rejecting)) as TracePath).hops.at(-1)!.action).toBe('reject');
    // Whatever the hop's text says (a rule comment that reads "… reject;", a reworded fact), the action decides.
    const reworded = (t: TracePath, linux: string): TracePath => ({ ...t, hops: [...t.hops.slice(0, -1), { ...t.hops.at(-1)!, linux }] });
    expect(formatTrace(reworded(rejecting, 'nft table ip podlab-policy, hook forward: the ingress of x/x-a'))).toMatch(/^predicted: rejected — /m);
    expect(formatTrace(reworded(dropping, 'nft table ip podlab-policy, hook forward: worker-1 drop; rules: worker-1: ingress.x/x-a "x: reject"; worker-1: x reject;'))).toMatch(/^predicted: dropped — /m);
  });

  it('a hostNetwork pod refuses in its node\'s namespace, and the see: line execs into it', () => {
    const t = predictTrace(services, { from: 'client', to: 'agent', port: 9999 }, { listening: { 'node/worker-2': [9090] } });
    expect(t.listenAt).toBe('node/worker-2');
    expect(t.hops.at(-1)).toMatchObject({ kind: 'deliver', status: 'dropped', k8s: "pod default/agent (hostNetwork, in node worker-2's namespace) listens on TCP 9090 (ss); no container declares 9999/TCP", see: 'podlab exec services default/agent -- ss -ltnup' });
    expect(t.refused).toMatchObject({ pod: { name: 'agent' }, listening: [9090] });
  });
});

describe('a reply hop is judged by a reply (judgeTrace)', () => {
  // Recorded live (t2-services, web-3 without its default route): the SYN arrived, its SYN-ACK never left the pod.
  const unreplied = 'tcp 6 119 SYN_SENT src=10.244.0.2 dst=10.244.2.2 sport=40324 dport=8080 [UNREPLIED] src=10.244.2.2 dst=10.244.0.2 sport=8080 dport=40324 mark=0 use=1';
  const answered = 'tcp 6 119 TIME_WAIT src=10.244.0.2 dst=10.244.2.2 sport=40324 dport=8080 src=10.244.2.2 dst=10.244.0.2 sport=8080 dport=40324 [ASSURED] mark=0 use=1';
  const judged = (conntrack: string, ok: boolean) => {
    const facts = { conntrack };
    const t = predictTrace(services, { from: 'client', to: 'web-3', port: 8080 }, facts);
    const probe = ok ? 'connected from 10.244.0.2' : 'ETIMEDOUT connect to 10.244.2.2:8080 timed out after 1000ms';
    const differences = judgeTrace(services.plan, t, facts, { ok, probe, ...(ok ? {} : { code: 'ETIMEDOUT' }), links: countedAlong(t), fired: {} });
    return { reply: t.hops.find((h) => h.kind === 'reply')!, differences, text: formatTrace({ ...t, observed: { probe, ok, ms: 1000, differences } }) };
  };

  it('a half-open entry ([UNREPLIED]) of a probe that timed out: the reply hop differs, and says no reply came back', () => {
    const { reply, differences, text } = judged(unreplied, false);
    expect(reply.status).toBe('differs');
    // The predicted reply, not the entry that saw none.
    expect(reply.linux).toBe('conntrack: reply 10.244.2.2 → 10.244.0.2 (ESTABLISHED, the same path back)');
    expect(reply.observed).toBe(`conntrack: ${unreplied} (no reply came back: the entry is [UNREPLIED])`);
    expect(text).toMatch(/^ \d+ ≠ reply +node control-plane$/m);
    expect(differences).toContain(`reply at node control-plane: predicted "${reply.linux}", seen "${reply.observed}"`);
  });

  it('an answered entry confirms it, as before', () => {
    const { reply } = judged(answered, true);
    expect(reply).toMatchObject({ status: 'confirmed', linux: answered, observed: `conntrack: ${answered}` });
  });
});

describe('a DNS name whose query the policies drop: the trace ends at the dns hop', () => {
  const denyAllY = { ...policyLab, networkPolicies: { ...policyLab.networkPolicies, 'deny-all': { namespace: 'y', podSelector: {}, policyTypes: ['Ingress', 'Egress'] } } };
  const view = viewOf(denyAllY);

  it('y/deny-all isolates y-a for egress: its query to kube-dns (UDP 53) is dropped, no connection follows', () => {
    const t = predictTrace(view, { from: 'y-a', to: 's-z-c.z', port: 80 });
    expect(at(t)).toEqual(['dns@pod y/y-a']);
    expect(t.hops[0]).toMatchObject({
      status: 'dropped',
      action: 'drop',
      linux: 'A s-z-c.z: no answer, the query to 10.96.0.10:53/udp is dropped: nft table ip podlab-policy, hook forward: worker-1 drop; rules: worker-1: egress.y/y-a "y/y-a isolated for egress by y/deny-all: no rule allowed"',
      k8s: 'NetworkPolicy denies the DNS query to Service kube-system/kube-dns (UDP 53): egress at y/y-a denied (isolated by y/deny-all; no rule matched); ingress at kube-system/coredns allowed (not isolated). s-z-c.z never resolves, so no connection to Service z/s-z-c is opened',
      see: 'podlab explain network-policy y-a svc/kube-system/kube-dns --port 53/udp',
    });
    expect(t.outcome).toBe('dropped');
    expect(t.daddr).toBe('10.96.0.10');
    expect(t.reason).toBe('the DNS query for s-z-c.z (s-z-c.z.svc.cluster.local) to Service kube-system/kube-dns is denied by NetworkPolicy (dropped: the client hears nothing): egress at y/y-a denied (isolated by y/deny-all; no rule matched); ingress at kube-system/coredns allowed (not isolated); the name never resolves');
    expect(formatTrace(t)).toMatch(/^ 1 ✗ dns +pod y\/y-a$/m);
    expect(formatTrace(t)).toMatch(/^predicted: dropped — the DNS query for s-z-c\.z /m);
    // A lab whose policies reject: the client is refused at once.
    const rejecting = predictTrace(viewOf({ ...denyAllY, policyDenyAction: 'Reject' }), { from: 'y-a', to: 's-z-c.z', port: 80 });
    expect(rejecting.hops[0]).toMatchObject({ kind: 'dns', status: 'dropped', action: 'reject' });
    expect(formatTrace(rejecting)).toMatch(/^predicted: rejected — the DNS query for s-z-c\.z /m);
  });

  it('a pod the policy leaves alone, or an egress rule that admits UDP 53: the name resolves and the trace goes on', () => {
    expect(kinds(predictTrace(view, { from: 'x-a', to: 's-z-c.z', port: 80 })).slice(0, 2)).toEqual(['dns', 'route']);
    const dnsOnly = viewOf({ ...denyAllY, networkPolicies: { ...denyAllY.networkPolicies, 'allow-dns': { namespace: 'y', podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ protocol: 'UDP', port: 53 }] }] } } });
    const t = predictTrace(dnsOnly, { from: 'y-a', to: 's-z-c.z', port: 80 });
    expect(t.hops[0]).toMatchObject({ kind: 'dns', status: 'predicted', linux: 'A s-z-c.z → 10.96.0.9 from 10.96.0.10' });
    // The connection itself is still denied, where it meets the policy.
    expect(t.hops.at(-1)).toMatchObject({ kind: 'policy', status: 'dropped' });
  });

  it('what dig says when nothing answers is not an answer (recorded: dig +short from y-a)', () => {
    const out = ';; communications error to 10.96.0.10#53: timed out\n;; no servers could be reached\n';
    expect(parseDig(out)).toEqual({ answers: [], error: 'communications error to 10.96.0.10#53: timed out, no servers could be reached' });
    expect(parseDig('10.96.0.9\n')).toEqual({ answers: ['10.96.0.9'] });
    // Recorded so, the prediction keeps its own answer and the live judgement sees none.
    const facts = { dns: { ...parseDig(out), server: '10.96.0.10' } };
    const t = predictTrace(viewOf(policyLab), { from: 'y-a', to: 's-z-c.z', port: 80 }, facts);
    expect(t.hops[0]!.linux).toBe('A s-z-c.z → 10.96.0.9 from 10.96.0.10');
    judgeTrace(viewOf(policyLab).plan, t, facts, { ok: true, probe: 'connected from 10.244.0.4', links: {}, fired: {} });
    expect(t.hops[0]).toMatchObject({ status: 'differs', observed: 'dig got no answer: communications error to 10.96.0.10#53: timed out, no servers could be reached' });
  });

  it('judged live: silence and the denying rule counted confirm the drop; an answer contradicts it', () => {
    const t = () => predictTrace(view, { from: 'y-a', to: 's-z-c.z', port: 80 });
    const silent = t();
    const seen = { ok: false, probe: 'dig …: no answer', code: 'ETIMEDOUT', links: {}, fired: { 'worker-1': [{ chain: 'egress.y/y-a', comment: 'y/y-a isolated for egress by y/deny-all: no rule allowed', packets: 3, delta: 1 }] } };
    expect(judgeTrace(view.plan, silent, { dns: { answers: [], error: 'communications error to 10.96.0.10#53: timed out', server: '10.96.0.10' } }, seen)).toEqual([]);
    expect(silent.hops[0]).toMatchObject({ status: 'dropped', observed: 'dig got no answer, as predicted: communications error to 10.96.0.10#53: timed out; counters grew: worker-1: egress.y/y-a "y/y-a isolated for egress by y/deny-all: no rule allowed" +1' });
    const answered = t();
    expect(judgeTrace(view.plan, answered, { dns: { answers: ['10.96.0.9'], server: '10.96.0.10' } }, { ...seen, ok: true, code: undefined, fired: {} }).length).toBeGreaterThan(0);
    expect(answered.hops[0]).toMatchObject({ status: 'differs', observed: 'dig answered 10.96.0.9; no policy rule counted it' });
  });
});

describe('a load-balancer address refused: the node the gateway chose, seen in the counters (gatewayPickedBy)', () => {
  // Every endpoint of web-lb refuses; the probe reached web-3 (worker-2) through worker-1's NodePort.
  // The reset deleted the gateway's conntrack entry, so only the counters say which node the gateway chose.
  const req = { from: 'host/internet', to: 'lb/web-lb', port: 80 };
  const facts = {
    routes: {
      'host internet|172.16.94.241': '172.16.94.241 via 203.0.113.1 dev eth0 src 203.0.113.10 uid 0',
      'node control-plane|10.244.2.2': '10.244.2.2 via 10.244.2.0 dev flannel.1 src 10.244.0.0 uid 0',
      'node worker-1|10.244.2.2': '10.244.2.2 via 10.244.2.0 dev flannel.1 src 10.244.1.0 uid 0',
    },
    hostVeths: { 'default/web-1': 'veth00000001', 'default/web-2': 'veth00000002', 'default/web-3': 'veth00000003' },
    listening: { 'default/web-1': [], 'default/web-2': [], 'default/web-3': [] },
    chosenEndpoint: '10.244.2.2:8080',
  };
  const seen = {
    ok: false,
    probe: 'connect ECONNREFUSED 172.16.94.241:80',
    code: 'ECONNREFUSED',
    fired: {},
    links: {
      // The SYN in from the gateway and on over VXLAN, the reset back over VXLAN and out to the gateway.
      'worker-1': { eth0: { rx: 2, tx: 2 }, 'flannel.1': { rx: 1, tx: 1 } },
      'worker-2': { eth0: { rx: 1, tx: 1 }, 'flannel.1': { rx: 1, tx: 1 }, veth00000003: { rx: 1, tx: 1 } },
      // The gateway's ARP broadcast for worker-1's address, heard by every node.
      'control-plane': { eth0: { rx: 1, tx: 0 } },
    },
  };

  it('followed through the node whose link received the probe and sent the reset back, and whose path fits the counters best', () => {
    const pick = gatewayPickedBy(services, req, predictTrace(services, req, facts).gateway!, facts, seen)!;
    expect(pick).toEqual({ lbNode: '172.16.94.11:30000', lbNodeSeen: { fits: ['worker-1'], received: 2, sent: 2, iface: 'eth0' } });
    const withPick = { ...facts, ...pick };
    const t = predictTrace(services, req, withPick);
    expect(judgeTrace(services.plan, t, withPick, seen)).toEqual([]);
    expect(t.hops.find((h) => h.at === 'gateway')).toMatchObject({
      status: 'confirmed',
      linux: 'nft table ip podlab (the gateway), chain lb.default/web-lb/tcp-80/worker-1: dnat to 172.16.94.11:30000 (1 of 3 nodes, numgen random)',
      observed: "no conntrack entry, as expected: a TCP reset answered the first packet, and conntrack deletes such an entry at once; the gateway's pick is seen in the counters: eth0 of worker-1 received 2 and sent 2 packets, and of the paths through control-plane, worker-1, worker-2 the one through worker-1 fits them best",
    });
    expect(t.hops.filter((h) => h.status === 'differs')).toEqual([]);
    // The first node, as the trace used to follow without an entry: its link heard only the ARP broadcast, and nothing left it over VXLAN.
    const guessed = predictTrace(services, req, facts);
    expect(guessed.gateway!.node).toBe('control-plane');
    expect(judgeTrace(services.plan, guessed, facts, seen)).toContain('vxlan at node control-plane: predicted "VXLAN VNI 1: outer 172.16.94.10 → 172.16.94.12 UDP 8472, inner to ' + /inner to (\S+)/.exec(guessed.hops.find((h) => h.kind === 'vxlan')!.linux)![1] + ' (FDB of flannel.1)", seen "flannel.1 sent 0 packets"');
  });

  it('no endpoint at all: the node that sent the reset; counters that fit no node, or two alike, leave it said', () => {
    const none = viewOf({ ...servicesLab, services: { ...servicesLab.services, 'web-lb': { ...servicesLab.services!['web-lb']!, selector: { app: 'nobody' } } } });
    const t = predictTrace(none, req, {});
    expect(at(t)).toEqual(['dnat@node control-plane']);
    const links = { 'control-plane': { eth0: { rx: 1, tx: 0 } }, 'worker-1': { eth0: { rx: 1, tx: 0 } }, 'worker-2': { eth0: { rx: 1, tx: 1 } } };
    const pick = gatewayPickedBy(none, req, t.gateway!, {}, { ...seen, links })!;
    expect(pick).toEqual({ lbNode: '172.16.94.12:30000', lbNodeSeen: { fits: ['worker-2'], received: 1, sent: 1, iface: 'eth0' } });
    const p = predictTrace(none, req, pick);
    judgeTrace(none.plan, p, pick, { ...seen, links });
    expect(p.hops[0]).toMatchObject({ at: 'node worker-2', status: 'dropped' });
    expect(p.hops[0]!.linux).toBe('chain service-endpoints-check: NodePort 30000/TCP (the gateway\'s DNAT of 172.16.94.241:80) is in @no-endpoint-nodeports: reject-chain refuses it (TCP reset)');
    expect(p.hops[0]!.observed).toBe("eth0 of worker-2 received 1 packets (the gateway's pick, seen in the counters: it sent 1 back, and of the paths through control-plane, worker-1, worker-2 its own fits them best); no conntrack entry: nothing was DNATed");
    expect(gatewayPickedBy(none, req, t.gateway!, {}, { ...seen, links: { 'worker-1': { eth0: { rx: 1, tx: 0 } } } })).toBeUndefined();
    const two = gatewayPickedBy(none, req, t.gateway!, {}, { ...seen, links: { ...links, 'worker-1': { eth0: { rx: 1, tx: 1 } } } })!;
    expect(two.lbNodeSeen!.fits).toEqual(['worker-1', 'worker-2']);
  });
});

describe('a DNAT that did not happen: no conntrack entry, and a probe that failed (judgeTrace)', () => {
  // Recorded live: `nft flush table ip podlab` on control-plane of labs/services.lab.ts; its chains and maps stay, every rule is gone.
  const flushed = parseNftRules(readFileSync(new URL('../fixtures/outputs/nft-podlab-flushed.json', import.meta.url), 'utf8'))!;
  const probe = 'connect ENETUNREACH 10.96.0.1:80';
  const judged = (natRules?: Record<string, Record<string, number> | null>) => {
    const facts = { ...(natRules ? { natRules } : {}) };
    const t = predictTrace(services, { from: 'client', to: 'svc/web' }, facts);
    const differences = judgeTrace(services.plan, t, facts, { ok: false, probe, code: 'ENETUNREACH', links: countedAlong(t, ['veth']), fired: {} });
    return { t, dnat: t.hops.find((h) => h.kind === 'dnat')!, differences };
  };

  it('the recorded flushed table: every chain there, none with a rule', () => {
    expect(flushed['svc.default/web/http']).toBe(0);
    expect(flushed.services).toBe(0);
    expect(flushed['nat-prerouting']).toBe(0);
    expect(parseNftRules('')).toBeNull();
  });

  it('the Service\'s rules flushed: the dnat hop differs and says which chains are empty; the hops after it were not reached', () => {
    const { t, dnat, differences } = judged({ 'node control-plane': flushed });
    expect(dnat.status).toBe('differs');
    expect(dnat.observed).toBe(`no conntrack entry: the packet was not translated (kube-proxy's rules for Service default/web are missing on node control-plane: in table ip podlab, chains nat-prerouting, services, svc.default/web/http hold no rule), so it went on to 10.96.0.1:80 as it was sent; the probe: ${probe}`);
    const after = t.hops.slice(t.hops.indexOf(dnat) + 1);
    expect(after.map((h) => h.status)).toEqual(after.map(() => 'unreached'));
    expect(t.hops.find((h) => h.kind === 'deliver')!.observed).toBe('not reached');
    expect(differences.filter((d) => !d.startsWith('predicted delivered')).map((d) => d.split(':')[0])).toEqual(['dnat at node control-plane']);
    expect(formatTrace(t)).toMatch(/^ \d+ – deliver +pod default\/web-\d$/m);
  });

  it('a table that is gone, or not read: the translation still did not happen', () => {
    expect(judged({ 'node control-plane': null }).dnat.observed).toMatch(/^no conntrack entry: the packet was not translated \(kube-proxy's rules for Service default\/web are missing on node control-plane: table ip podlab is not there\)/);
    const { dnat } = judged();
    expect(dnat).toMatchObject({ status: 'differs', observed: `no conntrack entry: the packet was not translated, so it went on to 10.96.0.1:80 as it was sent; the probe: ${probe}` });
  });
});

describe('after the hop where a failed probe stopped, the hops are not reached (judgeTrace)', () => {
  const pods = viewOf(podLab);
  const web2 = ipOf(pods, 'web-2');
  const probe = `connect ENETUNREACH ${web2}:8080`;

  it('a pod CIDR route deleted on worker-1: the node-route hop differs and carries the probe\'s error; vxlan, bridge, deliver and reply are not reached', () => {
    const facts = { routes: { [`node worker-1|${web2}`]: 'RTNETLINK answers: Network is unreachable' } };
    const t = predictTrace(pods, { from: 'client', to: 'web-2', port: 8080 }, facts);
    const differences = judgeTrace(pods.plan, t, facts, { ok: false, probe, code: 'ENETUNREACH', links: countedAlong(t, ['veth']), fired: {} });
    expect(t.hops.map((h) => `${h.kind}:${h.status}`)).toEqual(['route:predicted', 'veth:confirmed', 'node-route:differs', 'vxlan:unreached', 'bridge:unreached', 'deliver:unreached', 'reply:unreached']);
    const route = t.hops.find((h) => h.kind === 'node-route')!;
    expect(route.observed).toMatch(new RegExp(`^ip route get: RTNETLINK answers: Network is unreachable .*; the probe: ${probe}$`));
    // The error where it happened, not at the pod it never reached.
    expect(t.hops.find((h) => h.kind === 'deliver')!.observed).toBe('not reached');
    expect(t.hops.find((h) => h.kind === 'vxlan')!.observed).toBe('not reached (flannel.1 sent 0 packets)');
    expect(differences).toEqual([`predicted delivered, but the probe failed: ${probe}`, `node-route at node worker-1: predicted "${route.linux}", seen "${route.observed}"`]);
    expect(formatTrace(t)).toMatch(/^ 4 – vxlan +node worker-1$/m);
  });

  it('a hop after the one that differs that saw the packet: the packet went on, nothing is marked unreached', () => {
    const facts = { routes: { [`node worker-1|${web2}`]: `${web2} via 172.16.94.1 dev eth0 src 172.16.94.11 uid 0` } };
    const t = predictTrace(pods, { from: 'client', to: 'web-2', port: 8080 }, facts);
    judgeTrace(pods.plan, t, facts, { ok: false, probe: `ETIMEDOUT connect to ${web2}:8080 timed out after 1000ms`, code: 'ETIMEDOUT', links: countedAlong(t, ['veth', 'bridge']), fired: {} });
    expect(t.hops.filter((h) => h.status === 'unreached')).toEqual([]);
    expect(t.hops.find((h) => h.kind === 'bridge')!.status).toBe('confirmed');
  });
});

describe('an endpoint whose container exited: the refusal says so, and does not call it ready', () => {
  const pods = viewOf(podLab);
  const dead = 'container coredns of pod kube-system/coredns is not running (its process 4242 has exited, and nothing restarts it: the lab runs no control loops)';
  const req = { from: 'client', to: 'svc/kube-system/kube-dns', port: 53, protocol: 'udp' as const };

  it('the status\'s words at the deliver hop and in the summary', () => {
    const t = predictTrace(pods, req, { listening: { 'kube-system/coredns': [] }, unwell: { 'kube-system/coredns': { ready: false, stopped: [dead] } } });
    expect(t.hops.at(-1)).toMatchObject({ kind: 'deliver', status: 'dropped', k8s: `pod kube-system/coredns, an endpoint of Service kube-system/kube-dns that is not ready, listens on UDP no port at all (ss): ${dead}` });
    expect(t.reason).toBe(`endpoint kube-system/coredns refuses ${t.endpoint!.ip}:53/udp: it listens on UDP no port at all; ${dead} (the only endpoint of Service kube-system/kube-dns)`);
  });

  it('a ready endpoint whose server does not listen stays "a ready endpoint"', () => {
    const t = predictTrace(pods, req, { listening: { 'kube-system/coredns': [] } });
    expect(t.hops.at(-1)!.k8s).toBe('pod kube-system/coredns, a ready endpoint of Service kube-system/kube-dns, listens on UDP no port at all (ss); a container declares 53/UDP, but its server is not listening');
  });
});

describe('a DNS name the cluster DNS cannot answer: the trace ends at the dns hop', () => {
  const noDns: NftView = { ...services, endpoints: { ...services.endpoints, 'kube-system/kube-dns': [] } };

  it('kube-dns without endpoints (CoreDNS deleted): predicted unresolved, kube-proxy refuses the query, no connection follows', () => {
    const t = predictTrace(noDns, { from: 'client', to: 'web.default' });
    expect(at(t)).toEqual(['dns@pod default/client']);
    expect(t.hops[0]).toMatchObject({ status: 'dropped', linux: 'A web.default: no answer, the query to 10.96.0.10:53/udp is refused: chain service-endpoints-check: reject-chain (no endpoints)' });
    expect(t.hops[0]!.action).toBeUndefined();
    expect(t.outcome).toBe('dropped');
    expect(t.reason).toBe('web.default does not resolve: Service kube-system/kube-dns has no ready endpoints, so kube-proxy refuses the query (ICMP port unreachable)');
    expect(formatTrace(t)).toMatch(/^predicted: unresolved — /m);
    // dig's refusal confirms it.
    const facts = { dns: { answers: [], error: 'communications error to 10.96.0.10#53: connection refused, no servers could be reached', server: '10.96.0.10' } };
    const judged = predictTrace(noDns, { from: 'client', to: 'web.default' }, facts);
    expect(judgeTrace(noDns.plan, judged, facts, { ok: false, probe: 'dig …: no answer', code: 'ECONNREFUSED', links: {}, fired: {} })).toEqual([]);
    expect(judged.hops[0]!.observed).toBe('dig got no address, as predicted: communications error to 10.96.0.10#53: connection refused, no servers could be reached');
  });

  it('a CoreDNS endpoint whose container exited: the dns hop differs and says so', () => {
    const dead = 'container coredns of pod kube-system/coredns is not running (its process 4242 has exited, and nothing restarts it: the lab runs no control loops)';
    const facts = { dns: { answers: [], error: 'communications error to 10.96.0.10#53: connection refused', server: '10.96.0.10' }, unwell: { 'kube-system/coredns': { ready: false, stopped: [dead] } } };
    const t = { ...predictTrace(services, { from: 'client', to: 'web.default' }, facts) };
    t.hops = t.hops.filter((h) => h.kind === 'dns');
    judgeTrace(services.plan, t, facts, { ok: false, probe: 'dig …: no answer', code: 'ECONNREFUSED', links: {}, fired: {} });
    expect(t.hops[0]).toMatchObject({ status: 'differs', observed: `dig got no answer: communications error to 10.96.0.10#53: connection refused; ${dead}` });
  });
});
