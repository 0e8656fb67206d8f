/**
 * The CLI's answers on a real Calico BGP lab (hc-cli): `logs node/<name>` prints the node's BIRD
 * log, also after BIRD was stopped (its record dropped, its log kept); a node's unknown daemon is
 * PL3032; `events --wait-for` a reason only control loops record, in this lab without loops, is
 * PL3073 at once; a deleted pod is PL3033 for `capture` as for `exec`. The lab is removed in
 * afterAll, also on failure.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { setBird } from '../../src/runtime/bird.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { readState } from '../../src/runtime/state.ts';
import { calicoLab } from './calico-lab.ts';
import { labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();
const LAB = 'hc-cli';
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;
const podlab = (...args: string[]) => execa('node', [BIN, ...args], { reject: false, timeout: 60_000 });

describe.skipIf(!live)('the CLI on a live Calico BGP lab (hc-cli)', () => {
  labAroundSuite(calicoLab(LAB, { type: 'calico', encapsulation: 'None' }));

  it("logs node/<name> prints the node's BIRD log, also once BIRD is stopped; an unknown daemon is PL3032", async () => {
    const r = await podlab('logs', LAB, 'node/w1');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^==> node\/w1\/bird <==\n/);
    expect(r.stdout.length).toBeGreaterThan('==> node/w1/bird <==\n'.length);
    const c = await podlab('logs', LAB, 'node/w2', '-c', 'bird');
    expect(c.exitCode).toBe(0);
    expect(c.stdout).toMatch(/^==> node\/w2\/bird <==\n/);
    const bad = await podlab('logs', LAB, 'node/w1/felix');
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('error PL3032 node w1 runs no daemon "felix"; its daemons: bird');
    await setBird(realExecutor, readState(LAB)!, 'w2', 'stop');
    expect(readState(LAB)!.daemons?.['w2/bird']).toBeUndefined();
    const stopped = await podlab('logs', LAB, 'node/w2');
    expect(stopped.exitCode).toBe(0);
    expect(stopped.stdout).toMatch(/^==> node\/w2\/bird <==\n/);
  }, 60_000);

  it('events --wait-for Restarted in a lab without control loops is PL3073 at once', async () => {
    const t = Date.now();
    const r = await podlab('events', LAB, '--wait-for', 'Restarted', '--timeout', '30s');
    expect(Date.now() - t).toBeLessThan(10_000);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`error PL3073 lab "${LAB}" runs no control loops`);
  }, 60_000);

  it('a deleted pod is PL3033 for capture as for exec', async () => {
    const d = await podlab('pod', 'delete', LAB, 'b');
    expect(d.exitCode, d.stderr).toBe(0);
    for (const args of [['capture', LAB, 'b', '-c', '1'], ['exec', LAB, 'b', '--', 'true']]) {
      const r = await podlab(...args);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^error PL3033 /m);
    }
  }, 60_000);
});
