/**
 * Matrix checks and scenarios, the pure parts: how a matrix expands into cells (ports, expect grid,
 * default probe), how scenarios reach the plan, how reports show grids and steps, and the HTTP
 * body/status judge.
 */
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/check/checks.ts';
import { judge } from '../../src/check/checks.ts';
import { jsonReport, junitReport, matrixTable, stoppedHow, tapReport, textReport } from '../../src/check/report.ts';
import type { ScenarioResult } from '../../src/check/scenario.ts';
import { describeAction } from '../../src/check/actions/index.ts';
import { planFrom } from '../live/host.ts';
import type { PlanCheck } from '../../src/plan/plan.ts';
import type { LabSpec } from '../../src/index.ts';

const echo = { name: 'http-echo', workload: { kind: 'http-echo' as const } };
const lab: LabSpec = {
  name: 'm',
  nodes: { 'worker-1': {}, 'worker-2': {} },
  pods: {
    client: { node: 'worker-1' },
    web: { node: 'worker-2', labels: { app: 'web' }, containers: [echo] },
  },
  services: { web: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
  checks: [
    { kind: 'matrix', from: ['client', 'web'], to: ['svc/web', 'web:8080', 'node/worker-1:30080'], expect: [['reach', 'reach', 'no-reach'], ['reach', 'reach', 'no-reach']] },
    { kind: 'matrix', from: ['client'], to: ['web', 'node/worker-2'] },
    { kind: 'http', from: 'client', to: 'web', port: 8080, expectBody: '"pod":"web"', expectStatus: 200 },
  ],
  scenarios: {
    moved: {
      description: 'web moves',
      steps: [
        { action: 'recreate-pod', pod: 'web' },
        { check: { kind: 'http', from: 'client', to: 'svc/web' } },
        { action: 'scale', pod: 'web', replicas: 3 },
        { action: 'link-down', node: 'worker-2' },
        { action: 'exec', from: 'node/worker-1', command: ['ip', 'route'] },
      ],
    },
  },
};

describe('matrix checks', () => {
  const plan = planFrom(lab);
  const [grid, pings] = plan.checks as PlanCheck<'matrix'>[];

  it('expands into one ordinary check per source × target, row-major, with per-target ports', () => {
    const m = grid!.matrix!;
    expect(m.rows).toEqual(['client', 'web']);
    expect(m.cols).toEqual(['svc/web', 'web:8080', 'node/worker-1:30080']);
    expect(m.cells.map((c) => `${c.kind} ${c.from.name} → ${c.to.name}:${c.port} ${c.expect}`)).toEqual([
      'tcp client → svc/web:80 reach',
      'tcp client → web:8080 reach',
      'tcp client → worker-1:30080 no-reach',
      'tcp web → svc/web:80 reach',
      'tcp web → web:8080 reach',
      'tcp web → worker-1:30080 no-reach',
    ]);
    expect(m.cells[0]!.to.ip).toBe(plan.services.find((s) => s.name === 'web')!.clusterIP);
    expect(m.cells.every((c) => c.timeoutMs === 3000)).toBe(true);
  });

  it('probes with ping when no port is given and no target is a Service, and expects reach by default', () => {
    expect(pings!.matrix!.probe).toBe('ping');
    expect(pings!.matrix!.cells.map((c) => [c.kind, c.expect, c.port])).toEqual([
      ['ping', 'reach', undefined],
      ['ping', 'reach', undefined],
    ]);
  });

  it('scenarios reach the plan in order, with their checks resolved like the lab\'s', () => {
    const sc = plan.scenarios[0]!;
    expect(sc.name).toBe('moved');
    expect(sc.steps.map((s) => (s.action ? describeAction(s.action) : `check ${s.check!.name}`))).toEqual([
      'recreate-pod web',
      'check http client → svc/web',
      'scale web to 3',
      'link-down node/worker-2',
      'exec node/worker-1: ip route',
    ]);
    expect((sc.steps[1]!.check as PlanCheck<'tcp' | 'http'>).port).toBe(80);
    expect(sc.steps[4]!.action).toMatchObject({ expectExit: 0 });
  });
});

describe('http body and status', () => {
  const plan = planFrom(lab);
  const http = plan.checks[2]! as PlanCheck<'http'>;
  const web = plan.pods.find((p) => p.name === 'web')!;
  const answer = (status: number, body: string) => ({ exitCode: 0, stdout: JSON.stringify({ ok: true, status, body }), stderr: '' });

  it('passes when the status and the body are as expected', () => {
    const v = judge(plan, http, answer(200, JSON.stringify({ pod: 'web', podIP: web.ip, client: '10.244.0.2' })));
    expect(v).toMatchObject({ ok: true, expected: expect.stringContaining('body contains ""pod":"web""') });
  });

  it('fails naming what the body lacked, or the status it got', () => {
    expect(judge(plan, http, answer(200, '{"pod":"other"}')).seen).toContain('body lacks ""pod":"web""');
    expect(judge(plan, http, answer(404, JSON.stringify({ pod: 'web' }))).seen).toContain('status was 404');
  });
});

const cell = (name: string, reach: boolean, ok: boolean): CheckResult => ({
  index: 0,
  name,
  kind: 'tcp',
  status: ok ? 'pass' : 'fail',
  expected: `${reach === ok ? 'reaches' : 'does not reach'} x`,
  seen: ok ? 'as expected' : 'not as expected',
  command: `podlab exec m ${name}`,
  attempts: 1,
  ms: 5,
});

const matrixResult: CheckResult = {
  index: 0,
  name: 'who reaches what',
  kind: 'matrix',
  status: 'fail',
  expected: '3 of 4 cells reach, 1 does not',
  seen: '1 cell(s) differ',
  command: 'podlab exec m a',
  attempts: 2,
  ms: 1500,
  matrix: { rows: ['a', 'host/b'], cols: ['svc/web', 'c'], cells: [cell('a→web', true, true), cell('a→c', true, true), cell('b→web', false, true), cell('b→c', true, false)] },
};

describe('reports of matrices and scenarios', () => {
  it('a matrix prints as a grid: what each cell saw, and what was wanted where it differs', () => {
    expect(matrixTable(matrixResult, undefined, '')).toEqual([
      '        svc/web    c',
      'a       ✓ reach    ✓ reach',
      'host/b  ✓ blocked  ✗ reach (want blocked)',
    ]);
  });

  it('a cell that did not reach says how the client was stopped: a timeout (a drop) or a refusal (a closed port, a reject)', () => {
    const seen = (name: string, text: string): CheckResult => ({ ...cell(name, false, true), seen: text });
    const grid: CheckResult = {
      ...matrixResult,
      status: 'pass',
      matrix: {
        rows: ['a'],
        cols: ['x-a', 'x-b', 'x-c', 'x-d'],
        cells: [
          seen('dropped', 'no connection (ETIMEDOUT connect to 10.244.0.2:80 timed out after 250ms)'),
          seen('refused', 'no connection (connect ECONNREFUSED 10.244.0.3:81)'),
          seen('ping', 'no reply (1 packets transmitted, 0 received, 100% packet loss, time 0ms)'),
          seen('unreachable', 'no connection (connect EHOSTUNREACH 10.96.0.1:80)'),
        ],
      },
    };
    expect(matrixTable(grid, undefined, '')).toEqual(['      x-a        x-b        x-c        x-d', 'a     ✓ timeout  ✓ refused  ✓ timeout  ✓ blocked']);
    expect(stoppedHow('no HTTP answer (ETIMEDOUT connect to 10.96.0.5:80 timed out after 250ms)')).toBe('timeout');
  });

  const scenario: ScenarioResult = {
    name: 'moved',
    description: 'web moves',
    status: 'fail',
    ms: 900,
    steps: [
      { step: 1, kind: 'action', name: 'recreate-pod web', status: 'pass', message: 'web: 10.244.1.2 → 10.244.1.5', ms: 300 },
      { step: 2, kind: 'check', name: 'http client → svc/web', status: 'fail', message: 'no HTTP answer', ms: 500, check: { ...cell('http client → svc/web', true, false), kind: 'http' } },
      { step: 3, kind: 'action', name: 'link-down node/worker-2', status: 'fail', message: 'could not', ms: 10 },
      { step: 4, kind: 'action', name: 'link-up node/worker-2', status: 'skipped', message: 'skipped: an earlier action failed', ms: 0 },
    ],
  };

  it('text: each step numbered, what an action did, a failed check with its evidence', () => {
    const t = textReport([], undefined, [scenario]);
    expect(t).toContain('✗ scenario moved: web moves (900 ms)\n   1 ✓ recreate-pod web (300 ms)\n         web: 10.244.1.2 → 10.244.1.5\n   2 ✗ http client → svc/web');
    expect(t).toContain('   4 - link-up node/worker-2 (0 ms)\n         skipped: an earlier action failed');
    expect(t.trimEnd().split('\n').at(-1)).toBe('scenarios: 0 passed, 1 failed');
  });

  it('json: scenarios beside the results, counted in the summary and in passed', () => {
    const j = JSON.parse(jsonReport('m', [cell('x', true, true)], [scenario]));
    expect(j).toMatchObject({ version: 1, passed: false, summary: { total: 1, passed: 1, failed: 0, scenarios: { total: 1, passed: 0, failed: 1 } } });
    expect(j.scenarios[0].steps).toHaveLength(4);
    expect(JSON.parse(jsonReport('m', [cell('x', true, true)])).scenarios).toBeUndefined();
  });

  it('junit: a testsuite per scenario; skipped steps are <skipped/>', () => {
    const x = junitReport('m', [], [scenario]);
    expect(x).toContain('<testsuites name="podlab" tests="4" failures="2"');
    expect(x).toContain('<testsuite name="m/moved" tests="4" failures="2" errors="0" skipped="1" time="0.900">');
    expect(x).toContain('<skipped message="skipped: an earlier action failed"/>');
  });

  it('tap: steps after the checks, skipped ones with # SKIP', () => {
    const t = tapReport([cell('x', true, true)], [scenario]);
    expect(t.split('\n').slice(0, 4)).toEqual(['TAP version 13', '1..5', 'ok 1 - x', 'ok 2 - scenario moved step 1: recreate-pod web']);
    expect(t).toContain('ok 5 - scenario moved step 4: link-up node/worker-2 # SKIP skipped: an earlier action failed');
    expect(t).toContain('not ok 4 - scenario moved step 3: link-down node/worker-2\n  ---\n  message: "could not"');
  });
});
