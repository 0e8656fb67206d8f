/**
 * Live: who answered an HTTP check (SECURITY.md, boundary 13). Lab `idproof`: pod api-1 runs
 * podlab's http-echo; beside it, pods that claim to be api-1 — `fake` runs podlab's own workload
 * binary by hand (`--pod api-1`, the very answer, without api-1's key), `forger` prints an
 * http-echo answer with a made-up proof, `replayer` serves an answer api-1 really gave, for a
 * nonce of its own choosing, to every request — and `relay`, which passes each request on to api-1
 * and its answer back. A Service in front of each: `expectPod: 'api-1'` fails through the three
 * impostors (native probe and curl alike) and passes through api-1 and the relay; a spread counts
 * only the pods that proved themselves. The key reaches no other uid: the lab's secret is root's
 * (0600 in a 0700 folder), api-1's key is on a descriptor only its own uid may open, in neither its
 * command line nor its environment; a restarted container (new uid) and a re-created pod prove
 * again. Then the exercise of test/fixtures/hostile/impersonation graded through the CLI: the
 * honest and the relaying student pass, the impersonator and the forger fail.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workloads, type LabSpec } from '../../src/index.ts';
import { runCheck } from '../../src/check/run.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { recreatePod } from '../../src/runtime/pods.ts';
import { restartContainer } from '../../src/runtime/sandbox.ts';
import { readState, stateDir } from '../../src/runtime/state.ts';
import { WORKLOAD_BIN } from '../../src/runtime/artifacts.ts';
import { workloadKey } from '../../src/lib/proof.ts';
import { inLab, labAroundSuite, liveGuard } from './host.ts';
import { scopedSnapshot, type ScopedSnapshot } from './scoped.ts';

const live = liveGuard();
const name = 'idproof';
const REPO = process.cwd();
const FIXTURE = join(REPO, 'test/fixtures/hostile/impersonation');
const podlab = (...args: string[]) => execa('node', ['bin/podlab.js', ...args], { reject: false, env: { CI: '' }, timeout: 300_000 });

/** An http-echo answer with a proof of 64 hex digits made up, for every request. */
const forge = `require('http').createServer((q, s) => { s.setHeader('content-type', 'application/json'); s.end(JSON.stringify({ pod: 'api-1', proof: 'ab'.repeat(32), podIP: '10.244.0.2', client: q.socket.remoteAddress.replace(/^::ffff:/, ''), clientPort: q.socket.remotePort, method: q.method, path: q.url, hostname: 'api-1', headers: q.headers, host: q.headers.host || '' }) + '\\n'); }).listen(8080);`;
/** Asks api-1 once (through Service direct) with a nonce of its own, then serves that very answer to every request. */
const replay = `const http = require('http'); let body; const ask = () => http.get({ host: '10.96.0.50', port: 80, path: '/', headers: { 'x-podlab-nonce': 'chosen-by-the-replayer' } }, (a) => { let b = ''; a.on('data', (d) => (b += d)); a.on('end', () => { body = b; }); }).on('error', () => setTimeout(ask, 100)); ask(); http.createServer((q, s) => { if (!body) { s.statusCode = 503; return s.end(); } s.setHeader('content-type', 'application/json'); s.end(body); }).listen(8080);`;
/** Passes every request on to api-1 (through Service direct) and its answer back, as nginx would. */
const relay = `const http = require('http'); http.createServer((q, s) => { const r = http.request({ host: '10.96.0.50', port: 80, path: q.url, method: q.method, headers: q.headers }, (a) => { s.writeHead(a.statusCode, a.headers); a.pipe(s); }); r.on('error', () => { s.statusCode = 502; s.end(); }); q.pipe(r); }).listen(8080);`;

const own = (container: string, command: string[]) => ({ name: container, command, ports: [{ containerPort: 8080 }] });
const svc = (app: string, clusterIP?: string) => ({ ...(clusterIP ? { clusterIP } : {}), selector: { app }, ports: [{ port: 80, targetPort: 8080 }] });
const wantApi1 = (to: string, extra: Record<string, unknown> = {}) => ({ kind: 'http' as const, from: 'client', to, expectPod: 'api-1', timeoutMs: 2500, name: `${to}${extra.host ? ' with a Host' : ''}`, ...extra });

