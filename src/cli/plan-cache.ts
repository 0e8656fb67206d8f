/**
 * The plan cache of `podlab up`: "this resolved lab, planned and rendered by this build of podlab,
 * is this plan and these files", beside the render cache (src/render/render-cache.ts, whose key
 * parts and entry limit it shares). In the CLI layer because it reads the Lab, which render and
 * the runtime never do.
 */
import { createHash } from '../lib/crypto.ts';
import { readFileSync } from 'node:fs';
import type { Lab } from '../compile/lab.ts';
import { STATE_ROOT } from '../constants.ts';
import { writeFileAtomic } from '../lib/write-atomic.ts';
import { runningBundle } from '../lib/bundle.ts';
import { buildPlan, type Plan } from '../plan/plan.ts';
import { FORMAT, prune, renderCached, templates } from '../render/render-cache.ts';
import type { Rendered } from '../render/render.ts';

/** The entry's file for planning `lab` under this build, or undefined when nothing is cached (no bundle). */
export function planCacheFile(lab: Lab, bundle = runningBundle()): string | undefined {
  if (!bundle) return undefined;
  const key = createHash('sha256').update(JSON.stringify([FORMAT, 'plan', bundle.stamp, templates(), STATE_ROOT, lab])).digest('hex');
  return `${bundle.dir}/render/plan-${key.slice(0, 40)}.json`;
}

/**
 * buildPlan(lab) and render(plan), from the cache when this build planned this lab before. The plan
 * is a pure function of the resolved lab, of podlab's code and templates (the default Corefile is
 * one: its first use in a process compiles a handlebars template) and of the state root; `podlab up`
 * of a lab it built before reads one file instead of planning, hashing the plan and rendering.
 */
export function planCached(lab: Lab, bundle = runningBundle()): { plan: Plan; files: Rendered } {
  let file: string | undefined;
  try {
    file = planCacheFile(lab, bundle);
  } catch {
    file = undefined;
  }
  if (file) {
    try {
      const entry = JSON.parse(readFileSync(file, 'utf8')) as { plan?: Plan; files?: unknown };
      const files = entry.files;
      if (entry.plan?.lab === lab.name && Array.isArray(files) && files.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && typeof e[1] === 'string'))
        return { plan: entry.plan, files: new Map(files as [string, string][]) };
    } catch {
      /* a miss */
    }
  }
  const plan = buildPlan(lab);
  const files = renderCached(plan, bundle);
  if (file) {
    try {
      writeFileAtomic(file, JSON.stringify({ plan, files: [...files] }), 0o600);
      prune(`${bundle!.dir}/render`);
    } catch {
      /* a cache that cannot be written costs only the speed */
    }
  }
  return { plan, files };
}
