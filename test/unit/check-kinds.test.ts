/**
 * The registry of check kinds: every kind has its module with a probe (or a grid) and a judge,
 * and every kind's judge is tested here on output recorded from a real run (test/fixtures/outputs
 * and the literals below, taken from live labs). RECORDED is keyed by every kind, so a new kind
 * without a recorded-output test does not compile.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/check/actions/index.ts';
import { CHECK_KINDS, GRID_KINDS, PROBE_KINDS, probeKindOf, type CheckKindName, type LabCheck, type PlanCheck } from '../../src/check/kinds/index.ts';
import type { Attempt, ProbeKind, Verdict } from '../../src/check/kinds/kind.ts';
import type { RunResult } from '../../src/runtime/exec.ts';
import type { CheckSpec } from '../../src/schema/lab-schema.ts';
import { planFrom } from '../live/host.ts';
import { provenProbe, testAttempt } from './proofs.ts';

const fixture = (f: string) => readFileSync(`test/fixtures/outputs/${f}`, 'utf8');
const out = (stdout: string, exitCode = 0, stderr = ''): RunResult => ({ stdout, stderr, exitCode });

// Recorded on live labs (the same outputs the per-kind tests use).
const DIG_WEB = fixture('dig-web.txt');
const FLANNEL_ROUTE = '[{"dst":"10.244.2.0/24","gateway":"10.244.2.0","dev":"flannel.1","flags":["onlink"]}]';
const VXLAN = '[{"ifindex":3,"ifname":"flannel.1","mtu":1450,"linkinfo":{"info_kind":"vxlan","info_data":{"id":1,"local":"172.16.94.11","link":"eth0","port":8472,"learning":false}}}]';
const BIRD_ESTABLISHED = 'BIRD 2.0.12 ready.\nName       Proto      Table      State  Since         Info\nMesh_172_16_94_12 BGP        ---        up     05:19:34.332  Established   \n';
const BLACKHOLE_W1 = '[{"type":"blackhole","dst":"10.244.0.64/26","protocol":"bird","metric":32,"flags":[]}]';
const TCP_CONNECTED = '{"ok":true,"local":"10.244.0.2","remote":"10.244.1.2"}';

type Recorded = { spec: CheckSpec; verdict: Verdict } & ({ output: RunResult; attempt?: Attempt } | { cells: { name: string; status: 'pass' | 'fail' }[] });
/** The http answers proven by their pods' http-echo for the attempt's nonces (test/unit/proofs.ts). */
const SPREAD_ATTEMPT = testAttempt(6);

const RECORDED: { [K in CheckKindName]: Recorded } = {
  ping: { spec: { kind: 'ping', from: 'client', to: 'web' }, output: out(fixture('ping-ok.txt')), verdict: { ok: true, expected: 'reaches web (10.244.1.2)', seen: 'reply from 10.244.1.2 in 0.298 ms' } },
  tcp: { spec: { kind: 'tcp', from: 'client', to: 'web', port: 8080 }, output: out(TCP_CONNECTED), verdict: { ok: true, expected: 'reaches web (10.244.1.2):8080', seen: 'connected from 10.244.0.2 to 10.244.1.2:8080' } },
  udp: { spec: { kind: 'udp', from: 'client', to: 'web', port: 9001 }, output: out(fixture('udp-echo-client-ok.txt')), verdict: { ok: true, expected: 'reaches web (10.244.1.2):9001', seen: 'echo from 127.0.0.1 to 127.0.0.1' } },
  http: {
    spec: { kind: 'http', from: 'client', to: 'web', port: 8080, requests: 3, expectSpread: 3 },
    output: out(provenProbe({ pods: [], hosts: [] }, fixture('http-get-count-spread.txt'), SPREAD_ATTEMPT)),
    attempt: SPREAD_ATTEMPT,
    verdict: { ok: true, expected: 'reaches web (10.244.1.2):8080; status 200, at least 3 different pods answer 6 requests', seen: '6 answers from web-1 ×3, web-2 ×2, web-3 ×1' },
  },
  dns: { spec: { kind: 'dns', from: 'client', query: 'web', expectAnswers: ['10.96.0.1'] }, output: out(DIG_WEB), verdict: { ok: true, expected: 'A web: NOERROR, answers include 10.96.0.1', seen: 'NOERROR: web.default.svc.cluster.local. A 10.96.0.1' } },
  command: { spec: { kind: 'command', from: 'client', command: ['hostname'], expectOutput: 'client' }, output: out('client\n'), verdict: { ok: true, expected: 'exit 0, output contains "client"', seen: 'exit 0: client' } },
  route: { spec: { kind: 'route', from: 'node/worker-1', to: 'node/worker-2', dev: 'flannel.1' }, output: out(FLANNEL_ROUTE), verdict: { ok: true, expected: 'route to 10.244.1.0/24 dev flannel.1', seen: '10.244.2.0/24 via 10.244.2.0 dev flannel.1' } },
  vxlan: { spec: { kind: 'vxlan', from: 'node/worker-1', vni: 1, port: 8472, dev: 'flannel.1' }, output: out(VXLAN), verdict: { ok: true, expected: 'a VXLAN device flannel.1 with VNI 1 on UDP 8472', seen: 'flannel.1 VNI 1 port 8472' } },
  bgp: { spec: { kind: 'bgp', from: 'node/worker-1', peer: 'node/worker-2' }, output: out(BIRD_ESTABLISHED), verdict: { ok: true, expected: 'BGP session Mesh_172_16_94_12 (to worker-2) Established', seen: 'Mesh_172_16_94_12 up Established' } },
  block: { spec: { kind: 'block', from: 'node/worker-1', pod: 'client', borrowed: false }, output: out(BLACKHOLE_W1), verdict: { ok: true, expected: 'client (10.244.0.64) in a block of worker-1', seen: 'worker-1 holds 10.244.0.64/26; 10.244.0.64 is in 10.244.0.64/26' } },
  matrix: {
    spec: { kind: 'matrix', from: ['client'], to: ['web:8080', 'web:9999'], expect: [['reach', 'no-reach']] },
    cells: [
      { name: 'tcp client → web:8080', status: 'pass' },
      { name: 'tcp client → web:9999 (must fail)', status: 'fail' },
    ],
    verdict: { ok: false, expected: '1 of 2 cells reach, 1 do not', seen: '1 cell(s) differ: tcp client → web:9999 (must fail)' },
  },
};

