/**
 * What podlab does with files and names it does not trust: the text reader (links, FIFOs, devices,
 * sockets, directories, sizes), plain names and paths, student ids, control characters in every
 * output the grader writes, and the grader's output directory's modes. Each attack here is real:
 * a real FIFO (which would hang a plain read), /dev/zero (which would never end), a 5 GB sparse
 * file (which a read-then-check would try to load whole).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, symlinkSync, writeFileSync, ftruncateSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readUntrusted, readUntrustedText, SafeReadError } from '../../src/lib/safe-read.ts';
import { isPlainName, joinPlain, joinPlainPath, plainNameProblem, plainPathProblem } from '../../src/lib/plain-name.ts';
import { safeJson, visible } from '../../src/grade/escape.ts';
import { refusedResult, sortSubmissions, studentIdProblem, studentOf, type SubmissionResult } from '../../src/grade/grade.ts';
import { feedbackText, gradebookCsv, gradebookJson, resultsJson } from '../../src/grade/gradebook.ts';
import { writeRendered } from '../../src/render/files.ts';
import { writeGradeOutput } from '../../src/grade/output.ts';
import { validateValue } from '../../src/compile/validate-value.ts';

let dir: string;
let server: Server;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'podlab-untrusted-'));
  server = createServer();
  await new Promise<void>((r) => server.listen(join(dir, 'sock'), r));
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function refusal(f: () => unknown): SafeReadError {
  try {
    f();
  } catch (e) {
    if (e instanceof SafeReadError) return e;
    throw e;
  }
  throw new Error('expected a SafeReadError');
}

describe('readUntrusted: what a submission file may be', () => {
  it('reads a regular file', () => {
    writeFileSync(join(dir, 'ok.Corefile'), '.:53 {\n  forward . 203.0.113.53\n}\n');
    expect(readUntrustedText(join(dir, 'ok.Corefile'))).toContain('forward');
  });

  it('does not follow a symlink, even to a readable file', () => {
    writeFileSync(join(dir, 'target'), 'secret');
    symlinkSync(join(dir, 'target'), join(dir, 'link'));
    symlinkSync('/etc/shadow', join(dir, 'shadow'));
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
    for (const f of ['link', 'shadow', 'dangling']) {
      const e = refusal(() => readUntrusted(join(dir, f), 1024));
      expect(e.diagnostic.code).toBe('PL0005');
      expect(e.message).toContain('symbolic link');
    }
  });

  it('refuses a FIFO at once, without waiting for a writer', () => {
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    const e = refusal(() => readUntrusted(join(dir, 'fifo'), 1024));
    expect(e.diagnostic.code).toBe('PL0005');
    expect(e.message).toContain('a FIFO');
  });

  it('refuses devices, sockets and directories', () => {
    expect(refusal(() => readUntrusted('/dev/zero', 1024)).message).toContain('a character device');
    expect(refusal(() => readUntrusted('/dev/null', 1024)).message).toContain('a character device');
    expect(refusal(() => readUntrusted(join(dir, 'sock'), 1024)).diagnostic.code).toBe('PL0005');
    expect(refusal(() => readUntrusted(dir, 1024)).message).toContain('a directory');
  });

  it('caps the size before reading: a 5 GB file is refused after limit + 1 bytes', () => {
    const big = join(dir, 'big');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, 5 * 1024 ** 3);
    closeSync(fd);
    // A read-then-check would fail inside readFileSync (ERR_FS_FILE_TOO_LARGE), or take minutes.
    const e = refusal(() => readUntrustedText(big, 1000));
    expect(e.diagnostic.code).toBe('PL0006');
  });

  it('takes exactly limit bytes, refuses limit + 1', () => {
    writeFileSync(join(dir, 'edge'), 'x'.repeat(100));
    expect(readUntrusted(join(dir, 'edge'), 100)).toHaveLength(100);
    expect(refusal(() => readUntrusted(join(dir, 'edge'), 99)).diagnostic.code).toBe('PL0006');
  });

  it('refuses what is not text, and what does not exist', () => {
    writeFileSync(join(dir, 'nul'), 'a\0b');
    writeFileSync(join(dir, 'latin1'), Buffer.from([0x66, 0xe9, 0x0a]));
    expect(refusal(() => readUntrustedText(join(dir, 'nul'))).diagnostic.code).toBe('PL0007');
    expect(refusal(() => readUntrustedText(join(dir, 'latin1'))).diagnostic.code).toBe('PL0007');
    expect(refusal(() => readUntrustedText(join(dir, 'missing'))).diagnostic.code).toBe('PL0008');
  });
});

describe('readUntrusted: no link anywhere on the path', () => {
  it('a submission folder that is a link (to a root-only folder) → PL0016 naming it; nothing of the file is read', () => {
    const priv = join(dir, 'private');
    mkdirSync(priv, { mode: 0o700 });
    writeFileSync(join(priv, 'alice.Corefile'), 'CANARY-private\n', { mode: 0o600 });
    symlinkSync(priv, join(dir, 'subs'));
    const e = refusal(() => readUntrustedText(join(dir, 'subs', 'alice.Corefile')));
    expect(e.diagnostic.code).toBe('PL0016');
    expect(e.message).toContain(`${join(dir, 'subs')} is a symbolic link`);
    expect(e.message).not.toContain('CANARY');
    // The same file by its real path reads: only the link is refused.
    expect(readUntrustedText(join(priv, 'alice.Corefile'))).toBe('CANARY-private\n');
  });

  it('a link in the middle of the path, and one to /etc → PL0016; a relative path and `..` are walked the same', () => {
    mkdirSync(join(dir, 'class', 'real', 'week1'), { recursive: true });
    writeFileSync(join(dir, 'class', 'real', 'week1', 'bob.Corefile'), 'x\n');
    symlinkSync(join(dir, 'class', 'real'), join(dir, 'class', 'mid'));
    symlinkSync('/etc', join(dir, 'class', 'etc'));
    expect(refusal(() => readUntrusted(join(dir, 'class', 'mid', 'week1', 'bob.Corefile'), 1024)).diagnostic.code).toBe('PL0016');
    expect(refusal(() => readUntrusted(join(dir, 'class', 'etc', 'passwd'), 1024)).message).toContain(`${join(dir, 'class', 'etc')} is a symbolic link`);
    const rel = join(dir, 'class', 'real', 'week1', '..', 'week1', 'bob.Corefile').replace(process.cwd() + '/', '');
    expect(readUntrustedText(rel)).toBe('x\n');
  });

  it('beneath: links above the given folder are the author’s, links below it are refused', () => {
    mkdirSync(join(dir, 'ex-real', 'labs'), { recursive: true });
    writeFileSync(join(dir, 'ex-real', 'labs', 'starter.lab.ts'), 'export default {};\n');
    symlinkSync(join(dir, 'ex-real'), join(dir, 'ex-link'));
    symlinkSync(join(dir, 'ex-real', 'labs'), join(dir, 'ex-real', 'shortcut'));
    expect(readUntrustedText(join(dir, 'ex-link', 'labs', 'starter.lab.ts'), 1024, { beneath: join(dir, 'ex-link') })).toContain('export');
    expect(refusal(() => readUntrusted(join(dir, 'ex-link', 'shortcut', 'starter.lab.ts'), 1024, { beneath: join(dir, 'ex-link') })).diagnostic.code).toBe('PL0016');
    expect(refusal(() => readUntrusted('/etc/passwd', 1024, { beneath: join(dir, 'ex-real') })).diagnostic.code).toBe('PL0008');
  });
});

describe("a lab's manifest files: inside its folder, no link, regular files only", () => {
  const nodes = { cp: { role: 'control-plane' }, w1: {} };
  const validate = (labFile: string, manifests: string[]) => validateValue({ name: 'm', nodes, manifests }, labFile, undefined, { readFiles: true });

  it('a manifest that is a link to a host file, one in a linked folder, a FIFO: each its code, nothing of them in any message, no hang', () => {
    const lab = join(dir, 'mf');
    mkdirSync(join(lab, 'k8s'), { recursive: true });
    const secret = join(dir, 'mf-secret.yaml');
    writeFileSync(secret, 'MANIFEST-CANARY: yes\n');
    symlinkSync(secret, join(lab, 'k8s', 'linked.yaml'));
    symlinkSync(dir, join(lab, 'up'));
    execFileSync('mkfifo', [join(lab, 'k8s', 'pipe.yaml')]);
    const file = join(lab, 'x.lab.ts');
    const cases: [string, string][] = [['k8s/linked.yaml', 'PL0005'], ['up/mf-secret.yaml', 'PL0016'], ['k8s/pipe.yaml', 'PL0005'], ['/etc/passwd', 'PL2030'], ['../mf-secret.yaml', 'PL2030']];
    for (const [entry, code] of cases) {
      const r = validate(file, [entry]);
      expect(r.diagnostics.map((d) => d.code), entry).toEqual([code]);
      expect(r.diagnostics[0]!.path, entry).toEqual(['manifests', 0]);
      expect(JSON.stringify(r), entry).not.toContain('MANIFEST-CANARY');
    }
    // The real file inside the folder reads.
    writeFileSync(join(lab, 'k8s', 'ok.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: { name: shop }\n');
    expect(validate(file, ['./k8s/ok.yaml']).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });
});

describe('plain names', () => {
  it.each([
    ['', 'it is empty'],
    ['../x', "it holds a '/'"],
    ['a/b', "it holds a '/'"],
    ['/etc/passwd', "it holds a '/'"],
    ['..', 'it is ".."'],
    ['.', 'it is "."'],
    ['a\0b', 'it holds a control character'],
    ['a\nb', 'it holds a control character'],
    ['\x1b]0;pwned\x07', 'it holds a control character'],
    ['x'.repeat(129), 'it is longer than 128 bytes'],
  ])('%j is not plain: %s', (name, why) => {
    expect(plainNameProblem(name)).toBe(why);
    expect(() => joinPlain('/base', name)).toThrow(/refusing file name/);
  });

  it('names with dots, dashes and non-ASCII letters are plain', () => {
    for (const n of ['db.example.org', '..hidden', 'Corefile.bak', 'élève', 'x'.repeat(128)]) expect(isPlainName(n)).toBe(true);
    expect(joinPlain('/base', 'db.x')).toBe('/base/db.x');
  });

  it('plain relative paths: segments plain, never absolute or climbing', () => {
    expect(plainPathProblem('broken/x.lab.ts')).toBeUndefined();
    expect(plainPathProblem('/etc/shadow')).toBe('it is absolute');
    expect(plainPathProblem('../other/solution.lab.ts')).toBe('it is ".."');
    expect(plainPathProblem('a//b')).toBe('it has an empty segment');
    expect(joinPlainPath('/ex', 'broken/a.lab.ts')).toBe('/ex/broken/a.lab.ts');
    expect(() => joinPlainPath('/ex', 'broken/../../x')).toThrow(/refusing path/);
  });

  it('writeRendered refuses a rendered path that climbs out, and writes nothing', () => {
    const out = join(dir, 'rendered');
    expect(() => writeRendered(out, new Map([['dns/Corefile', '.'], ['dns/../../escaped', 'x']]))).toThrow(/refusing path/);
    expect(readdirSync(dir)).not.toContain('escaped');
    expect(() => statSync(out)).toThrow();
  });
});

describe('student ids', () => {
  it("refuses the grader's own output names and names that are not plain", () => {
    expect(studentIdProblem('gradebook')).toMatch(/grader's own output/);
    expect(studentIdProblem('Gradebook')).toMatch(/grader's own output/);
    expect(studentIdProblem(studentOf('submissions/gradebook.Corefile'))).toMatch(/grader's own output/);
    expect(studentIdProblem(studentOf('submissions/..txt'))).toMatch(/not a plain file name/);
    expect(studentIdProblem(studentOf('submissions/a\x1b[2Jb.Corefile'))).toMatch(/control character/);
    expect(studentIdProblem('alice')).toBeUndefined();
    expect(studentIdProblem('gradebook-fan')).toBeUndefined();
  });

  it("a doubled or unusable student id costs that student's files only: the rest are graded (one entry per id, naming its files)", () => {
    const files = ['s/bob.Corefile', 's/alice.Corefile', 's/gradebook.Corefile', 's/bob.txt', 's/a\x1b[2Jb.Corefile', 's/carol.lab.ts'];
    const { graded, refused, order } = sortSubmissions(files);
    expect(graded).toEqual([{ file: 's/alice.Corefile', student: 'alice' }, { file: 's/carol.lab.ts', student: 'carol' }]);
    expect(order).toEqual(['bob', 'alice', 'gradebook', 'a\x1b[2Jb', 'carol']);
    expect(refused.map((r) => [r.student, r.reason, r.files])).toEqual([
      ['bob', 'duplicate-student', ['s/bob.Corefile', 's/bob.txt']],
      ['gradebook', 'unusable-id', ['s/gradebook.Corefile']],
      ['a\x1b[2Jb', 'unusable-id', ['s/a\x1b[2Jb.Corefile']],
    ]);
    expect(refused[0]!.message).toBe('2 submissions belong to student "bob" ("bob.Corefile", "bob.txt"); hand in one file');
    expect(refused[1]!.message).toMatch(/^PL0009 student id "gradebook" \(from "gradebook.Corefile"\) cannot be used: "gradebook" is the name of the grader's own output/);
    expect(refused[2]!.message).toContain('control character');
    const ex = { name: 'ex', rubric: [{ id: 'a', title: 'A', points: 3, check: { kind: 'ping', from: 'a', to: 'b' } }] } as unknown as Parameters<typeof refusedResult>[0];
    expect(refusedResult(ex, refused[0]!)).toMatchObject({ student: 'bob', submission: 's/bob.Corefile, s/bob.txt', status: 'error', reason: 'duplicate-student', score: 0, max: 3, items: [{ id: 'a', status: 'fail', earned: 0 }] });
  });
});

describe('control characters from students are escaped in every output', () => {
  const evil = 'x\x1b]52;c;cHduZWQ=\x07\x1b[2J\u009b31m\u202eevil\r\nNEXT';
  const result: SubmissionResult = {
    version: 1,
    exercise: 'ex',
    student: `st\x1b[1mu`,
    submission: 's.Corefile',
    variant: {},
    status: 'error',
    reason: 'invalid-lab',
    message: evil,
    diagnostics: [{ code: 'PL2050', severity: 'error', message: evil, path: ['dns', 'files', evil], line: 1, column: 1 }],
    score: 0,
    max: 1,
    items: [{ id: 'a', title: 'A', status: 'fail', points: 1, earned: 0, hidden: false, message: evil, evidence: [{ expected: 'x', seen: evil, command: `podlab exec lab ${evil}` }] }],
    ms: 1,
    gradedAt: '2026-01-01T00:00:00.000Z',
  };
  // Nothing a terminal acts on: no C0 (but the line breaks the format itself writes), no DEL/C1, no bidi override.
  // eslint-disable-next-line no-control-regex
  const raw = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

  it('visible() shows them as text', () => {
    expect(visible('a\x1bb\nc\u009bd\u202ee')).toBe('a\\x1bb\\x0ac\\x9bd\\u202ee');
  });

  it('feedback and CSV hold none raw', () => {
    const fb = feedbackText(result);
    expect(fb).not.toMatch(raw);
    expect(fb).toContain('\\x1b]52;c;cHduZWQ=\\x07');
    // The student's \r\n does not start a line of its own in the feedback.
    expect(fb.split('\n').some((l) => l.startsWith('NEXT'))).toBe(false);
    const csv = gradebookCsv([{ id: 'a', title: 'A', points: 1, check: { kind: 'ping', from: 'a', to: 'b' } }], [result]);
    expect(csv).not.toMatch(raw);
    expect(csv.trim().split('\n')).toHaveLength(2);
  });

  it('JSON holds none raw and still parses to the same values', () => {
    for (const text of [resultsJson(result), gradebookJson('ex', [{ id: 'a', title: 'A', points: 1, check: { kind: 'ping', from: 'a', to: 'b' } }], [result])]) {
      expect(text).not.toMatch(raw);
      expect(text).not.toMatch(/[\u2028\u2029]/);
    }
    expect(JSON.parse(resultsJson(result))).toEqual(result);
    expect(safeJson({ s: '\u0085\u2028' })).toBe('{\n  "s": "\\u0085\\u2028"\n}');
  });
});

describe('grade --out', () => {
  const rubric = [{ id: 'a', title: 'A', points: 1, check: { kind: 'ping' as const, from: 'a', to: 'b' } }];
  const r = (student: string): SubmissionResult => ({ version: 1, exercise: 'ex', student, submission: `${student}.Corefile`, variant: {}, status: 'pass', score: 1, max: 1, items: [], ms: 1, gradedAt: '' });

  it('the directory is 0700 and every file 0600, also when they existed with wider modes', () => {
    const out = join(dir, 'out');
    mkdirSync(out, { mode: 0o755 });
    writeFileSync(join(out, 'alice.json'), 'old', { mode: 0o644 });
    writeGradeOutput(out, 'ex', rubric, [r('alice'), r('bob')]);
    expect(statSync(out).mode & 0o777).toBe(0o700);
    const files = readdirSync(out).sort();
    expect(files).toEqual(['alice.feedback.md', 'alice.json', 'bob.feedback.md', 'bob.json', 'gradebook.csv', 'gradebook.json']);
    for (const f of files) expect(statSync(join(out, f)).mode & 0o777, f).toBe(0o600);
    expect(JSON.parse(readFileSync(join(out, 'alice.json'), 'utf8')).student).toBe('alice');
  });

  it('a link planted where a result goes is not followed', () => {
    const out = join(dir, 'out2');
    mkdirSync(out);
    writeFileSync(join(dir, 'victim'), 'keep');
    symlinkSync(join(dir, 'victim'), join(out, 'alice.json'));
    expect(() => writeGradeOutput(out, 'ex', rubric, [r('alice')])).toThrow(/ELOOP/);
    expect(readFileSync(join(dir, 'victim'), 'utf8')).toBe('keep');
  });

  it("an unusable student id's entry is in the gradebook only: its own files would overwrite the class's or escape --out", () => {
    const out = join(dir, 'out4');
    const refused = (student: string, reason: 'duplicate-student' | 'unusable-id'): SubmissionResult => ({ ...r(student), status: 'error', reason, message: 'not graded', score: 0 });
    writeGradeOutput(out, 'ex', rubric, [r('alice'), refused('bob', 'duplicate-student'), refused('gradebook', 'unusable-id'), refused('../escaped', 'unusable-id')]);
    expect(readdirSync(out).sort()).toEqual(['alice.feedback.md', 'alice.json', 'bob.feedback.md', 'bob.json', 'gradebook.csv', 'gradebook.json']);
    const book = JSON.parse(readFileSync(join(out, 'gradebook.json'), 'utf8'));
    expect(book.students.map((s: { student: string; status: string; reason?: string }) => `${s.student} ${s.status} ${s.reason ?? ''}`)).toEqual(['alice pass ', 'bob error duplicate-student', 'gradebook error unusable-id', '../escaped error unusable-id']);
    expect(JSON.parse(readFileSync(join(out, 'bob.json'), 'utf8')).reason).toBe('duplicate-student');
  });

  it('a student id that is not plain never becomes a path', () => {
    expect(() => writeGradeOutput(join(dir, 'out3'), 'ex', rubric, [r('../escaped')])).toThrow(/refusing file name/);
    expect(readdirSync(dir)).not.toContain('escaped.json');
  });
});
