/**
 * The native built-in servers (native/workload.c) against their Node reference (assets/workload.mjs):
 * the same "listening" line, the same http-echo answer (pod, pod IP, client address, method, path,
 * hostname), the same echoes over TCP and UDP, on IPv4 and IPv6, and exit 0 on SIGTERM; given a
 * key (--key-fd), the same proof of who answered for a request's nonce, lib/proof.ts's (SECURITY.md,
 * boundary 13). They run in a namespace of the test's own (named like a lab's, so `down lt-wl`
 * removes it after a crash).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ping } from '../../src/check/kinds/ping.ts';
import { proofOf } from '../../src/lib/proof.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa, type ResultPromise } from 'execa';
import { down } from '../../src/runtime/down.ts';
import { ensureNative, PROBE_BIN, WORKLOAD_BIN, WORKLOAD_SCRIPT } from '../../src/runtime/artifacts.ts';
import { liveGuard } from './host.ts';

const live = liveGuard();
const LAB = 'lt-wl';
const NS = `podlab-${LAB}.node.t`;
const inNs = (argv: string[]) => ['ip', 'netns', 'exec', NS, ...argv];

interface Server {
  proc: ResultPromise;
  listening: Record<string, unknown>;
}

async function start(argv: string[], env: Record<string, string> = {}): Promise<Server> {
  const [cmd, ...args] = inNs(argv);
  const proc = execa(cmd!, args, { reject: false, env, buffer: false });
  const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('"event":"listening"'));
      if (line) resolve(JSON.parse(line) as Record<string, unknown>);
    });
    proc.on('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code} before listening`)));
  });
  return { proc, listening };
}

async function probe(args: string[]): Promise<Record<string, unknown>> {
  const [cmd, ...rest] = inNs([PROBE_BIN, ...args]);
  const r = await execa(cmd!, rest, { reject: false });
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

const servers: Server[] = [];
const pairs: Record<string, { native: Server; node: Server; nativePort: number; nodePort: number }> = {};

describe.skipIf(!live)('native workloads vs the Node reference', () => {
  beforeAll(async () => {
    const d = await ensureNative();
    if (d) throw new Error(d.message);
    await down(LAB);
    await execa('ip', ['netns', 'add', NS]);
    await execa('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    let port = 18000;
    for (const mode of ['http-echo', 'tcp-echo', 'udp-echo']) {
      const nativePort = port++;
      const nodePort = port++;
      const native = await start([WORKLOAD_BIN, mode, '--port', String(nativePort), '--pod', 'web']);
      const node = await start(['node', WORKLOAD_SCRIPT, mode, '--port', String(nodePort), '--pod', 'web']);
      servers.push(native, node);
      pairs[mode] = { native, node, nativePort, nodePort };
    }
  });

  afterAll(async () => {
    for (const s of servers) s.proc.kill('SIGKILL');
    await down(LAB);
  });

  it('print the same listening line, dual stack on [::]', () => {
    for (const [mode, p] of Object.entries(pairs)) {
      expect(p.native.listening).toEqual({ event: 'listening', mode, pod: 'web', host: '::', port: p.nativePort });
      expect({ ...p.node.listening, port: p.nativePort }).toEqual(p.native.listening);
    }
  });

  it('http-echo: the same answer over IPv4 and IPv6, method and path included', async () => {
    const { nativePort, nodePort } = pairs['http-echo']!;
    for (const host of ['127.0.0.1', '[::1]']) {
      const answer = async (port: number) => {
        const r = await probe(['http-get', '--url', `http://${host}:${port}/a/b?c=d`]);
        expect(r).toMatchObject({ ok: true, status: 200 });
        const body = JSON.parse(r.body as string) as Record<string, unknown>;
        expect(typeof body.clientPort).toBe('number');
        delete body.clientPort;
        return body;
      };
      const native = await answer(nativePort);
      expect(native).toEqual({ pod: 'web', podIP: host.replace(/[[\]]/g, ''), client: host.replace(/[[\]]/g, ''), method: 'GET', path: '/a/b?c=d', hostname: native.hostname, headers: native.headers, host: native.host });
      // The request's headers come back, names lower-cased, and its Host on its own.
      expect(native.host).toBe((native.headers as Record<string, string>).host);
      expect(native.host).toContain(String(nativePort));
      // The Host header names each server's own port; the rest is the same.
      const other = await answer(nodePort);
      expect({ ...native, headers: Object.keys(native.headers as object), host: undefined }).toEqual({ ...other, headers: Object.keys(other.headers as object), host: undefined });
    }
    // Several requests, each on a new connection: every one answered.
    const several = await probe(['http-get', '--url', `http://127.0.0.1:${nativePort}/`, '--count', '20']);
    expect(several).toMatchObject({ ok: true });
    expect(several.answers).toHaveLength(20);
  });

  it('http-echo with a key (--key-fd): native and Node prove the same, lib/proof.ts’s proof, for a request with a nonce only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lt-wl-key-'));
    const key = Buffer.from('00112233445566778899aabbccddeeff0123456789abcdef0123456789abcdef', 'hex');
    writeFileSync(join(dir, 'key'), key, { mode: 0o600 });
    const keyed: Server[] = [];
    try {
      // The key on descriptor 3, as contain hands it over (here the shell opens it).
      for (const [port, argv] of [[18010, [WORKLOAD_BIN]], [18011, ['node', WORKLOAD_SCRIPT]]] as const)
        keyed.push(await start(['sh', '-c', 'exec "$0" "$@" 3<"$KEY"', ...argv, 'http-echo', '--port', String(port), '--pod', 'web', '--key-fd', '3'], { KEY: join(dir, 'key') }));
      const nonces = ['n0', 'nonce-1_A', 'ffffffffffffffffffffffffffffffff'];
      const proofs = async (port: number) => {
        const r = await probe(['http-get', '--url', `http://127.0.0.1:${port}/p?q=1`, '--count', '3', '--nonces', nonces.join(',')]);
        expect(r).toMatchObject({ ok: true });
        return (r.answers as { pod: string; client: string; path: string; proof: string }[]).map((a) => ({ ...a }));
      };
      const native = await proofs(18010);
      expect(native).toEqual(nonces.map((nonce) => ({ pod: 'web', client: '127.0.0.1', path: '/p?q=1', proof: proofOf(key, { nonce, client: '127.0.0.1', path: '/p?q=1' }) })));
      expect(await proofs(18011)).toEqual(native);
      // No nonce, or one that is not a nonce: the usual answer, no proof.
      for (const header of [[], ['-H', 'X-Podlab-Nonce: not a nonce!']]) {
        const [cmd, ...args] = inNs(['curl', '-s', ...header, 'http://127.0.0.1:18010/']);
        expect(JSON.parse((await execa(cmd!, args)).stdout).proof).toBeUndefined();
      }
      // A key that cannot be read (a closed descriptor) is a usage error.
      const r = await execa(WORKLOAD_BIN, ['http-echo', '--port', '18012', '--key-fd', '9'], { reject: false });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain('cannot read the key of --key-fd');
    } finally {
      for (const s of keyed) s.proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('http-echo: a long path full of characters JSON must escape comes back whole', async () => {
    const path = '/' + '"\\'.repeat(1000);
    const [cmd, ...args] = inNs(['curl', '-s', '--path-as-is', `http://127.0.0.1:${pairs['http-echo']!.nativePort}${path}`]);
    const r = await execa(cmd!, args, { reject: false });
    expect(JSON.parse(r.stdout)).toMatchObject({ pod: 'web', path });
  });

  it('http-echo: a request with a body (POST) still gets its answer', async () => {
    const [cmd, ...args] = inNs(['curl', '-s', '-X', 'POST', '--data-binary', 'x'.repeat(100_000), `http://127.0.0.1:${pairs['http-echo']!.nativePort}/post`]);
    const r = await execa(cmd!, args, { reject: false });
    expect(JSON.parse(r.stdout)).toMatchObject({ pod: 'web', method: 'POST', path: '/post' });
  });

  it('tcp-echo and udp-echo: the same echoes', async () => {
    for (const port of [pairs['tcp-echo']!.nativePort, pairs['tcp-echo']!.nodePort]) {
      const [cmd, ...args] = inNs(['node', WORKLOAD_SCRIPT, 'tcp-echo-client', '--host', '127.0.0.1', '--port', String(port), '--message', 'hello, echo']);
      const r = await execa(cmd!, args, { reject: false });
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, received: 'hello, echo' });
    }
    for (const host of ['127.0.0.1', '::1']) {
      const native = await probe(['udp-echo-client', '--host', host, '--port', String(pairs['udp-echo']!.nativePort), '--message', 'ping']);
      const node = await probe(['udp-echo-client', '--host', host, '--port', String(pairs['udp-echo']!.nodePort), '--message', 'ping']);
      expect(native).toEqual({ ok: true, sent: 'ping', received: 'ping', local: host, remote: host });
      expect(node).toEqual(native);
    }
  });

  it('the probe tries again on a new socket while nothing answers: a first SYN or datagram lost (a route still being programmed) costs 200 ms, not the kernel’s 1 s retransmission', async () => {
    const tcp = pairs['tcp-echo']!.nativePort;
    const udpPort = pairs['udp-echo']!.nativePort;
    // Drop only the first SYN and the first datagram to each port (numgen counts from 0).
    const rules = [
      'add table inet lost',
      'add chain inet lost in { type filter hook input priority 0; }',
      `add rule inet lost in tcp dport ${tcp} tcp flags syn numgen inc mod 100000 0 counter drop`,
      `add rule inet lost in udp dport ${udpPort} numgen inc mod 100000 0 counter drop`,
    ];
    const [cmd, ...args] = inNs(['nft', rules.join('; ')]);
    await execa(cmd!, args);
    try {
      // 900 ms: the kernel's own retransmission (1 s) would come too late; the probe's next try does not.
      const connected = await probe(['tcp-connect', '--host', '127.0.0.1', '--port', String(tcp), '--timeout-ms', '900']);
      expect(connected).toMatchObject({ ok: true, remote: '127.0.0.1', remotePort: tcp });
      const echoed = await probe(['udp-echo-client', '--host', '127.0.0.1', '--port', String(udpPort), '--message', 'again', '--timeout-ms', '900']);
      expect(echoed).toMatchObject({ ok: true, received: 'again' });
      const [lc, ...la] = inNs(['nft', '-j', 'list', 'table', 'inet', 'lost']);
      const listed = JSON.parse((await execa(lc!, la)).stdout) as { nftables: { rule?: { expr: { counter?: { packets: number } }[] } }[] };
      const dropped = listed.nftables.flatMap((o) => o.rule?.expr.flatMap((e) => (e.counter ? [e.counter.packets] : [])) ?? []);
      // Each port's first packet was dropped, and only that one.
      expect(dropped).toEqual([1, 1]);
    } finally {
      const [dc, ...da] = inNs(['nft', 'delete', 'table', 'inet', 'lost']);
      await execa(dc!, da);
    }
  });

  it('a ping check sends an echo every 200 ms until one is answered: a first echo lost costs 200 ms, not its whole second', async () => {
    const rules = ['add table inet lostping', 'add chain inet lostping in { type filter hook input priority 0; }', 'add rule inet lostping in icmp type echo-request numgen inc mod 100000 0 counter drop'];
    const [cmd, ...args] = inNs(['nft', rules.join('; ')]);
    await execa(cmd!, args);
    try {
      const [pc, ...pa] = inNs(ping.probe({ to: { ip: '127.0.0.1' } } as Parameters<typeof ping.probe>[0], PROBE_BIN));
      const t0 = Date.now();
      const r = await execa(pc!, pa, { reject: false });
      expect(r.exitCode, r.stdout).toBe(0);
      expect(r.stdout).toMatch(/[2-5] packets transmitted, 1 received/);
      expect(Date.now() - t0).toBeLessThan(1000);
    } finally {
      const [dc, ...da] = inNs(['nft', 'delete', 'table', 'inet', 'lostping']);
      await execa(dc!, da);
    }
  });

  it('usage errors exit 2; a taken port exits 1; SIGTERM exits 0', async () => {
    for (const args of [[], ['nope', '--port', '1'], ['http-echo'], ['http-echo', '--port', '70000'], ['tcp-echo', '--port', '1', '--bogus']]) {
      const r = await execa(WORKLOAD_BIN, args, { reject: false });
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('usage: workload MODE');
    }
    const [cmd, ...args] = inNs([WORKLOAD_BIN, 'http-echo', '--port', String(pairs['http-echo']!.nativePort)]);
    const taken = await execa(cmd!, args, { reject: false });
    expect(taken.exitCode).toBe(1);
    expect(taken.stderr).toMatch(/cannot listen: Address (already )?in use/);

    const s = await start([WORKLOAD_BIN, 'udp-echo', '--port', '18100']);
    s.proc.kill('SIGTERM');
    expect((await s.proc).exitCode).toBe(0);
  });
});
