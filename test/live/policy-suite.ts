/**
 * Live-test support for the policy suites built on the upstream e2e model (network-policy.test.ts,
 * cluster-network-policy.test.ts: x, y, z × a, b, c, truth tables as the lab's checks): the lab's
 * checks run as `podlab check` runs them and its scenarios as `podlab scenario` does, each reduced
 * to what failed (a cell, a step) and printed with the time it took.
 */
import { runChecks } from '../../src/check/run.ts';
import { runScenarios } from '../../src/check/scenario.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { readState } from '../../src/runtime/state.ts';

/** Every truth table (matrix check) of live lab `name`: how many ran, and each failing cell with what it saw. */
export async function truthTables(name: string): Promise<{ tables: number; failing: string[] }> {
  const t = performance.now();
  const results = await runChecks(readState(name)!);
  const cells = results.reduce((n, r) => n + r.matrix!.cells.length, 0);
  console.log(`${name}: ${results.length} truth tables (${cells} cells) in ${Math.round(performance.now() - t)} ms`);
  return { tables: results.length, failing: results.flatMap((r) => r.matrix!.cells.filter((c) => c.status === 'fail').map((c) => `${r.name}: ${c.name}: ${c.seen}`)) };
}

/** Every scenario of live lab `name`, in order: their names, and each step that did not pass (with the cells its truth table failed on). */
export async function scenarios(name: string): Promise<{ names: string[]; failures: string[] }> {
  const t = performance.now();
  const results = await runScenarios(name, [], realExecutor);
  console.log(`${name}: ${results.length} scenarios in ${Math.round(performance.now() - t)} ms: ${results.map((r) => `${r.name} ${r.ms} ms`).join(', ')}`);
  const failures = results.flatMap((r) =>
    r.steps
      .filter((s) => s.status !== 'pass')
      .map((s) => `${r.name} step ${s.step} ${s.name}: ${s.message}${s.check?.matrix ? ` [${s.check.matrix.cells.filter((c) => c.status === 'fail').map((c) => c.name).join('; ')}]` : ''}`),
  );
  return { names: results.map((r) => r.name), failures };
}
