/**
 * Lab files and exercises are evaluated in the sandbox (src/compile/evaluate.ts), as submissions
 * are: a hostile lab file given to `validate` (loadLab, compileLab and the CLI) or an exercise given
 * to the grader gets its coded error, and leaves nothing behind — no file written, no process, no
 * content of a host file in the message. The isolation cases need root (unshare, contain); under
 * CI=true a non-root run fails instead of skipping them.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../src/compile/load.ts';
import { viewOf } from '../../src/compile/evaluate.ts';
import { ExerciseError, loadExercise } from '../../src/grade/exercise.ts';

const isRoot = process.getuid?.() === 0;
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const tag = randomBytes(6).toString('hex');
// A folder of its own with a package.json ("type": "module"), as a course folder would have.
const dir = mkdtempSync(join(tmpdir(), 'sec-lab-sandbox-'));
chmodSync(dir, 0o755); // the sandbox's user reads it as any other user would
writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lab(name: string, ...lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, [`import { defineLab } from 'podlab';`, ...lines].join('\n') + '\n');
  return file;
}

/** Processes whose command line names `file`: what an evaluation of it would have left running. */
function processesNaming(file: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(file)) found.push(pid);
    } catch {
      /* gone */
    }
  }
  return found;
}

async function rejected(file: string, code: string, timeoutMs = 20_000) {
  const r = await loadLab(file, timeoutMs);
  expect(r.value).toBeUndefined();
  expect(r.diagnostics.map((d) => d.code)).toEqual([code]);
  expect(processesNaming(file)).toEqual([]);
  return r.diagnostics[0]!;
}

it('runs confined wherever it is meant to', () => {
  if (process.env.CI === 'true') expect(isRoot, 'CI must run the lab sandbox tests as root, or they prove nothing').toBe(true);
});

describe('the view of a lab: Node, podlab, and the lab’s own files (not their folders)', () => {
  it('holds the lab and the files it imports (inside its project), not their folders, not an import that climbs out of it', () => {
    mkdirSync(join(dir, 'shared'), { recursive: true });
    writeFileSync(join(dir, 'shared', 'nodes.ts'), 'export const nodes = { n1: {} };\n');
    writeFileSync(join(dir, 'shared', 'gradebook.csv'), 'alice,100\n');
    mkdirSync(join(dir, 'labs'), { recursive: true });
    const file = join(dir, 'labs', 'view.lab.ts');
    writeFileSync(file, "import { nodes } from '../shared/nodes.ts';\nimport '../shared/gradebook.csv';\nimport '../../../../../../../etc/passwd';\nexport default { name: 'view', nodes };\n");
    const view = viewOf(file);
    expect(view).toContain(file);
    expect(view).toContain(join(dir, 'shared', 'nodes.ts'));
    expect(view).toContain(join(dir, 'package.json'));
    expect(view).toContain(join(REPO, 'src'));
    // Not the folders (what else lies there), not a file that is no module (a gradebook named by an import).
    expect(view).not.toContain(join(dir, 'labs'));
    expect(view).not.toContain(join(dir, 'shared'));
    expect(view).not.toContain(join(dir, 'shared', 'gradebook.csv'));
    expect(view.some((p) => p === '/etc' || p === '/' || p.startsWith('/home') || p === '/root')).toBe(false);
    expect(viewOf(file, true).filter((p) => p.startsWith(dir))).toEqual([file, join(dir, 'package.json')]);
  });
});

