/**
 * What the CLI loads at start (bin/podlab.js runs `up`, `down`, `check` and `scenario`, and `status`,
 * `get`, `exec`, `logs` and `events` from bundles of their own, the rest from the whole CLI's): the modules an entry reaches by static imports, the ones every start
 * initialises. A lab that validated before needs no validation, so no entry may reach zod or the lab
 * schema (they load on a validation-cache miss, or when grading or a policy file needs them, by
 * dynamic import); `down` of a lab by name needs no compiler at all.
 */
import { isAscii } from 'node:buffer';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { asciiOnly, readSource } from '../../bin/code-cache.js';
import { ensureDnsServer } from '../../src/runtime/artifacts.ts';

/** The inputs an entry reaches through static imports only (what its bundle initialises at start). */
async function eagerInputs(entry: string): Promise<string[]> {
  const r = await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', write: false, metafile: true, logLevel: 'silent', outfile: 'x.cjs', external: ['typescript', 'ts-morph', 'kubernetes-models', '@hpcc-js/wasm-graphviz', 'esbuild', 'tsx'] });
  const seen = new Set([entry]);
  const queue = [entry];
  while (queue.length) for (const i of r.metafile.inputs[queue.shift()!]?.imports ?? []) if (i.kind === 'import-statement' && !seen.has(i.path)) (seen.add(i.path), queue.push(i.path));
  return [...seen];
}

