/**
 * Live: a check whose source pod is not running (deleted) fails, saying so, and the lab's other
 * checks still run: `podlab check` reports it and exits 1 (it used to stop with an internal error,
 * exit 2, and print no result at all; so did `graph --checks` and the ui's "Run checks").
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { runChecks } from '../../src/check/run.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { deletePod } from '../../src/runtime/pods.ts';
import { readState } from '../../src/runtime/state.ts';
import { labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;

describe.skipIf(!live)('live checks from a pod that is gone', () => {
  const name = 'csg-gone';
  labAroundSuite({
    name,
    nodes: { n1: {}, n2: {} },
    pods: { client: { node: 'n1' }, other: { node: 'n1' }, web: { node: 'n2', containers: [{ name: 'web', workload: { kind: 'http-echo' } }] } },
    dns: false,
    checks: [
      { kind: 'tcp', from: 'client', to: 'web', port: 8080, name: 'client reaches web' },
      { kind: 'tcp', from: 'other', to: 'web', port: 8080, name: 'other reaches web' },
    ],
  });

  it('the check from the deleted pod fails at once, naming it; the other passes; the CLI exits 1 with both results', async () => {
    await deletePod(realExecutor, readState(name)!, 'client');
    const [gone, other] = await runChecks(readState(name)!);
    expect(gone).toMatchObject({ status: 'fail', attempts: 0, settled: true });
    expect(gone!.seen).toBe('not run: pod "client" has no running sandbox (pause process)');
    expect(other).toMatchObject({ status: 'pass' });
    const cli = await execa('node', [BIN, 'check', name, '--json'], { reject: false });
    expect(cli.exitCode).toBe(1);
    const out = JSON.parse(cli.stdout) as { results: { name: string; status: string }[] } | { name: string; status: string }[];
    const results = Array.isArray(out) ? out : out.results;
    expect(results.map((r) => `${r.name}: ${r.status}`)).toEqual(['client reaches web: fail', 'other reaches web: pass']);
  }, 60_000);
});
