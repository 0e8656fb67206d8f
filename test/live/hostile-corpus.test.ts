/**
 * Live, through the CLI: the hostile corpus (test/fixtures/hostile/, one or more submissions per
 * class of issue #21) graded as one class against an exercise whose submission is a whole lab.
 * For each submission the expected status and reason; and after the run: the root-only canary and
 * the world-readable one in no output, no file written outside the output folder, the class's
 * files unchanged, no process or namespace of the run left, the host's baseline unchanged, and
 * the honest student's score what it is when graded alone.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { liveGuard } from './host.ts';
import { scopedSnapshot, type ScopedSnapshot } from './scoped.ts';

const live = liveGuard();
const REPO = process.cwd();
const CORPUS = join(REPO, 'test/fixtures/hostile');
const TAG = `${process.pid}-${Date.now()}`;
const SECRET = `root-canary-${TAG}`;
const WORLD = `world-canary-${TAG}`;
const PREFIX = 'sec-hc';
const podlab = (...args: string[]) => execa('node', ['bin/podlab.js', ...args], { reject: false, env: { CI: '' }, timeout: 300_000 });

/** Every file below `dir` with its content's hash: what the class handed in, to compare after the run. */
function contents(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, f);
    const st = statSync(p, { throwIfNoEntry: false });
    if (st?.isFile()) out[f] = createHash('sha256').update(readFileSync(p)).digest('hex');
  }
  return out;
}

