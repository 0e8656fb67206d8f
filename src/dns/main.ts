/**
 * podlab-dns: the process that runs in the kube-system/coredns pod (and on upstream DNS hosts).
 * It takes CoreDNS's own flags, reads the Corefile, checks it like `podlab validate` does, and
 * serves it. The cluster data the `kubernetes` plugin answers from is a JSON file beside the
 * Corefile that podlab rewrites as pods and endpoints change (the API server's watch, in
 * miniature); it is re-read when it changes. The Corefile is re-read on SIGUSR1, and by the
 * `reload` plugin when its text changes; a Corefile that does not load leaves the old one serving.
 *
 *   podlab-dns -conf /etc/coredns/Corefile [-dns.port 53] [-cluster FILE] [-podlab.wait-network]
 *
 * -podlab.ipv6: serve on '::' as well as on 0.0.0.0 (a dual-stack lab's cluster DNS).
 * -podlab.wait-network: load the Corefile now, but bind and serve only once the network namespace
 * has a default route (podlab starts the server while its pod's CNI call runs; see network.ts).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, watchFile } from 'node:fs';
import { dirname, join } from 'node:path';
import { CLUSTER_DNS_FILES, loadCorefile } from './corefile/setup.ts';
import { startOps } from './ops.ts';
import { buildPlugins } from './plugin/handlers.ts';
import type { LoopPlugin } from './plugin/loop/handler.ts';
import { DnsServer } from './server.ts';
import { IPV6_FLAG, LISTENING_HOOK, LISTENING_MARK } from './marks.ts';
import { closeUnused, inheritedSockets } from './activation.ts';
import { namespaceHasDefaultRoute, WAIT_NETWORK_FLAG, waitUntil } from './network.ts';
import type { ClusterView, ServerConfig } from './types.ts';


export const VERSION_LINE = 'CoreDNS-1.11.3 (podlab-dns, CoreDNS-compatible)';

function flag(args: string[], name: string): string | undefined {
  const i = args.findIndex((a) => a === name || a === `-${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

const log = (line: string) => process.stdout.write(`${line}\n`);

const EMPTY_VIEW: ClusterView = { namespaces: [], services: [], endpoints: [], pods: [] };

function filesBeside(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir)) {
    try {
      if (statSync(join(dir, name)).isFile() && name !== 'cluster.json') out[name] = readFileSync(join(dir, name), 'utf8');
    } catch {
      /* vanished meanwhile */
    }
  }
  return out;
}

