/**
 * `podlab ui` without root: the server against a recorded live state (a state.json under a
 * temporary PODLAB_STATE_ROOT, pods "alive" as this process): it listens on 127.0.0.1 only, answers
 * 403 without its token, with another token or for another Host, serves the page with the live
 * drawing, every pod and Service, and refuses bad trace requests; its live updates (server-sent
 * events) follow the state: a pod deleted after the page opened arrives as an update naming it;
 * the page escapes what a lab file wrote; failed checks are marked on the boxes at their ends.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/plan/plan.ts';
import type { LabState } from '../../src/runtime/state.ts';
import type { UiModel } from '../../src/ui/page.ts';

// The state root is read when the constants load: set it before importing podlab.
const root = mkdtempSync(join(tmpdir(), 'podlab-ui-'));
process.env.PODLAB_STATE_ROOT = root;
const { compileLab } = await import('../../src/compile/compile.ts');
const { buildPlan } = await import('../../src/plan/plan.ts');
const { buildGraph } = await import('../../src/render/graph/model.ts');
const { recordOf } = await import('../../src/runtime/procs.ts');
const { changesOf, checkBoxes, failedMarks, renderPage } = await import('../../src/ui/page.ts');
const { startUi } = await import('../../src/ui/server.ts');
const { liveGraphFacts } = await import('../../src/runtime/live-graph.ts');
const { graphToDot } = await import('../../src/render/graph/dot.ts');

/** A raw HTTP request (fetch would not let the test send its own Host header). */
function get(port: number, path: string, opts: { method?: string; host?: string; body?: string; type?: string } = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: { host: opts.host ?? `127.0.0.1:${port}`, ...(opts.type ? { 'content-type': opts.type } : {}) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(parts).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

let plan: Plan;
let ui: Awaited<ReturnType<typeof startUi>>;

beforeAll(async () => {
  plan = buildPlan((await compileLab('labs/pod-networking.lab.ts')).lab!);
  const alive = recordOf(process.pid);
  const state: LabState = {
    lab: plan.lab,
    status: 'up',
    createdAt: new Date().toISOString(),
    steps: [],
    plan,
    pods: Object.fromEntries(plan.pods.filter((p) => p.name !== 'web-2').map((p) => [p.name, { pause: alive, ip: p.ip, containers: {} }])),
  };
  mkdirSync(join(root, plan.lab));
  writeFileSync(join(root, plan.lab, 'state.json'), JSON.stringify(state));
  ui = await startUi(plan.lab);
}, 60_000);

afterAll(async () => {
  await ui?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('podlab ui server (recorded live state)', () => {
  it('listens on 127.0.0.1 at a free port, with a 32-hex-digit token in its URL', () => {
    expect(ui.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${ui.port}/\\?token=[0-9a-f]{32}$`));
    expect(ui.port).toBeGreaterThan(0);
  });

  it('403 without the token, with another token, for another Host; the script and the API too', async () => {
    const wrong = ui.token.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
    for (const path of ['/', `/?token=${wrong}`, '/?token=', `/?token=${ui.token}x`, '/app.js', '/api/view', `/api/view?token=${wrong}`]) expect((await get(ui.port, path)).status, path).toBe(403);
    expect((await get(ui.port, '/api/checks', { method: 'POST', body: '{}', type: 'application/json' })).status).toBe(403);
    expect((await get(ui.port, `/?token=${ui.token}`, { host: `attacker.example:${ui.port}` })).status).toBe(403);
  });

  it('the page: the live drawing with every node and pod, the pods (a deleted one down), Services, checks, the script with its token', async () => {
    const r = await get(ui.port, `/?token=${ui.token}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['content-security-policy']).toContain("script-src 'self'");
    expect(r.body).toContain(`<script src="/app.js?token=${ui.token}"></script>`);
    // Graphviz writes '-' in a title as &#45;.
    const title = (id: string) => `<title>${id.replace(/-/g, '&#45;')}</title>`;
    for (const n of plan.nodes) expect(r.body).toContain(title(`node/${n.name}/${n.iface}`));
    for (const p of plan.pods) {
      expect(r.body).toContain(title(`pod/${p.namespace}/${p.name}`));
      expect(r.body).toContain(`data-pod="${p.namespace}/${p.name}"`);
    }
    expect(r.body).toMatch(/<tr class="pod down" data-pod="default\/web-2">.*not running: deleted/);
    expect(r.body).toContain('data-service="kube-system/kube-dns"');
    expect(r.body.match(/<tr class="check" data-index="\d+" data-status="not-run">/g)).toHaveLength(plan.checks.length);
    const js = await get(ui.port, `/app.js?token=${ui.token}`);
    expect(js.status).toBe(200);
    expect(js.body).toContain("api('/api/checks'");
  });

  it('a bad trace request is 400 with why; an unknown pod is PL3110 naming the pods there are', async () => {
    const post = (body: string, type = 'application/json') => get(ui.port, `/api/trace?token=${ui.token}`, { method: 'POST', body, type });
    expect((await post('{"from":"client"}')).status).toBe(400);
    expect(JSON.parse((await post('{"from":"client","to":"web","port":70000}')).body).error).toBe('"port" is a number 1-65535');
    expect(JSON.parse((await post('{"from":"client","to":"a b"}')).body).error).toMatch(/needs "from" and "to"/);
    expect((await post('not json')).status).toBe(400);
    expect((await post('{}', 'text/plain')).status).toBe(415);
    const unknown = await post('{"from":"nobody","to":"web","port":8080}');
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.body)).toMatchObject({ code: 'PL3110', error: `lab "${plan.lab}" has no pod "nobody"` });
    expect(JSON.parse(unknown.body).hint).toContain('default/client');
    expect((await get(ui.port, `/nowhere?token=${ui.token}`)).status).toBe(404);
  });

  it('live updates: 403 without the token; with it, the view at once, then a pod deleted later arrives as a change', async () => {
    expect((await get(ui.port, '/api/events')).status).toBe(403);
    const events: { event: string; data: { pods: string; services: string; changes: string[] } }[] = [];
    let buffer = '';
    const req = request({ host: '127.0.0.1', port: ui.port, path: `/api/events?token=${ui.token}`, headers: { host: `127.0.0.1:${ui.port}` } }, (res) => {
      expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      res.on('data', (c: Buffer) => {
        buffer += c.toString();
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = block.match(/^event: (.*)$/m)?.[1];
          const data = block.match(/^data: (.*)$/m)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      });
    });
    req.end();
    const until = async (what: () => boolean) => {
      for (const end = Date.now() + 5000; !what(); await new Promise((r) => setTimeout(r, 20))) if (Date.now() > end) throw new Error(`no such event in 5 s: ${JSON.stringify(events.map((e) => e.data.changes))}`);
    };
    try {
      await until(() => events.length >= 1);
      expect(events[0]!.event).toBe('update');
      expect(events[0]!.data.pods).toMatch(/<tr class="pod down" data-pod="default\/web-2">/);
      expect(events[0]!.data.pods).toMatch(/<tr class="pod running" data-pod="default\/client">/);
      // Another terminal deletes client: the state says so, and the page hears it.
      const file = join(root, plan.lab, 'state.json');
      const state = JSON.parse(readFileSync(file, 'utf8')) as LabState;
      delete state.pods.client;
      writeFileSync(file, JSON.stringify(state));
      await until(() => events.some((e) => e.data.changes.includes('pod default/client down (deleted)')));
      expect(events.at(-1)!.data.pods).toMatch(/<tr class="pod down" data-pod="default\/client">/);
    } finally {
      req.destroy();
    }
  });
});

/** Records a lab as up under the state root, every pod alive (as this process); `control` its loops-control.json. */
async function recordLab(file: string, control?: object): Promise<Plan> {
  const p = buildPlan((await compileLab(file)).lab!);
  const alive = recordOf(process.pid);
  const state: LabState = { lab: p.lab, status: 'up', createdAt: new Date().toISOString(), steps: [], plan: p, pods: Object.fromEntries(p.pods.map((x) => [x.name, { pause: alive, ip: x.ip, containers: {} }])) };
  mkdirSync(join(root, p.lab), { recursive: true });
  writeFileSync(join(root, p.lab, 'state.json'), JSON.stringify(state));
  if (control) writeFileSync(join(root, p.lab, 'loops-control.json'), JSON.stringify(control));
  return p;
}

describe('the live drawing from the recorded state (what podlab graph <name> and the page draw)', () => {
  it('a deleted pod has no IP (as status shows -), not the address it released', () => {
    const facts = liveGraphFacts(plan.lab)!;
    expect(facts.live.pods['web-2']).toMatchObject({ state: 'down', ips: [] });
    const web2 = buildGraph(facts.plan, facts.live).nodes.find((n) => n.id === 'pod/default/web-2')!;
    expect(web2.ips).toEqual([]);
    expect(web2.label[1]).toBe('no IP');
    expect(web2.label.join(' ')).not.toContain('10.244.2.2');
  });

  it('dual stack: every pod address in both families, the IPv6-only Service to IPv6 endpoints', async () => {
    const p = await recordLab('labs/dual-stack.lab.ts');
    const facts = liveGraphFacts(p.lab)!;
    const g = buildGraph(facts.plan, facts.live);
    expect(g.nodes.find((n) => n.id === 'pod/default/web-1')).toMatchObject({ ips: ['10.244.1.2', 'fd00:10:244:1::2'] });
    expect(g.edges.filter((e) => e.kind === 'endpoint' && e.to === 'svc/default/web-v6').map((e) => e.label)).toEqual([['[fd00:10:244:1::2]:8080'], ['[fd00:10:244:2::2]:8080']]);
    expect(g.nodes.find((n) => n.id === 'svc/default/web')!.label).toContain('ClusterIP 10.96.0.1, fd00:10:96::1');
  });

  it('a failed node (podlab node fail): drawn failed on the page, named in its view, and the change said in words', async () => {
    const p = await recordLab('labs/self-healing.lab.ts', { failedNodes: { 'worker-2': Date.now() }, replicas: {}, env: {} });
    const facts = liveGraphFacts(p.lab)!;
    expect(facts.live.failedNodes).toEqual(['worker-2']);
    const g = buildGraph(facts.plan, facts.live);
    expect(g.clusters.find((c) => c.id === 'node/worker-2')?.state).toBe('failed');
    expect(g.nodes.find((n) => n.id === 'node/worker-2/eth0')?.state).toBe('down');
    expect(g.edges.filter((e) => e.state === 'down').map((e) => `${e.kind} ${e.from} ${e.to}`)).toEqual([
      'wire net/nodes node/worker-2/eth0',
      'tunnel node/worker-1/flannel.1 node/worker-2/flannel.1',
      'tunnel node/worker-2/flannel.1 node/worker-3/flannel.1',
    ]);
    const other = await startUi(p.lab);
    try {
      const view = JSON.parse((await get(other.port, `/api/view?token=${other.token}`)).body) as UiModel;
      expect(view.failedNodes).toEqual(['worker-2']);
      // Graphviz writes '-' in text as &#45;.
      expect(view.svg).toContain('node worker&#45;2 failed (NotReady)');
      expect(view.svg).toContain('node failed (NotReady), its link and tunnels down');
      expect(view.svg).toContain('DOWN, no carrier (node failed)');
      expect(view.svg.match(/<g id="clust\d+" class="cluster down">/g)).toHaveLength(1);
    } finally {
      await other.close();
    }
    const m = { pods: [], services: [], checks: [] };
    expect(changesOf({ ...m, failedNodes: [] }, { ...m, failedNodes: ['worker-2'] })).toEqual(['node worker-2 failed (NotReady, link down)']);
    expect(changesOf({ ...m, failedNodes: ['worker-2'] }, { ...m, failedNodes: [] })).toEqual(['node worker-2 restored']);
  });
});

describe('the page (pure)', () => {
  it('names what changed between two views: pods down and back, endpoints, check results', () => {
    const pod = (name: string, state: 'running' | 'down', why?: string) => ({ namespace: 'default', name, node: 'w', ips: state === 'running' ? ['10.244.1.2'] : [], state, ...(why ? { why } : {}) });
    const svc = (endpoints: string[]) => ({ namespace: 'default', name: 'web', type: 'ClusterIP', address: '10.96.0.1', ports: [], endpoints });
    const a = { pods: [pod('web-1', 'running'), pod('web-2', 'running')], services: [svc(['web-1 10.244.1.2:8080 (w)', 'web-2 10.244.1.3:8080 (w)'])], checks: [{ index: 0, name: 'c', kind: 'tcp' }] };
    const b = { pods: [pod('web-1', 'running'), pod('web-2', 'down', 'not running: deleted')], services: [svc(['web-1 10.244.1.2:8080 (w)'])], checks: [{ index: 0, name: 'c', kind: 'tcp', result: { status: 'fail' as const, expected: '', seen: '', command: '', ms: 1 } }] };
    expect(changesOf(a, b)).toEqual(['pod default/web-2 down (deleted)', 'Service default/web: 1 endpoint (web-1)', 'checks: 0 passed, 1 failed']);
    expect(changesOf(b, a)).toEqual(['pod default/web-2 running again at 10.244.1.2', 'Service default/web: 2 endpoints (web-1, web-2)']);
    expect(changesOf(a, a)).toEqual([]);
  });

  it('escapes what a lab wrote: names, check output, trace text', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const m: UiModel = {
      lab: 'x',
      source: evil,
      cni: 'flannel',
      svg: '<svg></svg>',
      pods: [{ namespace: 'default', name: evil, node: 'n', ips: ['10.0.0.1'], state: 'running' }],
      services: [],
      ends: { from: [evil], to: [evil] },
      failedNodes: [],
      checks: [{ index: 0, name: evil, kind: 'http', result: { status: 'fail', expected: '', seen: evil, command: evil, ms: 1 } }],
      trace: { request: evil, outcome: 'dropped', reason: evil, hops: [{ kind: 'route', at: evil, linux: evil, k8s: evil, status: 'dropped' }] },
    };
    const html = renderPage(m, 'tok"en');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('/app.js?token=tok%22en');
  });

  it('a failed check marks the boxes at its two ends; a passing one marks nothing', () => {
    const g = buildGraph(plan);
    const http = plan.checks.find((c) => c.kind === 'http')!;
    expect(checkBoxes(g, http)).toEqual(['pod/default/client', 'pod/default/web-2']);
    const r = { index: http.index, name: http.name, kind: http.kind, expected: '', seen: '', command: '', attempts: 1, ms: 1 };
    expect(failedMarks(g, plan.checks, [{ ...r, status: 'fail' }])).toEqual({ 'pod/default/client': [http.name], 'pod/default/web-2': [http.name] });
    expect(failedMarks(g, plan.checks, [{ ...r, status: 'pass' }])).toEqual({});
  });

  it("a failed matrix marks the two ends of each failed cell (its pods and Services), naming the cells; a passing one nothing", async () => {
    const np = buildPlan((await compileLab('labs/network-policy.lab.ts')).lab!);
    const g = buildGraph(np);
    const m = np.checks.find((c) => c.kind === 'matrix')!;
    if (m.kind !== 'matrix') throw new Error('a matrix');
    const { rows, cols } = m.matrix;
    const at = (from: string, to: string) => rows.indexOf(from) * cols.length + cols.findIndex((c) => c.startsWith(to));
    // As after `podlab label network-policy y-a role=client`: the cells into s-y-a from x-b, y-b and z-c differ.
    const failing = new Set([at('x-b', 'svc/y/s-y-a'), at('y-b', 'svc/y/s-y-a'), at('z-c', 'svc/y/s-y-a')]);
    const cell = (i: number) => ({ index: m.index, name: `cell ${i}`, kind: 'tcp' as const, status: failing.has(i) ? ('fail' as const) : ('pass' as const), expected: '', seen: '', command: '', attempts: 1, ms: 1 });
    const r = { index: m.index, name: m.name, kind: m.kind, status: 'fail' as const, expected: '', seen: '', command: '', attempts: 1, ms: 1, matrix: { rows, cols, cells: m.matrix.cells.map((_, i) => cell(i)) } };
    const marks = failedMarks(g, np.checks, [r]);
    expect(Object.keys(marks).sort()).toEqual(['pod/x/x-b', 'pod/y/y-b', 'pod/z/z-c', 'svc/y/s-y-a']);
    expect(marks['pod/x/x-b']).toEqual([`${m.name} (x-b → svc/y/s-y-a:80)`]);
    expect(marks['svc/y/s-y-a']).toEqual([`${m.name} (x-b → svc/y/s-y-a:80, y-b → svc/y/s-y-a:80, z-c → svc/y/s-y-a:80)`]);
    expect(graphToDot(g, 'b', { failed: marks })).toMatch(/"svc\/y\/s-y-a" \[label=.*✗ check .*class="failed"/);
    // Four failed cells into one box: three named, the rest counted.
    failing.add(at('z-a', 'svc/y/s-y-a'));
    const more = failedMarks(g, np.checks, [{ ...r, matrix: { rows, cols, cells: m.matrix.cells.map((_, i) => cell(i)) } }]);
    expect(more['svc/y/s-y-a']![0]).toMatch(/, 1 more\)$/);
    expect(failedMarks(g, np.checks, [{ ...r, status: 'pass' }])).toEqual({});
  });
});
