#!/usr/bin/env node
// workload.mjs - podlab's built-in container workloads and its check client.
//
// Responsibility:
//   * Servers that podlab runs as "containers" inside a pod's namespaces
//     (http-echo, tcp-echo, udp-echo). They report what the network looked
//     like from the server side (which pod answered, on which address, and
//     which client address arrived), so a lab can show Service load
//     balancing, SNAT/DNAT and pod-to-pod addressing.
//   * Clients that podlab runs inside a pod's namespaces to check
//     connectivity (tcp-connect, tcp-echo-client, udp-echo-client,
//     http-get). Each prints exactly one JSON line on stdout - success or
//     failure alike, e.g. {"ok":false,"code":"ECONNREFUSED","error":"..."} -
//     and exits 0 on success, 1 on failure.
//
// Plain Node ESM, no dependencies. Only the built-in modules a mode needs are
// loaded (dynamic import), to keep startup fast.
//
// Exit codes: 0 ok (servers: on SIGTERM/SIGINT), 1 check failed or server
// could not start, 2 usage error (unknown mode, bad/missing arguments).

import { parseArgs } from 'node:util';

const USAGE = `usage: node workload.mjs MODE [options]
servers (run until SIGTERM):
  http-echo --port P [--pod NAME] [--key-fd N]
                                    HTTP 200 JSON {pod,[proof,]podIP,client,clientPort,method,path,hostname,headers,host}
                                    (with --key-fd, a request with X-Podlab-Nonce gets a "proof")
  tcp-echo  --port P [--pod NAME]   echo every byte received
  udp-echo  --port P [--pod NAME]   reply to each datagram with the same payload
clients (one JSON line on stdout; exit 0 ok, 1 failure):
  tcp-connect     --host H --port P [--timeout-ms 2000]
  tcp-echo-client --host H --port P --message M [--timeout-ms 2000]
  udp-echo-client --host H --port P --message M [--timeout-ms 2000]
  http-get        --url URL [--timeout-ms 2000] [--count N] [--nonces V,V,...]
                  N > 1: N requests in a row, each on a new connection; prints
                  {ok,status,body,answers:[{pod,client,path,proof}...]} (ok if all answered)
                  --nonces: one per request, sent as X-Podlab-Nonce
`;

const SPECS = {
  'http-echo': { port: 'port', pod: 'opt', 'key-fd': 'opt' },
  'tcp-echo': { port: 'port', pod: 'opt' },
  'udp-echo': { port: 'port', pod: 'opt' },
  'tcp-connect': { host: 'req', port: 'port', 'timeout-ms': 'timeout' },
  'tcp-echo-client': { host: 'req', port: 'port', message: 'req', 'timeout-ms': 'timeout' },
  'udp-echo-client': { host: 'req', port: 'port', message: 'req', 'timeout-ms': 'timeout' },
  'http-get': { url: 'req', 'timeout-ms': 'timeout', count: 'count', nonces: 'opt' },
};

const DEFAULT_TIMEOUT_MS = 2000;

function usageExit(msg) {
  if (msg) process.stderr.write(`workload: ${msg}\n`);
  process.stderr.write(USAGE);
  process.exit(2);
}

function parse(mode, argv) {
  const spec = SPECS[mode];
  const options = {};
  for (const name of Object.keys(spec)) options[name] = { type: 'string' };
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (err) {
    usageExit(`${mode}: ${err.message}`);
  }
  const out = {};
  for (const [name, kind] of Object.entries(spec)) {
    const v = values[name];
    if (kind === 'opt') {
      out[name] = v;
    } else if (kind === 'req') {
      if (v === undefined || v === '') usageExit(`${mode}: --${name} is required`);
      out[name] = v;
    } else if (kind === 'port') {
      if (v === undefined) usageExit(`${mode}: --port is required`);
      const n = /^\d+$/.test(v) ? Number(v) : NaN;
      if (!(n >= 1 && n <= 65535)) usageExit(`${mode}: invalid --port ${JSON.stringify(v)}`);
      out.port = n;
    } else if (kind === 'count') {
      const n = v === undefined ? 1 : /^\d+$/.test(v) ? Number(v) : NaN;
      if (!(n >= 1 && n <= 10_000)) usageExit(`${mode}: invalid --count ${JSON.stringify(v)}`);
      out.count = n;
    } else if (kind === 'timeout') {
      if (v === undefined) { out.timeoutMs = DEFAULT_TIMEOUT_MS; continue; }
      const n = /^\d+$/.test(v) ? Number(v) : NaN;
      if (!(n >= 1 && n <= 3_600_000)) usageExit(`${mode}: invalid --timeout-ms ${JSON.stringify(v)}`);
      out.timeoutMs = n;
    }
  }
  return out;
}

