/**
 * A folder of a test file's own, under `base` (by default test/, so that labs written there are in
 * podlab's package, as a repository's are), with PODLAB_CACHE_DIR at its `cache/` while the file's
 * tests run; the variable is restored and the folder removed after them. Call at a test file's top
 * level.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

export function ownCacheDir(prefix: string, base = 'test'): string {
  const dir = mkdtempSync(join(base, prefix));
  const saved = process.env.PODLAB_CACHE_DIR;
  beforeAll(() => {
    process.env.PODLAB_CACHE_DIR = join(dir, 'cache');
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.PODLAB_CACHE_DIR;
    else process.env.PODLAB_CACHE_DIR = saved;
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
