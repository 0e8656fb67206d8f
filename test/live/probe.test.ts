/**
 * The native check client (native/probe.c) against the Node one it replaces (assets/workload.mjs):
 * for every outcome a check can meet (connected, refused, silent, echoed, HTTP answers plain,
 * chunked, oversized and malformed, several answers, a failure midway) both print a line that the
 * checks' judge reads the same way. Servers listen on loopback only, in the test's own process.
 */
import { createServer as createHttp, type Server as HttpServer } from 'node:http';
import { createServer as createTcp, type Server as TcpServer } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { ensureNative, PROBE_BIN, WORKLOAD_SCRIPT } from '../../src/runtime/artifacts.ts';
import { judge } from '../../src/check/checks.ts';
import type { Plan, PlanCheck } from '../../src/plan/plan.ts';

interface Line {
  ok?: boolean;
  code?: string;
  error?: string;
  status?: number;
  body?: string;
  truncated?: boolean;
  answers?: { pod: string | null; client: string | null }[];
  answered?: number;
  local?: string;
  remote?: string;
  localPort?: number;
  remotePort?: number;
  sent?: string;
  received?: string;
}

async function run(argv: string[]): Promise<{ line: Line; stdout: string; exitCode: number }> {
  const r = await execa(argv[0]!, argv.slice(1), { reject: false, timeout: 10_000 });
  return { line: JSON.parse(r.stdout.trim().split('\n').at(-1) || '{}') as Line, stdout: r.stdout, exitCode: r.exitCode ?? -1 };
}

/** Runs one client mode with both implementations. */
async function both(args: string[]): Promise<{ native: Awaited<ReturnType<typeof run>>; node: Awaited<ReturnType<typeof run>> }> {
  const [native, node] = await Promise.all([run([PROBE_BIN, ...args]), run(['node', WORKLOAD_SCRIPT, ...args])]);
  return { native, node };
}

/** What a judge looks at, without what differs by run (ports, wording of the error text). */
function comparable(l: Line): Line {
  const out: Line = { ...l };
  delete out.localPort;
  delete out.error;
  if (typeof out.body === 'string') out.body = out.body.replace(/"clientPort":\d+/, '"clientPort":0').replace(/"pod-\d"/, '"pod-n"');
  return out;
}

const closed: (() => void)[] = [];
function listening<T extends HttpServer | TcpServer>(server: T, host = '127.0.0.1'): Promise<number> {
  closed.push(() => server.close());
  // A client that stops reading early resets the connection: not the test's failure.
  server.on('connection', (s: import('node:net').Socket) => s.on('error', () => {}));
  return new Promise((res) => server.listen(0, host, () => res((server.address() as { port: number }).port)));
}
function udp(host: string, onMessage: (s: Socket, msg: Buffer, port: number, address: string) => void): Promise<number> {
  const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  closed.push(() => s.close());
  s.on('message', (msg, r) => onMessage(s, msg, r.port, r.address));
  return new Promise((res) => s.bind(0, host, () => res(s.address().port)));
}

const ports: Record<string, number> = {};
let closedPort = 0;

