/**
 * Live grading, end to end through the CLI: a folder of submissions to the CoreDNS-forwarder
 * exercise (correct, partly correct, broken, and malicious: an infinite loop, writes to disk, a
 * process that tries to outlive it, garbage, an import of podlab's internals) graded four at a
 * time in labs with identical address plans, with exact expected scores; the files it writes; and
 * nothing left behind on the host. Then `podlab exercise test` for every shipped exercise.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { liveGuard } from './host.ts';
import { scopedSnapshot, type ScopedSnapshot } from './scoped.ts';

const live = liveGuard();
const SUBMISSIONS = 'test/fixtures/submissions/coredns-forwarder';
const podlab = (...args: string[]) => execa('node', ['bin/podlab.js', ...args], { reject: false, env: { CI: '' } });

describe.skipIf(!live)('podlab grade', () => {
  let out: string;
  let before: ScopedSnapshot;
  let run: Awaited<ReturnType<typeof podlab>>;

  beforeAll(async () => {
    before = await scopedSnapshot(['lgrade-']);
    out = mkdtempSync(join(tmpdir(), 'podlab-grades-'));
    const files = readdirSync(SUBMISSIONS).map((f) => join(SUBMISSIONS, f));
    run = await podlab('grade', 'exercises/coredns-forwarder', ...files, '--out', out, '--jobs', '4', '--sandbox-timeout', '8000', '--lab-prefix', 'lgrade');
  }, 180_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('exits 0 because grading ran, whatever the scores', () => {
    expect(run.stderr).toContain('grading 10 submissions of coredns-forwarder (4 at a time, in labs lgrade-<n>)');
    expect(run.exitCode).toBe(0);
  });

  it('scores every submission exactly, and says why the ungradable ones are not graded', () => {
    const book = JSON.parse(readFileSync(join(out, 'gradebook.json'), 'utf8'));
    const rows = Object.fromEntries(book.students.map((s: { student: string; status: string; score: number; reason?: string }) => [s.student, `${s.status} ${s.score}${s.reason ? ` ${s.reason}` : ''}`]));
    expect(rows).toEqual({
      alice: 'pass 14', // the reference answer, as a Corefile
      bob: 'fail 12', // forwards only example.org: the hidden item of example.net fails
      carol: 'fail 4', // kubeadm's default Corefile
      dave: 'error 0 invalid-lab', // a Corefile that does not parse
      erin: 'pass 14', // a code submission of only the editable part
      frank: 'error 0 timeout', // loops forever
      gina: 'pass 14', // tries to write files, then answers correctly
      hank: 'fail 13', // spawns a process, forgets reverse zones
      ivan: 'error 0 not-data', // export default 42
      judy: 'error 0 threw', // imports podlab's internals by path
    });
    expect(book.summary).toEqual({ submissions: 10, pass: 3, fail: 3, error: 4, meanScore: 7.1 });
  });

  it('writes results JSON, feedback and a CSV gradebook per the rubric', () => {
    const carol = JSON.parse(readFileSync(join(out, 'carol.json'), 'utf8'));
    expect(carol).toMatchObject({ version: 1, exercise: 'coredns-forwarder', student: 'carol', status: 'fail', score: 4, max: 14 });
    const up = carol.items.find((i: { id: string }) => i.id === 'upstream-resolves');
    expect(up).toMatchObject({ status: 'fail', earned: 0, points: 4, hint: expect.stringContaining('forward .') });
    // The command names the lab as the student has it, not the grading lab that is gone.
    expect(up.evidence[0].command).toMatch(/^podlab exec coredns-forwarder client -- dig /);
    const feedback = readFileSync(join(out, 'carol.feedback.md'), 'utf8');
    expect(feedback).toContain('Score: 4 / 14');
    expect(feedback).toContain('- ✗ hidden item 4: 0 / 2');
    expect(feedback).not.toContain('example.net');
    const csv = readFileSync(join(out, 'gradebook.csv'), 'utf8').split('\n');
    expect(csv[0]).toBe('student,status,score,max,upstream-resolves,cluster-names,reverse-lookups,any-upstream-name,new-pod-found,upstream-only-record,reason');
    expect(csv).toContain('hank,fail,13,14,4,3,0,2,2,2,');
    expect(readdirSync(out).sort()).toEqual([...['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina', 'hank', 'ivan', 'judy'].flatMap((s) => [`${s}.feedback.md`, `${s}.json`]), 'gradebook.csv', 'gradebook.json'].sort());
  });

  it('the malicious submissions changed nothing: no file written, no process left, no lab left', async () => {
    for (const f of ['/tmp/podlab-grade-test-gina', '/root/podlab-grade-test-gina', '/work/podlab-grade-test-gina']) expect(existsSync(f), f).toBe(false);
    const sleepers = (await execa('pgrep', ['-f', 'sleep 4242.5'], { reject: false })).stdout.trim();
    expect(sleepers).toBe('');
    expect(await scopedSnapshot(['lgrade-'])).toEqual(before);
  });
});

describe.skipIf(!live)('podlab exercise test (every shipped exercise)', () => {
  const exercises = readdirSync('exercises').filter((d) => existsSync(join('exercises', d, 'exercise.ts')));

  it('ships at least three exercises', () => {
    expect(exercises.length).toBeGreaterThanOrEqual(3);
  });

  for (const ex of exercises) {
    it(`${ex}: the solution scores full marks and each broken variant fails exactly its items`, async () => {
      const r = await podlab('exercise', 'test', join('exercises', ex), '--json');
      const verdicts = JSON.parse(r.stdout || '[]') as { name: string; ok: boolean; expected: string[]; failed: string[]; message?: string }[];
      expect(verdicts.filter((v) => !v.ok), r.stderr).toEqual([]);
      expect(verdicts[0]!.name).toBe('solution');
      expect(verdicts.length).toBeGreaterThanOrEqual(3);
      expect(r.exitCode).toBe(0);
    }, 300_000);
  }
});
