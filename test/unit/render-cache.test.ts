/** The CLI's render cache (src/render/render-cache.ts): the same files as render, read back for the same plan and build only. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileLab } from '../../src/compile/compile.ts';
import { buildPlan, type Plan } from '../../src/plan/plan.ts';
import type { Lab } from '../../src/compile/lab.ts';
import { render } from '../../src/render/render.ts';
import { renderCached, renderCacheFile } from '../../src/render/render-cache.ts';
import { planCached, planCacheFile } from '../../src/cli/plan-cache.ts';

describe('render cache', () => {
  let dir: string;
  let plan: Plan;
  let lab: Lab;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'podlab-render-cache-'));
    lab = (await compileLab('labs/pod-networking.lab.ts')).lab!;
    plan = buildPlan(lab);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('without a bundle (sources through tsx) it renders and stores nothing', () => {
    expect(renderCacheFile(plan, undefined)).toBeUndefined();
    expect([...renderCached(plan, undefined)]).toEqual([...render(plan)]);
  });

  it('stores the rendered files once, then serves exactly what is stored for the same plan and build', () => {
    const bundle = { dir, stamp: '100:1:v20' };
    const first = renderCached(plan, bundle);
    expect([...first]).toEqual([...render(plan)]);
    const file = renderCacheFile(plan, bundle)!;
    expect(readdirSync(join(dir, 'render'))).toEqual([file.split('/').at(-1)]);
    // What is read back is the stored entry (altered here to tell it from a fresh render).
    const stored = JSON.parse(readFileSync(file, 'utf8')) as [string, string][];
    writeFileSync(file, JSON.stringify(stored.map(([p, t]) => [p, p === 'ip/root.batch' ? `${t}# from the cache\n` : t])));
    expect(renderCached(plan, bundle).get('ip/root.batch')).toContain('# from the cache');
  });

  it('another build, or another plan, is a miss: rendered afresh', () => {
    const other = renderCached(plan, { dir, stamp: '101:2:v20' });
    expect(other.get('ip/root.batch')).not.toContain('# from the cache');
    const renamed = buildPlan({ ...lab, name: 'renamed' });
    const files = renderCached(renamed, { dir, stamp: '100:1:v20' });
    expect(files.get('ip/root.batch')).not.toContain('# from the cache');
    expect(files.get('ip/root.batch')).toContain('renamed');
  });

  it('a corrupt entry is a miss, and is replaced', () => {
    const bundle = { dir, stamp: '102:3:v20' };
    renderCached(plan, bundle);
    const file = renderCacheFile(plan, bundle)!;
    writeFileSync(file, '{not json');
    expect([...renderCached(plan, bundle)]).toEqual([...render(plan)]);
    expect(() => JSON.parse(readFileSync(file, 'utf8'))).not.toThrow();
  });

  it('planCached: every example lab, read back, is the plan and files a fresh plan and render make', async () => {
    const bundle = { dir, stamp: '200:4:v20' };
    for (const f of readdirSync('labs').filter((n) => n.endsWith('.lab.ts'))) {
      const r = await compileLab(`labs/${f}`);
      if (!r.lab) continue;
      const fresh = buildPlan(r.lab);
      const first = planCached(r.lab, bundle);
      expect(existsSync(planCacheFile(r.lab, bundle)!)).toBe(true);
      const again = planCached(r.lab, bundle);
      // The state journal holds the plan as JSON too: what is read back is that form of it.
      expect(again.plan).toEqual(JSON.parse(JSON.stringify(fresh)));
      expect(first.plan).toEqual(fresh);
      expect([...again.files]).toEqual([...render(fresh)]);
    }
  });

  it('planCached: served from the entry for the same lab and build; another lab, build or a corrupt entry is planned afresh', () => {
    const bundle = { dir, stamp: '201:5:v20' };
    planCached(lab, bundle);
    const file = planCacheFile(lab, bundle)!;
    const entry = JSON.parse(readFileSync(file, 'utf8')) as { plan: Plan; files: [string, string][] };
    writeFileSync(file, JSON.stringify({ plan: { ...entry.plan, description: 'from the cache' }, files: entry.files }));
    expect(planCached(lab, bundle).plan.description).toBe('from the cache');
    expect(planCached(lab, { dir, stamp: '202:6:v20' }).plan.description).not.toBe('from the cache');
    const renamed = planCached({ ...lab, name: 'renamed' }, bundle);
    expect(renamed.plan.lab).toBe('renamed');
    expect(renamed.files.get('ip/root.batch')).toContain('renamed');
    writeFileSync(file, '{not json');
    expect(planCached(lab, bundle).plan).toEqual(buildPlan(lab));
    expect(planCacheFile(lab, undefined)).toBeUndefined();
  });
});
