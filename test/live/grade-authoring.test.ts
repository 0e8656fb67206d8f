/**
 * Grading as an instructor authors it, live through the CLI (test/fixtures/exercises/db-policy,
 * four students of test/fixtures/submissions/db-policy): the grading labs carry the lab-name
 * prefix (`--prefix fe-x-` before `--lab-prefix fe-pg`: fe-x-fe-pg-<n>, seen on the host while they
 * run), as `exercise test`'s do (fe-x-grade-<pid>-<n>); a student who set what the exercise does
 * not take is told so; an invalid submission's problem is at its line; feedback names the
 * student's lab, never the grading lab. A broken exercise (an editable typo, a check from a pod the
 * lab lacks) is refused by `exercise show` and `grade` with its coded problems (exit 1), nothing
 * built. `doctor` with a prefix lists only the prefix's labs. Everything torn down in afterAll.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listNetns } from '../../src/runtime/down.ts';
import { liveGuard } from './host.ts';
import { scopedSnapshot, type ScopedSnapshot } from './scoped.ts';

const live = liveGuard();
const PREFIX = 'fe-x-';
const EX = 'test/fixtures/exercises/db-policy';
const SUBS = 'test/fixtures/submissions/db-policy';
const podlab = (...args: string[]) => execa('node', ['bin/podlab.js', ...args], { reject: false, env: { CI: '', PODLAB_PREFIX: '' } });

/** Watches the host's namespaces while `run` runs: the podlab ones it saw (the labs' names). */
async function watching<T>(run: () => Promise<T>): Promise<{ result: T; seen: Set<string> }> {
  const seen = new Set<string>();
  const look = () => {
    for (const n of listNetns()) if (n.startsWith('podlab-') && !n.startsWith('podlab-probe.')) seen.add(n.slice('podlab-'.length).split('.')[0]!);
  };
  const timer = setInterval(look, 100);
  try {
    return { result: await run(), seen };
  } finally {
    clearInterval(timer);
  }
}

