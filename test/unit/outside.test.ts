/**
 * A lab anywhere: a lab file in a folder outside the checkout (no node_modules, no package.json)
 * imports 'podlab', reads its manifests, and the CLI run from that folder validates (type check
 * included) and renders it. Needs no root.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compileLab } from '../../src/compile/compile.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'podlab-outside-'));
mkdirSync(join(dir, 'k8s'));
writeFileSync(join(dir, 'k8s', 'web.yaml'), readFileSync(join(ROOT, 'labs/k8s/web.yaml')));
writeFileSync(
  join(dir, 'course.lab.ts'),
  `import { container, defineLab, workloads } from 'podlab';
export default defineLab({
  name: 'outside',
  nodes: { 'control-plane': { role: 'control-plane' }, 'worker-1': {}, 'worker-2': {} },
  manifests: ['k8s/*.yaml'],
  pods: { client: { node: 'worker-1', containers: [container(workloads.tcpEcho())] } },
  checks: [{ kind: 'http', from: 'client', to: 'svc/web', requests: 10, expectSpread: 2 }],
});
`,
);
// The same lab in a folder whose package.json says "type": "module": tsx loads it as ESM, not CommonJS.
mkdirSync(join(dir, 'esm'));
writeFileSync(join(dir, 'esm', 'package.json'), '{ "type": "module" }\n');
mkdirSync(join(dir, 'esm', 'k8s'));
writeFileSync(join(dir, 'esm', 'k8s', 'web.yaml'), readFileSync(join(ROOT, 'labs/k8s/web.yaml')));
writeFileSync(join(dir, 'esm', 'course.lab.ts'), readFileSync(join(dir, 'course.lab.ts')));
writeFileSync(join(dir, 'typo.lab.ts'), `import { defineLab } from 'podlab';\nexport default defineLab({ name: 'typo', nodes: { a: {} }, podz: {} });\nexport const port: number = '80';\n`);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/podlab.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });

describe('a lab outside the checkout', () => {
  it.each(['course.lab.ts', 'esm/course.lab.ts'])("%s imports 'podlab' and its manifests resolve beside it", async (file) => {
    const r = await compileLab(join(dir, file));
    expect(r.diagnostics).toEqual([]);
    expect(r.lab!.pods.filter((p) => p.labels.app === 'web').length).toBe(3);
  }, 30_000);

  it('the CLI run from that folder validates it, type check included, and renders it there', () => {
    const v = cli('validate', 'course.lab.ts');
    expect(v.stderr).toContain('lab "outside" is valid');
    expect(v.status).toBe(0);
    const r = cli('render', 'course.lab.ts', '--out', 'gen');
    expect(r.status).toBe(0);
    expect(existsSync(join(dir, 'gen/outside/plan.json'))).toBe(true);
  }, 90_000);

  it('still reports the lab\'s own errors there (the type check knows the lab language)', () => {
    const v = cli('validate', 'typo.lab.ts');
    expect(v.status).toBe(1);
    // The misspelt property once, as the schema's PL1002 (its TS2353 is left out: one-per-mistake.ts);
    // a type error only the type check sees, at its line; 'podlab' resolved (no TS2307).
    expect(v.stderr).toMatch(/typo\.lab\.ts:2:\d+ - error PL1002 podz: unknown property "podz"/);
    expect(v.stderr).toMatch(/typo\.lab\.ts:3:\d+ - error PL0004 TS2322/);
    expect(v.stderr).not.toMatch(/TS2307|TS2353/);
  }, 60_000);
});
