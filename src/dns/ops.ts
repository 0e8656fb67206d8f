/**
 * The server's HTTP side, as CoreDNS's operational plugins provide it: `health` (GET /health →
 * 200 "OK" while the process runs), `ready` (GET /ready → 200 once every plugin that can report
 * readiness is ready, else 503 naming the ones that are not) and `prometheus` (GET /metrics in
 * the text exposition format, with CoreDNS's metric names). Several server blocks naming the
 * same address share one listener.
 */
import { createServer, type Server } from 'node:http';
import type { Metrics } from './server.ts';
import type { PluginConfig } from './types.ts';

export interface OpsSources {
  metrics: () => Metrics;
  /** Names of plugins not ready yet (empty = ready). */
  notReady: () => string[];
}

function metricsText(m: Metrics): string {
  const lines = ['# HELP coredns_dns_requests_total Counter of DNS requests made per protocol.', '# TYPE coredns_dns_requests_total counter'];
  for (const [proto, n] of [...m.requests].sort()) lines.push(`coredns_dns_requests_total{proto="${proto}"} ${n}`);
  lines.push('# HELP coredns_dns_responses_total Counter of response status codes.', '# TYPE coredns_dns_responses_total counter');
  for (const [rcode, n] of [...m.responses].sort()) lines.push(`coredns_dns_responses_total{rcode="${rcode}"} ${n}`);
  return `${lines.join('\n')}\n`;
}

/** Starts the listeners the configs ask for; returns a function that stops them. */
export async function startOps(configs: PluginConfig[], sources: OpsSources, host = '0.0.0.0'): Promise<() => void> {
  const routes = new Map<number, Map<string, () => { status: number; body: string }>>();
  const route = (port: number, path: string, fn: () => { status: number; body: string }) => {
    if (!routes.has(port)) routes.set(port, new Map());
    routes.get(port)!.set(path, fn);
  };
  for (const c of configs) {
    if (c.plugin === 'health') route(c.port, '/health', () => ({ status: 200, body: 'OK' }));
    if (c.plugin === 'ready')
      route(c.port, '/ready', () => {
        const missing = sources.notReady();
        return missing.length ? { status: 503, body: missing.join(', ') } : { status: 200, body: 'OK' };
      });
    if (c.plugin === 'prometheus') route(c.port, '/metrics', () => ({ status: 200, body: metricsText(sources.metrics()) }));
  }
  const servers: Server[] = [];
  for (const [port, paths] of routes) {
    const srv = createServer((req, res) => {
      const fn = paths.get((req.url ?? '/').split('?')[0]!);
      const out = fn ? fn() : { status: 404, body: 'not found' };
      res.writeHead(out.status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${out.body}\n`);
    });
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, host, () => resolve());
    });
    servers.push(srv);
  }
  return () => {
    for (const s of servers) s.close();
  };
}