describe.skipIf(!live)('the hostile corpus, graded live', () => {
  let dir: string;
  let klass: string;
  let out: string;
  let before: ScopedSnapshot;
  let handedIn: Record<string, string>;
  let run: Awaited<ReturnType<typeof podlab>>;
  let alone: Awaited<ReturnType<typeof podlab>>;
  const written = [`/etc/pwned-${TAG}`, join(REPO, `pwned-${TAG}`), `/var/tmp/pwned-${TAG}`];

  beforeAll(async () => {
    before = await scopedSnapshot([PREFIX]);
    dir = mkdtempSync('/var/tmp/sec-hostile-');
    chmodSync(dir, 0o755);
    // The root-only canary (0600 in a 0700 folder) and a world-readable one beside the class.
    mkdirSync(join(dir, 'vault'), { mode: 0o700 });
    const canary = join(dir, 'vault', 'secret');
    writeFileSync(canary, `root:${SECRET}:19000:0:99999:7:::\n`, { mode: 0o600 });
    mkdirSync(join(dir, 'world'), { mode: 0o755 });
    const world = join(dir, 'world', 'canary.txt');
    writeFileSync(world, `${WORLD}\n`, { mode: 0o644 });
    // The class's folder: the grader's own (0700), as a class's submissions would be kept.
    klass = join(dir, 'class');
    mkdirSync(klass, { mode: 0o700 });
    out = join(dir, 'out');
    const peer = join(klass, 'honest.lab.ts');
    const fill = (text: string) =>
      text.replaceAll('__CANARY__', canary).replaceAll('__WORLD__', world).replaceAll('__PEER__', peer).replaceAll('__OUT__', out).replaceAll('__REPO__', REPO).replaceAll('__TAG__', TAG);
    for (const f of readdirSync(join(CORPUS, 'class'))) writeFileSync(join(klass, f), fill(readFileSync(join(CORPUS, 'class', f), 'utf8')), { mode: 0o644 });
    // Class 3: the submission's file is a link to the canary, a FIFO, or reached through a linked folder.
    symlinkSync(canary, join(klass, 'linker.lab.ts'));
    execFileSync('mkfifo', [join(klass, 'piper.lab.ts')]);
    symlinkSync(join(dir, 'vault'), join(klass, 'via'));
    writeFileSync(join(dir, 'vault', 'sneaky.lab.ts'), `export default { name: '${SECRET}' };\n`, { mode: 0o600 });
    handedIn = contents(klass);
    const files = [...readdirSync(klass).filter((f) => f.endsWith('.lab.ts')).map((f) => join(klass, f)), join(klass, 'via', 'sneaky.lab.ts')];
    run = await podlab('grade', join(CORPUS, 'whole-lab'), ...files, '--out', out, '--jobs', '3', '--sandbox-timeout', '8000', '--lab-prefix', PREFIX);
    // The honest student graded alone, for comparison.
    alone = await podlab('grade', join(CORPUS, 'whole-lab'), peer, '--out', join(dir, 'out-alone'), '--lab-prefix', `${PREFIX}a`);
  }, 600_000);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    for (const f of written) rmSync(f, { force: true });
  });

  /** student → "status score reason code" (the code of the refusal, or of the first diagnostic), from each student's results file. */
  const rowsOf = (folder: string) => {
    const book = JSON.parse(readFileSync(join(folder, 'gradebook.json'), 'utf8'));
    return Object.fromEntries(
      book.students.map((row: { student: string }) => {
        const s = JSON.parse(readFileSync(join(folder, `${row.student}.json`), 'utf8'));
        return [row.student, [s.status, s.score, s.reason ?? '', /^PL\d{4}/.exec(s.message ?? '')?.[0] ?? s.diagnostics?.[0]?.code ?? ''].join(' ').trim()];
      }),
    );
  };

  it('each submission gets its expected status and reason', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(rowsOf(out)).toEqual({
      honest: 'pass 3', // the solution
      mallory: 'pass 3', // class 1: serves as asked; every attack of its container denied (below)
      escaper: 'error 0 invalid-lab PL2050', // class 2: a DNS file name that climbs out
      linker: 'error 0 unreadable PL0005', // class 3: a link to the root-only canary
      piper: 'error 0 unreadable PL0005', // class 3: a FIFO
      sneaky: 'error 0 unreadable PL0016', // class 3: through a folder that is a link to a root-only folder
      corefiler: 'error 0 invalid-lab PL4024', // class 4: a Corefile naming the canary
      peeker: 'error 0 threw', // class 5: what lies beside it is not in its view
      forker: 'fail 0', // class 6: its fork bomb stops at its own process cap; it hands in a lab without pods
      quitter: 'error 0 exited', // class 7: process.exit
      hog: 'error 0 memory', // class 7: a memory bomb
      shouter: expect.stringMatching(/^error 0 invalid-lab PL1/), // class 8: escape sequences in a name
      gateway: 'error 0 invalid-lab PL2051', // class 10: a reserved node name
      birder: 'error 0 invalid-lab PL1005', // class 11: a pool name that writes bird.conf directives
      nfter: 'error 0 invalid-lab PL1005', // class 11: a policy name that writes nft syntax
      router: 'error 0 invalid-lab PL2257', // class 11: an Ingress path that writes nginx locations
    });
  });

  it("class 1: mallory's container ran unprivileged — every attack it recorded was denied", () => {
    const mallory = JSON.parse(readFileSync(join(out, 'mallory.json'), 'utf8'));
    const report = mallory.items.find((i: { id: string }) => i.id === 'report');
    const seen = JSON.stringify(report);
    for (const attack of ['canary', 'shadow', 'peer', 'etc', 'repo', 'vartmp', 'out']) expect(seen, attack).toContain(`${attack}=denied`);
    expect(seen).toContain('report=complete');
    expect(seen).not.toContain('=DONE');
  });

  it('class 5: the peeker read neither the world-readable canary nor another student’s file (ENOENT)', () => {
    const peeker = JSON.parse(readFileSync(join(out, 'peeker.json'), 'utf8'));
    expect(peeker.message).toContain('ENOENT');
  });

  it('the canaries are in no output: terminal, results, feedback, gradebook', () => {
    for (const s of [SECRET, WORLD, 'cHduZWQ=\u0007']) {
      expect(run.stdout + run.stderr, s).not.toContain(s);
      for (const f of readdirSync(out)) expect(readFileSync(join(out, f), 'utf8'), `${f}: ${s}`).not.toContain(s);
    }
  });

  it('class 8: escape sequences reach no output raw', () => {
    expect(run.stdout + run.stderr).not.toContain('\u001b]');
    for (const f of readdirSync(out)) expect(readFileSync(join(out, f), 'utf8'), f).not.toMatch(/\u001b|\u0007/);
    expect(readFileSync(join(out, 'gradebook.csv'), 'utf8')).toContain('\\x1b]0;owned');
  });

  it('nothing was written outside the output folder, and the class’s files are unchanged', () => {
    for (const f of [...written, join(out, `pwned-${TAG}`)]) expect(existsSync(f), f).toBe(false);
    expect(contents(klass)).toEqual(handedIn);
    expect(statSync(out).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(out)) expect(statSync(join(out, f)).mode & 0o777, f).toBe(0o600);
  });

  it('the honest student scores what they score when graded alone', () => {
    expect(alone.exitCode, alone.stderr).toBe(0);
    expect(rowsOf(join(dir, 'out-alone'))).toEqual({ honest: 'pass 3' });
    // Item by item (the evidence holds a client port, which differs from run to run).
    const items = (f: string) => JSON.parse(readFileSync(f, 'utf8')).items.map((i: { id: string; status: string; earned: number }) => `${i.id} ${i.status} ${i.earned}`);
    expect(items(join(out, 'honest.json'))).toEqual(items(join(dir, 'out-alone', 'honest.json')));
    expect(items(join(out, 'honest.json'))).toEqual(['web-serves pass 2', 'report pass 1']);
  });

  it('no lab, namespace or process of the run is left, no sandbox or container uid runs, the host is unchanged', async () => {
    expect(await scopedSnapshot([PREFIX])).toEqual(before);
    const ours = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1]);
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('setInterval') && uid >= 1950000000;
      } catch {
        return false;
      }
    });
    expect(ours).toEqual([]);
  });
});
