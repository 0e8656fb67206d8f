/**
 * Live NetworkPolicy: labs/network-policy.lab.ts (the upstream e2e model: x, y, z × a, b, c, TCP
 * and UDP on 80 and 81, probes to the Services' ClusterIPs) built for real in both CNI modes,
 * kubenet, flannel and Calico (routed /32 pods on cali veths, BGP with BIRD and VXLAN), under the
 * names np-kubenet, np-flannel, np-calico and np-calico-vxlan. The Calico copies take /24 blocks, so
 * worker-2's pods come from 10.244.1.0/24 as in the other modes and the ipBlock scenario holds as written. Its lab checks and every
 * scenario run through the same code as `podlab check` and `podlab scenario`: default-deny
 * ingress, allow from a namespace, AND against OR peers, ipBlock with except, a named port, a
 * port range, egress only to DNS, default-deny all; each a full 9×9 truth table mixing same-node
 * and cross-node cells. Then what the scenarios do not show: the node reaches its own pods, a
 * pod's direct address is judged like its Service's, a recreated pod (new IP) stays subject to
 * its policies, the rule's counter counts, and a policy change is sent as a small diff. The
 * kubenet copy rejects what policies deny (policyDenyAction 'Reject', as kube-router); the others
 * drop it (the default, as Calico): a denied connect times out there, and is refused here.
 */
import { describe, expect, it } from 'vitest';
import policyLab from '../../labs/network-policy.lab.ts';
import { runCheck } from '../../src/check/run.ts';
import type { LabSpec } from '../../src/index.ts';
import { normalizePolicy } from '../../src/policy/types.ts';
import { realExecutor, type Executor } from '../../src/runtime/exec.ts';
import { PROBE_BIN } from '../../src/runtime/artifacts.ts';
import { recreatePod } from '../../src/runtime/pods.ts';
import { applyPolicy, deletePolicy } from '../../src/runtime/policies.ts';
import { readState, type LabState } from '../../src/runtime/state.ts';
import type { PlanCheck } from '../../src/plan/plan.ts';
import { inLab, labAroundSuite, liveGuard } from './host.ts';
import { scenarios, truthTables } from './policy-suite.ts';

const live = liveGuard();

/** One TCP connection attempt from a lab source to host:port (the probe the checks use): connected, or the error code (ETIMEDOUT, ECONNREFUSED). */
async function attempt(lab: string, from: string, host: string, port: number): Promise<true | string> {
  const r = await inLab(readState(lab)!, from, [PROBE_BIN, 'tcp-connect', '--host', host, '--port', String(port), '--timeout-ms', '1000']);
  const last = r.stdout.trim().split('\n').at(-1);
  if (!last) throw new Error(`probe from ${from} printed nothing: ${r.stderr}`);
  const out = JSON.parse(last) as { ok?: boolean; code?: string };
  return out.ok === true || (out.code ?? 'failed');
}
const connects = async (lab: string, from: string, host: string, port: number) => (await attempt(lab, from, host, port)) === true;

/** The lab's first check: the default-deny TCP/80 truth table. */
function tableOf(state: LabState): Extract<PlanCheck, { kind: 'matrix' }> {
  const c = state.plan.checks[0]!;
  if (c.kind !== 'matrix') throw new Error('the lab\'s first check is its TCP/80 truth table');
  return c;
}

/** Each CNI mode, and what its policies do to a denied packet: kubenet's copy rejects, as kube-router (the policy engine kubenet clusters add) does; the rest drop, as Calico does. */
const MODES: [string, LabSpec['cni'], 'Drop' | 'Reject'][] = [
  ['kubenet', 'kubenet', 'Reject'],
  ['flannel', 'flannel', 'Drop'],
  ['calico', { type: 'calico', ipPool: { blockSize: 24 } }, 'Drop'],
  ['calico-vxlan', { type: 'calico', encapsulation: 'VXLAN', ipPool: { blockSize: 24 } }, 'Drop'],
];