const lab: LabSpec = {
  name,
  nodes: { n1: {}, n2: {} },
  cni: 'flannel',
  pods: {
    'api-1': { node: 'n2', labels: { app: 'api' }, containers: [{ name: 'echo', workload: workloads.httpEcho(8080) }] },
    'api-2': { node: 'n1', labels: { app: 'api2' }, containers: [{ name: 'echo', workload: workloads.httpEcho(8080) }] },
    fake: { node: 'n1', labels: { app: 'fake', pair: 'yes' }, containers: [own('fake', [WORKLOAD_BIN, 'http-echo', '--port', '8080', '--pod', 'api-2'])] },
    forger: { node: 'n1', labels: { app: 'forger' }, containers: [own('forger', ['node', '-e', forge])] },
    replayer: { node: 'n1', labels: { app: 'replayer' }, containers: [own('replayer', ['node', '-e', replay])] },
    relay: { node: 'n1', labels: { app: 'relay' }, containers: [own('relay', ['node', '-e', relay])] },
    impostor: { node: 'n1', labels: { app: 'impostor' }, containers: [own('impostor', [WORKLOAD_BIN, 'http-echo', '--port', '8080', '--pod', 'api-1'])] },
    client: { node: 'n1' },
  },
  services: {
    direct: svc('api', '10.96.0.50'),
    impostor: svc('impostor'),
    forger: svc('forger'),
    replayer: svc('replayer'),
    relay: svc('relay'),
    // api-1 and fake, which claims to be api-2: two pods answer, one of them proves it.
    pair: { selector: { pair: 'yes' }, ports: [{ port: 80, targetPort: 8080 }] },
  },
  checks: [
    wantApi1('svc/direct'),
    wantApi1('svc/impostor'),
    wantApi1('svc/forger'),
    wantApi1('svc/replayer'),
    wantApi1('svc/relay'),
    // curl (a Host header): the nonce travels as a header of each of curl's requests.
    wantApi1('svc/impostor', { host: 'api.example' }),
    wantApi1('svc/relay', { host: 'api.example' }),
    { kind: 'http', from: 'client', to: 'svc/pair', requests: 20, expectSpread: 2, timeoutMs: 2500, name: 'spread over the pair' },
  ],
};
// api-1 is one of the pair too (the Service chooses by label).
lab.pods!['api-1']!.labels = { app: 'api', pair: 'yes' };

const result = async (checkName: string) => {
  const state = readState(name)!;
  return runCheck(state, state.plan.checks.find((c) => c.name === checkName)!);
};
const passes = async (checkName: string) => {
  const r = await result(checkName);
  expect(r.status, `${checkName}: ${r.seen}`).toBe('pass');
};