// "::ffff:10.244.1.2" -> "10.244.1.2"
function stripMapped(addr) {
  if (typeof addr !== 'string') return addr ?? null;
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

function emit(obj, done) {
  process.stdout.write(JSON.stringify(obj) + '\n', done);
}

let finished = false;
function finish(obj) {
  if (finished) return;
  finished = true;
  const code = obj.ok ? 0 : 1;
  // Exit only once the line is flushed: a line larger than the pipe buffer
  // (64 KiB) would otherwise be cut short by process.exit().
  process.exitCode = code;
  emit(obj, () => process.exit(code));
}

function fail(err, extra = {}) {
  const code = err && err.code ? String(err.code) : 'ERROR';
  let message = err && err.message ? String(err.message) : String(err);
  if (!message.includes(code)) message = `${code} ${message}`;
  finish({ ok: false, code, error: message, ...extra });
}

function timeoutError(what, ms) {
  const e = new Error(`ETIMEDOUT ${what} timed out after ${ms}ms`);
  e.code = 'ETIMEDOUT';
  return e;
}

function armTimeout(what, ms, onFire) {
  const t = setTimeout(() => {
    onFire?.();
    fail(timeoutError(what, ms));
  }, ms); // ref'd on purpose: keeps the process alive until it fires
  return t;
}

function exitOnSignals() {
  const bye = () => process.exit(0);
  process.on('SIGTERM', bye);
  process.on('SIGINT', bye);
}

async function podName(pod) {
  if (pod) return pod;
  if (process.env.POD_NAME) return process.env.POD_NAME;
  const os = await import('node:os');
  return os.hostname();
}

// Listen on [::] dual-stack, falling back to 0.0.0.0 when IPv6 is
// unavailable in this namespace (EAFNOSUPPORT / EADDRNOTAVAIL / ...).
function listenDual(server, port) {
  return new Promise((resolve, reject) => {
    const tryListen = (host, isFallback) => {
      const onError = (err) => {
        server.off('listening', onListening);
        if (!isFallback && err.code !== 'EADDRINUSE' && err.code !== 'EACCES') {
          tryListen('0.0.0.0', true);
        } else {
          reject(err);
        }
      };
      const onListening = () => {
        server.off('error', onError);
        resolve(host);
      };
      server.once('error', onError);
      server.once('listening', onListening);
      if (host === '::') server.listen({ port, host, ipv6Only: false });
      else server.listen({ port, host });
    };
    tryListen('::', false);
  });
}

function serverStartFailed(mode, err) {
  process.stderr.write(`workload: ${mode}: cannot listen: ${err.code || ''} ${err.message}\n`);
  process.exit(1);
}

// ---------------------------------------------------------------- servers

/** The key of --key-fd (16 to 64 bytes, read whole, the descriptor closed), as the native server reads it. */
async function readKey(arg) {
  const fs = await import('node:fs');
  if (!/^\d+$/.test(arg ?? '')) usageExit(`invalid --key-fd ${JSON.stringify(arg)}`);
  let key;
  try {
    key = fs.readFileSync(Number(arg));
    fs.closeSync(Number(arg));
  } catch {
    usageExit(`cannot read the key of --key-fd ${arg}`);
  }
  if (key.length < 16 || key.length > 64) usageExit('the key of --key-fd must be 16 to 64 bytes');
  return key;
}

async function httpEcho(o) {
  const [http, os, crypto] = await Promise.all([import('node:http'), import('node:os'), import('node:crypto')]);
  const pod = await podName(o.pod);
  // The proof of who answered (native/workload.c's contract, SECURITY.md boundary 13).
  const key = o['key-fd'] === undefined ? undefined : await readKey(o['key-fd']);
  const proofOf = (req) => {
    const nonce = req.headers['x-podlab-nonce'];
    if (!key || typeof nonce !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(nonce)) return {};
    const text = `podlab http-echo v1\n${nonce}\n${stripMapped(req.socket.remoteAddress)}\n${req.url}`;
    return { proof: crypto.createHmac('sha256', key).update(text).digest('hex') };
  };
  const hostname = os.hostname();
  // Failing on demand, as the native server: SIGUSR1 makes /healthz answer 503, SIGUSR2 heals it.
  let unhealthy = false;
  process.on('SIGUSR1', () => (unhealthy = true));
  process.on('SIGUSR2', () => (unhealthy = false));
  const server = http.createServer((req, res) => {
    const body = JSON.stringify({
      pod,
      ...proofOf(req),
      podIP: stripMapped(req.socket.localAddress),
      client: stripMapped(req.socket.remoteAddress),
      clientPort: req.socket.remotePort,
      method: req.method,
      path: req.url,
      hostname,
      // The request's headers, names lower-cased, in the order sent; and its Host.
      headers: Object.fromEntries(req.rawHeaders.flatMap((v, i, a) => (i % 2 ? [] : [[v.toLowerCase(), a[i + 1]]]))),
      host: req.headers.host ?? '',
    }) + '\n';
    res.writeHead(unhealthy && /^\/healthz(?:[/?]|$)/.test(req.url ?? '') ? 503 : 200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
    req.resume();
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  exitOnSignals();
  const host = await listenDual(server, o.port).catch((e) => serverStartFailed('http-echo', e));
  emit({ event: 'listening', mode: 'http-echo', pod, host, port: o.port });
}

async function tcpEcho(o) {
  const net = await import('node:net');
  const pod = await podName(o.pod);
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    sock.on('error', () => sock.destroy());
    sock.pipe(sock); // pure echo; ends our side after the client ends theirs
  });
  exitOnSignals();
  const host = await listenDual(server, o.port).catch((e) => serverStartFailed('tcp-echo', e));
  emit({ event: 'listening', mode: 'tcp-echo', pod, host, port: o.port });
}

async function udpEcho(o) {
  const dgram = await import('node:dgram');
  const pod = await podName(o.pod);
  const bindSock = (type, opts, host) => new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type, ...opts });
    s.once('error', (e) => { s.close(); reject(e); });
    s.bind({ port: o.port, address: host }, () => { s.removeAllListeners('error'); resolve(s); });
  });
  exitOnSignals();
  let sock, host = '::';
  try {
    sock = await bindSock('udp6', { ipv6Only: false }, '::');
  } catch (e) {
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES') serverStartFailed('udp-echo', e);
    host = '0.0.0.0';
    sock = await bindSock('udp4', {}, '0.0.0.0').catch((e2) => serverStartFailed('udp-echo', e2));
  }
  sock.on('error', () => {}); // e.g. ICMP errors surfacing on send; keep serving
  sock.on('message', (msg, rinfo) => {
    sock.send(msg, rinfo.port, rinfo.address, () => {});
  });
  emit({ event: 'listening', mode: 'udp-echo', pod, host, port: o.port });
}

