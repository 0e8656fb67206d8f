/**
 * Live: ingress-nginx's rewrite-target and use-regex on real nginx
 * (test/fixtures/labs/k8s-rewrite.lab.ts). The lab's checks send requests through the controller's
 * Service and judge the path each http-echo backend was sent, so the router's prediction (unit
 * tested in test/unit/ingress-router.test.ts) meets nginx's own regex locations and rewrites.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecks } from '../../src/check/run.ts';
import { compileLab } from '../../src/compile/compile.ts';
import { buildPlan, type Plan } from '../../src/plan/plan.ts';
import { render } from '../../src/render/render.ts';
import { down } from '../../src/runtime/down.ts';
import { readState } from '../../src/runtime/state.ts';
import { up } from '../../src/runtime/up.ts';
import { liveGuard } from './host.ts';

const live = liveGuard();

describe.skipIf(!live)('Ingress rewrite-target and use-regex on real nginx', () => {
  const name = 'k8s-rewrite';
  let plan: Plan;

  beforeAll(async () => {
    await down(name);
    const r = await compileLab('test/fixtures/labs/k8s-rewrite.lab.ts');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    plan = buildPlan(r.lab!);
    try {
      await up(plan, render(plan));
    } catch (e) {
      await down(name);
      throw e;
    }
  }, 120_000);

  afterAll(async () => {
    await down(name);
  }, 60_000);

  it('nginx runs the regex locations and the rewrite podlab rendered', () => {
    const conf = readFileSync(plan.ingress!.confFile, 'utf8');
    expect(conf).toContain('location ~* "^/something(/|$)(.*)" {\n            rewrite "(?i)/something(/|$)(.*)" /$2 break;');
    expect(conf).toContain('location ~* "^/api/v[0-9]+/.*" {');
  });

  it('every check passes: the backend sees the rewritten path, regex paths match case-insensitively, longest first', async () => {
    const results = await runChecks(readState(name)!);
    expect(results.map((r) => [r.name, r.status, r.status === 'pass' ? '' : `${r.expected} / ${r.seen}`])).toEqual(plan.checks.map((c) => [c.name, 'pass', '']));
    expect(results).toHaveLength(6);
  }, 60_000);
});
