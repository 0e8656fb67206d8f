/**
 * Live, through the CLI: text submissions that attack the grader's reads and outputs. A Corefile
 * that is a link to a root-only canary, a FIFO (which would hang a plain read for the whole class),
 * a link to /dev/zero (which would grow the grader without end), a file past the size cap, and a
 * Corefile naming the canary for the root DNS server to read — each is an `error` result with a
 * coded reason, the canary's content appears nowhere, the others are still graded, and the output
 * is 0700/0600. Student ids that would overwrite the gradebook or carry escape sequences, and two
 * files of one student, are those students' errors (the others would be graded), with no file
 * written under such an id. A submission reached through a folder that is a link (to a
 * root-only folder, or in the middle of the path) is refused with PL0016, nothing of it read.
 * None of these builds a lab.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { liveGuard } from './host.ts';
import { scopedSnapshot, type ScopedSnapshot } from './scoped.ts';

const live = liveGuard();
const podlab = (...args: string[]) => execa('node', ['bin/podlab.js', ...args], { reject: false, env: { CI: '' }, timeout: 120_000 });
const SECRET = `canary-${process.pid}-${Date.now()}`;

describe.skipIf(!live)('podlab grade: hostile text submissions and names', () => {
  let dir: string;
  let out: string;
  let canary: string;
  let before: ScopedSnapshot;
  let run: Awaited<ReturnType<typeof podlab>>;

  beforeAll(async () => {
    before = await scopedSnapshot(['lhostile-']);
    dir = mkdtempSync(join(tmpdir(), 'podlab-hostile-'));
    out = join(dir, 'out');
    canary = join(dir, 'canary');
    writeFileSync(canary, `root:${SECRET}:19000:0:99999:7:::\n`);
    chmodSync(canary, 0o600);
    const subs = join(dir, 'subs');
    mkdirSync(subs);
    symlinkSync(canary, join(subs, 'linker.Corefile'));
    execFileSync('mkfifo', [join(subs, 'piper.Corefile')]);
    symlinkSync('/dev/zero', join(subs, 'zeroer.Corefile'));
    writeFileSync(join(subs, 'bigger.Corefile'), `# ${'x'.repeat(300 * 1024)}\n`);
    writeFileSync(join(subs, 'reader.Corefile'), `.:53 {\n    hosts ${canary}\n    forward . /etc/resolv.conf\n}\n`);
    writeFileSync(join(subs, 'honest.Corefile'), '.:53 {\n    errors\n    kubernetes cluster.local in-addr.arpa\n    forward . /etc/resolv.conf\n}\n');
    // An earlier run's output, world-readable: the new run makes it the grader's alone.
    mkdirSync(out, { mode: 0o755 });
    writeFileSync(join(out, 'gradebook.json'), '{}', { mode: 0o644 });
    // A folder on the path that is a link: to a root-only folder holding a canary, and one in the middle of the path.
    const vault = join(dir, 'vault');
    mkdirSync(vault, { mode: 0o700 });
    writeFileSync(join(vault, 'sneaky.Corefile'), `.:53 {\n    whoami\n}\n# ${SECRET}\n`, { mode: 0o600 });
    symlinkSync(vault, join(dir, 'via'));
    mkdirSync(join(dir, 'term', 'week1'), { recursive: true });
    writeFileSync(join(dir, 'term', 'week1', 'middler.Corefile'), '.:53 {\n    whoami\n}\n');
    symlinkSync(join(dir, 'term'), join(dir, 'class'));
    const files = [...readdirSync(subs).sort().map((f) => join(subs, f)), join(dir, 'via', 'sneaky.Corefile'), join(dir, 'class', 'week1', 'middler.Corefile')];
    // `honest` alone builds a lab; the others stop before anything is created.
    run = await podlab('grade', 'exercises/coredns-forwarder', ...files, '--out', out, '--jobs', '4', '--lab-prefix', 'lhostile');
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('grades the class: each hostile file is an error with a coded reason, the honest one is graded', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    const book = JSON.parse(readFileSync(join(out, 'gradebook.json'), 'utf8'));
    const rows = Object.fromEntries(book.students.map((s: { student: string; status: string; reason?: string; message?: string }) => [s.student, `${s.status} ${s.reason ?? ''} ${/^PL\d{4}/.exec(s.message ?? '')?.[0] ?? ''}`.trim()]));
    expect(rows).toEqual({
      bigger: 'error unreadable PL0006',
      honest: expect.stringMatching(/^(pass|fail)$/),
      linker: 'error unreadable PL0005',
      middler: 'error unreadable PL0016',
      sneaky: 'error unreadable PL0016',
      piper: 'error unreadable PL0005',
      reader: 'error invalid-lab',
      zeroer: 'error unreadable PL0005',
    });
    const reader = JSON.parse(readFileSync(join(out, 'reader.json'), 'utf8'));
    expect(reader.diagnostics.map((d: { code: string }) => d.code)).toEqual(['PL4024']);
  });

  it("the canary's content appears in no output, on the terminal or in a file", () => {
    expect(run.stdout + run.stderr).not.toContain(SECRET);
    for (const f of readdirSync(out)) expect(readFileSync(join(out, f), 'utf8'), f).not.toContain(SECRET);
  });

  it('the output directory is 0700 and every file 0600, the earlier gradebook included', () => {
    expect(statSync(out).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(out)) expect(statSync(join(out, f)).mode & 0o777, f).toBe(0o600);
  });

  it('no lab, process or namespace of the run is left', async () => {
    expect(await scopedSnapshot(['lhostile-'])).toEqual(before);
  });

  it("a student id that is the gradebook's, carries an escape sequence (PL0009) or has two files is that student's error alone", async () => {
    const subs = join(dir, 'names');
    mkdirSync(subs);
    const evil = join(subs, 'e\x1b]0;owned\x07vil.Corefile');
    for (const f of [join(subs, 'gradebook.Corefile'), evil, join(subs, 'bob.Corefile'), join(subs, 'bob.txt')]) writeFileSync(f, '.:53 {\n    whoami\n}\n');
    const out2 = join(dir, 'out2');
    const r = await podlab('grade', 'exercises/coredns-forwarder', join(subs, 'gradebook.Corefile'), evil, join(subs, 'bob.Corefile'), join(subs, 'bob.txt'), '--out', out2, '--lab-prefix', 'lhostile');
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('PL0009');
    expect(r.stderr).toMatch(/student id "gradebook" \(from "gradebook.Corefile"\) cannot be used: "gradebook" is the name of the grader's own output/);
    expect(r.stderr).toContain('2 submissions belong to student "bob" ("bob.Corefile", "bob.txt")');
    expect(r.stderr).toContain('e\\x1b]0;owned\\x07vil');
    expect(r.stderr).not.toContain('\x1b]0;');
    // Nothing graded, one entry per student id; the unusable ids have no files of their own.
    expect(readdirSync(out2).sort()).toEqual(['bob.feedback.md', 'bob.json', 'gradebook.csv', 'gradebook.json']);
    const book = JSON.parse(readFileSync(join(out2, 'gradebook.json'), 'utf8'));
    expect(book.students.map((x: { student: string; status: string; reason: string }) => `${x.student} ${x.status} ${x.reason}`)).toEqual(['gradebook error unusable-id', 'e\x1b]0;owned\x07vil error unusable-id', 'bob error duplicate-student']);
  }, 60_000);
});
