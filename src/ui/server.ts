/**
 * The `podlab ui` server: an HTTP server on 127.0.0.1 only, on a free port (or the one asked),
 * that answers only requests carrying its random token (`?token=`, 128 bits, compared in constant
 * time) and naming it by its own address (the Host header: no other site's page can reach it
 * through a DNS name that points at 127.0.0.1). It reads the live lab on every request (the state
 * under /run/podlab/<lab>/, as `status` and `graph` do), runs the lab's checks with the check
 * runner (src/check/run.ts) and traces with `podlab trace`'s (src/runtime/trace.ts), and keeps the
 * last results to mark them on the drawing. The page itself is page.ts, its script app.ts.
 *
 * Routes: `GET /` the page, `GET /app.js` its script, `GET /api/view` the model as JSON,
 * `GET /api/events` the page's live updates (server-sent events), `POST /api/checks` run every
 * check, `POST /api/trace` trace `{from, to, port?, proto?}`.
 *
 * Live updates: while a page listens on /api/events (same token), the server looks at the lab
 * every POLL_MS — the state journal and /proc, what `podlab status` reads, no command run — and
 * when what the page shows changed (a pod deleted or crashed in another terminal, endpoints, check
 * results), sends an `update` event with the new rows and drawing, and the changes in words.
 * Polling, not inotify: a crashed process writes nothing anywhere to watch.
 */
import { randomBytes, timingSafeEqual } from '../lib/crypto.ts';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runChecks } from '../check/run.ts';
import type { CheckResult } from '../check/checks.ts';
import { graphToDot } from '../render/graph/dot.ts';
import { buildGraph } from '../render/graph/model.ts';
import { dotToSvg } from '../render/graph/svg.ts';
import { realExecutor, type Executor } from '../runtime/exec.ts';
import { liveGraphFacts } from '../runtime/live-graph.ts';
import { readState } from '../runtime/state.ts';
import { labStatus } from '../runtime/status.ts';
import { traceLive } from '../runtime/trace.ts';
import { TraceProblem } from '../trace/ends.ts';
import { tracePathMarks } from '../trace/draw.ts';
import type { TracePath, TraceProtocol } from '../trace/trace.ts';
import { APP_JS } from './app.ts';
import { failedMarks, pageUpdate, renderPage, statusParts, type UiModel, type UiTrace } from './page.ts';

/** How often the server looks at the lab while a page listens for updates. */
export const POLL_MS = 500;

/** The only address the server listens on. */
export const UI_HOST = '127.0.0.1';

export interface UiServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** The server could not start: the lab is not up, or the port is taken. */
export class UiError extends Error {}

const HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { ...HEADERS, 'content-type': `${type}; charset=utf-8` });
  res.end(body);
}
const json = (res: ServerResponse, status: number, value: unknown) => send(res, status, 'application/json', JSON.stringify(value));

