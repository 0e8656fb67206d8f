/**
 * The lab's API server process (`podlab api-server <lab>`, started by the lab's first `podlab kubeconfig`): HTTPS on 127.0.0.1
 * only, at a port the kernel picks, with the lab's serving certificate; every request must carry
 * the lab's bearer token (401 otherwise, as an API server without anonymous access answers).
 * Answers come from handlers.ts; this file does the I/O: bodies, watches (the view re-read every
 * WATCH_POLL_MS and compared by resourceVersion), log streams, exec over the websocket
 * streaming protocol (v5.channel.k8s.io / v4.channel.k8s.io, framed by `ws`), and writes, one at
 * a time, through live.ts. The process leaves when its lab's state is gone.
 */
import { spawn } from 'node:child_process';
import { timingSafeEqual } from '../lib/crypto.ts';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { createServer } from 'node:https';
import { WebSocketServer, type WebSocket } from 'ws';
import { sourceArgv, TargetError } from '../runtime/enter.ts';
import { PTYRUN_BIN } from '../runtime/artifacts.ts';
import { realExecutor } from '../runtime/exec.ts';
import { previousLogOf } from '../runtime/state.ts';
import { handle, select, tableOf, type ApiRequest, type ApiResult } from './handlers.ts';
import { SANDBOX } from './kinds/pods.ts';
import { apiDir, carryOut, readView } from './live.ts';
import { ApiError, type K8sObject, type LabView } from './types.ts';

/** Lists remembered for watches from their resourceVersion. */
const LIST_MEMORY = 256;
const WATCH_POLL_MS = 200;
const LOG_POLL_MS = 200;
const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

/** When each request arrived (performance.now()), for the Server-Timing header of its answer. */
const started = new WeakMap<ServerResponse, number>();

/**
 * A JSON answer, with `Server-Timing: api;dur=<ms>`: the server's own time for the request, from
 * its arrival to the body serialized (authentication, reading the live state, the answer), which
 * `npm run bench:kubectl` reads (`kubectl -v=8` shows it too).
 */
function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  const t0 = started.get(res);
  res.writeHead(code, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-cache, private', ...(t0 === undefined ? {} : { 'server-timing': `api;dur=${(performance.now() - t0).toFixed(2)}` }) });
  res.end(text);
}

function statusError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  return new ApiError(500, 'InternalError', `podlab's API server failed: ${(e as Error).message}`);
}

function authorized(req: IncomingMessage, token: Buffer): boolean {
  const h = req.headers.authorization ?? '';
  const m = /^Bearer (.+)$/.exec(h);
  if (!m) return false;
  const got = Buffer.from(m[1]!);
  return got.length === token.length && timingSafeEqual(got, token);
}

const UNAUTHORIZED = new ApiError(401, 'Unauthorized', 'Unauthorized: this API server answers only requests carrying the lab token (use the kubeconfig from podlab kubeconfig <lab>)');

function requestOf(req: IncomingMessage, body?: string): ApiRequest {
  const url = new URL(req.url ?? '/', 'https://127.0.0.1');
  return { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, accept: req.headers.accept ?? '', contentType: req.headers['content-type'] ?? '', body };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 4 << 20) reject(new ApiError(413, 'RequestEntityTooLarge', 'the request body is larger than 4 MiB'));
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A terminal's size before kubectl's first resize message (it sends one at once). */
const DEFAULT_TTY = { cols: 80, rows: 24 };

/** A resize message of the streaming protocol (channel 4): `{"Width":120,"Height":40}`; undefined when it is not one. */
export function resizeOf(data: Buffer): { cols: number; rows: number } | undefined {
  try {
    const m = JSON.parse(data.toString('utf8')) as { Width?: unknown; Height?: unknown };
    const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0 && n < 10_000;
    return ok(m.Width) && ok(m.Height) ? { cols: m.Width, rows: m.Height } : undefined;
  } catch {
    return undefined;
  }
}

export interface ServeOptions {
  lab: string;
  /** Where the certificate, key and token are, and where the port is written. @default apiDir(lab) */
  dir?: string;
}

