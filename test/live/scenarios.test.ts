/**
 * Live scenarios: every action a scenario can take, run for real on one lab (ls-scen), each
 * followed by the checks that show what it did — the same code path as `podlab scenario`. Also a
 * connectivity matrix with a deny cell, and the guarantee that scaled copies leave nothing behind.
 */
import { describe, expect, it } from 'vitest';
import type { LabSpec } from '../../src/index.ts';
import { runCheck } from '../../src/check/run.ts';
import { runScenario, runScenarios } from '../../src/check/scenario.ts';
import { down } from '../../src/runtime/down.ts';
import { readState } from '../../src/runtime/state.ts';
import { labStatus } from '../../src/runtime/status.ts';
import type { PlanScenario } from '../../src/plan/plan.ts';
import { labAroundSuite, liveGuard, planFrom } from './host.ts';
import { scopedSnapshot, type ScopedSnapshot } from './scoped.ts';

const live = liveGuard();
const name = 'ls-scen';

const echo = [{ name: 'http-echo', workload: { kind: 'http-echo' as const } }];
const spec: LabSpec = {
  name,
  nodes: { 'control-plane': { role: 'control-plane' }, 'worker-1': {}, 'worker-2': {} },
  pods: {
    client: { node: 'control-plane' },
    'web-1': { node: 'worker-1', labels: { app: 'web' }, containers: echo },
    'web-2': { node: 'worker-2', labels: { app: 'web' }, containers: echo },
  },
  services: { web: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
  checks: [
    {
      kind: 'matrix',
      from: ['client', 'web-1'],
      to: ['svc/web', 'web-2:8080', 'web-2:9999'],
      expect: [
        ['reach', 'reach', 'no-reach'],
        ['reach', 'reach', 'no-reach'],
      ],
      timeoutMs: 1500,
    },
  ],
  scenarios: {
    'ip-changes': {
      steps: [
        { action: 'recreate-pod', pod: 'web-1' },
        { check: { kind: 'http', from: 'client', to: 'svc/web', requests: 30, expectSpread: 2 } },
        { check: { kind: 'http', from: 'client', to: 'web-1', port: 8080, expectPod: 'web-1', expectBody: '"pod":"web-1"' } },
      ],
    },
    'delete-create': {
      steps: [
        { action: 'delete-pod', pod: 'web-2' },
        { check: { kind: 'http', from: 'client', to: 'svc/web', requests: 10, expectPod: 'web-1' } },
        { action: 'create-pod', pod: 'web-2' },
        { check: { kind: 'http', from: 'client', to: 'svc/web', requests: 30, expectSpread: 2 } },
      ],
    },
    scale: {
      steps: [
        { action: 'scale', pod: 'web-1', replicas: 3 },
        { check: { kind: 'http', from: 'client', to: 'svc/web', requests: 60, expectSpread: 4 } },
        { check: { kind: 'dns', from: 'client', query: 'web', expectAnswers: ['svc/web'] } },
        { action: 'scale', pod: 'web-1', replicas: 0 },
        { check: { kind: 'http', from: 'client', to: 'svc/web', requests: 10, expectPod: 'web-2' } },
        { action: 'scale', pod: 'web-1', replicas: 1 },
        { check: { kind: 'http', from: 'client', to: 'svc/web', requests: 30, expectSpread: 2 } },
      ],
    },
    restart: {
      steps: [
        { action: 'restart-container', pod: 'web-2', container: 'http-echo' },
        { check: { kind: 'http', from: 'client', to: 'web-2', port: 8080, expectPod: 'web-2' } },
      ],
    },
    unplug: {
      steps: [
        { action: 'link-down', node: 'worker-2' },
        { check: { kind: 'ping', from: 'client', to: 'web-2', expect: 'no-reach', timeoutMs: 1500 } },
        { check: { kind: 'ping', from: 'client', to: 'web-1' } },
        { action: 'link-up', node: 'worker-2' },
        { check: { kind: 'ping', from: 'client', to: 'web-2' } },
      ],
    },
    dns: {
      steps: [
        { action: 'reload-dns', corefile: '.:53 {\n    errors\n    health\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa\n    rewrite name exact shop.default.svc.cluster.local web.default.svc.cluster.local\n}\n' },
        { check: { kind: 'dns', from: 'client', query: 'shop', expectAnswers: ['svc/web'] } },
        { action: 'exec', from: 'client', command: ['true'] },
      ],
    },
  },
};

describe.skipIf(!live)('live scenarios', () => {
  let before: ScopedSnapshot;
  const state = labAroundSuite(spec, { beforeUp: async () => { before = await scopedSnapshot([name]); } }).lab;

  it('a matrix passes cell by cell, a closed port counting as "no-reach"', async () => {
    const r = await runCheck(state(), state().plan.checks[0]!);
    expect(r.matrix!.cells.map((c) => `${c.name}: ${c.status}`)).toEqual([
      'tcp client → svc/web: pass',
      'tcp client → web-2:8080: pass',
      'tcp client → web-2:9999 (must fail): pass',
      'tcp web-1 → svc/web: pass',
      'tcp web-1 → web-2:8080: pass',
      'tcp web-1 → web-2:9999 (must fail): pass',
    ]);
    expect(r.status).toBe('pass');
  }, 30_000);

  it('a matrix whose grid is wrong fails on exactly the wrong cells', async () => {
    const wrong = planFrom({ ...spec, checks: [{ ...(spec.checks![0] as object), expect: 'reach' } as never] }).checks[0]!;
    const r = await runCheck(state(), wrong);
    expect(r.status).toBe('fail');
    expect(r.matrix!.cells.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual(['tcp client → web-2:9999', 'tcp web-1 → web-2:9999']);
  }, 30_000);

  it('recreate-pod: a new IP, and the Service and the pod\'s own address follow it', async () => {
    const old = readState(name)!.pods['web-1']!.ip;
    const [r] = await runScenarios(name, ['ip-changes']);
    expect(r!.steps.map((s) => s.status)).toEqual(['pass', 'pass', 'pass']);
    expect(r!.steps[0]!.message).toBe(`web-1: ${old} → ${readState(name)!.pods['web-1']!.ip}`);
    expect(readState(name)!.pods['web-1']!.ip).not.toBe(old);
  }, 60_000);

  it('delete-pod takes it out of the Service; create-pod puts it back', async () => {
    const [r] = await runScenarios(name, ['delete-create']);
    expect(r!.steps.map((s) => `${s.name}: ${s.status}`)).toEqual([
      'delete-pod web-2: pass',
      'http client → svc/web: pass',
      'create-pod web-2: pass',
      'http client → svc/web: pass',
    ]);
  }, 60_000);

  it('scale makes copies the Service spreads over, and scaling down (to 0) removes them and their namespaces', async () => {
    const [r] = await runScenarios(name, ['scale']);
    expect(r!.steps.map((s) => `${s.step} ${s.status}`)).toEqual(['1 pass', '2 pass', '3 pass', '4 pass', '5 pass', '6 pass', '7 pass']);
    expect(r!.steps[0]!.message).toMatch(/^web-1 × 3: created web-1-r2 \(10\.244\.\d+\.\d+\), web-1-r3 \(10\.244\.\d+\.\d+\)$/);
    expect(r!.steps[3]!.message).toBe('web-1 × 0: deleted web-1-r3, web-1-r2, web-1');
    const s = readState(name)!;
    expect(s.plan.pods.map((p) => p.name)).not.toContain('web-1-r2');
    expect(labStatus(name)!.pods.filter((p) => p.running).map((p) => p.name).sort()).toEqual(['client', 'coredns', 'web-1', 'web-2']);
  }, 90_000);

  it('restart-container: a new process, the same IP', async () => {
    const pid = readState(name)!.pods['web-2']!.containers['http-echo']!.pid;
    const ip = readState(name)!.pods['web-2']!.ip;
    const [r] = await runScenarios(name, ['restart']);
    expect(r!.status).toBe('pass');
    expect(readState(name)!.pods['web-2']!.containers['http-echo']!.pid).not.toBe(pid);
    expect(readState(name)!.pods['web-2']!.ip).toBe(ip);
  }, 30_000);

  it('link-down unplugs a node (its pods unreachable, others fine); link-up restores it', async () => {
    const [r] = await runScenarios(name, ['unplug']);
    expect(r!.steps.map((s) => `${s.name}: ${s.status}`)).toEqual([
      'link-down node/worker-2: pass',
      'ping client → web-2 (must fail): pass',
      'ping client → web-1: pass',
      'link-up node/worker-2: pass',
      'ping client → web-2: pass',
    ]);
  }, 30_000);

  it('reload-dns installs a new Corefile and waits for the server to take it; exec runs a command', async () => {
    const [r] = await runScenarios(name, ['dns']);
    expect(r!.steps.map((s) => s.status)).toEqual(['pass', 'pass', 'pass']);
    expect(r!.steps[0]!.message).toBe('DNS server reloaded with the new Corefile');
  }, 30_000);

  it('a failed action stops the scenario; the steps after it are skipped, not run', async () => {
    const sc: PlanScenario = {
      name: 'broken',
      description: '',
      steps: [
        { action: { action: 'exec', from: 'client', command: ['false'], expectExit: 0 } },
        { action: { action: 'delete-pod', pod: 'web-2' } },
      ],
    };
    const r = await runScenario(name, sc);
    expect(r.status).toBe('fail');
    expect(r.steps.map((s) => s.status)).toEqual(['fail', 'skipped']);
    expect(r.steps[0]!.message).toBe('exit 1 (expected 0)');
    expect(readState(name)!.pods['web-2']).toBeDefined();
  }, 30_000);

  it('down after all that leaves nothing of the lab behind', async () => {
    await down(name);
    expect(await scopedSnapshot([name])).toEqual(before);
  }, 60_000);
});
