/**
 * The grading sandbox against hostile submissions: each case is a small lab file written to a
 * temp dir, evaluated, and judged by its exact `reason` and by what it must not have done to the
 * host. The isolation cases need root (unshare, contain); under CI=true a non-root run fails
 * instead of skipping them.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../src/compile/load.ts';
import { evaluateInSandbox, sandboxAvailable, type SandboxResult } from '../../src/grade/sandbox.ts';

const isRoot = process.getuid?.() === 0;
import { PODLAB_UIDS, UID_LOCK_DIR } from '../../src/constants.ts';
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const GRADE_ROOT = join(REPO, 'build', 'grade-tmp');
const dir = mkdtempSync(join(tmpdir(), 'grade-sandbox-test-'));
/** Per run, so a marker file from an earlier run cannot make a test pass or fail. */
const tag = randomBytes(6).toString('hex');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A process that waits, and a fork bomb, in Node: the sandbox's view holds no shell and no host program. */
const SLEEPER = 'setTimeout(() => {}, 600000)';
const BOMB = "const { spawn } = require('node:child_process'); const b = () => { try { spawn(process.execPath, process.execArgv, { detached: true, stdio: 'ignore' }).on('error', () => {}); } catch {} }; for (;;) b();";

function submission(name: string, ...lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function failure(r: SandboxResult): Extract<SandboxResult, { ok: false }> {
  if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r.value).slice(0, 200)}`);
  return r;
}

/** Processes of `uid` whose command is one of `names` (to see that nothing a submission started outlives it). */
function processesOf(uid: number, names: string[]): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const comm = /^Name:\s+(\S+)/m.exec(status)?.[1] ?? '';
      if (Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]) === uid && names.includes(comm)) found.push(`${pid}:${comm}`);
    } catch {
      /* exited */
    }
  }
  return found;
}

const GOOD = [
  "import { container, defineLab, workloads } from 'podlab';",
  'export default defineLab({',
  "  name: 'good',",
  "  nodes: { w1: { ip: '172.16.94.11' } },",
  "  pods: { web: { node: 'w1', containers: [container(workloads.httpEcho(8080))] } },",
  '});',
];

it('is confined wherever grading is meant to be trusted', () => {
  if (process.env.CI === 'true') expect(isRoot, 'CI must run the grading sandbox tests as root, or they prove nothing').toBe(true);
  const s = sandboxAvailable();
  if (isRoot) expect(s).toEqual({ ok: true });
  else expect(s).toMatchObject({ ok: false, why: expect.stringContaining('not running as root') });
});

describe('grading sandbox: any user', () => {
  it('a good lab comes back equal to what it exports, and the throw-away copy is gone', async () => {
    const before = new Set(existsSync(GRADE_ROOT) ? readdirSync(GRADE_ROOT) : []);
    const r = await evaluateInSandbox(submission('good.lab.ts', ...GOOD));
    expect(r).toMatchObject({ ok: true, value: { name: 'good', nodes: { w1: { ip: '172.16.94.11' } }, pods: { web: { node: 'w1', containers: [{ name: 'http-echo', workload: { kind: 'http-echo', port: 8080 } }] } } } });
    expect(readdirSync(GRADE_ROOT).filter((e) => !before.has(e))).toEqual([]);
  });

  it('a course lab comes back exactly as loadLab returns it', async () => {
    const file = join(REPO, 'labs', 'pod-networking.lab.ts');
    const [sandboxed, loaded] = await Promise.all([evaluateInSandbox(file), loadLab(file)]);
    expect(sandboxed.ok).toBe(true);
    expect(sandboxed.ok && sandboxed.value).toEqual(loaded.value);
  });

  it('`export const lab` is accepted in place of a default export', async () => {
    const r = await evaluateInSandbox(submission('named.lab.ts', "export const lab = { name: 'named' };"));
    expect(r).toMatchObject({ ok: true, value: { name: 'named' } });
  });

  it('throw → threw, with the message and the line', async () => {
    const r = failure(await evaluateInSandbox(submission('boom.lab.ts', 'const x = 1;', "throw new Error('boom');", 'export default { x };')));
    expect(r.reason).toBe('threw');
    expect(r.message).toContain('Error: boom (boom.lab.ts:2:7)');
  });

  it('throw of a non-Error → threw, showing the value', async () => {
    const r = failure(await evaluateInSandbox(submission('value.lab.ts', "throw { why: 'no' };", 'export default {};')));
    expect(r.reason).toBe('threw');
    expect(r.message).toContain('thrown value: {"why":"no"}');
  });

  it('a top-level await that can never settle → threw, saying so', async () => {
    const r = failure(await evaluateInSandbox(submission('tla.lab.ts', 'await new Promise(() => {});', 'export default {};')));
    expect(r.reason).toBe('threw');
    expect(r.message).toContain('never settles');
  });

  it('a syntax error → threw, positioned', async () => {
    const r = failure(await evaluateInSandbox(submission('syntax.lab.ts', 'export default {', "  name: 'x',,", '};')));
    expect(r.reason).toBe('threw');
    expect(r.message).toMatch(/syntax error: .* \(syntax\.lab\.ts:2:\d+\)/);
  });

  it('no default and no `lab` export → no-export', async () => {
    const r = failure(await evaluateInSandbox(submission('none.lab.ts', "export const other = { name: 'x' };")));
    expect(r.reason).toBe('no-export');
    expect(r.message).toContain('export default defineLab');
  });

  it.each([
    ['a function', "export default { name: 'x', pods: { 'web-1': { run: () => 1 } } };", 'lab.pods["web-1"].run is a function'],
    ['a cycle', "const lab: any = { name: 'x', nodes: {} }; lab.nodes.self = lab; export default lab;", 'lab.nodes.self refers back'],
    ['a BigInt', "export default { name: 'x', size: 10n };", 'lab.size is a bigint'],
    ['a Date', "export default { name: 'x', when: new Date(0) };", 'lab.when is a Date'],
    ['NaN', "export default { name: 'x', mtu: NaN };", 'lab.mtu is NaN'],
    ['a Map', "export default new Map([['name', 'x']]);", 'lab is a Map'],
  ])('%s in the export → not-data, naming where', async (_what, source, where) => {
    const r = failure(await evaluateInSandbox(submission('notdata.lab.ts', source)));
    expect(r.reason).toBe('not-data');
    expect(r.message).toContain(where);
  });

  it('while (true) {} → timeout, killed within the limit plus ~1 s', async () => {
    const r = failure(await evaluateInSandbox(submission('loop.lab.ts', 'while (true) {}', 'export default {};'), { timeoutMs: 3000 }));
    expect(r.reason).toBe('timeout');
    expect(r.ms).toBeGreaterThanOrEqual(3000);
    expect(r.ms).toBeLessThan(4500);
  });

  it('an endless await on a live timer → timeout', async () => {
    const r = failure(await evaluateInSandbox(submission('wait.lab.ts', 'await new Promise((r) => setInterval(() => {}, 1000));', 'export default {};'), { timeoutMs: 2000 }));
    expect(r.reason).toBe('timeout');
  });

  it('JS heap allocated until death → memory; podlab is unaffected and grades the next one', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const r = failure(await evaluateInSandbox(submission('heap.lab.ts', 'const a: number[][] = [];', 'while (true) a.push(new Array(1e6).fill(1.5));', 'export default {};'), { memoryMb: 128, timeoutMs: 20000 }));
    expect(r.reason).toBe('memory');
    expect(r.message).toMatch(/out of memory \(limit 128 MB\)/);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(50 * 1024 * 1024);
    expect((await evaluateInSandbox(submission('after-heap.lab.ts', ...GOOD))).ok).toBe(true);
  });

  it('buffers allocated until death (outside the JS heap) → memory, by RLIMIT_DATA', async () => {
    const r = failure(await evaluateInSandbox(submission('buffers.lab.ts', 'const b: Buffer[] = [];', 'while (true) b.push(Buffer.alloc(32 << 20, 1));', 'export default {};'), { memoryMb: 128, timeoutMs: 20000 }));
    expect(r.reason).toBe('memory');
  });

  it('process.exit(0) before anything is exported → exited, saying so', async () => {
    const r = failure(await evaluateInSandbox(submission('exit.lab.ts', 'process.exit(0);', "export default { name: 'x' };")));
    expect(r.reason).toBe('exited');
    expect(r.message).toContain('process.exit()');
  });

  it('process.exit(3) → exited, with the exit code', async () => {
    const r = failure(await evaluateInSandbox(submission('exit3.lab.ts', 'process.exit(3);', "export default { name: 'x' };")));
    expect(r.reason).toBe('exited');
    expect(r.message).toContain('exit code 3');
  });

  it('a huge export → output-too-large', async () => {
    const r = failure(await evaluateInSandbox(submission('huge.lab.ts', "export default { name: 'x', blob: 'x'.repeat(5_000_000) };")));
    expect(r.reason).toBe('output-too-large');
  });

  it('a big lab (600 KB) comes back whole, after what the submission printed', async () => {
    const r = await evaluateInSandbox(submission('big.lab.ts', "console.log('z'.repeat(300_000));", "export default { name: 'big', blob: 'x'.repeat(600_000) };"));
    expect(r.ok).toBe(true);
    expect((r as { value: { blob: string } }).value.blob).toHaveLength(600_000);
  });

  it('printing without end → output-too-large, killed before the deadline', async () => {
    // Each write waits for the last: a loop that never yields cannot get past the socket buffer, and ends as memory or timeout instead.
    const r = failure(await evaluateInSandbox(submission('flood.lab.ts', "const s = 'y'.repeat(65536) + '\\n';", 'while (true) await new Promise((r) => process.stdout.write(s, r));', 'export default {};'), { timeoutMs: 8000 }));
    expect(r.reason).toBe('output-too-large');
    expect(r.ms).toBeLessThan(8000);
  });

  it('a symlink is refused → unreadable (root would copy what it points at)', async () => {
    const link = join(dir, 'shadow.lab.ts');
    symlinkSync('/etc/shadow', link);
    const r = failure(await evaluateInSandbox(link));
    expect(r.reason).toBe('unreadable');
    expect(r.message).toMatch(/^PL0005 .*symbolic link; links are not followed/);
  });
});

describe.skipIf(!isRoot)('grading sandbox: as root, the submission is a uid of its own with no network', () => {
  it('writing a file → threw (read-only mounts), and the file does not exist', async () => {
    const target = `/tmp/pwned-${tag}`;
    const r = failure(await evaluateInSandbox(submission('write.lab.ts', "import { writeFileSync } from 'node:fs';", `writeFileSync('${target}', 'x');`, 'export default {};')));
    expect(r.reason).toBe('threw');
    expect(r.message).toMatch(/EROFS/);
    expect(existsSync(target)).toBe(false);
  });

  it('no place takes a file: /tmp, /dev/shm and its own directory are read-only, /var/tmp and /run/lock are not there', async () => {
    const targets = ['/tmp', '/var/tmp', '/dev/shm', '/run/lock'].map((d) => `${d}/pwned-${tag}`);
    const r = await evaluateInSandbox(
      submission(
        'writes.lab.ts',
        "import { writeFileSync } from 'node:fs';",
        `const targets = ${JSON.stringify(targets)}.concat(new URL('./pwned-${tag}', import.meta.url).pathname);`,
        'export default Object.fromEntries(targets.map((t) => { try { writeFileSync(t, "x"); return [t, "written"]; } catch (e: any) { return [t, e.code]; } }));',
      ),
    );
    expect(r.ok).toBe(true);
    const outcomes = Object.values((r as { value: Record<string, string> }).value);
    expect(outcomes).toHaveLength(5);
    const byTarget = (r as { value: Record<string, string> }).value;
    for (const t of ['/tmp', '/dev/shm'].map((d) => `${d}/pwned-${tag}`)) expect(byTarget[t]).toBe('EROFS');
    for (const t of ['/var/tmp', '/run/lock'].map((d) => `${d}/pwned-${tag}`)) expect(byTarget[t]).toBe('ENOENT');
    for (const o of outcomes) expect(['EROFS', 'EACCES', 'ENOENT']).toContain(o);
    for (const t of targets) expect(existsSync(t)).toBe(false);
  });

  it('spawning a process: no shell or host program is in view; Node itself runs as the sandbox uid and cannot create what root could', async () => {
    const marker = `/root/pwned-${tag}`;
    const r = await evaluateInSandbox(
      submission(
        'spawn.lab.ts',
        "import { execFileSync, execSync } from 'node:child_process';",
        "let shell = 'ran'; try { execSync('id -u', { stdio: 'pipe' }); } catch (e: any) { shell = String(e.code); }",
        "const uid = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.getuid()))']).toString();",
        `let marker = 'refused'; try { execFileSync(process.execPath, ['-e', "require('fs').writeFileSync('${marker}', 'x')"], { stdio: 'ignore' }); marker = 'created'; } catch {}`,
        'export default { uid, marker, shell };',
      ),
    );
    expect(r).toMatchObject({ ok: true, value: { marker: 'refused', shell: 'ENOENT' } });
    const uid = Number((r as { value: { uid: string } }).value.uid);
    expect(uid).toBe(r.uid);
    expect(uid >= PODLAB_UIDS.sandbox.first && uid < PODLAB_UIDS.sandbox.first + PODLAB_UIDS.sandbox.count).toBe(true);
    expect(existsSync(`${UID_LOCK_DIR}/${uid}`)).toBe(false); // released once the sandbox is gone
    expect(existsSync(marker)).toBe(false);
  });

  it('reading /etc/shadow → threw: not in its view at all', async () => {
    const r = failure(await evaluateInSandbox(submission('shadow-read.lab.ts', "import { readFileSync } from 'node:fs';", "export default { shadow: readFileSync('/etc/shadow', 'utf8') };")));
    expect(r.reason).toBe('threw');
    expect(r.message).toContain("ENOENT: no such file or directory, open '/etc/shadow'");
  });

  it("another student's submission and the host's world-readable files are not in view", async () => {
    const other = submission('other-student.lab.ts', "export default { name: 'secret-answer' };");
    const r = await evaluateInSandbox(
      submission(
        'peek.lab.ts',
        "import { existsSync, readdirSync } from 'node:fs';",
        `const paths = ${JSON.stringify([other, '/etc/passwd', '/etc/hostname', '/home', '/root', '/var', join(REPO, 'labs'), join(REPO, '.git'), '/bin/sh'])};`,
        'const root = readdirSync("/").sort();',
        'export default { seen: paths.filter((p) => existsSync(p)), root, etc: readdirSync("/etc") };',
      ),
    );
    expect(r).toMatchObject({ ok: true, value: { seen: [] } });
    // The root holds Node's and podlab's folders and /dev, /proc, /tmp: not the host's /. Of /etc, the loader's cache alone.
    expect((r as { value: { root: string[] } }).value.root).not.toContain('home');
    expect((r as { value: { etc: string[] } }).value.etc).toEqual(['ld.so.cache']);
  });

  it('net.connect(53, 1.1.1.1) → threw, ENETUNREACH: there is no route out', async () => {
    const r = failure(
      await evaluateInSandbox(
        submission(
          'connect.lab.ts',
          "import net from 'node:net';",
          "await new Promise((resolve, reject) => net.connect(53, '1.1.1.1').on('connect', resolve).on('error', reject));",
          'export default {};',
        ),
      ),
    );
    expect(r.reason).toBe('threw');
    expect(r.message).toContain('ENETUNREACH');
  });

  it('the network namespace holds only a down lo, no routes, and fetch fails', async () => {
    const r = await evaluateInSandbox(
      submission(
        'netns.lab.ts',
        "import { readFileSync } from 'node:fs';",
        "const ifaces = readFileSync('/proc/net/dev', 'utf8').split('\\n').slice(2).map((l) => l.split(':')[0]!.trim()).filter(Boolean);",
        "const routes = readFileSync('/proc/net/route', 'utf8').trim().split('\\n').length - 1;",
        "const lo = readFileSync('/proc/net/if_inet6', 'utf8');",
        "const fetched = await fetch('http://1.1.1.1/', { signal: AbortSignal.timeout(3000) }).then(() => 'fetched', (e: any) => String(e.cause?.code ?? e.name));",
        'export default { ifaces, routes, lo, fetched };',
      ),
    );
    expect(r).toMatchObject({ ok: true, value: { ifaces: ['lo'], routes: 0, fetched: 'ENETUNREACH' } });
    // A down lo has no address, not even ::1.
    expect((r as { value: { lo: string } }).value.lo).toBe('');
  });

  it('forking many processes and a fork bomb → bounded by RLIMIT_NPROC, and nothing outlives the evaluation', async () => {
    const r = await evaluateInSandbox(
      submission(
        'forks.lab.ts',
        "import { spawn } from 'node:child_process';",
        'let started = 0;',
        'let refused = 0;',
        'for (let i = 0; i < 300; i++) {',
        `  try { const c = spawn(process.execPath, ['-e', ${JSON.stringify(SLEEPER)}], { detached: true, stdio: 'ignore' }); c.on('error', () => { refused++; }); if (c.pid) started++; } catch { refused++; }`,
        '}',
        `spawn(process.execPath, ['-e', ${JSON.stringify(BOMB)}], { detached: true, stdio: 'ignore' }).on('error', () => {});`,
        'await new Promise((r) => setTimeout(r, 1000));',
        'export default { started, refused };',
      ),
      { timeoutMs: 8000 },
    );
    expect(r.ok).toBe(true);
    const { started, refused } = (r as { value: { started: number; refused: number } }).value;
    expect(started).toBeLessThan(100);
    expect(refused).toBeGreaterThan(200);
    expect(r.ms).toBeLessThan(8000);
    expect(r.uid).toBeDefined();
    expect(processesOf(r.uid!, ['node', 'esbuild'])).toEqual([]);
  });

  it('an infinite loop in a setsid child is killed with the namespace at the deadline', async () => {
    const r = failure(
      await evaluateInSandbox(
        submission(
          'orphan.lab.ts',
          "import { spawn } from 'node:child_process';",
          "spawn(process.execPath, ['-e', 'process.setsid?.(); for (;;) {}'], { detached: true, stdio: 'ignore' }).unref();",
          'while (true) {}',
          'export default {};',
        ),
        { timeoutMs: 2000 },
      ),
    );
    expect(r.reason).toBe('timeout');
    expect(r.uid).toBeDefined();
    expect(processesOf(r.uid!, ['node'])).toEqual([]);
  });

  it("one sandbox's fork bomb does not fail another's evaluation running at the same time: each has a uid, and a process budget, of its own", async () => {
    // The honest one starts first and spawns late; the bomb starts after it (with one uid for both, the
    // bomb's budget, counted later, would take all of the honest one's) and holds its processes meanwhile.
    const honest = evaluateInSandbox(
      submission(
        'honest.lab.ts',
        "import { execFileSync } from 'node:child_process';",
        'await new Promise((r) => setTimeout(r, 3000));',
        "const out = Array.from({ length: 5 }, () => execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.getuid()))']).toString().trim());",
        'export default { out };',
      ),
      { timeoutMs: 12000 },
    );
    await new Promise((r) => setTimeout(r, 300));
    const bomb = evaluateInSandbox(
      submission(
        'bomb.lab.ts',
        "import { spawn } from 'node:child_process';",
        `for (let i = 0; i < 300; i++) { try { spawn(process.execPath, ['-e', ${JSON.stringify(SLEEPER)}], { detached: true, stdio: 'ignore' }).on('error', () => {}); } catch {} }`,
        `spawn(process.execPath, ['-e', ${JSON.stringify(BOMB)}], { detached: true, stdio: 'ignore' }).on('error', () => {});`,
        'await new Promise((r) => setTimeout(r, 6000));',
        'export default {};',
      ),
      { timeoutMs: 12000 },
    );
    const [h, b] = await Promise.all([honest, bomb]);
    expect(h).toMatchObject({ ok: true });
    expect(h.uid).not.toBe(b.uid);
    expect((h as { value: { out: string[] } }).value.out).toEqual(Array(5).fill(String(h.uid)));
    expect(processesOf(b.uid!, ['node'])).toEqual([]);
  });
});
