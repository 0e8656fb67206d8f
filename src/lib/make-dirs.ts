/**
 * Making a directory and its missing parents. Not `mkdirSync(dir, { recursive: true })`: Node 20's
 * recursive mkdir retries a parent that mkdir(2) reports missing (ENOENT) and never ends where the
 * kernel refuses to make one there at all — under /proc, mkdir says ENOENT whatever exists — so
 * `podlab render -o /proc/x` spun at full CPU. Here each level is made once, and a second ENOENT
 * after its parent was made is thrown, as any other error is.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export function makeDirs(dir: string): void {
  try {
    mkdirSync(dir);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A directory already there is what was asked for; a file there is the EEXIST thrown.
    if (code === 'EEXIST' && statSync(dir).isDirectory()) return;
    if (code !== 'ENOENT' || dirname(dir) === dir) throw e;
  }
  makeDirs(dirname(dir));
  mkdirSync(dir);
}
