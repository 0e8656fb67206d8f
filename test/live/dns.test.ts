/**
 * Live cluster DNS: the example lab labs/dns.lab.ts (renamed) built for real and queried with dig
 * from pods through the kube-dns Service IP, over UDP and TCP; the DNS container's own namespaces
 * and read-only Corefile; the cluster view following a re-created pod; bad packets answered
 * without harm. A second lab has kubeadm's default Corefile, then gets the course's custom
 * forwarder (and a forward loop) through `reloadDns`, as editing the coredns ConfigMap would.
 * Then the server started by hand: it serves only once its namespace has a default route, and
 * its launcher uses V8's code cache only when the cache is the bundle's own.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dnsLab from '../../labs/dns.lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { runChecks } from '../../src/check/run.ts';
import { down } from '../../src/runtime/down.ts';
import { dnsServerPid, reloadDns, DnsError } from '../../src/runtime/dns.ts';
import { recreatePod } from '../../src/runtime/pods.ts';
import { restartContainer } from '../../src/runtime/sandbox.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { CONTAIN_BIN, DNS_BUNDLE, DNS_CODE_CACHE, DNS_SERVER_BUNDLE, DNSLAT_BIN, ensureDnsServer } from '../../src/runtime/artifacts.ts';
import { CONTAINER_PATH } from '../../src/render/render.ts';
import { LISTENING_MARK, WAIT_NETWORK_FLAG } from '../../src/dns/marks.ts';
import { readState, stateDir, type LabState } from '../../src/runtime/state.ts';
import { inLab, labAroundSuite, liveGuard, WORKLOAD } from './host.ts';
import { scopedSnapshot, type ScopedSnapshot } from './scoped.ts';

const live = liveGuard();

/** `dig +short` from a pod: the answer lines. */
async function short(state: LabState, from: string, args: string[]): Promise<string[]> {
  const r = await inLab(state, from, ['dig', '+short', '+tries=1', '+time=2', ...args]);
  return r.stdout.trim().split('\n').filter(Boolean);
}

/** The status dig reports (NOERROR, NXDOMAIN, …), or the reason there was none. */
async function status(state: LabState, from: string, args: string[]): Promise<string> {
  const r = await inLab(state, from, ['dig', '+tries=1', '+time=2', ...args]);
  return /status: ([A-Z]+)/.exec(r.stdout)?.[1] ?? `no answer: ${r.stdout.trim().split('\n').at(-1)}`;
}

