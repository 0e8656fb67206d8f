/**
 * The validation cache of the CLI: "this lab value, validated by this build of podlab as this
 * file, is this Lab". Validation (the zod schema, normalize, every rule: the Corefile parsed, the
 * checks' kinds) is a pure function of the evaluated value, the file's name (banners) and podlab's
 * code; for the flagship lab it was the largest part of `podlab up`'s compile after the evaluation
 * cache (src/compile/eval-cache.ts) had served the value, where hashing the value and reading one
 * stored file takes about a millisecond.
 *
 * What is kept: only a value that validated with no diagnostic at all (a warning is printed with
 * its source position, which is cheap to find again but not worth storing), and that names no
 * manifest file (`manifests: ['web.yaml']`: those files' contents are inputs too; inline YAML is
 * part of the value). The build is the CLI bundle bin/podlab.js runs (its stamp, as for the render
 * cache, src/render/render-cache.ts), which it rebuilds whenever a file under src/ is newer;
 * without a bundle (the sources through tsx, tests) nothing is cached. Entries live beside the
 * bundle, in `validate/` (0700, files 0600): the same trust as the bundle, which podlab runs. At
 * most MAX_ENTRIES are kept, the oldest removed. A missing, unreadable or corrupt entry is a miss.
 */
import { createHash } from '../lib/crypto.ts';
import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { runningBundle, type BundleInfo } from '../lib/bundle.ts';
import { writeFileAtomic } from '../lib/write-atomic.ts';
import type { Lab } from './lab.ts';

/** Bump when what is stored for the same input changes. */
const FORMAT = 1;
const MAX_ENTRIES = 64;

interface Entry {
  format: number;
  key: string;
  lab: Lab;
}

/**
 * A manifests entry with a line break is YAML; one without is a file or glob relative to the lab
 * file. Here rather than in manifests.ts, which parses them: a cache hit loads no YAML parser.
 */
export const isInlineYaml = (entry: string): boolean => entry.includes('\n');

/** Whether a value's validation depends on nothing but the value: it names no manifest file. */
function selfContained(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || !('manifests' in value)) return true;
  const m = (value as { manifests: unknown }).manifests;
  return Array.isArray(m) && m.every((e) => typeof e === 'string' && isInlineYaml(e));
}

/** The entry's file and key for `value` validated as `file` under this build, or undefined when nothing is cached. */
export function validateCacheFile(value: unknown, file: string, bundle: BundleInfo | undefined = runningBundle()): { path: string; key: string } | undefined {
  if (!bundle || !selfContained(value)) return undefined;
  const key = createHash('sha256').update(JSON.stringify([FORMAT, bundle.stamp, file, value])).digest('hex');
  return { path: `${bundle.dir}/validate/${key.slice(0, 40)}.json`, key };
}

/** The Lab `value` validated to, if this build stored it. */
export function lookupValidated(value: unknown, file: string, bundle: BundleInfo | undefined = runningBundle()): Lab | undefined {
  let at: ReturnType<typeof validateCacheFile>;
  try {
    at = validateCacheFile(value, file, bundle);
  } catch {
    return undefined; // a value JSON cannot hold (a cycle): validated every time
  }
  if (!at) return undefined;
  try {
    const entry = JSON.parse(readFileSync(at.path, 'utf8')) as Entry;
    return entry?.format === FORMAT && entry.key === at.key && typeof entry.lab === 'object' && entry.lab !== null ? entry.lab : undefined;
  } catch {
    return undefined;
  }
}

/** Stores what `value` validated to; only a Lab with no diagnostic is given (see the module's comment). */
export function storeValidated(value: unknown, file: string, lab: Lab, bundle: BundleInfo | undefined = runningBundle()): void {
  try {
    const at = validateCacheFile(value, file, bundle);
    if (!at) return;
    const dir = `${bundle!.dir}/validate`;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(at.path, JSON.stringify({ format: FORMAT, key: at.key, lab } satisfies Entry), 0o600);
    prune(dir);
  } catch {
    /* a cache that cannot be written costs only the speed */
  }
}

function prune(dir: string): void {
  const names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  if (names.length <= MAX_ENTRIES) return;
  const byAge = names.map((n) => ({ n, t: statSync(`${dir}/${n}`).mtimeMs })).sort((a, b) => a.t - b.t);
  for (const { n } of byAge.slice(0, names.length - MAX_ENTRIES)) unlinkSync(`${dir}/${n}`);
}