for (const [mode, cni, policyDenyAction] of MODES) {
  describe.skipIf(!live)(`live NetworkPolicy, ${mode}, denials ${policyDenyAction} (labs/network-policy.lab.ts as np-${mode})`, () => {
    const name = `np-${mode}`;
    const spec: LabSpec = { ...policyLab, name, cni, policyDenyAction };
    const ip = (pod: string) => readState(name)!.pods[pod]!.ip!;
    // Torn down after the suite: nothing of the policy tables lands in the host's root namespace.
    labAroundSuite(spec, { timed: true });

    it('default-deny ingress in x: the TCP/80 and UDP/81 truth tables (81 cells each) hold', async () => {
      const { tables, failing } = await truthTables(name);
      expect(failing).toEqual([]);
      expect(tables).toBe(2);
    }, 60_000);

    it('a truth table with one wrong cell fails on exactly that cell (the matrix can fail)', async () => {
      const state = readState(name)!;
      const table = tableOf(state);
      // y/a → x/a is denied; expect it to reach, and x/a → y/a (allowed) not to.
      const flip = new Map([[3 * 9 + 0, 'reach'], [0 * 9 + 3, 'no-reach']] as const);
      const cells = table.matrix.cells.map((c, i) => (flip.has(i) ? { ...c, expect: flip.get(i)!, timeoutMs: 600 } : c));
      const r = await runCheck(state, { ...table, matrix: { ...table.matrix, cells } });
      expect(r.status).toBe('fail');
      expect(r.matrix!.cells.flatMap((c, i) => (c.status === 'fail' ? [i] : []))).toEqual([3, 27]);
    }, 30_000);

    it('every scenario of the lab passes: each idiom with its full truth table', async () => {
      const { names, failures } = await scenarios(name);
      expect(failures).toEqual([]);
      expect(names).toEqual(Object.keys(policyLab.scenarios!));
    }, 300_000);

    it("the node reaches its own isolated pods; other pods do not, on the pod's own address either", async () => {
      expect(await connects(name, 'node/worker-1', ip('x-a'), 80)).toBe(true);
      expect(await connects(name, 'x-c', ip('x-a'), 80)).toBe(false);
      expect(await connects(name, 'y-b', ip('x-a'), 80)).toBe(false);
      expect(await connects(name, 'y-b', ip('y-a'), 80)).toBe(true);
    }, 30_000);

    it('a recreated pod (new IP) is still chosen by the peer selector; the change is a few set elements', async () => {
      const ex = realExecutor;
      const policy = normalizePolicy('allow-from-y', { namespace: 'x', podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] });
      const applied = await applyPolicy(ex, readState(name)!, policy);
      expect(applied.replaced).toBe(false);
      try {
        const old = ip('y-b');
        const r = await recreatePod(ex, readState(name)!, 'y-b');
        expect(r.ip).not.toBe(old);
        // Only elements change for the pod's new address: no chain is flushed or added.
        const lines = r.sync.applied.reduce((n, a) => n + a.lines, 0);
        expect(lines).toBeGreaterThan(0);
        expect(lines).toBeLessThan(40);
        const probe = (from: string, to: string) => runCheck(readState(name)!, { ...tableOf(readState(name)!).matrix.cells[0]!, name: `${from} → ${to}`, from: { kind: 'pod', name: from }, to: { kind: 'svc', name: `x/s-${to}`, ip: readState(name)!.plan.services.find((s) => s.name === `s-${to}`)!.clusterIP! }, port: 80, expect: 'reach' });
        expect((await probe('y-b', 'x-a')).status).toBe('pass');
        expect((await probe('y-b', 'x-b')).status).toBe('pass');
        expect(await connects(name, 'z-b', ip('x-a'), 80)).toBe(false);
      } finally {
        await deletePolicy(ex, readState(name)!, 'x', 'allow-from-y');
      }
      expect(await connects(name, 'y-b', ip('x-a'), 80)).toBe(false);
    }, 60_000);

    it("the counter of the rule that allowed a connection counts it (nft list table ip podlab-policy)", async () => {
      const ex = realExecutor;
      const policy = normalizePolicy('web-81', { namespace: 'x', podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 'serve-81-tcp' }] }] });
      await applyPolicy(ex, readState(name)!, policy);
      try {
        expect(await connects(name, 'z-c', ip('x-a'), 81)).toBe(true);
        // Denied: a drop is silence (the connect times out), a reject a refusal.
        expect(await attempt(name, 'z-c', ip('x-a'), 80)).toBe(policyDenyAction === 'Drop' ? 'ETIMEDOUT' : 'ECONNREFUSED');
        const r = await inLab(readState(name)!, 'node/worker-1', ['nft', 'list', 'chain', 'ip', 'podlab-policy', 'np.x/web-81.ingress']);
        expect(r.stdout).toMatch(/counter packets [1-9]\d* bytes \d+ accept comment "x\/web-81 ingress\[0\] ports\[0\]"/);
        const deny = await inLab(readState(name)!, 'node/worker-1', ['nft', 'list', 'chain', 'ip', 'podlab-policy', 'ingress.x/x-a']);
        expect(deny.stdout).toMatch(new RegExp(`counter packets [1-9]\\d* bytes \\d+ ${policyDenyAction.toLowerCase()} comment "x/x-a isolated for ingress`));
        // A check that expected to reach names the policy and the rule that counted it, and stops
        // there; run beside another denied check, each names its own pod's rule, not the other's.
        // The rule is named from the counters around the check's own attempt: one connection each.
        const sent: string[] = [];
        const counting: Executor = { ...realExecutor, run: (argv, o) => (argv.includes('tcp-connect') && sent.push(argv.join(' ')), realExecutor.run(argv, o)) };
        const reach = (from: string, to: string) => runCheck(readState(name)!, { ...tableOf(readState(name)!).matrix.cells[0]!, name: `${from} → ${to}:80`, from: { kind: 'pod', name: from }, to: { kind: 'pod', name: to, ip: ip(to) }, port: 80, expect: 'reach', timeoutMs: 5000 } as PlanCheck, counting);
        const [c, other] = await Promise.all([reach('z-c', 'x-a'), reach('y-b', 'x-c')]);
        expect(sent).toHaveLength(2);
        expect(c).toMatchObject({ status: 'fail', settled: true });
        const word = policyDenyAction === 'Drop' ? 'dropped' : 'rejected';
        expect(c.seen).toMatch(new RegExp(`^${word} by NetworkPolicy default-deny-ingress in namespace x, web-81 in namespace x \\(ingress of x/x-a: no rule allows it; the ${policyDenyAction.toLowerCase()} rule in chain ingress\\.x/x-a counted the packet\\)`));
        expect(other).toMatchObject({ status: 'fail', settled: true });
        expect(other.seen).toMatch(new RegExp(`^${word} by NetworkPolicy default-deny-ingress in namespace x \\(ingress of x/x-c: no rule allows it; the ${policyDenyAction.toLowerCase()} rule in chain ingress\\.x/x-c counted the packet\\)`));
      } finally {
        await deletePolicy(ex, readState(name)!, 'x', 'web-81');
      }
    }, 60_000);
  });
}