/** Retries `fn` until it returns true or `ms` pass (the server reloads and re-reads in the background). */
async function eventually(fn: () => Promise<boolean>, ms = 8000): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!live)('live cluster DNS (labs/dns.lab.ts)', () => {
  const name = 'ls-dns';
  let before: ScopedSnapshot;
  const state = labAroundSuite({ ...dnsLab, name }, { beforeUp: async () => { before = await scopedSnapshot([name]); } }).lab;

  it('passes every check of the example lab', async () => {
    const results = await runChecks(readState(name)!);
    expect(results.filter((r) => r.status === 'fail')).toEqual([]);
    expect(results.length).toBe(dnsLab.checks!.length);
  });

  it('a fresh lab logs no error: the loop probe, forwarded at start-up, finds its upstream host serving', async () => {
    // The probe times out after 2 s when nothing answers it: wait that long after `up`.
    await new Promise((r) => setTimeout(r, 2500));
    const log = readFileSync(`${stateDir(name)}/logs/kube-system_coredns_coredns.log`, 'utf8');
    expect(log).toContain('listening on :53');
    expect(log.split('\n').filter((l) => l.includes('[ERROR]'))).toEqual([]);
  });

  it('a ClusterFirst pod has kubelet\'s resolv.conf and its own /etc/hosts', async () => {
    const r = await inLab(state(), 'client', ['cat', '/etc/resolv.conf', '/etc/hosts']);
    expect(r.stdout).toContain('nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n');
    expect(r.stdout).toMatch(new RegExp(`\\n${readState(name)!.pods.client!.ip}\\s+client$`));
    const custom = await inLab(state(), 'custom', ['cat', '/etc/resolv.conf']);
    expect(custom.stdout).toContain('search db.shop.svc.cluster.local shop.svc.cluster.local\noptions ndots:2');
  });

  it('dig through the Service IP over UDP and over TCP gives the same answers; getent uses the search list', async () => {
    const web = state().plan.services.find((s) => s.name === 'web')!.clusterIP!;
    expect(await short(state(), 'client', ['@10.96.0.10', 'web.default.svc.cluster.local'])).toEqual([web]);
    expect(await short(state(), 'client', ['+tcp', '@10.96.0.10', 'web.default.svc.cluster.local'])).toEqual([web]);
    const getent = await inLab(state(), 'client', ['getent', 'hosts', 'web']);
    expect(getent.stdout).toMatch(new RegExp(`^${web.replace(/\./g, '\\.')}\\s+web\\.default\\.svc\\.cluster\\.local`));
    // From namespace shop, "db" is shop's headless Service; from default, db.shop crosses namespaces.
    const ips = (await short(state(), 'shop-client', ['+search', 'db'])).sort();
    expect(ips).toEqual([readState(name)!.pods['db-0']!.ip, readState(name)!.pods['db-1']!.ip].sort());
  });

  it('an ExternalName resolves in a pod: the CNAME then the target through forward; getent finds it', async () => {
    const r = await inLab(state(), 'client', ['dig', '+tries=1', '+noall', '+answer', '@10.96.0.10', 'search.shop.svc.cluster.local']);
    const m = /^search\.shop\.svc\.cluster\.local\.\s+(\d+)\s+IN\s+CNAME\s+search\.example\.org\.\nsearch\.example\.org\.\s+\d+\s+IN\s+A\s+203\.0\.113\.81$/m.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    // The kubernetes plugin's ttl 30, lowered by `cache` to what is left of the target's cached answer.
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(Number(m![1])).toBeLessThanOrEqual(30);
    const getent = await inLab(state(), 'client', ['getent', 'hosts', 'search.shop']);
    expect(getent.stdout).toMatch(/^203\.0\.113\.81\s+search\.example\.org\s+search\.shop\.svc\.cluster\.local/);
  });

  it('NXDOMAIN for a missing Service, NODATA (NOERROR, no answers, SOA) for AAAA of an IPv4 Service', async () => {
    expect(await status(state(), 'client', ['@10.96.0.10', 'nope.default.svc.cluster.local'])).toBe('NXDOMAIN');
    const r = await inLab(state(), 'client', ['dig', '+tries=1', '@10.96.0.10', 'web.default.svc.cluster.local', 'AAAA']);
    expect(r.stdout).toContain('status: NOERROR');
    expect(r.stdout).toContain('ANSWER: 0');
    expect(r.stdout).toMatch(/AUTHORITY SECTION:\ncluster\.local\.\s+\d+\s+IN\s+SOA\s+ns\.dns\.cluster\.local\./);
  });

  it('the DNS container has its own PID namespace (it is PID 1 there) and a read-only /etc/coredns', async () => {
    const pid = dnsServerPid(readState(name)!)!;
    expect(pid).toBeGreaterThan(0);
    const nspid = /NSpid:\s+(.*)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!.trim().split(/\s+/);
    expect(nspid.at(-1)).toBe('1');
    const { readlinkSync } = await import('node:fs');
    expect(readlinkSync(`/proc/${pid}/ns/pid`)).not.toBe(readlinkSync('/proc/self/ns/pid'));
    expect(readlinkSync(`/proc/${pid}/ns/mnt`)).not.toBe(readlinkSync('/proc/self/ns/mnt'));
    const w = await inLab(state(), 'kube-system/coredns', ['sh', '-c', 'head -2 /etc/coredns/Corefile; touch /etc/coredns/x']);
    expect(w.stdout).toContain('.:53 {');
    expect(w.stderr).toContain('Read-only file system');
  });

  it("the DNS server runs with a container's environment, not podlab's (nor this test runner's)", () => {
    const pid = dnsServerPid(readState(name)!)!;
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
    expect(env).toEqual(expect.arrayContaining([`PATH=${CONTAINER_PATH}`, 'HOSTNAME=coredns', 'POD_NAME=coredns', 'POD_NAMESPACE=kube-system']));
    expect(process.env.VITEST).toBeDefined();
    expect(env.filter((v) => /^(VITEST|NODE_EXTRA_CA_CERTS|NODE_OPTIONS)=/.test(v))).toEqual([]);
  });

  it('the server took the DNS sockets its container bound before Node started (socket activation)', async () => {
    const pid = dnsServerPid(readState(name)!)!;
    const { readlinkSync } = await import('node:fs');
    // contain --listen tcp4:53 --listen udp4:53 (UDP last: see dnsListeners): fds 3 and 4, taken by the server, not bound again.
    expect(readlinkSync(`/proc/${pid}/fd/3`)).toMatch(/^socket:/);
    expect(readlinkSync(`/proc/${pid}/fd/4`)).toMatch(/^socket:/);
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8');
    expect(env).toContain('LISTEN_FDNAMES=tcp4-53:udp4-53');
    const ss = await inLab(state(), 'kube-system/coredns', ['ss', '-Hlnup']);
    const inodes = (text: string) => [...text.matchAll(/:53\s/g)].length;
    expect(inodes(ss.stdout), ss.stdout).toBe(1);
    expect(ss.stdout).toContain(`pid=${pid},fd=4`);
    const tcp = await inLab(state(), 'kube-system/coredns', ['ss', '-Hlntp']);
    expect(tcp.stdout).toMatch(new RegExp(`:53\\s[\\s\\S]*pid=${pid},fd=3`));
  });

  it('readiness and metrics are served on the ready, health and prometheus ports', async () => {
    const podIp = readState(name)!.pods.coredns!.ip!;
    const get = async (url: string) => JSON.parse((await inLab(state(), 'client', ['node', WORKLOAD, 'http-get', '--url', url, '--timeout-ms', '2000'])).stdout);
    expect(await get(`http://${podIp}:8181/ready`)).toMatchObject({ ok: true, status: 200 });
    expect(await get(`http://${podIp}:8080/health`)).toMatchObject({ ok: true, status: 200 });
    const m = await get('http://10.96.0.10:9153/metrics');
    expect(m.body).toContain('coredns_dns_requests_total{proto="udp"}');
  });

  it('a restarted DNS container binds the port again once its predecessor let go, and answers', async () => {
    const before = dnsServerPid(readState(name)!)!;
    await restartContainer(realExecutor, readState(name)!, 'coredns', 'coredns');
    // The restart returns once contain has bound the server's sockets, which it does before it
    // starts the server: the server's process may come a moment later.
    expect(await eventually(async () => dnsServerPid(readState(name)!) !== undefined)).toBe(true);
    const after = dnsServerPid(readState(name)!)!;
    expect(after).toBeGreaterThan(0);
    expect(after).not.toBe(before);
    expect(await eventually(async () => (await short(readState(name)!, 'client', ['web.default.svc.cluster.local'])).length > 0)).toBe(true);
    const { readlinkSync } = await import('node:fs');
    expect(readlinkSync(`/proc/${after}/fd/3`)).toMatch(/^socket:/);
  });

  it('a re-created pod gets a new IP and DNS answers with it', async () => {
    const r = await recreatePod(realExecutor, readState(name)!, 'db-0');
    expect(r.ip).not.toBe(r.oldIp);
    expect(await eventually(async () => (await short(state(), 'shop-client', ['+search', 'db-0.db'])).includes(r.ip))).toBe(true);
  });

  it("the benchmark's latency client (dnslat) gets every answer through the Service IP, and counts a silent port's queries as lost", async () => {
    const { writeFileSync, rmSync } = await import('node:fs');
    const file = `/tmp/podlab-dnslat-${process.pid}.txt`;
    writeFileSync(file, 'web.default.svc.cluster.local A\nkube-dns.kube-system.svc.cluster.local A\nweb.default.svc.cluster.local SRV\n');
    try {
      const run = async (port: number, ms: number) => {
        const r = await inLab(state(), 'client', [DNSLAT_BIN, '--server', '10.96.0.10', '--port', String(port), '--queries', file, '--rate', '500', '--seconds', '1', '--timeout-ms', String(ms)]);
        expect(r.exitCode, r.stderr).toBe(0);
        return JSON.parse(r.stdout) as Record<string, number>;
      };
      const ok = await run(53, 2000);
      expect(ok).toMatchObject({ sent: 500, answered: 500, lost: 0, mismatched: 0 });
      expect(ok.p50Ms).toBeGreaterThan(0);
      expect(ok.p50Ms).toBeLessThanOrEqual(ok.p99Ms!);
      expect(ok.p99Ms).toBeLessThanOrEqual(ok.maxMs!);
      expect(await run(5399, 200)).toMatchObject({ sent: 500, answered: 0, lost: 500, p99Ms: -1 });
      const usage = await inLab(state(), 'client', [DNSLAT_BIN, '--port', '53']);
      expect([usage.exitCode, usage.stderr]).toEqual([2, expect.stringMatching(/--port, --queries, --rate and --seconds are required/)]);
      writeFileSync(file, 'not-a-query-line\n');
      const empty = await inLab(state(), 'client', [DNSLAT_BIN, '--port', '53', '--queries', file, '--rate', '1', '--seconds', '1']);
      expect([empty.exitCode, empty.stderr]).toEqual([2, expect.stringMatching(/no usable queries/)]);
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('malformed and oversized packets get FORMERR or nothing, and the server keeps answering', async () => {
    const script = `
      const s = require('dgram').createSocket('udp4'); const out = [];
      s.on('message', (m) => out.push(m.readUInt16BE(2) & 15));
      const send = (b) => s.send(b, 53, '10.96.0.10');
      send(Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x05]));   // header, then a truncated name
      send(Buffer.alloc(3));                                                             // not even a header
      send(Buffer.alloc(4000, 0x41));                                                    // oversized garbage
      setTimeout(() => { console.log(JSON.stringify(out)); s.close(); }, 700);`;
    const r = await inLab(state(), 'client', ['node', '-e', script]);
    const rcodes = JSON.parse(r.stdout) as number[];
    expect(rcodes).toContain(1); // FORMERR
    expect(await short(state(), 'client', ['@10.96.0.10', 'web.default.svc.cluster.local'])).toHaveLength(1);
  });

  it('down leaves nothing of the lab on the host', async () => {
    await down(name);
    expect(await scopedSnapshot([name])).toEqual(before);
  });
});

/** kubeadm's default Corefile: `forward . /etc/resolv.conf`, and the nodes have no resolvers. */
function defaultLab(name: string): LabSpec {
  return {
    name,
    nodes: { 'cp': { role: 'control-plane' }, 'w': {} },
    cni: 'kubenet',
    pods: { client: { node: 'w' }, web: { node: 'w', labels: { app: 'web' } } },
    services: { web: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
    hosts: { upstream: { network: 'external', ip: '203.0.113.53', dns: { zones: { 'example.org': dnsLab.hosts!.upstream!.dns!.zones!['example.org']! } } } },
  };
}

describe.skipIf(!live)('live Corefile changes: the custom-forwarder exercise, reload, a loop', () => {
  const name = 'ls-dnsdef';
  const state = labAroundSuite(defaultLab(name)).lab;
  const forwarder = (to: string) => `.:53 {\n    errors\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n    }\n    forward . ${to}\n    loop\n}\n`;

  it('with the default Corefile, cluster names resolve and the upstream\'s names do not', async () => {
    expect(await short(state(), 'client', ['+search', 'web'])).toHaveLength(1);
    expect(await status(state(), 'client', ['www.example.org'])).toBe('SERVFAIL');
  });

  it('a Corefile that does not load is refused and changes nothing', () => {
    expect(() => reloadDns(realExecutor, readState(name)!, '.:53 {\n    forwrd . 203.0.113.53\n}\n')).toThrow(DnsError);
    expect(readFileSync(`/run/podlab/${name}/rendered/dns/Corefile`, 'utf8')).toContain('forward . /etc/resolv.conf');
  });

  it('forward . <upstream> (the course\'s custom forwarder), reloaded: the upstream\'s names resolve', async () => {
    reloadDns(realExecutor, readState(name)!, forwarder('203.0.113.53'));
    expect(await eventually(async () => (await short(state(), 'client', ['www.example.org'])).includes('203.0.113.80'))).toBe(true);
    expect(await short(state(), 'client', ['+search', 'web'])).toHaveLength(1);
  });

  it('a forward loop is detected and logged; the server keeps answering cluster names and fails the rest fast', async () => {
    reloadDns(realExecutor, readState(name)!, forwarder('127.0.0.1'));
    const log = readState(name)!.pods.coredns!.containers.coredns!.log;
    expect(await eventually(async () => readFileSync(log, 'utf8').includes('plugin/loop: Loop'))).toBe(true);
    expect(await short(state(), 'client', ['+search', 'web'])).toHaveLength(1);
    const started = Date.now();
    expect(await status(state(), 'client', ['www.example.org'])).toBe('SERVFAIL');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(dnsServerPid(readState(name)!)).toBeGreaterThan(0);
  });
});

/**
 * A DNS server started by hand: a namespace named like lab `lab`'s pods (so `down lab` removes what
 * a failed run leaves) with loopback up and `corefile` in /tmp/podlab-<lab>; the server a test
 * hands to `started` is killed after the suite.
 */
function handStartedServer(lab: string, corefile: string) {
  const netns = `podlab-${lab}.pod.default.t`;
  const dir = `/tmp/podlab-${lab}`;
  let server: { kill(signal: 'SIGKILL'): unknown; catch(f: () => undefined): Promise<unknown> } | undefined;
  beforeAll(async () => {
    const d = await ensureDnsServer();
    if (d) throw new Error(d.message);
    await down(lab);
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/Corefile`, corefile);
    await execa('ip', ['netns', 'add', netns]);
    await execa('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  });
  afterAll(async () => {
    server?.kill('SIGKILL');
    await server?.catch(() => undefined);
    await down(lab);
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    netns,
    dir,
    inNs: (argv: string[]) => execa('ip', ['netns', 'exec', netns, ...argv], { reject: false }),
    started: <T extends NonNullable<typeof server>>(p: T): T => {
      server = p;
      return p;
    },
  };
}

describe.skipIf(!live)('podlab-dns -podlab.wait-network (how up starts a pod\'s DNS server during its CNI call)', () => {
  const { netns, dir, inNs, started } = handStartedServer('lt-dw', '.:53 {\n    whoami\n}\n');

  it('serves nothing while the namespace has no default route, and starts serving once the route is added', async () => {
    let out = '';
    const server = started(execa('ip', ['netns', 'exec', netns, process.execPath, DNS_BUNDLE, '-conf', `${dir}/Corefile`, '-dns.port', '5399', WAIT_NETWORK_FLAG], { reject: false, stdin: 'ignore' }));
    server.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    // Long enough for Node to start and load the Corefile (about 0.1 s here), even on a busy runner.
    await new Promise((r) => setTimeout(r, 1500));
    expect(server.exitCode).toBeNull();
    expect(out).not.toContain(LISTENING_MARK);
    const early = await inNs(['dig', '+short', '+tries=1', '+time=1', '-p', '5399', '@127.0.0.1', 'whoami.example']);
    expect(early.stdout).toContain('connection refused');
    // What the bridge plugin does last: the pod's interface, its address, then its default route.
    for (const argv of [
      ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'gw'],
      ['addr', 'add', '10.77.0.2/24', 'dev', 'eth0'],
      ['link', 'set', 'eth0', 'up'],
      ['link', 'set', 'gw', 'up'],
      ['route', 'add', 'default', 'via', '10.77.0.1'],
    ])
      await execa('ip', ['-n', netns, ...argv]);
    const deadline = Date.now() + 10_000;
    while (!out.includes(LISTENING_MARK) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(out).toContain(LISTENING_MARK);
    // whoami answers with the client's address and port in the additional section.
    const answer = await inNs(['dig', '+tries=1', '+time=2', '-p', '5399', '@127.0.0.1', 'whoami.example']);
    expect(answer.stdout).toContain('status: NOERROR');
    expect(answer.stdout).toMatch(/whoami\.example\.\s+0\s+IN\s+A\s+127\.0\.0\.1/);
  });
});

describe.skipIf(!live)('podlab-dns from sockets its container bound (contain --listen, how up starts the cluster DNS)', () => {
  const { netns, dir, inNs, started } = handStartedServer('lt-sa', '.:5399 {\n    whoami\n}\n');

  it('a query sent before the server started waits in the socket and is answered; a passed port no server block serves is closed', async () => {
    let out = '';
    // The program starts a second after contain bound the sockets: the query below is sent meanwhile
    // (--no-tmp: the Corefile is in the host's /tmp).
    const program = `sleep 1; exec ${process.execPath} ${DNS_BUNDLE} -conf ${dir}/Corefile`;
    const server = started(execa('ip', ['netns', 'exec', netns, CONTAIN_BIN, '--uid', '64999', '--gid', '64999', '--no-tmp', '--listen', 'udp4:5399', '--listen', 'tcp4:5399', '--listen', 'udp4:5400', '--', 'sh', '-c', program], { reject: false, stdin: 'ignore', all: true }));
    server.all!.on('data', (b: Buffer) => (out += b.toString()));
    const deadline = Date.now() + 5000;
    while (!(await inNs(['ss', '-Hlnu'])).stdout.includes(':5399') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(out).not.toContain(LISTENING_MARK);
    const [udp, tcp] = await Promise.all([
      inNs(['dig', '+tries=1', '+time=8', '-p', '5399', '@127.0.0.1', 'whoami.example']),
      inNs(['dig', '+tcp', '+tries=1', '+time=8', '-p', '5399', '@127.0.0.1', 'whoami.example']),
    ]);
    expect(out).toContain(LISTENING_MARK);
    for (const r of [udp, tcp]) {
      expect(r.stdout).toContain('status: NOERROR');
      expect(r.stdout).toMatch(/whoami\.example\.\s+0\s+IN\s+A\s+127\.0\.0\.1/);
    }
    expect(out).toContain('[INFO] podlab-dns: closing passed socket udp4-5400: no server block serves it');
    const closed = await inNs(['dig', '+short', '+tries=1', '+time=1', '-p', '5400', '@127.0.0.1', 'whoami.example']);
    expect(closed.stdout).toContain('connection refused');
    expect(server.exitCode).toBeNull();
  });

  it('contain refuses a --listen it cannot parse, before starting anything', async () => {
    const r = await execa(CONTAIN_BIN, ['--uid', '64999', '--gid', '64999', '--listen', 'udp4:http', '--', 'true'], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--listen takes udp4:PORT, tcp4:PORT, udp6:PORT or tcp6:PORT');
  });
});

describe.skipIf(!live)('podlab-dns\'s code cache (launch.ts)', () => {
  const dir = '/tmp/podlab-lt-dns-cache';
  const launcher = `${dir}/podlab-dns.cjs`;

  /** Starts a launcher in a network namespace of its own until it serves; its stdout and stderr. */
  async function startOnce(file: string): Promise<{ stdout: string; stderr: string }> {
    const p = execa('unshare', ['--net', '--', process.execPath, file, '-conf', `${dir}/Corefile`, '-dns.port', '5399'], {
      reject: false,
      stdin: 'ignore',
      env: { PATH: CONTAINER_PATH, PODLAB_DNS_TRACE_CACHE: '1' },
      extendEnv: false,
    });
    let stdout = '';
    p.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    const deadline = Date.now() + 10_000;
    while (!stdout.includes(LISTENING_MARK) && p.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    p.kill('SIGKILL');
    const r = await p;
    return { stdout, stderr: String(r.stderr) };
  }

  beforeAll(async () => {
    const d = await ensureDnsServer();
    if (d) throw new Error(d.message);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/Corefile`, '.:53 {\n    whoami\n}\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A copy of the built launcher, server bundle and cache in `dir`, the server's text changed by `edit`. */
  function copyBuild(edit: (server: string) => string = (s) => s, cache: (c: Buffer) => Buffer = (c) => c): void {
    writeFileSync(launcher, readFileSync(DNS_BUNDLE));
    writeFileSync(`${dir}/server.cjs`, edit(readFileSync(DNS_SERVER_BUNDLE, 'utf8')));
    writeFileSync(`${dir}/server.cache`, cache(readFileSync(DNS_CODE_CACHE)));
  }

  it('is written with the bundle, headed by the SHA-1 of the bundle, and the DNS pod\'s server starts from it', async () => {
    const cache = readFileSync(DNS_CODE_CACHE);
    expect(cache.subarray(0, 20).toString('hex')).toBe(createHash('sha1').update(readFileSync(DNS_SERVER_BUNDLE)).digest('hex'));
    const run = await startOnce(DNS_BUNDLE);
    expect(run.stderr).toContain('code cache accepted');
    expect(run.stdout).toContain(LISTENING_MARK);
  });

  it('is not used for another bundle of the same length, whose code then runs', async () => {
    // V8 itself checks only the length: without the digest the old version line would be printed.
    copyBuild((s) => s.replace('(podlab-dns, CoreDNS-compatible)', '(podlab-dnZ, CoreDNS-compatible)'));
    expect(readFileSync(`${dir}/server.cjs`).length).toBe(readFileSync(DNS_SERVER_BUNDLE).length);
    const run = await startOnce(launcher);
    expect(run.stderr).toContain('code cache stale');
    expect(run.stdout).toContain('(podlab-dnZ, CoreDNS-compatible)');
    expect(run.stdout).toContain(LISTENING_MARK);
  });

  it('leaves the server starting without it when V8 rejects it, or when it is missing', async () => {
    copyBuild(undefined, (c) => Buffer.concat([c.subarray(0, 20), Buffer.alloc(c.length - 20, 0x5a)]));
    const rejected = await startOnce(launcher);
    expect(rejected.stderr).toContain('code cache rejected');
    expect(rejected.stdout).toContain(LISTENING_MARK);
    rmSync(`${dir}/server.cache`);
    const missing = await startOnce(launcher);
    expect(missing.stderr).toContain('code cache missing');
    expect(missing.stdout).toContain(LISTENING_MARK);
  });
});