// ---------------------------------------------------------------- clients

async function tcpConnect(o) {
  const net = await import('node:net');
  const sock = net.connect({ host: o.host, port: o.port });
  armTimeout(`connect to ${o.host}:${o.port}`, o.timeoutMs, () => sock.destroy());
  sock.on('error', (e) => fail(e));
  sock.on('connect', () => {
    const r = {
      ok: true,
      local: stripMapped(sock.localAddress),
      localPort: sock.localPort,
      remote: stripMapped(sock.remoteAddress),
      remotePort: sock.remotePort,
    };
    sock.destroy();
    finish(r);
  });
}

async function tcpEchoClient(o) {
  const net = await import('node:net');
  const expected = Buffer.from(o.message, 'utf8');
  const chunks = [];
  let got = 0;
  let local = null, remote = null;
  const sock = net.connect({ host: o.host, port: o.port, allowHalfOpen: true });
  armTimeout(`echo from ${o.host}:${o.port}`, o.timeoutMs, () => sock.destroy());
  const result = () => {
    const received = Buffer.concat(chunks);
    const ok = received.equals(expected);
    const r = { ok, sent: o.message, received: received.toString('utf8'), local, remote };
    if (!ok) { r.code = 'EMISMATCH'; r.error = 'EMISMATCH echoed data differs from sent data'; }
    sock.destroy();
    finish(r);
  };
  sock.on('error', (e) => fail(e, { local, remote }));
  sock.on('connect', () => {
    local = stripMapped(sock.localAddress);
    remote = stripMapped(sock.remoteAddress);
    sock.end(expected); // send, then half-close so a pure echo server may end too
  });
  sock.on('data', (d) => {
    chunks.push(d);
    got += d.length;
    if (got >= expected.length) result();
  });
  sock.on('end', result); // server closed before echoing everything
}

