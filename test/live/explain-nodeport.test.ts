/**
 * Live `podlab explain` of a node's NodePort (labs/services.lab.ts as t2-enp, natOutgoing, solo
 * admitting pods only): the node DNATs the connection to an endpoint, and natOutgoing had already
 * masqueraded the pod to its node's address, so the endpoint's policy drops it. Explain says so, as
 * trace does, and the probe and the counters agree; it no longer blames a server that is not there.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import servicesLab from '../../labs/services.lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { explainLive } from '../../src/runtime/explain.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { readState } from '../../src/runtime/state.ts';
import { traceLive } from '../../src/runtime/trace.ts';
import { labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;

describe.skipIf(!live)('live explain of a NodePort, judged as the packet is where each side is judged (labs/services.lab.ts as t2-enp)', () => {
  const name = 't2-enp';
  labAroundSuite({
    ...(servicesLab as LabSpec),
    name,
    checks: [],
    scenarios: {},
    networkPolicies: { 'solo-from-pods': { podSelector: { matchLabels: { app: 'solo' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: {} }] }] } },
  });

  it('client → node/worker-2:30081: denied at solo\'s ingress from control-plane\'s address, as the counters show and trace says', async () => {
    const req = { from: 'client', to: 'node/worker-2', port: 30081 };
    const x = await explainLive(realExecutor, readState(name)!, req);
    expect(x.allowed).toBe(false);
    expect(x.cases.map((c) => c.endpoint!.pod)).toEqual(['solo']);
    expect(x.cases[0]!.path!.ingress).toMatch(/^from 172\.16\.94\.10, the source as masqueraded by flanneld's --ip-masq on node control-plane /);
    expect(x.observed).toMatchObject({ agrees: true, differences: [] });
    expect(x.observed!.fired['worker-2']).toEqual([expect.objectContaining({ chain: 'ingress.default/solo' })]);
    const t = await traceLive(realExecutor, readState(name)!, req);
    expect(t.policy?.allowed).toBe(x.allowed);
    const cli = await execa('node', [BIN, 'explain', name, 'client', 'node/worker-2', '--port', '30081'], { reject: false });
    expect(cli.exitCode, cli.stderr).toBe(1);
    expect(cli.stdout).toMatch(/^endpoint default\/solo 10\.244\.2\.\d+:8080 on worker-2: DENIED$/m);
    expect(cli.stdout).toMatch(/^✓ observed as predicted$/m);
    expect(cli.stdout).not.toMatch(/not a policy drop/);
  }, 30_000);

  it('client → node/worker-1:30080 (web admits everyone): allowed for every endpoint, and the probe connects', async () => {
    const x = await explainLive(realExecutor, readState(name)!, { from: 'client', to: 'node/worker-1', port: 30080 });
    expect(x.allowed).toBe(true);
    expect(x.cases.map((c) => c.endpoint!.pod)).toEqual(['web-1', 'web-2', 'web-3']);
    expect(x.observed).toMatchObject({ agrees: true, differences: [], probe: { ok: true, to: '172.16.94.11:30080/TCP' } });
  }, 30_000);
});
