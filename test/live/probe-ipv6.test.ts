/**
 * An httpGet probe of an IPv6-only pod: the agent GETs http://[<pod IP>]:<port><path> (bracketed,
 * or the URL does not parse and the probe never passes), so the pod becomes Ready and enters its
 * Service's endpoints; `make-unready` / `make-ready` (runtime/faults.ts) wait on the same kind of
 * URL. Lab ff6probe: labs/ipv6-only.lab.ts's family, one node, a readiness probe.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { LabSpec } from '../../src/index.ts';
import { readState } from '../../src/runtime/state.ts';
import { labStatus } from '../../src/runtime/status.ts';
import { labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;
const name = 'ff6probe';

const lab: LabSpec = {
  name,
  ipFamilies: ['IPv6'],
  nodes: { 'worker-1': {} },
  cni: 'flannel',
  loops: { tickMs: 100 },
  pods: {
    web: {
      node: 'worker-1',
      labels: { app: 'web' },
      containers: [{ name: 'web', workload: { kind: 'http-echo', port: 8080 }, readinessProbe: { httpGet: { port: 8080, path: '/healthz' }, periodSeconds: 1, failureThreshold: 1 } }],
    },
    client: { node: 'worker-1' },
  },
  services: { web: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
  checks: [{ kind: 'http', from: 'client', to: 'svc/web', expectPod: 'web' }],
  scenarios: {
    flip: {
      description: 'make-unready then make-ready: each waits until /healthz answers as asked',
      steps: [{ action: 'make-unready', pod: 'web' }, { action: 'make-ready', pod: 'web' }, { check: { kind: 'http', from: 'client', to: 'svc/web', expectPod: 'web' } }],
    },
  },
};

const podlab = (...args: string[]) => execa('node', [BIN, ...args], { reject: false, timeout: 60_000 });
const endpoints = () => (readState(name)?.endpoints?.['default/web'] ?? []).map((e) => e.pod);
const ready = () => labStatus(name)?.pods.find((p) => p.name === 'web')?.ready;

/** Waits (at most 15 s) until `done` holds; the test then asserts what it saw. */
async function until(done: () => boolean): Promise<void> {
  const end = Date.now() + 15_000;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
}

describe.skipIf(!live)('an IPv6-only pod with an httpGet readiness probe (lab ff6probe)', () => {
  const { lab: state } = labAroundSuite(lab);

  it('its probe passes: the pod is Ready and its Service has it as an endpoint, which answers', async () => {
    expect(state().pods.web!.ip).toContain(':');
    await until(() => ready() === true && endpoints().includes('web'));
    expect({ ready: ready(), endpoints: endpoints() }).toEqual({ ready: true, endpoints: ['web'] });
    const check = await podlab('check', name);
    expect(check.exitCode, check.stdout + check.stderr).toBe(0);
  }, 30_000);

  it("make-unready and make-ready wait for the IPv6 pod's /healthz (a bracketed URL too); the pod serves its Service again", async () => {
    const r = await podlab('scenario', name, 'flip');
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    await until(() => ready() === true && endpoints().includes('web'));
    expect({ ready: ready(), endpoints: endpoints() }).toEqual({ ready: true, endpoints: ['web'] });
  }, 40_000);
});
