/**
 * Live `podlab explain`: labs/network-policy.lab.ts built as see-np (flannel; a and c on worker-1,
 * b on worker-2), and one `podlab trace` that a policy drops. Each explanation is predicted from the live view, then one real probe runs
 * between two reads of the nodes' podlab-policy counters: the rule that fired must be the one
 * predicted, and the probe's fate the verdict's.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import policyLab from '../../labs/network-policy.lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { runCheck } from '../../src/check/run.ts';
import { normalizePolicy } from '../../src/policy/types.ts';
import { down } from '../../src/runtime/down.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { explainLive } from '../../src/runtime/explain.ts';
import { applyPolicy, deletePolicy } from '../../src/runtime/policies.ts';
import { traceLive } from '../../src/runtime/trace.ts';
import { readState } from '../../src/runtime/state.ts';
import { liveGuard, upLab } from './host.ts';

const live = liveGuard();
const name = 'see-np';
const spec: LabSpec = { ...policyLab, name, scenarios: {} };
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;

describe.skipIf(!live)('live explain (labs/network-policy.lab.ts as see-np)', () => {
  beforeAll(async () => {
    await down(name);
    await upLab(spec);
  }, 120_000);
  afterAll(async () => {
    await down(name);
  }, 60_000);

  it('a denied connection through a Service: the drop rule of the endpoint\'s pod fired on its node, as predicted; the probe timed out', async () => {
    const x = await explainLive(realExecutor, readState(name)!, { from: 'x-b', to: 'svc/x/s-x-a', port: 80 });
    expect(x.allowed).toBe(false);
    expect(x.cases[0]!.ingress.reason).toMatch(/isolated by x\/default-deny-ingress; no rule matched/);
    expect(x.observed!.probe.ok).toBe(false);
    // A drop is silence: the probe waited the 250 ms a predicted drop is given (not a second), and heard nothing.
    expect(x.observed!.probe.detail).toMatch(/^ETIMEDOUT .* timed out after 250ms$/);
    expect(x.observed!.fired['worker-1']!.map((r) => [r.chain, r.comment])).toEqual([['ingress.x/x-a', 'x/x-a isolated for ingress by x/default-deny-ingress: no rule allowed']]);
    expect(x.observed!.fired['worker-2']).toEqual([]);
    expect(x.observed).toMatchObject({ agrees: true, matchedCase: 0, differences: [] });
  });

  it('trace: a policy drop is the hop where the path ends, confirmed by the drop rule\'s counter', async () => {
    const t = await traceLive(realExecutor, readState(name)!, { from: 'x-b', to: 'svc/x/s-x-a', port: 80 });
    expect(t.outcome).toBe('dropped');
    // x-b on worker-2, x-a on worker-1: let out on worker-2, over VXLAN, dropped on worker-1.
    expect(t.hops.map((h) => h.kind)).toEqual(['route', 'veth', 'dnat', 'policy', 'node-route', 'vxlan', 'policy']);
    const p = t.hops.at(-1)!;
    expect(p.status).toBe('dropped');
    expect(p.k8s).toMatch(/ingress at destination denied \(isolated by x\/default-deny-ingress; no rule matched\)/);
    expect(p.observed).toMatch(/worker-1: ingress\.x\/x-a "x\/x-a isolated for ingress by x\/default-deny-ingress: no rule allowed" \+[1-9]/);
    expect(t.observed).toMatchObject({ ok: false, differences: [] });
    expect(t.hops.slice(0, -1).map((h) => h.status)).toEqual(Array(6).fill('confirmed'));
  });

  it('a check that a policy fails says which policy dropped it, from the counters, without waiting out its timeout', async () => {
    const state = readState(name)!;
    const table = state.plan.checks[0]!;
    if (table.kind !== 'matrix') throw new Error('the first check is a truth table');
    // Row x/b, column s-x-a: denied by default-deny; expect it to reach.
    const cell = { ...table.matrix.cells[1 * 9 + 0]!, expect: 'reach' as const, timeoutMs: 5000 };
    const r = await runCheck(state, cell);
    expect(r.status).toBe('fail');
    expect(r.seen).toMatch(/^dropped by NetworkPolicy default-deny-ingress in namespace x \(ingress of x\/x-a: no rule allows it; the drop rule in chain ingress\.x\/x-a counted the packet\)/);
    expect(r).toMatchObject({ settled: true, attempts: 1 });
    expect(r.ms).toBeLessThan(2500);
    expect(r.command).toMatch(/^podlab trace see-np x-b svc\/x\/s-x-a --port 80 --proto tcp$/);
  });

  it('an allowing rule: the rule that matched is the rule whose counter grew; UDP too', async () => {
    await applyPolicy(realExecutor, readState(name)!, normalizePolicy('allow-from-y', { namespace: 'x', podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] }));
    for (const port of [{ port: 80 }, { port: 81, protocol: 'UDP' as const }]) {
      const x = await explainLive(realExecutor, readState(name)!, { from: 'y/y-b', to: 'svc/x/s-x-c', ...port });
      expect(x.allowed).toBe(true);
      expect(x.cases[0]!.ingress.rule).toMatchObject({ policy: 'x/allow-from-y', index: 0 });
      expect(x.observed!.probe.ok, x.observed!.probe.detail).toBe(true);
      // y-b is on worker-2, x-c on worker-1: the ingress rule counts on worker-1.
      expect(x.observed!.fired['worker-1']!.map((r) => r.comment)).toEqual(['x/allow-from-y ingress[0] from[0]']);
      expect(x.observed!.agrees).toBe(true);
    }
    // z is not y: still denied, and the probe agrees.
    const z = await explainLive(realExecutor, readState(name)!, { from: 'z-a', to: 'x-c', port: 80 });
    expect(z.allowed).toBe(false);
    expect(z.observed).toMatchObject({ agrees: true });
    expect(z.observed!.probe.ok).toBe(false);
  });

  it('a ping meets the policies too: only a rule without ports admits it; a failing ping check names the rule that dropped it, and stops', async () => {
    // allow-from-y (above) has no ports: y pings x.
    const y = await explainLive(realExecutor, readState(name)!, { from: 'y/y-b', to: 'x-c', protocol: 'ICMP' });
    expect(y.allowed).toBe(true);
    expect(y.observed).toMatchObject({ agrees: true, probe: { ok: true } });
    // A rule that lists ports admits no ping: z-a → x-a is dropped (and counted) on x-a's node.
    await applyPolicy(realExecutor, readState(name)!, normalizePolicy('web-80', { namespace: 'x', podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 80 }] }] }));
    const z = await explainLive(realExecutor, readState(name)!, { from: 'z-a', to: 'x-a', protocol: 'ICMP' });
    expect(z.allowed).toBe(false);
    expect(z.observed).toMatchObject({ agrees: true, probe: { ok: false } });
    expect(z.observed!.fired['worker-1']!.map((r) => r.chain)).toEqual(['ingress.x/x-a']);
    const state = readState(name)!;
    const table = state.plan.checks[0]!;
    if (table.kind !== 'matrix') throw new Error('the first check is a truth table');
    const ping = { ...table.matrix.cells[0]!, kind: 'ping' as const, port: undefined, name: 'z-a pings x-a', from: { kind: 'pod' as const, name: 'z-a' }, to: { kind: 'pod' as const, name: 'x-a', ip: state.pods['x-a']!.ip! }, timeoutMs: 5000 };
    const r = await runCheck(state, { ...ping, expect: 'reach' });
    expect(r).toMatchObject({ status: 'fail', settled: true, attempts: 1 });
    expect(r.seen).toMatch(/^dropped by NetworkPolicy allow-from-y in namespace x, default-deny-ingress in namespace x, web-80 in namespace x \(ingress of x\/x-a: no rule without ports allows a ping; the drop rule in chain ingress\.x\/x-a counted the packet\)/);
    // Expecting the drop: one attempt, a ping given the drop's 250 ms.
    expect(await runCheck(state, { ...ping, expect: 'no-reach' })).toMatchObject({ status: 'pass', attempts: 1 });
    const cli = await execa('node', [BIN, 'explain', name, 'z-a', 'x-a', '--proto', 'icmp'], { reject: false });
    expect(cli.exitCode, cli.stderr).toBe(1);
    expect(cli.stdout).toMatch(/ICMP \(ping\)/);
    expect(cli.stdout).toMatch(/live probe 10\.244\.\d+\.\d+ \(ping\): no echo reply in 250 ms/);
    await deletePolicy(realExecutor, readState(name)!, 'x', 'web-80');
  }, 30_000);

  it('the CLI: --json, exit 1 for a denial, 0 for an allowed connection, 2 and a PL3110 naming the pods for an unknown one', async () => {
    const denied = await execa('node', [BIN, 'explain', name, 'x-b', 'svc/x/s-x-a', '--port', '80', '--json'], { reject: false });
    expect(denied.exitCode, denied.stderr).toBe(1);
    expect(JSON.parse(denied.stdout)).toMatchObject({ allowed: false, observed: { agrees: true } });
    const allowed = await execa('node', [BIN, 'explain', name, 'x-a', 'svc/y/s-y-b', '--port', '80'], { reject: false });
    expect(allowed.exitCode, allowed.stdout + allowed.stderr).toBe(0);
    expect(allowed.stdout).toMatch(/ALLOWED/);
    expect(allowed.stdout).toMatch(/observed as predicted/);
    const bad = await execa('node', [BIN, 'explain', name, 'x-q', 'x-a', '--port', '80'], { reject: false });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/PL3110/);
    expect(bad.stderr).toMatch(/x\/x-a, x\/x-b/);
  }, 30_000);
});
