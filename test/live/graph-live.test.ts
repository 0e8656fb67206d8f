/**
 * `podlab graph <name>` and `podlab ui` against the kernel: what the live drawing says is what the
 * lab's namespaces hold. On fg-gl-ds (dual stack, kubenet, control loops, a matrix with one cell
 * that must fail): every pod's addresses in both families as `ip addr` has them, the IPv6-only
 * Service's endpoints as kube-proxy's `ip6` table has them (bracketed), the dual-stack Service's
 * cluster IPs, node links and the pod bridge (kubenet's cbr0) in both families; `--checks` and the page's `POST /api/checks`
 * mark the failed matrix cell at its two ends; `podlab node fail` draws the node failed (its link
 * DOWN, NO-CARRIER in the kernel) on the graph and the page, and `node restore` draws it as before;
 * a deleted pod has no IP. On fg-gl-cal (calico): each pod's veth is named as the node has it
 * (`cali…`). Both labs, and the ui process (by pid), are removed in afterAll, also on failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { container, workloads, type LabSpec } from '../../src/index.ts';
import { calicoLab } from './calico-lab.ts';
import { inLab, labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;

interface JsonGraph {
  title: string;
  nodes: { id: string; kind: string; label: string[]; ips: string[]; state?: string }[];
  edges: { from: string; to: string; kind: string; label?: string[]; state?: string }[];
  clusters: { id: string; label: string[]; state?: string }[];
  failedChecks?: Record<string, string[]>;
  checks?: { total: number; passed: number; failed: number };
}

async function graph(lab: string, ...args: string[]): Promise<JsonGraph> {
  const r = await execa('node', [BIN, 'graph', lab, '-f', 'json', ...args], { reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as JsonGraph;
}
const cli = (...args: string[]) => execa('node', [BIN, ...args], { reject: false });

const ds: LabSpec = {
  name: 'fg-gl-ds',
  ipFamilies: ['IPv4', 'IPv6'],
  cni: 'kubenet',
  nodes: { cp: { role: 'control-plane' }, w1: {}, w2: {} },
  loops: {},
  pods: {
    'web-1': { node: 'w1', labels: { app: 'web' }, containers: [container(workloads.httpEcho())] },
    'web-2': { node: 'w2', labels: { app: 'web' }, containers: [container(workloads.httpEcho())] },
    client: { node: 'w1' },
  },
  services: {
    web: { selector: { app: 'web' }, ipFamilyPolicy: 'PreferDualStack', ports: [{ port: 80, targetPort: 8080 }] },
    'web-v6': { selector: { app: 'web' }, ipFamilies: ['IPv6'], ports: [{ port: 80, targetPort: 8080 }] },
  },
  dns: false,
  checks: [{ kind: 'matrix', name: 'client to the webs', probe: 'tcp', from: ['client'], to: ['web-1:8080', 'web-2:8081'], timeoutMs: 2000 }],
};

describe.skipIf(!live)('the live graph against the kernel (lab fg-gl-ds: dual stack, a matrix, node failure)', () => {
  const state = labAroundSuite(ds).lab;
  let ui: ChildProcess | undefined;

  // Runs before the lab's `down` (registered after it).
  afterAll(() => {
    if (ui?.pid && ui.exitCode === null) ui.kill('SIGINT');
  });

  it('every family: pods as ip addr has them, the IPv6-only Service to the IPv6 endpoints of kube-proxy ip6 table, cluster IPs, node links and the kubenet bridge cbr0', async () => {
    const g = await graph(ds.name);
    const node = (id: string) => g.nodes.find((n) => n.id === id)!;
    for (const pod of ['web-1', 'web-2', 'client']) {
      const ips = node(`pod/default/${pod}`).ips;
      expect(ips, pod).toHaveLength(2);
      const addr = (await inLab(state(), pod, ['ip', '-o', 'addr', 'show', 'eth0'])).stdout;
      for (const a of ips) expect(addr, `${pod} ${a}`).toContain(` ${a}/`);
      expect(node(`pod/default/${pod}`).label[1]).toBe(ips.join(', '));
    }
    const web1v6 = node('pod/default/web-1').ips.find((a) => a.includes(':'))!;
    const v6ends = g.edges.filter((e) => e.kind === 'endpoint' && e.to === 'svc/default/web-v6');
    expect(v6ends.map((e) => e.label)).toContainEqual([`[${web1v6}]:8080`]);
    for (const e of v6ends) expect(e.label!.join(' ')).not.toMatch(/\d+\.\d+\.\d+\.\d+/);
    const nft6 = (await inLab(state(), 'node/w1', ['nft', 'list', 'table', 'ip6', 'podlab'])).stdout;
    for (const e of v6ends) expect(nft6).toContain(`${/^\[(.*)\]:(\d+)$/.exec(e.label![0]!)![1]} . 8080`);
    const web = node('svc/default/web');
    expect(web.ips.filter((a) => a.includes(':'))).toHaveLength(1);
    expect(web.label[1]).toBe(`ClusterIP ${web.ips.join(', ')}`);
    const link = node('node/w1/eth0');
    const linkAddr = (await inLab(state(), 'node/w1', ['ip', '-o', 'addr', 'show', 'eth0'])).stdout;
    expect(link.ips).toHaveLength(2);
    for (const a of link.ips) expect(linkAddr).toContain(` ${a}/`);
    const cbr0 = node('node/w1/cbr0');
    const cniAddr = (await inLab(state(), 'node/w1', ['ip', '-o', 'addr', 'show', 'cbr0'])).stdout;
    expect(cbr0.ips).toHaveLength(2);
    for (const a of cbr0.ips) expect(cniAddr).toContain(` ${a}/`);
  }, 60_000);

  it('--checks and the page mark the failed matrix cell at its two ends', async () => {
    const g = await graph(ds.name, '--checks');
    // One check (the matrix), failed by its one cell that must fail.
    expect(g.checks).toEqual({ total: 1, passed: 0, failed: 1 });
    expect(g.failedChecks).toEqual({
      'pod/default/client': ['client to the webs (client → web-2:8081)'],
      'pod/default/web-2': ['client to the webs (client → web-2:8081)'],
    });
    ui = spawn('node', [BIN, 'ui', ds.name, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      ui!.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve((JSON.parse(line) as { url: string }).url);
      });
      ui!.once('exit', (code) => reject(new Error(`podlab ui exited ${code}`)));
    });
    const u = new URL(url);
    const r = await fetch(`${u.origin}/api/checks${u.search}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const body = (await r.json()) as { results: { status: string }[]; svg: string };
    expect(body.results.map((x) => x.status)).toEqual(['fail']);
    const failedBoxes = [...body.svg.matchAll(/<g id="node\d+" class="node failed">\s*<title>([^<]*)<\/title>/g)].map((m) => m[1]!.replace(/&#45;/g, '-')).sort();
    expect(failedBoxes).toEqual(['pod/default/client', 'pod/default/web-2']);
    expect(body.svg).toContain('✗ check client to the webs (client → web&#45;2:8081)');

    // node fail: the kernel unplugs the link; the graph and the open page draw the node failed.
    expect((await cli('node', 'fail', ds.name, 'w2')).exitCode).toBe(0);
    expect((await inLab(state(), 'node/w2', ['ip', '-o', 'link', 'show', 'eth0'])).stdout).toMatch(/NO-CARRIER.*state DOWN/);
    const failed = await graph(ds.name);
    expect(failed.title).toContain('node w2 failed (NotReady)');
    expect(failed.clusters.find((c) => c.id === 'node/w2')).toMatchObject({ state: 'failed' });
    expect(failed.nodes.find((n) => n.id === 'node/w2/eth0')).toMatchObject({ state: 'down' });
    expect(failed.edges.filter((e) => e.state === 'down').map((e) => `${e.kind} ${e.from} ${e.to}`)).toEqual(['wire net/nodes node/w2/eth0', 'route node/cp/eth0 node/w2/eth0', 'route node/w1/eth0 node/w2/eth0']);
    const view = (await (await fetch(`${u.origin}/api/view${u.search}`)).json()) as { failedNodes: string[]; svg: string };
    expect(view.failedNodes).toEqual(['w2']);
    expect(view.svg).toContain('node failed (NotReady), its link and routes down');
    expect((await cli('node', 'restore', ds.name, 'w2')).exitCode).toBe(0);
    // The node is Ready again once the agent's next round sees it (as a kubelet's next status post): a moment later.
    let restored = await graph(ds.name);
    for (const deadline = Date.now() + 15_000; restored.clusters.some((c) => c.state) && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 200));
      restored = await graph(ds.name);
    }
    expect(restored.clusters.some((c) => c.state)).toBe(false);
    expect(restored.edges.some((e) => e.state === 'down')).toBe(false);
  }, 90_000);

  it('a deleted pod has no IP, as status shows it', async () => {
    expect((await cli('pod', 'delete', ds.name, 'client')).exitCode).toBe(0);
    const status = JSON.parse((await cli('status', ds.name, '--json')).stdout) as { pods: { name: string; running: boolean }[] };
    expect(status.pods.find((p) => p.name === 'client')?.running).toBe(false);
    const g = await graph(ds.name);
    const client = g.nodes.find((n) => n.id === 'pod/default/client')!;
    expect(client).toMatchObject({ state: 'down', ips: [] });
    expect(client.label.slice(1)).toEqual(['no IP', 'not running: deleted']);
  }, 60_000);
});

const cal = calicoLab('fg-gl-cal', 'calico');

describe.skipIf(!live)('the live graph against the kernel (lab fg-gl-cal: calico)', () => {
  const state = labAroundSuite(cal).lab;

  it("each pod's veth edge names the host end the node has (cali…)", async () => {
    const g = await graph(cal.name);
    for (const [pod, node] of [['a', 'w1'], ['b', 'w1'], ['c', 'w2']] as const) {
      const e = g.edges.find((x) => x.kind === 'veth' && x.to === `pod/default/${pod}`)!;
      const name = /^(cali[0-9a-f]{11}) ⇄ eth0$/.exec(e.label![0]!)?.[1];
      expect(name, `${pod}: ${e.label}`).toBeDefined();
      expect((await inLab(state(), `node/${node}`, ['ip', '-o', 'link', 'show', name!])).stdout).toContain(`${name}@`);
    }
  }, 60_000);
});