describe.skipIf(!isRoot)('a hostile lab file, as root: each its coded error, nothing left behind', () => {
  it('a file beside the lab that it does not import is not there: readFileSync, a dynamic import, a listing all fail, its content in no output', async () => {
    const secret = `CANARY-${tag}`;
    const canary = join(dir, 'other-student.lab.ts');
    writeFileSync(canary, `export default { name: '${secret}', nodes: { n: {} } };\n`, { mode: 0o644 });
    writeFileSync(join(dir, 'gradebook.csv'), `alice,${secret}\n`, { mode: 0o644 });
    const attempts = {
      read: "readFileSync(new URL('./gradebook.csv', import.meta.url), 'utf8')",
      dynamic: "(await import('./' + ['other-student', 'lab', 'ts'].join('.'))).default.name",
    };
    for (const [name, expr] of Object.entries(attempts)) {
      const file = lab(`beside-${name}.lab.ts`, "import { readFileSync, readdirSync } from 'node:fs';", `export default defineLab({ name: String(${expr}), nodes: { n: {} } });`);
      const r = await loadLab(file);
      expect(r.value, name).toBeUndefined();
      expect(r.diagnostics.map((d) => d.code), name).toEqual(['PL0002']);
      expect(r.diagnostics[0]!.message, name).toMatch(name === 'dynamic' ? /Cannot find module|ERR_MODULE_NOT_FOUND|ENOENT/ : /ENOENT/);
      expect(JSON.stringify(r), name).not.toContain(secret);
    }
    // Its folder, listed from inside, holds the lab and its package.json only.
    const listed = await loadLab(lab('beside-listing.lab.ts', "import { readdirSync } from 'node:fs';", "export default defineLab({ name: 'l', nodes: Object.fromEntries(readdirSync(new URL('.', import.meta.url)).map((f) => [f.replace(/\\W/g, '-'), {}])) });"));
    expect(Object.keys((listed.value as { nodes: object }).nodes).sort()).toEqual(['beside-listing-lab-ts', 'package-json']);
    // The same through the CLI: exit 1, the canary in neither stream.
    const cli = await execa(process.execPath, [join(REPO, 'bin', 'podlab.js'), 'validate', join(dir, 'beside-read.lab.ts'), '--no-typecheck', '--json'], { reject: false });
    expect(cli.exitCode).toBe(1);
    expect(cli.stdout + cli.stderr).toContain('PL0002');
    expect(cli.stdout + cli.stderr).not.toContain(secret);
  }, 60_000);

  it('a lab importing a sibling file evaluates (the view holds the files it imports)', async () => {
    writeFileSync(join(dir, 'sibling.ts'), "export const nodes = { a: {}, b: {} };\n");
    const r = await loadLab(lab('sibling.lab.ts', "import { nodes } from './sibling.ts';", "export default defineLab({ name: 'sibling', nodes });"));
    expect(r.diagnostics).toEqual([]);
    expect(r.value).toMatchObject({ name: 'sibling', nodes: { a: {}, b: {} } });
  });

  it('writes a file → PL0002 (read-only), and no file exists: next to it, in /tmp, in the repository', async () => {
    const targets = [join(dir, `pwned-${tag}`), `/tmp/pwned-${tag}`, join(REPO, `pwned-${tag}`)];
    for (const t of targets) {
      const d = await rejected(lab(`write-${targets.indexOf(t)}.lab.ts`, "import { writeFileSync } from 'node:fs';", `writeFileSync(${JSON.stringify(t)}, 'x');`, "export default defineLab({ name: 'w', nodes: { n: {} } });"), 'PL0002');
      expect(d.message).toMatch(/EROFS|ENOENT/);
      expect(d.line).toBe(3);
      expect(existsSync(t)).toBe(false);
    }
  });

  it('spawns a process → PL0002 (no shell, no host program in view), and nothing runs', async () => {
    const marker = `/tmp/spawned-${tag}`;
    const d = await rejected(lab('spawn.lab.ts', "import { execSync } from 'node:child_process';", `execSync('touch ${marker}; sleep 600 &');`, "export default defineLab({ name: 's', nodes: { n: {} } });"), 'PL0002');
    expect(d.message).toContain('ENOENT');
    expect(existsSync(marker)).toBe(false);
  });

  it('reads /etc/shadow → PL0002, the file is not in its view, and no line of it is in the message', async () => {
    const d = await rejected(lab('shadow.lab.ts', "import { readFileSync } from 'node:fs';", "export default defineLab({ name: readFileSync('/etc/shadow', 'utf8'), nodes: { n: {} } });"), 'PL0002');
    expect(d.message).toContain("ENOENT: no such file or directory, open '/etc/shadow'");
    expect(d.message).not.toMatch(/root:/);
  });

  it('connects out → PL0002, no network', async () => {
    const d = await rejected(lab('net.lab.ts', "import net from 'node:net';", "await new Promise((ok, no) => net.connect(53, '1.1.1.1').on('connect', ok).on('error', no));", "export default defineLab({ name: 'n', nodes: { n: {} } });"), 'PL0002');
    expect(d.message).toContain('ENETUNREACH');
  });

  it('calls process.exit(0) → PL0011', async () => {
    const d = await rejected(lab('exit.lab.ts', 'process.exit(0);', "export default defineLab({ name: 'e', nodes: { n: {} } });"), 'PL0011');
    expect(d.message).toContain('exit code 0');
  });

  it('allocates 10 GB → PL0012, and podlab is unaffected', async () => {
    const before = process.memoryUsage().rss;
    await rejected(lab('memory.lab.ts', 'const b: Buffer[] = [];', 'for (let i = 0; i < 160; i++) b.push(Buffer.alloc(64 << 20, 1));', "export default defineLab({ name: 'm', nodes: { n: {} } });"), 'PL0012');
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });

  it('starts child processes that hold 1.2 GB together (400 MB each, under each one\'s own cap) → the sandbox\'s memory cgroup kills one', async () => {
    // Each child is a Node (the one program in its view) holding 400 MB for a moment; RLIMIT_DATA
    // (768 MB) caps each alone, so only the cgroup over all of the sandbox's processes stops this.
    const d = await rejected(
      lab(
        'children.lab.ts',
        "import { spawn } from 'node:child_process';",
        "const kids = [1, 2, 3].map(() => spawn(process.execPath, ['-e', 'const b = Buffer.alloc(400 << 20, 1); setTimeout(() => process.exit(0), 3000)'], { stdio: 'ignore' }));",
        'const ends = await Promise.all(kids.map((k) => new Promise((r) => k.on(\'exit\', (code, sig) => r(sig ?? `exit ${code}`)))));',
        "if (ends.some((e) => e !== 'exit 0')) throw new Error(`children ended: ${ends.join(', ')}`);",
        "export default defineLab({ name: 'k', nodes: { n: {} } });",
      ),
      'PL0002',
    );
    expect(d.message).toContain('SIGKILL');
  }, 30_000);

  it('loops forever → PL0010 at the limit, and its process is gone', async () => {
    const started = Date.now();
    const d = await rejected(lab('loop.lab.ts', 'while (true) {}', "export default defineLab({ name: 'l', nodes: { n: {} } });"), 'PL0010', 2000);
    expect(d.message).toContain('longer than 2 s');
    expect(Date.now() - started).toBeLessThan(6000);
  });

  it('`podlab validate` of a lab that writes a file: exit 1, PL0002 at its line, nothing written', async () => {
    const target = `/tmp/validate-pwned-${tag}`;
    const file = lab('cli-write.lab.ts', "import { writeFileSync } from 'node:fs';", `writeFileSync('${target}', 'x');`, "export default defineLab({ name: 'c', nodes: { n: {} } });");
    const r = await execa(process.execPath, [join(REPO, 'bin', 'podlab.js'), 'validate', file, '--no-typecheck'], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/cli-write\.lab\.ts:3:\d+ - error PL0002 .*EROFS/);
    expect(existsSync(target)).toBe(false);
  }, 60_000);

  it('`podlab up` of a lab that imports node:fs and writes: exit 1, PL0002, nothing written, nothing of the lab created', async () => {
    const target = `/tmp/up-pwned-${tag}`;
    const file = lab('cli-up-write.lab.ts', "import { writeFileSync } from 'node:fs';", `writeFileSync('${target}', 'x');`, "export default defineLab({ name: 'sec-upw', nodes: { n: {} } });");
    const r = await execa(process.execPath, [join(REPO, 'bin', 'podlab.js'), 'up', file], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/cli-up-write\.lab\.ts:3:\d+ - error PL0002 .*EROFS/);
    expect(existsSync(target)).toBe(false);
    expect(existsSync('/run/podlab/sec-upw')).toBe(false);
    expect((await execa('ip', ['netns', 'list'])).stdout).not.toContain('podlab-sec-upw');
  }, 60_000);

  it('a lab in a folder other users cannot enter (0700) is evaluated from a readable copy of its own files, removed after', async () => {
    const hidden = join(dir, 'hidden');
    mkdirSync(hidden, { mode: 0o700 });
    writeFileSync(join(hidden, 'nodes.ts'), 'export const nodes = { h1: {} };\n', { mode: 0o600 });
    const file = join(hidden, 'hidden.lab.ts');
    writeFileSync(file, "import { nodes } from './nodes.ts';\nexport default { name: 'h', nodes };\n", { mode: 0o600 });
    const stageRoot = join(REPO, 'build', 'eval-tmp');
    const before = existsSync(stageRoot) ? readdirSync(stageRoot).length : 0;
    const r = await loadLab(file);
    expect(r.diagnostics).toEqual([]);
    expect(r.value).toEqual({ name: 'h', nodes: { h1: {} } });
    // Its errors still name the original file.
    writeFileSync(file, "throw new Error('hidden boom');\nexport default {};\n", { mode: 0o600 });
    const d = await rejected(file, 'PL0002');
    expect(d.message).toContain('hidden boom');
    expect(d.line).toBe(1);
    expect(existsSync(stageRoot) ? readdirSync(stageRoot).length : 0).toBe(before);
  });

  it('an exercise that writes a file → ExerciseError with PL0002; nothing written', async () => {
    const ex = join(dir, 'ex-write');
    mkdirSync(ex, { recursive: true });
    const target = `/tmp/exercise-pwned-${tag}`;
    writeFileSync(join(ex, 'exercise.ts'), `import { writeFileSync } from 'node:fs';\nwriteFileSync('${target}', 'x');\nexport default {};\n`);
    const e = await loadExercise(ex).then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(ExerciseError);
    expect((e as ExerciseError).diagnostics.map((d) => d.code)).toEqual(['PL0002']);
    expect((e as Error).message).toContain('EROFS');
    expect(existsSync(target)).toBe(false);
  });

  it('an exercise whose starter lab is reached through a linked folder → ExerciseError PL0016', async () => {
    const ex = join(dir, 'ex-link');
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(ex, { recursive: true });
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(join(elsewhere, 'starter.lab.ts'), "export default { name: 's', nodes: { n: {} } };\n");
    symlinkSync(elsewhere, join(ex, 'labs'));
    writeFileSync(join(ex, 'exercise.ts'), "export default { title: 't', task: 't', starter: 'labs/starter.lab.ts', solution: 'labs/starter.lab.ts', rubric: [{ id: 'a', title: 'a', points: 1, check: { kind: 'dns', from: 'n', query: 'x', expectAnswers: ['1.2.3.4'] } }] };\n");
    const e = await loadExercise(ex).then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(ExerciseError);
    expect((e as ExerciseError).diagnostics.map((d) => d.code)).toEqual(['PL0016']);
    expect((e as Error).message).toContain(`${join(ex, 'labs')} is a symbolic link`);
  });

  it('an exercise whose starter, solution or broken file climbs out of its folder, or is absolute → ExerciseError, nothing loaded', async () => {
    for (const [field, value] of [['starter', '../ex-write/exercise.ts'], ['solution', '/etc/passwd'], ['broken', '../../x.lab.ts']] as const) {
      const ex = join(dir, `ex-climb-${field}`);
      mkdirSync(ex, { recursive: true });
      writeFileSync(join(ex, 'ok.lab.ts'), "export default { name: 's', nodes: { n: {} } };\n");
      const spec = { starter: 'ok.lab.ts', solution: 'ok.lab.ts', ...(field === 'broken' ? { broken: [{ file: value, fails: ['a'], why: 'x' }] } : { [field]: value }) };
      writeFileSync(join(ex, 'exercise.ts'), `export default { title: 't', task: 't', ...${JSON.stringify(spec)}, rubric: [{ id: 'a', title: 'a', points: 1, check: { kind: 'dns', from: 'n', query: 'x', expectAnswers: ['1.2.3.4'] } }] };\n`);
      const e = await loadExercise(ex).then(() => undefined, (err: unknown) => err);
      expect(e, field).toBeInstanceOf(ExerciseError);
      expect((e as Error).message, field).toMatch(/must be a path inside the exercise's folder \(it (is absolute|is "\.\.")\)/);
    }
  }, 60_000);

  it('a lab in a 0700 folder importing a link to a root-only file: not copied for the sandbox (PL0015), its content in no output, no copy left', async () => {
    const secret = `ROOTONLY-${tag}`;
    const vault = join(dir, 'vault');
    mkdirSync(vault, { mode: 0o700 });
    writeFileSync(join(vault, 'secret.ts'), `export const nodes = { '${secret}': {} };\n`, { mode: 0o600 });
    const hidden = join(dir, 'hidden-link');
    mkdirSync(hidden, { mode: 0o700 });
    symlinkSync(join(vault, 'secret.ts'), join(hidden, 'nodes.ts'));
    const file = join(hidden, 'steal.lab.ts');
    writeFileSync(file, "import { nodes } from './nodes.ts';\nexport default { name: 'steal', nodes };\n", { mode: 0o600 });
    const stageRoot = join(REPO, 'build', 'eval-tmp');
    const before = existsSync(stageRoot) ? readdirSync(stageRoot).length : 0;
    const r = await loadLab(file);
    expect(r.value).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toEqual(['PL0015']);
    expect(r.diagnostics[0]!.message).toContain('symbolic link');
    expect(JSON.stringify(r)).not.toContain(secret);
    expect(existsSync(stageRoot) ? readdirSync(stageRoot).length : 0).toBe(before);
  });
});