export async function serve({ lab, dir = apiDir(lab) }: ServeOptions): Promise<{ port: number; close: () => void }> {
  const token = Buffer.from(readFileSync(`${dir}/token`, 'utf8').trim());
  let writes: Promise<unknown> = Promise.resolve();
  // The objects of the lists this server answered, by resource and resourceVersion (the newest
  // LIST_MEMORY): a watch from one of those versions starts with what changed since, as kubectl
  // get -w (list, then watch from the list's version) expects.
  const lists = new Map<string, K8sObject[]>();
  const remember = (s: { resource: string; version: string; objects: K8sObject[] }) => {
    const key = `${s.resource}/${s.version}`;
    lists.delete(key);
    lists.set(key, s.objects);
    while (lists.size > LIST_MEMORY) lists.delete(lists.keys().next().value!);
  };
  let port = 0;

  const view = (): LabView => {
    const v = readView(lab);
    if (!v) throw new ApiError(503, 'ServiceUnavailable', `lab "${lab}" is not up`);
    return v;
  };

  async function answer(req: IncomingMessage, res: ServerResponse, result: ApiResult): Promise<void> {
    switch (result.type) {
      case 'json':
        if (result.snapshot) remember(result.snapshot);
        return sendJson(res, result.code, result.body, result.contentType);
      case 'text':
        res.writeHead(result.code, { 'content-type': 'text/plain' });
        res.end(result.body);
        return;
      case 'write': {
        const { scope, intent } = result;
        // What was accepted but is done otherwise: kubectl prints each as `Warning: …` (RFC 7234 warn-code 299, as the API server sends).
        const warnings = 'warnings' in intent ? intent.warnings : [];
        if (warnings.length) res.setHeader('warning', warnings.map((w) => `299 - ${JSON.stringify(w.replace(/[\r\n]/g, ' '))}`));
        if (!result.dryRun) {
          const run = writes.then(() => carryOut(realExecutor, lab, intent));
          writes = run.catch(() => {});
          await run;
        }
        if (result.deleted) return sendJson(res, 200, result.object);
        const after = result.dryRun ? undefined : scope.kind.list(view()).find((o) => o.metadata.name === scope.name && (!scope.namespace || o.metadata.namespace === scope.namespace));
        if (result.reply) return sendJson(res, 200, result.reply(after ?? result.object));
        return sendJson(res, result.created ? 201 : 200, after ?? result.object);
      }
      case 'watch':
        return watch(req, res, result);
      case 'logs':
        return logs(req, res, result);
      case 'exec':
        throw new ApiError(400, 'BadRequest', 'exec needs a websocket upgrade (subprotocol v5.channel.k8s.io or v4.channel.k8s.io), as kubectl 1.30+ sends');
    }
  }

  async function watch(req: IncomingMessage, res: ServerResponse, w: Extract<ApiResult, { type: 'watch' }>): Promise<void> {
    const kind = w.scope.kind;
    const current = (v: LabView) => new Map(select(v, kind, w.scope.namespace, new URLSearchParams()).filter(w.filter).map((o) => [`${o.metadata.namespace ?? ''}/${o.metadata.name}`, o]));
    res.writeHead(200, { 'content-type': w.table ? 'application/json;as=Table;v=v1;g=meta.k8s.io' : 'application/json', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache, private' });
    let first = true;
    const send = (type: string, o: K8sObject, v: LabView) => {
      res.write(`${JSON.stringify({ type, object: w.table ? tableOf(kind, v, [o], first, '', w.include) : o })}\n`);
      first = false;
    };
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const rv = url.searchParams.get('resourceVersion') ?? '';
    let v = view();
    let known = current(v);
    const diff = (now: Map<string, K8sObject>) => {
      for (const [k, o] of now) {
        const before = known.get(k);
        if (!before) send('ADDED', o, v);
        else if (before.metadata.resourceVersion !== o.metadata.resourceVersion) send(before.metadata.uid !== o.metadata.uid ? 'ADDED' : 'MODIFIED', o, v);
      }
      for (const [k, o] of known) if (!now.has(k)) send('DELETED', o, v);
      known = now;
    };
    if (rv === '' || rv === '0') {
      // Without a resourceVersion to start from (or "0"), a watch begins with every object as ADDED.
      for (const o of known.values()) send('ADDED', o, v);
    } else if (rv !== w.listVersion) {
      // From an earlier list: what changed since that list, then the changes as they come.
      const then = lists.get(`${kind.resource}/${rv}`);
      if (!then) {
        // A version this server never listed (or forgot): 410 Gone, as the API server answers a compacted one; clients list again.
        res.write(`${JSON.stringify({ type: 'ERROR', object: new ApiError(410, 'Expired', `too old resource version: ${rv}`).toStatus() })}\n`);
        return void res.end();
      }
      const now = known;
      known = new Map(then.filter(w.filter).map((o) => [`${o.metadata.namespace ?? ''}/${o.metadata.name}`, o]));
      diff(now);
    }
    const timeout = Number(url.searchParams.get('timeoutSeconds') ?? 0);
    await new Promise<void>((resolve) => {
      const stop = () => {
        clearInterval(timer);
        clearTimeout(deadline);
        resolve();
      };
      const deadline = timeout > 0 ? setTimeout(stop, timeout * 1000) : undefined;
      const timer = setInterval(() => {
        const next = readView(lab);
        if (!next) return stop();
        v = next;
        diff(current(v));
      }, WATCH_POLL_MS);
      req.on('close', stop);
    });
    res.end();
  }

  async function logs(req: IncomingMessage, res: ServerResponse, l: Extract<ApiResult, { type: 'logs' }>): Promise<void> {
    const rec = view().state.pods[l.pod]?.containers[l.container];
    // kubelet's answer when the container has no instance before its last restart (a pod created
    // anew has none): kubectl prints it as `Error from server (BadRequest): …`.
    const noPrevious = () => new ApiError(400, 'BadRequest', `previous terminated container "${l.container}" in pod "${l.pod}" not found`);
    if (l.previous && (!rec || !existsSync(previousLogOf(rec.log)))) throw noPrevious();
    if (!rec && l.container === SANDBOX) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end();
    }
    if (!rec) throw new ApiError(400, 'BadRequest', `container "${l.container}" in pod "${l.pod}" is not running`);
    const file = l.previous ? previousLogOf(rec.log) : rec.log;
    let text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (l.tailLines !== undefined) text = text.split('\n').slice(-(l.tailLines + 1)).join('\n');
    res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
    res.write(text);
    // A previous instance has ended: nothing more comes to follow.
    if (!l.follow || l.previous) return void res.end();
    let offset = existsSync(file) ? statSync(file).size : 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now = readView(lab)?.state.pods[l.pod]?.containers[l.container];
        // The container is gone or replaced (a re-created pod writes a new log): the stream ends, as kubectl logs -f ends.
        if (!now || now.pid !== rec.pid || !existsSync(file)) {
          clearInterval(timer);
          return resolve();
        }
        const size = statSync(file).size;
        if (size > offset) {
          const fd = openSync(file, 'r');
          const buf = Buffer.alloc(size - offset);
          readSync(fd, buf, 0, buf.length, offset);
          closeSync(fd);
          offset = size;
          res.write(buf);
        }
      }, LOG_POLL_MS);
      req.on('close', () => {
        clearInterval(timer);
        resolve();
      });
    });
    res.end();
  }

  const server = createServer({ key: readFileSync(`${dir}/server.key`), cert: readFileSync(`${dir}/server.crt`) }, (req, res) => {
    started.set(res, performance.now());
    void (async () => {
      try {
        if (!authorized(req, token)) throw UNAUTHORIZED;
        const body = ['POST', 'PUT', 'PATCH'].includes(req.method ?? '') ? await readBody(req) : undefined;
        const v = view();
        await answer(req, res, handle(v, requestOf(req, body), port));
      } catch (e) {
        const err = statusError(e);
        if (err.code === 500) process.stderr.write(`${(e as Error).stack}\n`);
        if (!res.headersSent) sendJson(res, err.code, err.toStatus());
        else res.end();
      }
    })();
  });

  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => EXEC_PROTOCOLS.find((p) => offered.has(p)) ?? false });
  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    const refuse = (e: ApiError) => {
      const text = JSON.stringify(e.toStatus());
      socket.end(`HTTP/1.1 ${e.code} ${e.reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
    };
    try {
      if (!authorized(req, token)) return refuse(UNAUTHORIZED);
      const result = handle(view(), requestOf(req), port);
      if (result.type !== 'exec') return refuse(new ApiError(400, 'BadRequest', 'only pods/exec is served over a websocket'));
      const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
      if (!EXEC_PROTOCOLS.some((p) => offered.includes(p))) return refuse(new ApiError(400, 'BadRequest', `exec speaks ${EXEC_PROTOCOLS.join(' or ')}; offered: ${offered.join(', ') || '(none)'}`));
      wss.handleUpgrade(req, socket, head, (ws) => execIn(ws, result));
    } catch (e) {
      refuse(statusError(e));
    }
  });

  function execIn(ws: WebSocket, x: Extract<ApiResult, { type: 'exec' }>): void {
    const v5 = ws.protocol === 'v5.channel.k8s.io';
    const frame = (channel: number, data: Buffer | string) => ws.send(Buffer.concat([Buffer.from([channel]), Buffer.isBuffer(data) ? data : Buffer.from(data)]));
    let prefix: string[];
    try {
      const state = readView(lab)?.state;
      if (!state) throw new TargetError('PL3113', `lab "${lab}" is not up`);
      prefix = sourceArgv(state, `${x.namespace}/${x.pod}`);
    } catch (e) {
      frame(3, JSON.stringify({ metadata: {}, status: 'Failure', message: (e as Error).message, reason: 'InternalError', code: 500 }));
      return ws.close(1000);
    }
    // As `podlab exec` runs it: the pod's sandbox namespaces (net, UTS, IPC, mount), argv as given,
    // no shell. With -t, on a pseudo-terminal of its own (native/ptyrun.c): stdout and stderr are
    // the terminal's one stream, and kubectl's resize messages (channel 4) size it.
    const argv = [...prefix, ...x.command];
    const child = x.tty
      ? spawn(PTYRUN_BIN, [String(DEFAULT_TTY.cols), String(DEFAULT_TTY.rows), '--', ...argv], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] })
      : spawn(argv[0]!, argv.slice(1), { stdio: [x.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const control = x.tty ? (child.stdio[3] as Writable) : undefined;
    control?.on('error', () => {});
    child.stdin?.on('error', () => {});
    child.stdout!.on('data', (d: Buffer) => frame(1, d));
    child.stderr!.on('data', (d: Buffer) => frame(x.tty ? 1 : 2, d));
    ws.on('message', (data: Buffer) => {
      if (!data.length) return;
      if (data[0] === 0 && child.stdin) child.stdin.write(data.subarray(1));
      else if (data[0] === 4 && control) {
        const size = resizeOf(data.subarray(1));
        if (size) control.write(`${size.cols} ${size.rows}\n`);
      } else if (v5 && data[0] === 255 && data[1] === 0) child.stdin?.end();
    });
    ws.on('close', () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('error', (e) => {
      frame(3, JSON.stringify({ metadata: {}, status: 'Failure', message: `could not start ${x.command[0]}: ${e.message}`, reason: 'InternalError', code: 500 }));
      ws.close(1000);
    });
    child.on('close', (code, signal) => {
      const exit = code ?? 128 + (signal ? 9 : 0);
      frame(
        3,
        JSON.stringify(
          exit === 0
            ? { metadata: {}, status: 'Success' }
            : { metadata: {}, status: 'Failure', message: `command terminated with non-zero exit code: error executing command [${x.command.join(' ')}], exit code ${exit}`, reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: String(exit) }] } },
        ),
      );
      ws.close(1000);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Loopback only, a port the kernel picks: nothing of the lab's API is reachable from elsewhere.
    server.listen(0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as { port: number }).port;
  writeFileSync(`${dir}/port`, `${port}\n`);
  // The lab went away without stopping us (down after a crash finds the state gone): leave too.
  const guard = setInterval(() => {
    if (!existsSync(`${dir}/token`)) {
      server.close();
      process.exit(0);
    }
  }, 2000);
  guard.unref();
  return {
    port,
    close: () => {
      clearInterval(guard);
      wss.close();
      server.closeAllConnections();
      server.close();
    },
  };
}