const kinds = Object.keys(RECORDED) as CheckKindName[];
/** Calico's kinds need a Calico lab; the others are planned on the default one. */
const CALICO_KINDS: CheckKindName[] = ['bgp', 'block'];
const labOf = (cni: 'kubenet' | 'calico', of: CheckKindName[]) =>
  planFrom({
    name: 'kinds',
    cni: cni === 'calico' ? { type: 'calico' } : 'kubenet',
    // As on the live lab the Calico outputs were recorded on: a control plane claims the first block.
    nodes: cni === 'calico' ? { cp: { role: 'control-plane', ip: '172.16.94.10' }, 'worker-1': { ip: '172.16.94.11' }, 'worker-2': { ip: '172.16.94.12' } } : { 'worker-1': {}, 'worker-2': {} },
    pods: { client: { node: 'worker-1' }, web: { node: 'worker-2', containers: [{ name: 'web', workload: { kind: 'http-echo' } }] } },
    checks: of.map((k) => RECORDED[k].spec),
  });
const plainKinds = kinds.filter((k) => !CALICO_KINDS.includes(k));
const plans = { plain: labOf('kubenet', plainKinds), calico: labOf('calico', CALICO_KINDS) };
const plan = plans.plain;
const planOf = (k: CheckKindName) => (CALICO_KINDS.includes(k) ? plans.calico : plans.plain);
const planned = (k: CheckKindName): PlanCheck => (CALICO_KINDS.includes(k) ? plans.calico.checks[CALICO_KINDS.indexOf(k)]! : plans.plain.checks[plainKinds.indexOf(k)]!);

describe('the registry of check kinds', () => {
  it('lists every kind under its own name, with the pieces every kind has', () => {
    expect(Object.keys(CHECK_KINDS).sort()).toEqual([...kinds].sort());
    for (const [name, kind] of Object.entries(CHECK_KINDS)) {
      expect(kind.kind).toBe(name);
      for (const piece of ['normalize', 'validate', 'plan'] as const) expect(typeof kind[piece], `${name}.${piece}`).toBe('function');
    }
  });

  it('gives every probe kind a probe and a judge, and every grid kind its cells and a judge', () => {
    expect([...Object.keys(PROBE_KINDS), ...Object.keys(GRID_KINDS)].sort()).toEqual([...kinds].sort());
    for (const [name, kind] of Object.entries(PROBE_KINDS)) {
      expect(typeof kind.probe, `${name}.probe`).toBe('function');
      expect(typeof kind.judge, `${name}.judge`).toBe('function');
    }
    for (const [name, kind] of Object.entries(GRID_KINDS)) {
      expect(typeof kind.grid, `${name}.grid`).toBe('function');
      expect(typeof kind.judge, `${name}.judge`).toBe('function');
    }
  });

  it('plans each kind to a check of that kind', () => {
    expect([...plans.plain.checks, ...plans.calico.checks].map((c) => c.kind)).toEqual([...plainKinds, ...CALICO_KINDS]);
  });

  for (const k of kinds) {
    it(`judges ${k} on recorded output`, () => {
      const r = RECORDED[k];
      const c = planned(k);
      const verdict = c.kind === 'matrix' ? GRID_KINDS.matrix.judge(c, 'cells' in r ? r.cells : []) : probeKindOf(c.kind).judge(planOf(k), c, 'output' in r ? r.output : out(''), 'output' in r ? r.attempt : undefined);
      expect(verdict).toEqual(r.verdict);
    });
  }

  it('does not compile a kind without a probe or a judge, or a registry without a kind', () => {
    const { normalize, validate, plan: planIt, probe } = PROBE_KINDS.ping;
    // @ts-expect-error a probe kind needs a judge
    const noJudge: ProbeKind<'ping', LabCheck<'ping'>, PlanCheck<'ping'>> = { kind: 'ping', normalize, validate, plan: planIt, probe };
    const { vxlan: _vxlan, ...withoutVxlan } = PROBE_KINDS;
    // @ts-expect-error every kind has its module in the registry
    const missing: typeof PROBE_KINDS = withoutVxlan;
    const { exec: _exec, ...withoutExec } = ACTIONS;
    // @ts-expect-error every scenario action has its module in the registry
    const missingAction: typeof ACTIONS = withoutExec;
    expect([noJudge, missing, missingAction]).toHaveLength(3);
  });

  it('builds an argv for every probe kind', () => {
    for (const k of kinds) {
      const c = planned(k);
      if (c.kind === 'matrix') expect(GRID_KINDS.matrix.grid(c).cells).toHaveLength(2);
      else expect(probeKindOf(c.kind).probe(c, '/probe').length, k).toBeGreaterThan(0);
    }
  });
});

describe('the registry of scenario actions', () => {
  it('lists every action under its own name, with its rules, description and run', () => {
    for (const [name, a] of Object.entries(ACTIONS)) {
      expect(a.action).toBe(name);
      for (const piece of ['normalize', 'validate', 'describe', 'run'] as const) expect(typeof a[piece], `${name}.${piece}`).toBe('function');
    }
  });
});
