/**
 * The `podlab ui` page's Pods and Services tables in headless Chromium (no lab needed: the page is
 * rendered from a model with a dual-stack lab's addresses and served on 127.0.0.1): an address, a
 * Service's type or an endpoint is never broken across lines, where `10.96.0.1` over `0` reads as
 * another address; an IPv6 endpoint is bracketed before its ports; and a drawing wider than the
 * page is shrunk no further than 80% of its size (below that its labels cannot be read): it scrolls.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPage, statusParts, type UiModel } from '../../src/ui/page.ts';
import type { LabStatus } from '../../src/runtime/status.ts';
import type { Graph } from '../../src/render/graph/model.ts';
import { Browser, CHROMIUM, type Page } from './cdp.ts';

const pod = (name: string, node: string, ips: string[]) => ({ namespace: 'default', name, node, ips, state: 'running' as const });
const model: UiModel = {
  lab: 'sn-tables',
  source: 'labs/dual-stack.lab.ts',
  cni: 'kubenet',
  // A drawing twice as wide as the window, as the ingress and dual-stack labs' are.
  svg: '<svg xmlns="http://www.w3.org/2000/svg" width="3200" height="300" viewBox="0 0 3200 300"><text x="10" y="150" font-size="14">worker-1</text></svg>',
  pods: [pod('web-1', 'worker-1', ['10.244.1.2', 'fd00:10:244:1::2']), pod('client', 'worker-1', ['10.244.1.3', 'fd00:10:244:1::3'])],
  services: [
    { namespace: 'kube-system', name: 'kube-dns', type: 'ClusterIP', address: '10.96.0.10, fd00:10:96::a', ports: ['53/UDP→53', '53/TCP→53', '9153/TCP→9153'], endpoints: ['coredns 10.244.0.2:53,53,9153 (control-plane)'] },
    { namespace: 'default', name: 'web-lb', type: 'LoadBalancer', address: '10.96.0.3, fd00:10:96::3, lb 172.16.94.241, fd00:172:16:94::f1', ports: ['80:30000/TCP→8080'], endpoints: ['web-1 10.244.1.2:8080 (worker-1)', 'web-2 10.244.2.2:8080 (worker-2)'] },
    { namespace: 'default', name: 'web-v6', type: 'ClusterIP', address: 'fd00:10:96::2', ports: ['80/TCP→8080'], endpoints: ['web-1 [fd00:10:244:1::2]:8080 (worker-1)'] },
  ],
  ends: { from: ['default/client'], to: ['default/web-1'] },
  failedNodes: [],
  checks: [{ index: 0, name: 'client reaches web over IPv6 through the Service in both families, the long way round', kind: 'http' }],
};

describe.skipIf(!existsSync(CHROMIUM))('the ui page\'s tables in headless Chromium', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  let url = '';
  beforeAll(async () => {
    const html = renderPage(model, 'tok');
    server = createServer((req, res) => {
      res.writeHead(req.url?.startsWith('/?') || req.url === '/' ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
      res.end(req.url?.startsWith('/?') || req.url === '/' ? html : '');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/?token=tok`;
    browser = await Browser.launch();
    page = await browser.newPage();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it('no address, type or endpoint is broken across lines', async () => {
    expect(await page.goto(url)).toBe(200);
    // Each token (an address, a port, a type) of each cell: on one line when its text's boxes share one top.
    const broken = await page.eval<string[]>(`(() => {
      const out = [];
      for (const td of document.querySelectorAll('#pods td, #services td')) {
        const walk = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
        for (let node = walk.nextNode(); node; node = walk.nextNode()) {
          const s = node.textContent;
          for (const m of s.matchAll(/[^\\s,]+/g)) {
            const r = document.createRange();
            r.setStart(node, m.index);
            r.setEnd(node, m.index + m[0].length);
            const tops = new Set([...r.getClientRects()].map((b) => Math.round(b.top)));
            if (tops.size > 1) out.push(m[0]);
          }
        }
      }
      return out;
    })()`);
    expect(broken).toEqual([]);
  }, 60_000);

  it('a drawing wider than the page is shrunk at most to 80% (its labels stay readable) and the box scrolls', async () => {
    expect(await page.goto(url)).toBe(200);
    const seen = await page.eval<{ svg: number; box: number; scroll: number }>(`(() => {
      const box = document.getElementById('topology');
      return { svg: box.querySelector('svg').getBoundingClientRect().width, box: box.clientWidth, scroll: box.scrollWidth };
    })()`);
    expect(seen.svg).toBeGreaterThanOrEqual(3200 * 0.8 - 1);
    expect(seen.svg).toBeLessThanOrEqual(3200);
    expect(seen.scroll).toBeGreaterThan(seen.box);
  }, 60_000);

  it("an IPv6 endpoint is bracketed before its ports in the Services table", () => {
    const status = {
      pods: [],
      services: [{ namespace: 'default', name: 'web-v6', type: 'ClusterIP', clusterIP: 'fd00:10:96::2', clusterIPs: ['fd00:10:96::2'], ports: ['80/TCP→8080'], endpoints: [{ pod: 'web-1', node: 'worker-1', ip: 'fd00:10:244:1::2', ports: { http: 8080 }, ready: true }] }],
      nodes: [],
      hosts: [],
    } as unknown as LabStatus;
    const graph = { nodes: [], edges: [], clusters: [] } as unknown as Graph;
    expect(statusParts(status, graph).services[0]!.endpoints).toEqual(['web-1 [fd00:10:244:1::2]:8080 (worker-1)']);
  });
});