describe.skipIf(!live)('grading as an instructor authors it', () => {
  let out: string;
  let before: ScopedSnapshot;
  let graded: Awaited<ReturnType<typeof watching<Awaited<ReturnType<typeof podlab>>>>>;
  let tested: Awaited<ReturnType<typeof watching<Awaited<ReturnType<typeof podlab>>>>>;
  const read = (f: string) => readFileSync(join(out, f), 'utf8');

  beforeAll(async () => {
    before = await scopedSnapshot([PREFIX]);
    out = mkdtempSync(join(tmpdir(), 'fe-grades-'));
    const files = readdirSync(SUBS).map((f) => join(SUBS, f));
    graded = await watching(() => podlab('--prefix', PREFIX, 'grade', EX, ...files, '--out', out, '--jobs', '4', '--lab-prefix', 'fe-pg'));
    tested = await watching(() => podlab('--prefix', PREFIX, 'exercise', 'test', EX, '--json'));
  }, 300_000);
  afterAll(async () => {
    await podlab('--prefix', PREFIX, 'down', '--all');
    rmSync(out, { recursive: true, force: true });
    expect(await scopedSnapshot([PREFIX])).toEqual(before);
  }, 120_000);

  it('grade: its labs carry the lab-name prefix before --lab-prefix, and say so', () => {
    expect(graded.result.exitCode, graded.result.stderr).toBe(0);
    expect(graded.result.stderr).toContain('grading 4 submissions of db-policy (4 at a time, in labs fe-x-fe-pg-<n>)');
    const mine = [...graded.seen].filter((l) => l.startsWith('fe-x-fe-pg-'));
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((l) => /^fe-x-fe-pg-[0-3]$/.test(l)), mine.join(' ')).toBe(true);
  });

  it('exercise test: its labs carry the lab-name prefix too, and the rubric tells right from wrong', () => {
    expect(tested.result.exitCode, tested.result.stderr).toBe(0);
    expect((JSON.parse(tested.result.stdout) as { ok: boolean }[]).map((v) => v.ok)).toEqual([true, true]);
    const mine = [...tested.seen].filter((l) => l.startsWith(PREFIX));
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((l) => /^fe-x-grade-[0-9a-z]+-[0-3]$/.test(l)), mine.join(' ')).toBe(true);
  });

  it('scores each student; what a student set that is not taken is named in their result and feedback', () => {
    const book = JSON.parse(read('gradebook.json')) as { students: { student: string; status: string; score: number; reason?: string }[] };
    expect(Object.fromEntries(book.students.map((s) => [s.student, `${s.status} ${s.score}${s.reason ? ` ${s.reason}` : ''}`]))).toEqual({
      alice: 'fail 7', // namespace and pod selector as two peers: OR
      bob: 'pass 10',
      carol: 'fail 6', // a port name that is not the pod's; `pods` is not hers to set
      dave: 'error 0 invalid-lab', // an ipBlock with host bits
    });
    expect(JSON.parse(read('carol.json')).ignored).toEqual(['pods']);
    expect(read('carol.feedback.md')).toContain('Not taken from your submission: `pods`.');
    expect(JSON.parse(read('bob.json')).ignored).toBeUndefined();
    expect(read('bob.feedback.md')).not.toContain('Not taken');
  });

  it("an invalid submission's problem is at its line in the student's file", () => {
    const dave = JSON.parse(read('dave.json')) as { diagnostics: { code: string; line: number; column: number }[] };
    expect(dave.diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`)).toEqual(['PL2101 6:39']);
    expect(read('dave.feedback.md')).toContain('- line 6:39 PL2101 ');
  });

  it('no feedback or result names a grading lab; commands name the lab the student has', () => {
    for (const f of readdirSync(out)) expect(read(f), f).not.toMatch(/fe-x-|fe-pg/);
    expect(read('alice.feedback.md')).toContain('  - try: `podlab trace db-policy other svc/backend/db --port 5432 --proto tcp`');
  });
});

describe.skipIf(!live)('a broken exercise is refused before anything is built', () => {
  it('exercise show and grade exit 1 with every problem, coded, at its line; nothing graded or built', async () => {
    const show = await podlab('exercise', 'show', 'test/fixtures/exercises/bad-ex');
    expect(show.exitCode).toBe(1);
    expect(show.stderr).toMatch(/bad-ex\/exercise\.ts:8:28 - error PL2500 submission\.editable\[0\]: "networkPolicy" is not a path of the lab/);
    expect(show.stderr).toContain('hint: Did you mean "networkPolicies"?');
    expect(show.stderr).toMatch(/bad-ex\/exercise\.ts:11:29 - error PL2012 rubric\[0\]\.check\.from: rubric item "api-reaches" cannot be checked on the exercise's solution/);

    const out = join(tmpdir(), `fe-grades-bad-${process.pid}`);
    const { result: grade, seen } = await watching(() => podlab('--prefix', PREFIX, 'grade', 'test/fixtures/exercises/bad-ex', join(SUBS, 'bob.ts'), '--out', out, '--lab-prefix', 'fe-bad'));
    expect(grade.exitCode).toBe(1);
    expect(grade.stderr).toContain('error PL2500');
    expect(grade.stderr).toContain('error PL2012');
    expect(existsSync(out)).toBe(false);
    expect([...seen].filter((l) => l.startsWith(PREFIX))).toEqual([]);
  }, 120_000);

  it("doctor with a lab-name prefix lists that prefix's labs only", async () => {
    const doc = await podlab('--prefix', 'fe-none-', 'doctor', '--json');
    expect(doc.exitCode, doc.stdout).toBe(0);
    expect(JSON.parse(doc.stdout)).toMatchObject({ clean: true, found: { labs: [], probes: [], leaks: [] } });
  }, 60_000);
});