function load(conf: string, port: number | undefined): { servers: ServerConfig[]; errors: string[]; text: string } {
  const text = readFileSync(conf, 'utf8');
  const files = filesBeside(dirname(conf));
  // The server reads only its own files (and its container holds nothing else: runtime/dns.ts dnsServerView). The cluster DNS pod's are /etc/coredns
  // and its pod's /etc/resolv.conf and /etc/hosts; a host's server, only the files beside its Corefile.
  const confine = dirname(conf) === CLUSTER_DNS_FILES.dir ? CLUSTER_DNS_FILES : { dir: dirname(conf), also: [] };
  const { servers, issues } = loadCorefile(text, { env: process.env, files, confine });
  const errors = issues.filter((i) => i.severity === 'error').map((i) => `${conf}:${i.pos.line}:${i.pos.col} ${i.code} ${i.message}`);
  for (const w of issues.filter((i) => i.severity === 'warning')) log(`[WARNING] ${conf}:${w.pos.line}:${w.pos.col} ${w.message}`);
  // -dns.port moves every server block to that port (for running the server unprivileged, or beside another).
  return { servers: port === undefined ? servers : servers.map((s) => ({ ...s, port })), errors, text };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const conf = flag(args, '-conf') ?? 'Corefile';
  const clusterFile = flag(args, '-cluster') ?? join(dirname(conf), 'cluster.json');
  const portFlag = flag(args, '-dns.port');
  const port = portFlag === undefined ? undefined : Number(portFlag);

  let view = EMPTY_VIEW;
  let viewLoaded = false;
  const readView = () => {
    try {
      view = JSON.parse(readFileSync(clusterFile, 'utf8')) as ClusterView;
      viewLoaded = true;
    } catch (e) {
      if (viewLoaded) log(`[ERROR] plugin/kubernetes: cannot read ${clusterFile}: ${(e as Error).message}; keeping the last view`);
    }
  };
  readView();
  watchFile(clusterFile, { interval: 100, persistent: false }, readView);

  const first = load(conf, port);
  if (first.errors.length) {
    for (const e of first.errors) log(`[FATAL] ${e}`);
    process.exit(1);
  }
  if (args.includes(WAIT_NETWORK_FLAG) && !(await waitUntil(namespaceHasDefaultRoute, 30_000))) {
    log('[WARNING] podlab-dns: the pod has no default route after 30 s; serving anyway');
  }
  // Sockets its container bound before Node started (contain --listen): queries sent meanwhile
  // waited in them. The server takes those its Corefile serves on; the others are closed.
  const inherited = inheritedSockets(process.env, process.pid);
  const server = new DnsServer({
    log,
    inherited,
    ipv6: args.includes(IPV6_FLAG),
    build: (c) => buildPlugins(c, { dir: dirname(conf), view: () => view, log }),
  });
  let stopOps = () => {};
  let digest = '';
  const usesKubernetes = () => server.plugins.some((p) => p.name === 'kubernetes');

  const apply = async (servers: ServerConfig[], text: string) => {
    await server.configure(servers);
    stopOps();
    stopOps = await startOps(
      servers.flatMap((s) => s.plugins),
      { metrics: () => server.metrics, notReady: () => (usesKubernetes() && !viewLoaded ? ['kubernetes'] : []) },
    );
    digest = createHash('sha512').update(text).digest('hex');
    for (const s of servers) for (const z of s.zones) log(`${z === '.' ? '.' : z.replace(/\.$/, '')}:${s.port}`);
    log(`[INFO] plugin/reload: Running configuration SHA512 = ${digest}`);
    for (const p of server.plugins) if (p.name === 'loop') (p as LoopPlugin).probe(servers.find((s) => s.plugins.some((c) => c.plugin === 'loop'))!.port);
  };

  const reload = async (why: string) => {
    let next: ReturnType<typeof load>;
    try {
      next = load(conf, port);
    } catch (e) {
      log(`[ERROR] Restart failed: ${(e as Error).message}`);
      return;
    }
    if (createHash('sha512').update(next.text).digest('hex') === digest && why !== 'SIGUSR1') return;
    if (next.errors.length) {
      log(`[ERROR] Restart failed: ${next.errors.join('; ')} (the previous Corefile keeps serving)`);
      return;
    }
    log(`[INFO] Reloading (${why})`);
    try {
      await apply(next.servers, next.text);
      log('[INFO] Reloading complete');
    } catch (e) {
      log(`[ERROR] Restart failed: ${(e as Error).message}`);
    }
  };

  await apply(first.servers, first.text);
  closeUnused(inherited, log);
  log(VERSION_LINE);
  log(`linux/${process.arch}, node ${process.version}`);
  // podlab's `up` waits for this line: it comes once the sockets are bound and every plugin is
  // ready, i.e. when the ready plugin's /ready would answer 200.
  while (usesKubernetes() && !viewLoaded) {
    await new Promise((r) => setTimeout(r, 50));
    readView();
  }
  log(`${LISTENING_MARK} on ${server.ports.map((p) => `:${p}`).join(' ')} (udp, tcp), ready`);
  ((globalThis as Record<symbol, unknown>)[LISTENING_HOOK] as (() => void) | undefined)?.();

  const reloadCfg = first.servers.flatMap((s) => s.plugins).find((p) => p.plugin === 'reload');
  if (reloadCfg && reloadCfg.plugin === 'reload') {
    const tick = () => {
      const wait = reloadCfg.intervalMs + (Math.random() * 2 - 1) * reloadCfg.jitterMs;
      setTimeout(() => void reload('Corefile changed').finally(tick), Math.max(1000, wait)).unref();
    };
    tick();
  }
  process.on('SIGUSR1', () => void reload('SIGUSR1'));
  const stop = () => {
    server.close();
    stopOps();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Keep running even when only timers and sockets remain (sockets keep the loop alive already).
}

main().catch((e) => {
  log(`[FATAL] ${(e as Error).message}`);
  process.exit(1);
});