describe.skipIf(!live)('who answered: api-1 proves it, impostors cannot (lab idproof)', () => {
  labAroundSuite(lab);

  it('through api-1 itself and through a relay, expectPod api-1 passes (native probe and curl)', async () => {
    for (const c of ['svc/direct', 'svc/relay', 'svc/relay with a Host']) await passes(c);
  });

  it('through each impostor it fails: the answer did not prove it came from api-1', async () => {
    for (const c of ['svc/impostor', 'svc/forger', 'svc/replayer', 'svc/impostor with a Host']) {
      const r = await result(c);
      expect(r.status, `${c}: ${r.seen}`).toBe('fail');
      expect(r.seen, c).toContain('did not prove it came from pod api-1');
    }
  }, 60_000);

  it('a spread counts only the pods that proved themselves', async () => {
    const r = await result('spread over the pair');
    expect(r.status, r.seen).toBe('fail');
    expect(r.seen).toMatch(/only 1 pod\(s\) answered: (api-1 ×\d+, "api-2" without proof ×\d+|"api-2" without proof ×\d+, api-1 ×\d+)$/);
  });

  it("the lab's secret and the keys are root's alone; api-1 read its key from a descriptor and closed it; the key is in neither its command line nor its environment", async () => {
    const state = readState(name)!;
    const dir = `${stateDir(name)}/identity`;
    for (const d of [dir, `${dir}/keys`]) expect({ mode: statSync(d).mode & 0o777, uid: statSync(d).uid }, d).toEqual({ mode: 0o700, uid: 0 });
    const secret = readFileSync(`${dir}/secret`);
    expect(secret.length).toBe(32);
    const files = [`${dir}/secret`, ...readdirSync(`${dir}/keys`).map((f) => `${dir}/keys/${f}`)];
    // api-1's and api-2's http-echo: a key each; nothing for the commands, which run no podlab http-echo.
    expect(readdirSync(`${dir}/keys`).sort()).toEqual(['pod_api-1.key', 'pod_api-2.key']);
    for (const f of files) expect({ mode: statSync(f).mode & 0o777, uid: statSync(f).uid }, f).toEqual({ mode: 0o600, uid: 0 });
    const key = workloadKey(secret, 'pod/api-1');
    expect(readFileSync(`${dir}/keys/pod_api-1.key`)).toEqual(key);
    const echo = state.pods['api-1']!.containers.echo!;
    const argv = readFileSync(`/proc/${echo.pid}/cmdline`, 'utf8');
    expect(argv.split('\0')).toEqual(expect.arrayContaining(['--key-fd', '3']));
    // Read and closed as it started: no descriptor of the process names a file of the identity folder.
    const fds = readdirSync(`/proc/${echo.pid}/fd`).map((fd) => readlinkSync(`/proc/${echo.pid}/fd/${fd}`));
    expect(fds.filter((l) => l.includes('/identity/'))).toEqual([]);
    for (const f of ['cmdline', 'environ']) {
      const text = readFileSync(`/proc/${echo.pid}/${f}`);
      for (const k of [key, secret]) {
        expect(text.includes(k), f).toBe(false);
        expect(text.includes(Buffer.from(k.toString('hex'))), f).toBe(false);
      }
    }
    // The impostor's uid (another container's) can open neither the key's descriptor nor the files.
    const uid = state.pods.impostor!.containers.impostor!.uid!;
    const as = (argv: string[]) => execa('setpriv', ['--reuid', String(uid), '--regid', String(uid), '--clear-groups', '--', ...argv], { reject: false });
    for (const path of files) {
      const r = await as(['cat', path]);
      expect(r.exitCode, path).not.toBe(0);
      expect(r.stderr, path).toMatch(/Permission denied/);
    }
    // Nor its memory, where the key lives now.
    const mem = await as(['dd', `if=/proc/${echo.pid}/mem`, 'bs=1', 'count=1', 'skip=4096']);
    expect(mem.exitCode).not.toBe(0);
    expect(mem.stderr).toMatch(/Permission denied/);
  });

  it('a request by hand (no nonce) gets the usual answer, without a proof', async () => {
    const r = await inLab(readState(name)!, 'client', ['curl', '-sS', '-m', '2', 'http://10.96.0.50/']);
    const body = JSON.parse(r.stdout);
    expect(body.pod).toBe('api-1');
    expect(body.proof).toBeUndefined();
  });

  it('a restarted container (a new uid) and a re-created pod prove again', async () => {
    const before = readState(name)!.pods['api-1']!.containers.echo!.uid;
    await restartContainer(realExecutor, readState(name)!, 'api-1', 'echo');
    expect(readState(name)!.pods['api-1']!.containers.echo!.uid).not.toBe(before);
    await passes('svc/direct');
    await recreatePod(realExecutor, readState(name)!, 'api-1');
    await passes('svc/direct');
    await passes('svc/relay with a Host');
  }, 60_000);
});

describe.skipIf(!live)('graded: the impersonation exercise (test/fixtures/hostile/impersonation)', () => {
  let dir: string;
  let out: string;
  let before: ScopedSnapshot;
  let run: Awaited<ReturnType<typeof podlab>>;
  const PREFIX = 'id-imp';

  beforeAll(async () => {
    before = await scopedSnapshot([PREFIX]);
    dir = mkdtempSync('/var/tmp/id-imp-');
    chmodSync(dir, 0o755);
    const klass = join(dir, 'class');
    mkdirSync(klass, { mode: 0o700 });
    out = join(dir, 'out');
    for (const f of readdirSync(join(FIXTURE, 'class'))) writeFileSync(join(klass, f), readFileSync(join(FIXTURE, 'class', f), 'utf8').replaceAll('__WORKLOAD__', WORKLOAD_BIN), { mode: 0o644 });
    run = await podlab('grade', FIXTURE, ...readdirSync(klass).sort().map((f) => join(klass, f)), '--out', out, '--jobs', '4', '--lab-prefix', PREFIX);
  }, 400_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the honest and the relaying student pass; the impersonator and the forger fail, told why', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    const row = (s: string) => {
      const r = JSON.parse(readFileSync(join(out, `${s}.json`), 'utf8'));
      return `${r.status} ${r.score}`;
    };
    expect(Object.fromEntries(['honest', 'relayer', 'impersonator', 'forger'].map((s) => [s, row(s)]))).toEqual({ honest: 'pass 2', relayer: 'pass 2', impersonator: 'fail 0', forger: 'fail 0' });
    for (const s of ['impersonator', 'forger']) {
      const item = JSON.parse(readFileSync(join(out, `${s}.json`), 'utf8')).items[0];
      expect(JSON.stringify(item), s).toContain('did not prove it came from pod api-1');
    }
  });

  it('no lab, namespace or process of the run is left', async () => {
    expect(await scopedSnapshot([PREFIX])).toEqual(before);
  });
});
