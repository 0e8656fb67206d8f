/**
 * Plain names: every file name that comes from a lab or a submission (a `dns.files` key, a zone
 * file's name, a student id, an exercise's file) is joined onto a directory podlab writes or
 * reads as root. A plain name cannot leave that directory: no '/', not '.' or '..', no NUL or
 * other control character, not empty, and short enough for any file system (NAME_MAX is 255
 * bytes; 128 leaves room for the suffixes podlab adds, e.g. `.feedback.md`, `.<pid>.tmp`).
 * Validation reports a bad name as a coded error; `joinPlain` is the defensive check at the place
 * where the name is joined, so that a path that skipped validation still cannot escape.
 */
import { join } from 'node:path';

/** At most this many bytes in a plain name. */
export const PLAIN_NAME_MAX = 128;

// C0 controls, DEL and the C1 controls: terminals act on them, and none belongs in a file name.
// eslint-disable-next-line no-control-regex
export const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Why `name` is not a plain file name, or undefined when it is. */
export function plainNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (CONTROL.test(name)) return 'it holds a control character';
  if (name.includes('/')) return "it holds a '/'";
  if (name === '.' || name === '..') return `it is "${name}"`;
  if (Buffer.byteLength(name) > PLAIN_NAME_MAX) return `it is longer than ${PLAIN_NAME_MAX} bytes`;
  return undefined;
}

export function isPlainName(name: string): boolean {
  return plainNameProblem(name) === undefined;
}

/**
 * Why `path` is not a plain relative path (plain names joined by '/', e.g. `broken/x.lab.ts`),
 * or undefined when it is: it cannot be absolute or climb out with '..'.
 */
export function plainPathProblem(path: string): string | undefined {
  if (path.startsWith('/')) return 'it is absolute';
  for (const seg of path.split('/')) {
    const p = plainNameProblem(seg);
    if (p) return seg === '' ? 'it has an empty segment' : p;
  }
  return undefined;
}

export class UnsafeNameError extends Error {}

/** `dir/name`, refusing a name that is not plain (the defensive check where a name becomes a path). */
export function joinPlain(dir: string, name: string): string {
  const p = plainNameProblem(name);
  if (p) throw new UnsafeNameError(`refusing file name ${JSON.stringify(name)} under ${dir}: ${p}`);
  return join(dir, name);
}

/** `dir/path` for a plain relative path (see plainPathProblem). */
export function joinPlainPath(dir: string, path: string): string {
  const p = plainPathProblem(path);
  if (p) throw new UnsafeNameError(`refusing path ${JSON.stringify(path)} under ${dir}: ${p}`);
  return join(dir, path);
}
