/**
 * Live ClusterNetworkPolicy: labs/cluster-network-policy.lab.ts (the upstream e2e model, x, y, z ×
 * a, b, c, probes to the Services' ClusterIPs) built for real as np-cnp (flannel) and
 * np-cnp-calico (Calico, routed /32 pods). The tiers as the API defines them, each shown by a full
 * truth table and by the rule counters: an Admin Deny that overrides a NetworkPolicy's allow, a
 * Pass that hands the decision to the NetworkPolicies (and skips a later Admin Deny), a Baseline
 * Deny that applies only to pods no NetworkPolicy selects (a scenario adds one and the Baseline
 * yields). A failing reachability check names the ClusterNetworkPolicy and rule that denied it,
 * and `explain` on the live lab sees the rules it predicted fire.
 */
import { describe, expect, it } from 'vitest';
import cnpLab from '../../labs/cluster-network-policy.lab.ts';
import { runCheck } from '../../src/check/run.ts';
import type { LabSpec } from '../../src/index.ts';
import type { PlanCheck } from '../../src/plan/plan.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { explainLive } from '../../src/runtime/explain.ts';
import { readState } from '../../src/runtime/state.ts';
import { inLab, labAroundSuite, liveGuard } from './host.ts';
import { scenarios, truthTables } from './policy-suite.ts';

const live = liveGuard();

const MODES: [string, LabSpec['cni']][] = [
  ['cnp', 'flannel'],
  ['cnp-calico', { type: 'calico', ipPool: { blockSize: 24 } }],
];

for (const [suffix, cni] of MODES) {
  describe.skipIf(!live)(`live ClusterNetworkPolicy (labs/cluster-network-policy.lab.ts as np-${suffix})`, () => {
    const name = `np-${suffix}`;
    const spec: LabSpec = { ...cnpLab, name, cni };
    labAroundSuite(spec, { timed: true });

    /** A TCP reach check from a pod to a pod's Service on port 80, built from the lab's own truth-table cell. */
    const reach = (from: string, to: string, port = 80): PlanCheck => {
      const state = readState(name)!;
      const table = state.plan.checks[0]!;
      if (table.kind !== 'matrix') throw new Error("the lab's first check is its TCP/80 truth table");
      const svc = state.plan.services.find((s) => s.name === `s-${to}`)!;
      return { ...table.matrix.cells[0]!, name: `${from} → ${to}`, from: { kind: 'pod', name: from }, to: { kind: 'svc', name: `${svc.namespace}/${svc.name}`, ip: svc.clusterIP! }, port, expect: 'reach', timeoutMs: 2000 } as PlanCheck;
    };

    it('the tiers hold on the TCP/80 and UDP/81 truth tables (Admin Deny over an NP allow, Pass to the NPs, Baseline only without NP)', async () => {
      const { tables, failing } = await truthTables(name);
      expect(failing).toEqual([]);
      expect(tables).toBe(2);
    }, 60_000);

    it('every scenario passes: an NP takes a pod out of the Baseline; x admitting only z refuses y, which the Admin tier passed on', async () => {
      const { names, failures } = await scenarios(name);
      expect(failures).toEqual([]);
      expect(names).toEqual(Object.keys(cnpLab.scenarios!));
    }, 300_000);

    it('a failing check names the ClusterNetworkPolicy, tier and rule that denied it, and stops at once', async () => {
      const admin = await runCheck(readState(name)!, reach('z-a', 'x-a'));
      expect(admin.status).toBe('fail');
      expect(admin.seen).toMatch(/^denied by ClusterNetworkPolicy deny-z-to-x-a \(Admin tier, priority 10\), rule ingress\[0\] "no z on 80": Deny \(ingress of x\/x-a; its rule in chain cnp\.deny-z-to-x-a\.ingress counted the packet\)/);
      expect(admin.settled).toBe(true);
      const baseline = await runCheck(readState(name)!, reach('x-b', 'z-b'));
      expect(baseline.seen).toMatch(/^denied by ClusterNetworkPolicy default-deny-z \(Baseline tier, priority 10\), rule ingress\[0\] "closed unless a NetworkPolicy opens": Deny/);
      // z/c is selected by a NetworkPolicy: the NetworkPolicy denies y, not the Baseline.
      const np = await runCheck(readState(name)!, reach('y-a', 'z-c'));
      expect(np.seen).toMatch(/^dropped by NetworkPolicy allow-x-to-c in namespace z \(ingress of z\/z-c: no rule allows it; the drop rule in chain ingress\.z\/z-c counted the packet\)/);
      // Allowed through the Pass: the check passes.
      expect((await runCheck(readState(name)!, reach('y-b', 'x-c'))).status).toBe('pass');
    }, 60_000);

    it('explain on the live lab: the Pass rule and the NetworkPolicy rule fire, as predicted; the Deny rule counts', async () => {
      const x = await explainLive(realExecutor, readState(name)!, { from: 'y-b', to: 'svc/x/s-x-c', port: 80, protocol: 'TCP' });
      expect(x.allowed).toBe(true);
      expect(x.cases[0]!.ingress).toMatchObject({ tier: 'NetworkPolicy', passed: [{ policy: 'pass-y', action: 'Pass' }] });
      expect(x.observed!.agrees, x.observed!.differences.join('; ')).toBe(true);
      const fired = Object.values(x.observed!.fired).flat().map((r) => r.comment);
      expect(fired).toEqual(expect.arrayContaining(["cnp/pass-y ingress[0] 'x decides for y' Pass from[0]", 'x/allow-all ingress[0]']));
      const chain = await inLab(readState(name)!, 'node/worker-1', ['nft', 'list', 'chain', 'ip', 'podlab-policy', 'cnp.deny-z-to-x-a.ingress']);
      expect(chain.stdout).toMatch(/counter packets [1-9]\d* bytes \d+ drop comment "cnp\/deny-z-to-x-a ingress\[0\] 'no z on 80' Deny from\[0\] protocols\[0\]"/);
    }, 60_000);
  });
}
