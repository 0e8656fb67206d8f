/**
 * The render cache of the CLI: "this plan, rendered by this build of podlab, is these files".
 * Rendering is a pure function of the plan and of podlab's code and templates, but its first run in
 * a process loads every handlebars template it uses (their compiled JavaScript, kept by
 * src/lib/templates.ts; compiling them was about 110 ms of CPU for the flagship lab): about 20 ms,
 * where hashing the plan and reading the stored files takes under a millisecond. `podlab up` of a lab
 * rendered before (by `up`, `render` or `validate` of the same plan) reads the files instead.
 *
 * The build is the CLI bundle bin/podlab.js runs (its size and time, and Node's version: the
 * stamp of its V8 code cache), which bin/podlab.js rebuilds whenever a file under src/ is newer;
 * templates/ is hashed in too. Without a bundle (the sources run through tsx, tests) nothing is
 * cached. Entries live beside the bundle, in `render/` (0700, files 0600): the same trust as the
 * bundle and its code cache, which podlab runs. At most MAX_ENTRIES are kept, the oldest removed.
 * src/cli/plan-cache.ts goes one step further back for `up`: this lab, planned and rendered by this build.
 */
import { createHash } from '../lib/crypto.ts';
import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Plan } from '../plan/plan.ts';
import { writeFileAtomic } from '../lib/write-atomic.ts';
import { render, type Rendered } from './render.ts';
import { runningBundle } from '../lib/bundle.ts';

/** Bump when what is stored for the same input changes. */
export const FORMAT = 1;
const MAX_ENTRIES = 64;
const TEMPLATE_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

let templatesHash: string | undefined;
export function templates(): string {
  if (templatesHash === undefined) {
    const h = createHash('sha256');
    for (const f of readdirSync(TEMPLATE_DIR).sort()) h.update(f).update('\0').update(readFileSync(`${TEMPLATE_DIR}${f}`)).update('\0');
    templatesHash = h.digest('hex');
  }
  return templatesHash;
}

/** The entry's file for `plan` under this build, or undefined when nothing is cached (no bundle). */
export function renderCacheFile(plan: Plan, bundle = runningBundle()): string | undefined {
  if (!bundle) return undefined;
  const key = createHash('sha256').update(JSON.stringify([FORMAT, bundle.stamp, templates(), plan])).digest('hex');
  return `${bundle.dir}/render/${key.slice(0, 40)}.json`;
}

/** `render(plan)`, from the cache when this build rendered this plan before. */
export function renderCached(plan: Plan, bundle = runningBundle()): Rendered {
  let file: string | undefined;
  try {
    file = renderCacheFile(plan, bundle);
  } catch {
    file = undefined;
  }
  if (!file) return render(plan);
  try {
    const entries = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (Array.isArray(entries) && entries.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && typeof e[1] === 'string')) return new Map(entries as [string, string][]);
  } catch {
    /* a miss */
  }
  const files = render(plan);
  try {
    const dir = `${bundle!.dir}/render`;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(file, JSON.stringify([...files]), 0o600);
    prune(dir);
  } catch {
    /* a cache that cannot be written costs only the speed */
  }
  return files;
}

/** Keeps at most MAX_ENTRIES entries in `dir`, the oldest removed. */
export function prune(dir: string): void {
  const names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  if (names.length <= MAX_ENTRIES) return;
  const byAge = names.map((n) => ({ n, t: statSync(`${dir}/${n}`).mtimeMs })).sort((a, b) => a.t - b.t);
  for (const { n } of byAge.slice(0, names.length - MAX_ENTRIES)) unlinkSync(`${dir}/${n}`);
}
