/**
 * Rendered files on disk: writing a render to a directory, and telling how a directory differs
 * from a fresh render (for `render --check`, the golden test, and anyone reviewing generated/).
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Rendered } from './render.ts';
import { joinPlainPath } from '../lib/plain-name.ts';
import { makeDirs } from '../lib/make-dirs.ts';

/** Replaces `dir` with exactly the rendered files. */
export function writeRendered(dir: string, files: Rendered): void {
  // Some names come from the lab (dns.files keys): validation refuses any that is not plain, and
  // this refuses it again before anything is written, so no path can climb out of `dir`.
  const paths = [...files].map(([rel, content]) => [joinPlainPath(dir, rel), content] as const);
  // The place is made first: a path that cannot be written fails before the old files go.
  makeDirs(dir);
  rmSync(dir, { recursive: true, force: true });
  const made = new Set<string>();
  for (const [path, content] of paths) {
    const parent = dirname(path);
    if (!made.has(parent)) makeDirs(parent);
    made.add(parent);
    writeFileSync(path, content);
  }
}

function filesUnder(dir: string, pre = ''): string[] {
  return existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name), `${pre}${e.name}/`) : [`${pre}${e.name}`]))
    : [];
}

/** How `dir` differs from `files`: `missing x`, `changed x`, `extra x`; empty when identical. */
export function drift(dir: string, files: Rendered): string[] {
  const out: string[] = [];
  for (const [rel, content] of files) {
    const p = joinPlainPath(dir, rel);
    if (!existsSync(p)) out.push(`missing ${rel}`);
    else if (readFileSync(p, 'utf8') !== content) out.push(`changed ${rel}`);
  }
  for (const rel of filesUnder(dir)) if (!files.has(rel)) out.push(`extra ${rel}`);
  return out;
}
