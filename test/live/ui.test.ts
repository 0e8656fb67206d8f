/**
 * `podlab ui` in headless Chromium (Debian's /usr/bin/chromium, driven over the DevTools protocol:
 * test/live/cdp.ts) against a live lab, see-ui (flannel, three nodes, a Service, one check that
 * must fail): the page answers 403 without its token; with it, the topology SVG has every node
 * and every pod; a mouse click on "Run checks" shows each check's result and marks the failed
 * one on the drawing; clicking two pods in the drawing traces between them, lists the hops (each
 * confirmed by the probe) and draws the path. A screenshot is saved to test-artifacts/ui.png.
 * Then, in another "terminal" (the CLI, and a kill by pid), a pod is deleted and a container
 * crashes: the open page shows both — rows, endpoints, drawing, the changes in words — without a
 * reload (test-artifacts/ui-live.png).
 * Chromium, the ui process and the lab are removed in afterAll, by pid, also when a test fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { container, workloads, type LabSpec } from '../../src/index.ts';
import { readState } from '../../src/runtime/state.ts';
import { Browser, type Page } from './cdp.ts';
import { labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;
const name = 'see-ui';

const lab: LabSpec = {
  name,
  nodes: { 'control-plane': { role: 'control-plane' }, 'worker-1': {}, 'worker-2': {} },
  cni: 'flannel',
  pods: {
    'web-1': { node: 'worker-1', labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080))] },
    'web-2': { node: 'worker-2', labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080))] },
    client: { node: 'control-plane' },
  },
  services: { web: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
  checks: [
    { kind: 'http', from: 'client', to: 'svc/web', name: 'client reaches the Service' },
    { kind: 'ping', from: 'client', to: 'web-2', name: 'client pings web-2' },
    { kind: 'tcp', from: 'client', to: 'web-1', port: 8081, timeoutMs: 4000, name: 'wrong port' },
  ],
};

/** The ids of the drawing's boxes, from their <title>s. */
const boxes = (p: Page) => p.eval<string[]>(`[...document.querySelectorAll('#topology g.node > title')].map((t) => t.textContent)`);
/** A box of the drawing by id. */
const box = (id: string) => `[...document.querySelectorAll('#topology g.node')].find((g) => g.querySelector('title').textContent === ${JSON.stringify(id)})`;

