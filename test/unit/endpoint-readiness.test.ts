/**
 * A pod whose container has exited is not ready, and what a learner reads of its Service says so,
 * in a lab without control loops too (where nothing takes it out of the kube-proxy tables): the
 * EndpointSlice's condition ready: false, the Endpoints' notReadyAddresses (not in `kubectl get
 * endpoints`' column), `podlab get endpoints`, and `podlab status` (the endpoint kept, marked not
 * ready). Pure: labs/services.lab.ts seen up (test/unit/api-view.ts), web-1's container a process
 * that has exited (no pid above the kernel's pid_max exists).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { handle, type ApiRequest, type ApiResult } from '../../src/api/handlers.ts';
import type { K8sObject, LabView } from '../../src/api/types.ts';
import { render } from '../../src/cli/get.ts';
import { statusLines } from '../../src/cli/status.ts';
import { labStatus } from '../../src/runtime/status.ts';
import { upViewOf } from './api-view.ts';

const req = (path: string): ApiRequest => ({ method: 'GET', path, query: new URLSearchParams(), accept: 'application/json', contentType: 'application/json' });
const items = (view: LabView, path: string) => ((handle(view, req(path), 1) as Extract<ApiResult, { type: 'json' }>).body as unknown as { items: K8sObject[] }).items;

let view: LabView;
beforeAll(async () => {
  const up = await upViewOf('labs/services.lab.ts', 'ep-ready');
  // web-1's server was killed; the lab has no control loops, so its endpoint stays in the tables.
  const state = structuredClone(up.state);
  for (const c of Object.values(state.pods['web-1']!.containers)) Object.assign(c, { pid: 4_194_305, startTime: 1 });
  view = { ...up, state, status: labStatus(up.lab, state)! };
  expect(view.plan.loops).toBeUndefined();
});

describe("a dead container's pod in its Service's endpoints, without control loops", () => {
  it('the EndpointSlice says ready: false for it, true for the others', () => {
    const slice = items(view, '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices').find((s) => (s.metadata.labels as Record<string, string>)['kubernetes.io/service-name'] === 'web')!;
    const conditions = Object.fromEntries((slice.endpoints as { targetRef: { name: string }; conditions: { ready: boolean } }[]).map((e) => [e.targetRef.name, e.conditions.ready]));
    expect(conditions['web-1']).toBe(false);
    expect(Object.entries(conditions).filter(([pod]) => pod !== 'web-1').every(([, ready]) => ready)).toBe(true);
  });

  it('the Endpoints list it under notReadyAddresses, and podlab get endpoints leaves it out of ENDPOINTS', () => {
    const ep = items(view, '/api/v1/namespaces/default/endpoints').find((e) => e.metadata.name === 'web')!;
    const [subset] = ep.subsets as { addresses: { targetRef: { name: string } }[]; notReadyAddresses?: { targetRef: { name: string } }[] }[];
    expect(subset!.notReadyAddresses?.map((a) => a.targetRef.name)).toEqual(['web-1']);
    expect(subset!.addresses.map((a) => a.targetRef.name)).not.toContain('web-1');
    const ip = view.status.pods.find((p) => p.name === 'web-1')!.ip;
    const table = render(view.status, 'endpoints', { all: false, output: undefined, now: Date.now() });
    expect(table.split('\n').find((l) => l.startsWith('web '))).not.toContain(ip);
    const json = JSON.parse(render(view.status, 'endpoints', { all: false, output: 'json', now: Date.now() })) as { items: { metadata: { name: string }; subsets: { notReadyAddresses?: { ip: string }[] }[] }[] };
    expect(json.items.find((e) => e.metadata.name === 'web')!.subsets[0]!.notReadyAddresses).toEqual([expect.objectContaining({ ip })]);
  });

  it('podlab status keeps it in the endpoints (the tables still hold it), marked not ready', () => {
    const svc = view.status.services.find((s) => s.name === 'web')!;
    expect(svc.endpoints.find((e) => e.pod === 'web-1')).toMatchObject({ ready: false });
    const line = statusLines(view.status).find((l) => l.includes('endpoints:') && l.includes('web-1@'))!;
    expect(line).toMatch(/web-1@\S+ \(worker-\d, not ready\)/);
  });

  it("kubectl's STATUS column is the container's end, Error, as podlab get prints it (it said NotReady)", () => {
    const table = (handle(view, { ...req('/api/v1/namespaces/default/pods'), accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' }, 1) as Extract<ApiResult, { type: 'json' }>).body as unknown as { rows: { cells: unknown[] }[] };
    expect(table.rows.find((r) => r.cells[0] === 'web-1')!.cells.slice(1, 3)).toEqual(['0/1', 'Error']);
    expect(render(view.status, 'pods', { all: false, output: undefined, now: Date.now() }).split('\n').find((l) => l.startsWith('web-1 '))).toMatch(/^web-1 +0\/1 +Error /);
  });
});