describe('the CLI entries of their own', () => {
  it('up initialises no zod, no lab schema, no validation and no YAML parser at start', async () => {
    const eager = await eagerInputs('src/cli/up-main.ts');
    expect(eager).toContain('src/runtime/up.ts');
    expect(eager.filter((f) => f.startsWith('node_modules/zod/') || f.startsWith('node_modules/yaml/') || f.startsWith('src/schema/') || f.endsWith('validate-value.ts') || f === 'src/compile/manifests.ts' || f.startsWith('src/api/server'))).toEqual([]);
  });

  it('the whole CLI initialises no zod and no lab schema at start either: validation, grading and policy files load them when used', async () => {
    const eager = await eagerInputs('src/cli/main.ts');
    expect(eager).toContain('src/cli/exec.ts');
    expect(eager.filter((f) => f.startsWith('node_modules/zod/') || f.startsWith('src/schema/'))).toEqual([]);
  });

  it("a live lab's commonest commands (status, get, exec, logs, events) initialise no compiler, zod, yaml or templates at start", async () => {
    const eager = await eagerInputs('src/cli/live-main.ts');
    for (const f of ['src/cli/status.ts', 'src/cli/get.ts', 'src/cli/exec.ts', 'src/cli/logs.ts', 'src/cli/events.ts']) expect(eager).toContain(f);
    expect(eager.filter((f) => /^node_modules\/(zod|yaml|handlebars)\//.test(f) || f.startsWith('src/compile/compile') || f.startsWith('src/schema/') || f === 'src/render/render.ts')).toEqual([]);
  });

  it('check and scenario initialise no compiler, zod or schema at start', async () => {
    const eager = await eagerInputs('src/cli/check-main.ts');
    expect(eager).toContain('src/cli/check.ts');
    expect(eager.filter((f) => f.startsWith('node_modules/zod/') || f.startsWith('src/compile/compile') || f.startsWith('src/schema/'))).toEqual([]);
  });

  it("the commands that show a live lab's network (trace, explain, graph, capture) initialise no compiler, zod, yaml or schema at start", async () => {
    const eager = await eagerInputs('src/cli/see-main.ts');
    for (const f of ['src/cli/trace.ts', 'src/cli/explain.ts', 'src/cli/graph.ts', 'src/cli/capture.ts']) expect(eager).toContain(f);
    expect(eager.filter((f) => /^node_modules\/(zod|yaml|ts-morph|typescript)\//.test(f) || f.startsWith('src/compile/compile') || f.startsWith('src/compile/typecheck') || f.startsWith('src/schema/'))).toEqual([]);
  });

  it('down initialises no compiler, zod, yaml or templates at start', async () => {
    const eager = await eagerInputs('src/cli/down-main.ts');
    expect(eager).toContain('src/runtime/down.ts');
    expect(eager.filter((f) => /^node_modules\/(zod|yaml|handlebars)\//.test(f) || f === 'src/compile/compile.ts' || f.startsWith('src/schema/'))).toEqual([]);
  });

  it("no entry carries handlebars' compiler: templates run on its runtime, and the compiler loads from node_modules only for a template not compiled before", async () => {
    for (const entry of ['src/cli/main.ts', 'src/cli/up-main.ts', 'src/cli/check-main.ts']) {
      const r = await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', write: false, metafile: true, logLevel: 'silent', outfile: 'x.cjs', external: ['typescript', 'ts-morph', 'kubernetes-models', '@hpcc-js/wasm-graphviz', 'esbuild', 'tsx'] });
      const inputs = Object.keys(r.metafile.inputs);
      expect(inputs).toContain('node_modules/handlebars/dist/cjs/handlebars.runtime.js');
      expect(inputs.filter((f) => f.includes('node_modules/handlebars/') && (f.includes('/compiler/') || f.endsWith('handlebars/lib/index.js')))).toEqual([]);
    }
  });

  it('bin/ is CommonJS, which Node starts sooner than an ES module: bin/package.json says so, and no file of it has an import statement', () => {
    expect(JSON.parse(readFileSync('bin/package.json', 'utf8'))).toEqual({ type: 'commonjs' });
    for (const f of ['bin/podlab.js', 'bin/code-cache.js']) expect(readFileSync(f, 'utf8'), f).not.toMatch(/^(import|export) /m);
  });

  it('a command that hashes nothing, prints no code frame and times nothing loads neither node:crypto, @babel/code-frame nor perf_hooks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podlab-loaded-'));
    try {
      // What the process loaded, written as it exits: Node's own modules, and the files required.
      const hook = join(dir, 'hook.cjs');
      writeFileSync(hook, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(join(dir, 'loaded.json'))}, JSON.stringify([...process.moduleLoadList, ...Object.keys(require.cache)])));`);
      const loaded = async (...args: string[]) => {
        const r = await execa('bin/podlab.js', args, { reject: false, env: { NODE_OPTIONS: `--require ${hook}`, PODLAB_STATE_ROOT: dir } });
        return [r.stderr, ...(JSON.parse(readFileSync(join(dir, 'loaded.json'), 'utf8')) as string[])];
      };
      await execa('bin/podlab.js', ['--version']);
      // The command runs from the live bundle (PODLAB_TRACE's timeline says so; tracing times, so not in the run measured).
      const traced = await execa('bin/podlab.js', ['status', 'no-such-lab'], { reject: false, env: { PODLAB_STATE_ROOT: dir, PODLAB_TRACE: '1' } });
      expect(traced.stderr).toContain('load the CLI bundle (live.cjs)');
      const status = await loaded('status', 'no-such-lab');
      expect(status.slice(1).filter((m) => m === 'NativeModule crypto' || m === 'NativeModule perf_hooks' || m.includes('@babel/code-frame'))).toEqual([]);
      // A diagnostic with its frame loads the package when it is printed.
      const bad = join(dir, 'bad.lab.ts');
      writeFileSync(bad, "export default { name: 'x', nodes: { a: {} }, pods: { p: { node: 'b' } } };\n");
      const validate = await loaded('validate', bad, '--no-typecheck');
      expect(validate[0]).toContain('> 1 | export default');
      expect(validate.slice(1).some((m) => m.includes('@babel/code-frame'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every bundle the CLI and the DNS pod start from is all ASCII (one byte a character for V8, decoded as Latin-1), and means what its sources say', async () => {
    await execa('bin/podlab.js', ['--version']);
    await ensureDnsServer();
    const bundles = [...readdirSync('build/cli').filter((f) => f.endsWith('.cjs')).map((f) => `build/cli/${f}`), 'build/dns/server.cjs', 'build/dns/podlab-dns.cjs'];
    expect(bundles).toContain('build/cli/up.cjs');
    for (const f of bundles) expect(isAscii(readFileSync(f)), f).toBe(true);
    // The escapes mean what the characters did: strings, templates, regular expressions, comments.
    const js = "/* a → b */ module.exports = ['10–20 …', `x ${1} — y`, /↔ (\\S+)/.exec('a ↔ eth0')?.[1], /\\u{1f600}/u.test('😀'), '😀'.length]; // ✓";
    const run = (text: string) => {
      const m = { exports: undefined as unknown };
      new Function('module', text)(m);
      return m.exports;
    };
    expect(isAscii(Buffer.from(asciiOnly(js)))).toBe(true);
    expect(run(asciiOnly(js))).toEqual(run(js));
    expect(run(js)).toEqual(['10–20 …', 'x 1 — y', 'eth0', true, 2]);
    // readSource: the same text as UTF-8 decoding, for an ASCII file and for one that is not.
    const dir = mkdtempSync(join(tmpdir(), 'podlab-ascii-'));
    try {
      writeFileSync(join(dir, 'a.js'), asciiOnly(js));
      writeFileSync(join(dir, 'u.js'), js);
      for (const f of ['a.js', 'u.js']) expect(readSource(join(dir, f))).toBe(readFileSync(join(dir, f), 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