beforeAll(async () => {
  const d = await ensureNative();
  if (d) throw new Error(d.message);
  let served = 0;
  ports.echo = await listening(createHttp((req, res) => {
    const body = JSON.stringify({ pod: `pod-${served++ % 2}`, client: req.socket.remoteAddress, clientPort: req.socket.remotePort, path: req.url }) + '\n';
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }));
  ports.chunked = await listening(createHttp((_req, res) => {
    res.writeHead(404);
    res.write('not ');
    res.end('here — ünïcödé "quoted"\n');
  }));
  ports.big = await listening(createHttp((_req, res) => {
    res.writeHead(200, { 'content-length': 100_000 });
    res.end('x'.repeat(100_000));
  }));
  let n = 0;
  ports.flaky = await listening(createHttp((req, res) => {
    if (n++ % 3 === 2) req.socket.destroy();
    else res.end(JSON.stringify({ pod: 'flaky', client: '127.0.0.1' }));
  }));
  ports.garbage = await listening(createTcp((s) => s.end('SSH-2.0-OpenSSH_9.2\r\n\r\nhello')));
  // Announces 100 bytes, sends 5, closes.
  ports.short = await listening(createTcp((s) => s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello'))));
  // A whole chunked answer on a connection the server keeps open.
  ports.keepOpen = await listening(createTcp((s) => s.once('data', () => s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'))));
  // Bytes that are not UTF-8.
  ports.binary = await listening(createHttp((_req, res) => res.end(Buffer.from([0x61, 0xff, 0x80, 0x80, 0xed, 0xa0, 0x80, 0x62]))));
  // 20 000 bytes in 1-byte chunks: more on the wire than the probe reads.
  ports.tinyChunks = await listening(createTcp((s) => s.once('data', () => {
    s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
    s.end(`${'1\r\nx\r\n'.repeat(20_000)}0\r\n\r\n`);
  })));
  ports.silent = await listening(createTcp(() => {}));
  ports.tcp6 = await listening(createTcp((s) => s.end()), '::1');
  ports.udpEcho = await udp('127.0.0.1', (s, msg, port, address) => s.send(msg, port, address));
  ports.udpWrong = await udp('127.0.0.1', (s, _msg, port, address) => s.send('something else', port, address));
  ports.udpSilent = await udp('127.0.0.1', () => {});
  // A port nobody listens on: bind one, note it, close it.
  const probe = createTcp();
  closedPort = await listening(probe);
  await new Promise((res) => probe.close(res));
});

afterAll(() => {
  for (const close of closed) close();
});

const plan = { lab: 'probe', pods: [], nodes: [], hosts: [], services: [] } as unknown as Plan;
function check(kind: 'tcp' | 'udp' | 'http', port: number, extra: Partial<PlanCheck<'http'>> = {}): PlanCheck<'tcp' | 'udp' | 'http'> {
  return { index: 1, name: 'x', kind, from: { kind: 'node', name: 'n' }, to: { kind: 'ip', name: '127.0.0.1', ip: '127.0.0.1' }, port, expect: 'reach', timeoutMs: 1000, requests: 1, ...extra } as PlanCheck<'tcp' | 'udp' | 'http'>;
}
/** Both lines get the same verdict from the check's judge. */
function sameVerdict(c: PlanCheck<'tcp' | 'udp' | 'http'>, a: string, b: string): boolean {
  const r = (stdout: string) => judge(plan, c, { stdout, stderr: '', exitCode: 0 });
  expect(r(a).ok).toBe(r(b).ok);
  return r(a).ok;
}

describe('native probe vs the Node client', () => {
  it('tcp-connect: connected, refused, IPv6', async () => {
    const ok = await both(['tcp-connect', '--host', '127.0.0.1', '--port', String(ports.echo)]);
    expect(ok.native.exitCode).toBe(0);
    expect(comparable(ok.native.line)).toEqual(comparable(ok.node.line));
    expect(ok.native.line).toMatchObject({ ok: true, local: '127.0.0.1', remote: '127.0.0.1', remotePort: ports.echo });
    expect(sameVerdict(check('tcp', ports.echo!), ok.native.stdout, ok.node.stdout)).toBe(true);

    const refused = await both(['tcp-connect', '--host', '127.0.0.1', '--port', String(closedPort)]);
    expect(refused.native.exitCode).toBe(1);
    expect(refused.native.line).toEqual({ ok: false, code: 'ECONNREFUSED', error: `connect ECONNREFUSED 127.0.0.1:${closedPort}` });
    expect(refused.native.line).toEqual(refused.node.line);
    expect(sameVerdict(check('tcp', closedPort), refused.native.stdout, refused.node.stdout)).toBe(false);

    const v6 = await both(['tcp-connect', '--host', '::1', '--port', String(ports.tcp6)]);
    expect(comparable(v6.native.line)).toEqual(comparable(v6.node.line));
    expect(v6.native.line).toMatchObject({ ok: true, local: '::1', remote: '::1' });
  });

  it('udp-echo-client: echoed, refused, a different reply, no reply', async () => {
    const args = (port: number, t = '2000') => ['udp-echo-client', '--host', '127.0.0.1', '--port', String(port), '--message', 'podlab-check-1', '--timeout-ms', t];
    const echo = await both(args(ports.udpEcho!));
    expect(echo.native.line).toEqual({ ok: true, sent: 'podlab-check-1', received: 'podlab-check-1', local: '127.0.0.1', remote: '127.0.0.1' });
    expect(echo.native.line).toEqual(echo.node.line);

    const refused = await both(args(closedPort));
    expect(comparable(refused.native.line)).toEqual({ ok: false, code: 'ECONNREFUSED' });
    expect(comparable(refused.node.line)).toEqual({ ok: false, code: 'ECONNREFUSED' });

    const wrong = await both(args(ports.udpWrong!));
    expect(wrong.native.exitCode).toBe(1);
    expect(wrong.native.line).toEqual(wrong.node.line);
    expect(wrong.native.line).toMatchObject({ ok: false, code: 'EMISMATCH', received: 'something else' });

    const silent = await both(args(ports.udpSilent!, '300'));
    expect(silent.native.line).toEqual({ ok: false, code: 'ETIMEDOUT', error: `ETIMEDOUT reply from 127.0.0.1:${ports.udpSilent} timed out after 300ms` });
    expect(silent.native.line).toEqual(silent.node.line);
    expect(sameVerdict(check('udp', ports.udpSilent!, { expect: 'no-reach' }), silent.native.stdout, silent.node.stdout)).toBe(true);
  });

  it('http-get: one answer, several answers, chunked, oversized, a path', async () => {
    const url = (port: number, path = '/') => `http://127.0.0.1:${port}${path}`;
    const one = await both(['http-get', '--url', url(ports.echo!, '/a/b?c=d')]);
    expect(comparable(one.native.line)).toEqual(comparable(one.node.line));
    expect(JSON.parse(one.native.line.body!)).toMatchObject({ client: '127.0.0.1', path: '/a/b?c=d' });

    const several = await both(['http-get', '--url', url(ports.echo!), '--count', '4']);
    expect(several.native.line.answers).toHaveLength(4);
    expect(new Set(several.native.line.answers!.map((a) => a.pod))).toEqual(new Set(['pod-0', 'pod-1']));
    expect(several.native.line.answers!.every((a) => a.client === '127.0.0.1')).toBe(true);
    expect(several.node.line.answers).toHaveLength(4);

    const chunked = await both(['http-get', '--url', url(ports.chunked!)]);
    expect(chunked.native.line).toEqual({ ok: true, status: 404, body: 'not here — ünïcödé "quoted"\n' });
    expect(chunked.native.line).toEqual(chunked.node.line);

    const big = await both(['http-get', '--url', url(ports.big!)]);
    expect(big.native.line).toEqual(big.node.line);
    expect(big.native.line).toMatchObject({ ok: true, status: 200, truncated: true });
    expect(big.native.line.body).toHaveLength(64 * 1024);
  });

  it('http-get: a body cut short fails, a complete chunked answer on an open connection passes, bytes that are not UTF-8 read alike', async () => {
    const short = await both(['http-get', '--url', `http://127.0.0.1:${ports.short}/`]);
    expect(short.native.line.ok).toBe(false);
    expect(short.node.line.ok).toBe(false);
    const open = await both(['http-get', '--url', `http://127.0.0.1:${ports.keepOpen}/`, '--timeout-ms', '1500']);
    expect(open.native.line).toEqual({ ok: true, status: 200, body: 'hello' });
    expect(open.native.line).toEqual(open.node.line);
    const binary = await both(['http-get', '--url', `http://127.0.0.1:${ports.binary}/`]);
    expect(binary.native.line).toEqual(binary.node.line);
    expect(binary.native.line.body).toMatch(/^a\uFFFD+b$/);
    const tiny = await run([PROBE_BIN, 'http-get', '--url', `http://127.0.0.1:${ports.tinyChunks}/`]);
    expect(tiny.line).toMatchObject({ ok: true, status: 200, truncated: true });
    expect(tiny.line.body).toMatch(/^x+$/);
  });

  it('http-get: refused, silent, not HTTP, reset midway through several', async () => {
    const refused = await both(['http-get', '--url', `http://127.0.0.1:${closedPort}/`]);
    expect(refused.native.line).toEqual(refused.node.line);
    expect(refused.native.exitCode).toBe(1);

    const silent = await both(['http-get', '--url', `http://127.0.0.1:${ports.silent}/`, '--timeout-ms', '300']);
    expect(comparable(silent.native.line)).toEqual({ ok: false, code: 'ETIMEDOUT' });
    expect(comparable(silent.node.line)).toEqual({ ok: false, code: 'ETIMEDOUT' });

    const garbage = await both(['http-get', '--url', `http://127.0.0.1:${ports.garbage}/`]);
    expect(garbage.native.line.ok).toBe(false);
    expect(garbage.node.line.ok).toBe(false);
    expect(sameVerdict(check('http', ports.garbage!, { expect: 'no-reach' }), garbage.native.stdout, garbage.node.stdout)).toBe(true);

    const midway = await both(['http-get', '--url', `http://127.0.0.1:${ports.flaky}/`, '--count', '3']);
    for (const r of [midway.native, midway.node]) {
      expect(r.line).toMatchObject({ ok: false, answered: 2, answers: [{ pod: 'flaky' }, { pod: 'flaky' }] });
      // Some answered: reached (so a no-reach check fails), but not all (so a reach check fails too).
      expect(judge(plan, check('http', ports.flaky!, { requests: 3 }), { stdout: r.stdout, stderr: '', exitCode: 1 }).ok).toBe(false);
      expect(judge(plan, check('http', ports.flaky!, { requests: 3, expect: 'no-reach' }), { stdout: r.stdout, stderr: '', exitCode: 1 }).ok).toBe(false);
    }
  });

  it('rejects bad usage with exit 2 and the usage text', async () => {
    for (const args of [[], ['nope'], ['tcp-connect', '--host', '127.0.0.1'], ['tcp-connect', '--host', 'example.com', '--port', '80'], ['http-get', '--url', 'ftp://x/'], ['http-get', '--url', 'http://127.0.0.1/', '--count', '0'], ['udp-echo-client', '--host', '127.0.0.1', '--port', '1', '--bogus', 'x']]) {
      const r = await execa(PROBE_BIN, args, { reject: false });
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^probe: .*\nusage: probe MODE/);
      expect(r.stdout).toBe('');
    }
  });
});
