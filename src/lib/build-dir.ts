/**
 * Where podlab's own programs are built (native binaries, the DNS bundle and its code cache,
 * podlab's CNI plugins): `build/` of the package when it can be written there (a checkout, or a
 * global install run as root), else the user's cache — `$PODLAB_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/podlab`, else `~/.cache/podlab`, in `build/<package>/`, one folder per installed
 * package (a hash of its path). `PODLAB_BUILD_DIR` names the folder outright.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { createHash } from './crypto.ts';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's root folder (a checkout, or node_modules/podlab of an install). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

function canWrite(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The build folder for a package at `root` (no trailing slash). Pure but for the two checks passed in. */
export function chooseBuildDir(root: string, env: NodeJS.ProcessEnv, writable: (path: string) => boolean = canWrite, exists: (path: string) => boolean = existsSync): string {
  if (env.PODLAB_BUILD_DIR) return env.PODLAB_BUILD_DIR.replace(/\/+$/, '');
  const packaged = join(root, 'build');
  if (writable(exists(packaged) ? packaged : root)) return packaged;
  const base = env.PODLAB_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'podlab');
  return join(base, 'build', createHash('sha256').update(root).digest('hex').slice(0, 16));
}

export const BUILD_DIR = chooseBuildDir(PACKAGE_ROOT, process.env);