async function udpEchoClient(o) {
  const [dgram, net] = await Promise.all([import('node:dgram'), import('node:net')]);
  let address = o.host;
  if (!net.isIP(address)) {
    const dns = await import('node:dns');
    try {
      ({ address } = await dns.promises.lookup(o.host));
    } catch (e) {
      fail(e);
      return;
    }
  }
  const expected = Buffer.from(o.message, 'utf8');
  const sock = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
  armTimeout(`reply from ${o.host}:${o.port}`, o.timeoutMs, () => sock.close());
  // A connected UDP socket surfaces ICMP port-unreachable as ECONNREFUSED,
  // which tells "nothing listening" apart from "dropped" (timeout). It only
  // accepts replies from the address/port it sent to - which is what
  // conntrack (DNAT/SNAT) guarantees for NATed paths too.
  sock.on('error', (e) => {
    if (e && typeof e.message === 'string' && !e.message.includes(address)) {
      e.message += ` ${address}:${o.port}`;
    }
    fail(e);
  });
  sock.on('message', (msg, rinfo) => {
    const ok = msg.equals(expected);
    const r = {
      ok,
      sent: o.message,
      received: msg.toString('utf8'),
      local: stripMapped(sock.address().address),
      remote: stripMapped(rinfo.address),
    };
    if (!ok) { r.code = 'EMISMATCH'; r.error = 'EMISMATCH echoed datagram differs from sent datagram'; }
    finish(r);
  });
  sock.connect(o.port, address, (err) => {
    if (err) { fail(err); return; }
    sock.send(expected, (e) => { if (e) fail(e); });
  });
}

// One GET on a fresh connection; resolves to {status, body[, truncated]}, rejects on error.
function getOnce(mod, url, timeoutMs, nonce) {
  return new Promise((resolve, reject) => {
    const MAX_BODY = 64 * 1024;
    const req = mod.get(url, { agent: false, headers: { connection: 'close', ...(nonce ? { 'x-podlab-nonce': nonce } : {}) } }, (res) => {
      const chunks = [];
      let size = 0, truncated = false;
      res.on('data', (d) => {
        if (size < MAX_BODY) chunks.push(d.subarray(0, MAX_BODY - size));
        if (size + d.length > MAX_BODY) truncated = true;
        size += d.length;
      });
      res.on('end', () => {
        clearTimeout(t);
        const r = { status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') };
        if (truncated) r.truncated = true;
        resolve(r);
      });
      res.on('error', (e) => { clearTimeout(t); e.status = res.statusCode; reject(e); });
    });
    const t = setTimeout(() => { req.destroy(); reject(timeoutError(`GET ${url.href}`, timeoutMs)); }, timeoutMs);
    req.on('error', (e) => { clearTimeout(t); reject(e); });
  });
}

async function httpGet(o) {
  let url;
  try {
    url = new URL(o.url);
  } catch {
    usageExit(`http-get: invalid --url ${JSON.stringify(o.url)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    usageExit(`http-get: unsupported URL scheme ${url.protocol}`);
  }
  const mod = await import(url.protocol === 'https:' ? 'node:https' : 'node:http');
  const nonces = o.nonces === undefined ? undefined : o.nonces.split(',');
  if (nonces && (nonces.length !== o.count || !nonces.every((n) => /^[A-Za-z0-9_-]{1,128}$/.test(n)))) usageExit(`http-get: --nonces must be ${o.count} nonce(s) of [A-Za-z0-9_-], comma-separated`);
  if (o.count === 1) {
    try {
      finish({ ok: true, ...(await getOnce(mod, url, o.timeoutMs, nonces?.[0])) });
    } catch (e) {
      fail(e, e.status ? { status: e.status } : {});
    }
    return;
  }
  // Several requests: who answered each, and which client address each answer saw.
  const answers = [];
  let last;
  for (let i = 0; i < o.count; i++) {
    try {
      last = await getOnce(mod, url, o.timeoutMs, nonces?.[i]);
    } catch (e) {
      fail(e, { answered: answers.length, answers });
      return;
    }
    let reply = {};
    try { reply = JSON.parse(last.body); } catch { /* not an http-echo answer */ }
    answers.push({ pod: reply.pod ?? null, client: reply.client ?? null, path: reply.path ?? null, proof: reply.proof ?? null });
  }
  finish({ ok: true, status: last.status, body: last.body, answers });
}

// ---------------------------------------------------------------- main

const MODES = {
  'http-echo': httpEcho,
  'tcp-echo': tcpEcho,
  'udp-echo': udpEcho,
  'tcp-connect': tcpConnect,
  'tcp-echo-client': tcpEchoClient,
  'udp-echo-client': udpEchoClient,
  'http-get': httpGet,
};

const SERVERS = new Set(['http-echo', 'tcp-echo', 'udp-echo']);

const [mode, ...rest] = process.argv.slice(2);
if (mode === '--help' || mode === '-h' || mode === 'help') {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (!mode || !Object.hasOwn(MODES, mode)) {
  usageExit(mode ? `unknown mode ${JSON.stringify(mode)}` : 'missing mode');
}
const opts = parse(mode, rest);
MODES[mode](opts).catch((err) => {
  if (SERVERS.has(mode)) {
    process.stderr.write(`workload: ${mode}: ${err.stack || err}\n`);
    process.exit(1);
  }
  fail(err);
});
