/**
 * Opening a path without following a link anywhere on it, as root, for files someone else may have
 * arranged (a student's submission folder, an exercise or lab from elsewhere): the path is opened
 * one component at a time, each folder with O_DIRECTORY | O_NOFOLLOW relative to the descriptor
 * of the one before (through /proc/self/fd/N/<name>, Node's stand-in for openat(2): the magic link
 * leads to that very folder, and only <name> is looked up in it). So a folder on the path that is
 * a link (to a root-only folder, say) is refused before anything is read, and nothing can swap a
 * component for a link between a check and the open. The last component is opened with the
 * caller's flags (O_NOFOLLOW among them). Imports Node's modules only (the evaluator's preload
 * bundle uses it).
 */
import { closeSync, constants, lstatSync, openSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';

export interface WalkOptions {
  /**
   * A folder the path lies in whose own path may hold links (the author's choice, e.g. an
   * exercise's folder or a lab's project): only the components below it must not be links.
   * @default '/' (no link anywhere on the path)
   */
  beneath?: string;
}

/** A folder on the path is a symbolic link: `link` is the path up to and including it. */
export class LinkOnPathError extends Error {
  constructor(readonly file: string, readonly link: string) {
    super(`${file}: ${link} is a symbolic link; links on the path are not followed`);
  }
}

/**
 * Opens `file` with `flags` (which should hold O_NOFOLLOW, for the last component) without
 * following a link on the way. Throws LinkOnPathError for a folder that is a link, RangeError for
 * a path outside `beneath` (or `/` itself), and open(2)'s own errors as they come (ENOENT, EACCES,
 * ELOOP for a last component that is a link under O_NOFOLLOW, ENOTDIR …).
 */
export function openWithoutLinks(file: string, flags: number, options: WalkOptions = {}): number {
  const abs = resolve(file);
  const base = resolve(options.beneath ?? '/');
  const rel = relative(base, abs);
  if (!rel || rel === '..' || rel.startsWith(`..${sep}`) || resolve(base, rel) !== abs) throw new RangeError(`${file} is not a file inside ${base}`);
  const parts = rel.split(sep);
  let dir = openSync(base, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    for (let i = 0; i < parts.length - 1; i++) {
      const at = `/proc/self/fd/${dir}/${parts[i]}`;
      let next: number;
      try {
        next = openSync(at, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
      } catch (e) {
        // O_DIRECTORY | O_NOFOLLOW on a link fails with ENOTDIR (or ELOOP); lstat tells a link from a file, for the message only.
        const code = (e as NodeJS.ErrnoException).code;
        if ((code === 'ENOTDIR' || code === 'ELOOP') && isLink(at)) throw new LinkOnPathError(file, resolve(base, ...parts.slice(0, i + 1)));
        throw e;
      }
      closeSync(dir);
      dir = next;
    }
    return openSync(`/proc/self/fd/${dir}/${parts.at(-1)}`, flags);
  } finally {
    closeSync(dir);
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
