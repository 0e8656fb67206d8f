/**
 * The handlebars templates under templates/, loaded once each: strict (a missing field is an
 * error, not an empty string) and without HTML escaping (they render config files, not pages).
 * The only helpers are the two the templates use: `eq` and `join`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

const TEMPLATE_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

const hb = Handlebars.create();
hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
hb.registerHelper('join', (list: string[]) => list.join(' '));

const cache = new Map<string, Handlebars.TemplateDelegate>();

/** templates/<name>.hbs, compiled on first use. */
export function template(name: string): Handlebars.TemplateDelegate {
  let t = cache.get(name);
  if (!t) cache.set(name, (t = hb.compile(readFileSync(`${TEMPLATE_DIR}${name}.hbs`, 'utf8'), { strict: true, noEscape: true })));
  return t;
}