describe.skipIf(!live)('podlab ui in headless Chromium (lab see-ui)', () => {
  let ui: ChildProcess | undefined;
  let url = '';
  let browser: Browser | undefined;
  let page: Page;
  let uiExit: Promise<number | null>;

  labAroundSuite(lab);
  beforeAll(async () => {
    ui = spawn('node', [BIN, 'ui', name, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    uiExit = new Promise((resolve) => ui!.once('exit', (code) => resolve(code)));
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => reject(new Error(`podlab ui printed no URL in 60 s: ${out} ${err}`)), 60_000);
      ui!.stderr!.on('data', (c: Buffer) => (err += c.toString()));
      ui!.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) {
          clearTimeout(timer);
          resolve((JSON.parse(out.split('\n')[0]!) as { url: string }).url);
        }
      });
    });
    browser = await Browser.launch();
    page = await browser.newPage();
  }, 180_000);

  // Runs before the lab's `down` (registered after it).
  afterAll(async () => {
    browser?.close();
    if (ui?.pid && ui.exitCode === null) {
      ui.kill('SIGKILL');
      await uiExit;
    }
  }, 60_000);

  it('prints a URL on 127.0.0.1 with a token; without the token, or with another, the page is 403', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32}$/);
    expect(await page.goto(url.replace(/\?token=.*/, ''))).toBe(403);
    expect(await page.eval<string>('document.body.innerText')).toContain('forbidden');
    // Another token: the first digit changed.
    expect(await page.goto(url.replace(/token=(.)/, (_, c: string) => `token=${c === '0' ? '1' : '0'}`))).toBe(403);
  });

  it('with the token: the live topology has every node and every pod; the pods, the Service and its endpoints are listed', async () => {
    expect(await page.goto(url)).toBe(200);
    const ids = await boxes(page);
    for (const n of ['control-plane', 'worker-1', 'worker-2']) expect(ids).toContain(`node/${n}/eth0`);
    for (const p of ['default/web-1', 'default/web-2', 'default/client', 'kube-system/coredns']) expect(ids).toContain(`pod/${p}`);
    expect(ids).toContain('svc/default/web');
    const pods = await page.eval<string[]>(`[...document.querySelectorAll('#pods tr.pod')].map((tr) => tr.innerText)`);
    expect(pods.find((t) => t.startsWith('default/web-2'))).toMatch(/10\.244\.2\.\d+\s+worker-2\s+running/);
    const endpoints = await page.eval<string>(`document.querySelector('tr[data-service="default/web"] .endpoints').innerText`);
    expect(endpoints).toMatch(/web-1 10\.244\.1\.\d+:8080/);
    expect(endpoints).toMatch(/web-2 10\.244\.2\.\d+:8080/);
  });

  it('a click on "Run checks" shows each check\'s result, and the failed check is marked on the drawing', async () => {
    await page.click(`document.getElementById('run-checks')`);
    await page.waitFor(`document.body.dataset.checks === 'done'`);
    const rows = await page.eval<{ name: string; status: string; seen: string }[]>(`[...document.querySelectorAll('tr.check')].map((tr) => ({ name: tr.cells[0].innerText, status: tr.dataset.status, seen: tr.querySelector('.seen').innerText }))`);
    expect(rows.map((r) => [r.name, r.status])).toEqual([
      ['client reaches the Service', 'pass'],
      ['client pings web-2', 'pass'],
      ['wrong port', 'fail'],
    ]);
    // The learner's why and the command to try.
    expect(rows[2]!.seen).toMatch(/refused: pod web-1 listens on TCP 8080/);
    expect(rows[2]!.seen).toContain(`try: podlab trace ${name} client web-1 --port 8081`);
    expect(await page.eval<string>(`document.getElementById('checks-summary').innerText`)).toBe('2 passed, 1 failed');
    const failed = await page.eval<string[]>(`[...document.querySelectorAll('#topology g.node.failed > title')].map((t) => t.textContent).sort()`);
    expect(failed).toEqual(['pod/default/client', 'pod/default/web-1']);
  }, 60_000);

  it('clicking two pods in the drawing traces between them: the hops, each confirmed, and the path drawn', async () => {
    await page.click(box('pod/default/client'));
    await page.waitFor(`document.getElementById('trace').innerText.includes('now click')`, 5000);
    await page.click(box('pod/default/web-2'));
    await page.waitFor(`document.body.dataset.trace`, 60_000);
    expect(await page.eval<string>(`document.getElementById('trace-error').innerText`)).toBe('');
    const hops = await page.eval<{ kind: string; status: string }[]>(`[...document.querySelectorAll('#hops li.hop')].map((li) => ({ kind: li.dataset.kind, status: li.dataset.status }))`);
    expect(hops.map((h) => h.kind)).toEqual(['route', 'veth', 'node-route', 'vxlan', 'bridge', 'deliver', 'reply']);
    expect(hops.filter((h) => h.status !== 'confirmed')).toEqual([]);
    expect(await page.eval<string>(`document.querySelector('#trace .outcome').dataset.outcome`)).toBe('delivered');
    // The path on the drawing: both pods, both VXLAN devices, the tunnel between them.
    const traced = await page.eval<string[]>(`[...document.querySelectorAll('#topology g.traced > title')].map((t) => t.textContent)`);
    for (const id of ['pod/default/client', 'pod/default/web-2', 'node/control-plane/flannel.1', 'node/worker-2/flannel.1']) expect(traced).toContain(id);
    expect(traced).toContain('node/control-plane/flannel.1:e->node/worker-2/flannel.1:e');
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(`${ARTIFACTS}ui.png`, await page.screenshot());
  }, 90_000);

  it('a trace the page cannot run says why (PL3115: which port)', async () => {
    await page.eval(`document.getElementById('trace-from').value = 'default/client'; document.getElementById('trace-to').value = 'default/client'; document.body.dataset.trace = ''`);
    await page.click(`document.getElementById('trace-go')`);
    await page.waitFor(`document.body.dataset.trace === 'error'`, 30_000);
    expect(await page.eval<string>(`document.getElementById('trace-error').innerText`)).toMatch(/^PL3115: which port of pod default\/client\?/);
  }, 60_000);

  it('a pod deleted and a container crashed in another terminal show on the open page, without a reload', async () => {
    expect(await page.goto(url)).toBe(200);
    await page.eval(`window.sameLoad = true`);
    await page.waitFor(`Number(document.body.dataset.updates) >= 1`, 10_000);
    const row = (pod: string) => `document.querySelector('#pods tr.pod[data-pod="default/${pod}"]')`;
    const r = await execa('node', [BIN, 'pod', 'delete', name, 'web-2'], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    // (While `pod delete` works, the page may show its processes exited first, then the pod deleted.)
    await page.waitFor(`${row('web-2')}.classList.contains('down') && ${row('web-2')}.innerText.includes('deleted')`, 10_000);
    await page.waitFor(`!document.querySelector('tr[data-service="default/web"] .endpoints').innerText.includes('web-2')`, 10_000);
    expect(await page.eval<string>(`document.querySelector('tr[data-service="default/web"] .endpoints').innerText`)).toMatch(/^web-1 10\.244\.1\.\d+:8080/);
    await page.waitFor(`document.getElementById('changes').innerText.includes('pod default/web-2 down (deleted)')`, 10_000);
    // The drawing: web-2 red and dashed.
    expect(await page.eval<boolean>(`!!${box('pod/default/web-2')}.querySelector('[fill="#fee2e2"]')`)).toBe(true);
    // A crash: web-1's program killed by pid, as a learner's kill would.
    const c = Object.values(readState(name)!.pods['web-1']!.containers)[0]!;
    process.kill(c.pid, 'SIGKILL');
    await page.waitFor(`${row('web-1')}.classList.contains('down')`, 10_000);
    expect(await page.eval<string>(`${row('web-1')}.innerText`)).toMatch(/container http-echo exited/);
    expect(await page.eval<boolean>(`window.sameLoad === true`)).toBe(true);
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(`${ARTIFACTS}ui-live.png`, await page.screenshot());
  }, 60_000);

  it('podlab graph of the live lab, with --checks: the deleted pod red and dashed, the failed checks at their ends', async () => {
    const r = await execa('node', [BIN, 'graph', name, '--checks', '--format', 'dot'], { reject: false, timeout: 60_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const box = (id: string) => r.stdout.split('\n').find((l) => l.trimStart().startsWith(`"${id}" [`)) ?? '';
    expect(box('pod/default/web-2')).toContain('style="rounded,filled,dashed"');
    expect(box('pod/default/web-2')).toContain('not running: deleted');
    expect(box('pod/default/web-2')).toContain('✗ check client pings web-2');
    expect(box('pod/default/web-1')).toContain('✗ check wrong port');
    expect(box('pod/default/client')).toContain('class="failed"');
    expect(r.stdout).toMatch(/^\/\/ Drawn by podlab from its record of lab see-ui .* Checks run: \d+ passed, [1-3] failed\.$/m);
    // Without --checks, nothing is marked failed; a lab file with --checks is refused (exit 2).
    expect((await execa('node', [BIN, 'graph', name, '--format', 'dot'], { reject: false })).stdout).not.toContain('✗ check');
    expect((await execa('node', [BIN, 'graph', 'labs/services.lab.ts', '--checks'], { reject: false })).exitCode).toBe(2);
  }, 90_000);

  it('Ctrl-C (SIGINT) stops podlab ui with exit code 0', async () => {
    ui!.kill('SIGINT');
    expect(await uiExit).toBe(0);
  }, 20_000);
});
