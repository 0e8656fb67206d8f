/**
 * The CLI's validation cache (src/compile/validate-cache.ts): a lab served from it plans and renders
 * exactly as the lab validated afresh; it is served only for the same value, file and build, never
 * for a lab with diagnostics or one that names manifest files, and not at all without a bundle.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compileLab } from '../../src/compile/compile.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import { lookupEvaluation } from '../../src/compile/eval-cache.ts';
import { lookupValidated, storeValidated, validateCacheFile } from '../../src/compile/validate-cache.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { render } from '../../src/render/render.ts';

const BUNDLE = Symbol.for('podlab.bundle');
const g = globalThis as Record<symbol, unknown>;

describe('validation cache', () => {
  let dir: string;
  let cacheDir: string;
  const prevCache = process.env.PODLAB_CACHE_DIR;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'podlab-validate-cache-'));
    cacheDir = mkdtempSync(join(tmpdir(), 'podlab-eval-cache-'));
    process.env.PODLAB_CACHE_DIR = cacheDir; // the labs' evaluations, cached too, in a folder of the test's own
  });
  afterEach(() => delete g[BUNDLE]);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
    if (prevCache === undefined) delete process.env.PODLAB_CACHE_DIR;
    else process.env.PODLAB_CACHE_DIR = prevCache;
  });

  it('without a bundle (sources through tsx) nothing is stored or served', async () => {
    const r = await compileLab('labs/pod-networking.lab.ts');
    expect(r.lab).toBeDefined();
    expect(validateCacheFile({ name: 'x' }, 'x.lab.ts', undefined)).toBeUndefined();
    storeValidated({ name: 'x' }, 'x.lab.ts', r.lab!, undefined);
    expect(lookupValidated({ name: 'x' }, 'x.lab.ts', undefined)).toBeUndefined();
  });

  it('every example lab served from the cache plans and renders exactly as validated afresh', async () => {
    const bundle = { dir, stamp: '100:1:v20' };
    const labs = readdirSync('labs').filter((f) => f.endsWith('.lab.ts'));
    let served = 0;
    for (const f of labs) {
      const file = `labs/${f}`;
      const fresh = await compileLab(file);
      expect(fresh.lab, file).toBeDefined();
      const value = lookupEvaluation(join(process.cwd(), file))?.value ?? (await import('../../src/compile/load.ts')).loadLab(file).then((l) => l.value);
      const v = await value;
      const again = validateValue(v, file, undefined, { readFiles: true });
      storeValidated(v, file, again.lab!, bundle);
      const stored = lookupValidated(v, file, bundle);
      if (!validateCacheFile(v, file, bundle)) {
        expect(stored, `${file} names manifest files: not cached`).toBeUndefined();
        continue;
      }
      served++;
      expect(stored, file).toBeDefined();
      const [a, b] = [buildPlan(again.lab!), buildPlan(stored!)];
      expect(b, file).toEqual(a);
      expect([...render(b)], file).toEqual([...render(a)]);
    }
    expect(served).toBeGreaterThanOrEqual(labs.length - 1);
  });

  it('the CLI path: a second compile is served what is stored, for that value, file and build only', async () => {
    const bundle = { dir: mkdtempSync(join(dir, 'b-')), stamp: '200:1:v20' };
    g[BUNDLE] = bundle;
    const first = await compileLab('labs/dns.lab.ts');
    expect(first.lab).toBeDefined();
    expect(readdirSync(`${bundle.dir}/validate`)).toHaveLength(1);
    // Plant a marker in the stored Lab: the next compile returns it, so it was served, not validated.
    const [name] = readdirSync(`${bundle.dir}/validate`);
    const path = `${bundle.dir}/validate/${name}`;
    const entry = JSON.parse(readFileSync(path, 'utf8'));
    entry.lab.description = 'from the cache';
    writeFileSync(path, JSON.stringify(entry));
    expect((await compileLab('labs/dns.lab.ts')).lab!.description).toBe('from the cache');
    // Another build (src/ changed, so the bundle did): validated afresh.
    g[BUNDLE] = { ...bundle, stamp: '201:1:v20' };
    expect((await compileLab('labs/dns.lab.ts')).lab!.description).not.toBe('from the cache');
    // A corrupt entry is a miss.
    g[BUNDLE] = bundle;
    writeFileSync(path, '{"format":1,');
    expect((await compileLab('labs/dns.lab.ts')).lab!.description).not.toBe('from the cache');
    // Another value: its own key.
    const v = { ...(lookupEvaluation(join(process.cwd(), 'labs/dns.lab.ts'))!.value as object), description: 'edited' };
    expect(validateCacheFile(v, 'labs/dns.lab.ts', bundle)!.path).not.toBe(path);
    // Another file name (banners name it): its own key.
    expect(validateCacheFile(v, 'labs/other.lab.ts', bundle)!.path).not.toBe(validateCacheFile(v, 'labs/dns.lab.ts', bundle)!.path);
  });

  it('a lab with diagnostics is never stored', async () => {
    const bundle = { dir: mkdtempSync(join(dir, 'c-')), stamp: '300:1:v20' };
    g[BUNDLE] = bundle;
    const r = await compileLab('test/fixtures/bad-labs/223-nodeselector-pending.lab.ts');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['PL2303', 'PL2306']);
    expect(existsSync(`${bundle.dir}/validate`)).toBe(false);
  });
});
