/**
 * The handlebars templates under templates/, loaded once each: strict (a missing field is an
 * error, not an empty string) and without HTML escaping (they render config files, not pages).
 * The only helpers are the two the templates use: `eq` and `join`.
 *
 * Compiling a template (handlebars parses it and writes JavaScript for it) was most of a first
 * render's CPU: about 30 ms of `podlab up` of an edited flagship lab. So each template's JavaScript
 * is kept in the build folder (`templates/<name>-<key>.cjs`, the key a hash of the template, of
 * handlebars' version and of the options), and the next process loads it in a fraction of a
 * millisecond. Whatever fails there (a read-only build folder, as in a DNS pod) costs only the speed.
 *
 * So a process needs only handlebars' runtime, a third of it, which every CLI bundle carries; the
 * compiler is loaded from node_modules (not bundled) the first time a template's JavaScript is
 * not kept.
 */
import { createHash } from './crypto.ts';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Handlebars from 'handlebars';
import runtime from 'handlebars/runtime.js';
import { BUILD_DIR } from './build-dir.ts';
import { writeFileAtomic } from './write-atomic.ts';
import { assertConfigSafe } from './object-name.ts';

const TEMPLATE_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));
const OPTIONS = { strict: true, noEscape: true };
/** Where each template's compiled JavaScript is kept. */
const PRECOMPILED_DIR = join(BUILD_DIR, 'templates');

const load = createRequire(import.meta.url);
/** handlebars' runtime: what a template's kept JavaScript needs (its types are handlebars'). */
const Runtime = runtime as unknown as typeof Handlebars;
const hb = withHelpers(Runtime.create());
let compiler: typeof Handlebars | undefined;
/** The whole of handlebars, with its compiler, loaded on first use. */
const full = () => (compiler ??= withHelpers((load('handlebars') as typeof Handlebars).create()));

function withHelpers(h: typeof Handlebars): typeof Handlebars {
  h.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  h.registerHelper('join', (list: string[]) => list.join(' '));
  return h;
}

const cache = new Map<string, Handlebars.TemplateDelegate>();

/**
 * The configuration files root's daemons load, one directive per line: nothing rendered into them
 * may hold a control character (a line break would start a directive of the lab's choosing).
 * Validation refuses such names first; this is the check where they are written.
 */
const LINE_CONFIGS = new Set(['nginx.conf', 'bird.conf', 'bird6.conf']);

/** templates/<name>.hbs, compiled on first use (or its JavaScript, kept by an earlier process). */
export function template(name: string): Handlebars.TemplateDelegate {
  let t = cache.get(name);
  if (!t) {
    const plain = compiled(name);
    t = LINE_CONFIGS.has(name)
      ? (context, options) => {
          assertConfigSafe(`templates/${name}.hbs`, context);
          return plain(context, options);
        }
      : plain;
    cache.set(name, t);
  }
  return t;
}

function compiled(name: string): Handlebars.TemplateDelegate {
  const source = readFileSync(`${TEMPLATE_DIR}${name}.hbs`, 'utf8');
  const key = createHash('sha256').update(JSON.stringify([Runtime.VERSION, OPTIONS, source])).digest('hex').slice(0, 24);
  const file = join(PRECOMPILED_DIR, `${name}-${key}.cjs`);
  try {
    return hb.template(load(file) as TemplateSpecification);
  } catch {
    /* not kept yet, or unreadable: compiled below */
  }
  try {
    mkdirSync(PRECOMPILED_DIR, { recursive: true });
    writeFileAtomic(file, `// templates/${name}.hbs compiled by handlebars ${Runtime.VERSION} (src/lib/templates.ts). Do not edit.\nmodule.exports = ${full().precompile(source, OPTIONS)};\n`);
    // Those of this template's earlier versions go.
    for (const f of readdirSync(PRECOMPILED_DIR)) if (f !== `${name}-${key}.cjs` && f.startsWith(`${name}-`) && /^[0-9a-f]{24}\.cjs$/.test(f.slice(name.length + 1))) rmSync(join(PRECOMPILED_DIR, f), { force: true });
    return hb.template(load(file) as TemplateSpecification);
  } catch {
    return full().compile(source, OPTIONS);
  }
}

type TemplateSpecification = Parameters<typeof hb.template>[0];
