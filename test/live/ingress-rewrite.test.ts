/**
 * Live: ingress-nginx's rewrite-target and use-regex on real nginx
 * (test/fixtures/labs/k8s-rewrite.lab.ts). The lab's checks send requests through the controller's
 * Service and judge the path each http-echo backend was sent, so the router's prediction (unit
 * tested in test/unit/ingress-router.test.ts) meets nginx's own regex locations and rewrites.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runChecks } from '../../src/check/run.ts';
import { readState } from '../../src/runtime/state.ts';
import { labAroundSuite, liveGuard, upLabFile } from './host.ts';

const live = liveGuard();

describe.skipIf(!live)('Ingress rewrite-target and use-regex on real nginx', () => {
  const name = 'k8s-rewrite';
  const state = labAroundSuite({ name, up: () => upLabFile('test/fixtures/labs/k8s-rewrite.lab.ts') }).lab;

  it('nginx runs the regex locations and the rewrite podlab rendered', () => {
    const conf = readFileSync(state().plan.ingress!.confFile, 'utf8');
    expect(conf).toContain('location ~* "^/something(/|$)(.*)" {\n            rewrite "(?i)/something(/|$)(.*)" /$2 break;');
    expect(conf).toContain('location ~* "^/api/v[0-9]+/.*" {');
  });

  it('every check passes: the backend sees the rewritten path, regex paths match case-insensitively, longest first', async () => {
    const results = await runChecks(readState(name)!);
    expect(results.map((r) => [r.name, r.status, r.status === 'pass' ? '' : `${r.expected} / ${r.seen}`])).toEqual(state().plan.checks.map((c) => [c.name, 'pass', '']));
    expect(results).toHaveLength(6);
  }, 60_000);
});