function sameToken(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A request body as JSON, at most 4 KiB (a trace request is a few dozen bytes). */
function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 4096) {
        reject(new UiError('request body too large'));
        req.destroy();
      } else parts.push(c);
    });
    req.on('end', () => {
      try {
        resolve(parts.length ? JSON.parse(Buffer.concat(parts).toString('utf8')) : {});
      } catch {
        reject(new UiError('the request body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

/** A trace request from the page, checked: two names, an optional port 1–65535 and protocol. */
function traceRequest(body: unknown): { from: string; to: string; port?: number; protocol?: TraceProtocol } {
  const b = (body ?? {}) as Record<string, unknown>;
  const name = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= 253 && /^[A-Za-z0-9./:-]+$/.test(v);
  if (!name(b.from) || !name(b.to)) throw new UiError('a trace needs "from" and "to": a pod, node/<name>, host/<name> or svc/<name>');
  if (b.port !== undefined && !(Number.isInteger(b.port) && (b.port as number) >= 1 && (b.port as number) <= 65535)) throw new UiError('"port" is a number 1-65535');
  if (b.proto !== undefined && !['tcp', 'udp', 'icmp'].includes(b.proto as string)) throw new UiError('"proto" is tcp, udp or icmp');
  return { from: b.from as string, to: b.to as string, ...(b.port !== undefined ? { port: b.port as number } : {}), ...(b.proto !== undefined ? { protocol: b.proto as TraceProtocol } : {}) };
}

function uiTrace(t: TracePath): UiTrace {
  return {
    request: `${t.from} → ${t.to}${t.port !== undefined ? `:${t.port}` : ''}/${t.protocol}`,
    outcome: t.outcome,
    reason: t.reason,
    hops: t.hops.map((h) => ({ kind: h.kind, at: h.at, linux: h.linux, k8s: h.k8s, status: h.status, ...(h.observed ? { observed: h.observed } : {}) })),
  };
}

/** Starts the page's server for a lab that is up; `port` 0 (the default) takes a free one. */
export async function startUi(lab: string, opts: { port?: number; ex?: Executor } = {}): Promise<UiServer> {
  const ex = opts.ex ?? realExecutor;
  const first = readState(lab);
  if (!first || first.status !== 'up') throw new UiError(`lab "${lab}" is not up${first ? ` (status: ${first.status})` : ''}: bring it up first (podlab up labs/${lab}.lab.ts)`);
  const token = randomBytes(16).toString('hex');
  let results: CheckResult[] = [];
  let lastTrace: TracePath | undefined;
  let running: Promise<CheckResult[]> | undefined;
  const listeners = new Set<ServerResponse>();
  let poller: NodeJS.Timeout | undefined;
  let lastKey: string | undefined;
  let lastModel: UiModel | undefined;
  let looking: Promise<void> | undefined;

  /** What the page shows that can change, as one string: cheap (no drawing, no command), read every POLL_MS. */
  function liveKey(): string | undefined {
    const facts = liveGraphFacts(lab);
    const status = labStatus(lab);
    if (!facts || !status) return undefined;
    const parts = statusParts(status, buildGraph(facts.plan, facts.live));
    return JSON.stringify([parts.pods, parts.services, parts.failedNodes, results.map((r) => [r.index, r.status, r.seen]), lastTrace ? [lastTrace.from, lastTrace.to, lastTrace.outcome] : []]);
  }

  function event(res: ServerResponse, name: string, data: unknown): void {
    res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Looks at the lab once and tells every listening page what changed (one look at a time). */
  function look(): Promise<void> {
    looking ??= (async () => {
      const key = liveKey();
      if (key === undefined) {
        if (lastKey !== 'gone') for (const res of listeners) event(res, 'gone', { error: `lab "${lab}" is no longer up` });
        lastKey = 'gone';
        return;
      }
      if (key === lastKey) return;
      lastKey = key;
      const m = await model();
      const update = pageUpdate(m, lastModel);
      lastModel = m;
      for (const res of listeners) event(res, 'update', update);
    })()
      .catch(() => {})
      .finally(() => (looking = undefined));
    return looking;
  }

  /** A page listens: it gets the view of now at once, then each change. */
  async function listen(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.writeHead(200, { ...HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    listeners.add(res);
    req.on('close', () => {
      listeners.delete(res);
      if (!listeners.size && poller) {
        clearInterval(poller);
        poller = undefined;
      }
    });
    await look();
    if (lastModel) event(res, 'update', pageUpdate(lastModel, undefined));
    poller ??= setInterval(() => void look(), POLL_MS);
  }

  /** The page's model, read live now, with the last check results and trace marked on the drawing. */
  async function model(): Promise<UiModel> {
    const facts = liveGraphFacts(lab);
    const status = labStatus(lab);
    if (!facts || !status) throw new UiError(`lab "${lab}" is no longer up`);
    const { plan, live } = facts;
    const g = buildGraph(plan, live);
    const banner = `Drawn by podlab ui from its record of lab ${plan.lab} (from ${plan.source}): what it built and changed since, not read from the kernel (podlab trace reads it).`;
    const svg = await dotToSvg(graphToDot(g, banner, { failed: failedMarks(g, plan.checks, results), ...(lastTrace ? { path: tracePathMarks(g, lastTrace) } : {}) }), banner);
    const checks = plan.checks.map((c) => {
      const r = results.find((x) => x.index === c.index);
      return { index: c.index, name: c.name, kind: c.kind, ...(r ? { result: { status: r.status, expected: r.expected, seen: r.seen, command: r.command, ms: r.ms } } : {}) };
    });
    return { lab: plan.lab, source: plan.source, cni: plan.cni.type, svg, ...statusParts(status, g), checks, ...(lastTrace ? { trace: uiTrace(lastTrace) } : {}) };
  }

  async function handle(req: IncomingMessage, res: ServerResponse, port: number): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${UI_HOST}:${port}`);
    const host = req.headers.host ?? '';
    if (!sameToken(url.searchParams.get('token'), token) || (host !== `${UI_HOST}:${port}` && host !== `localhost:${port}`)) {
      send(res, 403, 'text/plain', 'forbidden: open the URL podlab ui printed, with its token\n');
      return;
    }
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /') return send(res, 200, 'text/html', renderPage(await model(), token));
    if (route === 'GET /app.js') return send(res, 200, 'text/javascript', APP_JS);
    if (route === 'GET /api/view') return json(res, 200, await model());
    if (route === 'GET /api/events') return listen(req, res);
    if (req.method === 'POST' && !(req.headers['content-type'] ?? '').startsWith('application/json')) return json(res, 415, { error: 'send application/json' });
    if (route === 'POST /api/checks') {
      const state = readState(lab);
      if (!state || state.status !== 'up') throw new UiError(`lab "${lab}" is no longer up`);
      // One run at a time: a second click waits for the run under way.
      running ??= runChecks(state, ex).finally(() => (running = undefined));
      results = await running;
      void look();
      return json(res, 200, { results, svg: (await model()).svg });
    }
    if (route === 'POST /api/trace') {
      const req2 = traceRequest(await readJson(req));
      const state = readState(lab);
      if (!state || state.status !== 'up') throw new UiError(`lab "${lab}" is no longer up`);
      lastTrace = await traceLive(ex, state, req2, { probe: true });
      return json(res, 200, { trace: uiTrace(lastTrace), svg: (await model()).svg });
    }
    json(res, 404, { error: `no such page: ${url.pathname}` });
  }

  const server = createServer((req, res) => {
    const port = (server.address() as AddressInfo).port;
    handle(req, res, port).catch((e: unknown) => {
      if (res.headersSent) return res.end();
      if (e instanceof TraceProblem) json(res, 400, { code: e.code, error: e.message, hint: e.hint });
      else if (e instanceof UiError) json(res, 400, { error: e.message });
      else json(res, 500, { error: (e as Error).message });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE' ? new UiError(`port ${opts.port} on ${UI_HOST} is taken: choose another with --port, or leave it out for a free one`) : e));
    server.listen(opts.port ?? 0, UI_HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${UI_HOST}:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        if (poller) clearInterval(poller);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
