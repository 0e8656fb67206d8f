/**
 * Installable podlab: where its own programs are built (the package's build/ when writable, else
 * the user's cache) and the lab-name prefix that lets two users run the same lab.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { chooseBuildDir } from '../../src/runtime/build-dir.ts';
import { prefixed } from '../../src/cli/common.ts';

describe('build folder', () => {
  const root = '/usr/lib/node_modules/podlab/';
  it("is the package's build/ when that can be written", () => {
    expect(chooseBuildDir(root, {}, () => true, () => true)).toBe('/usr/lib/node_modules/podlab/build');
  });
  it("is in the user's cache, one per package, when it cannot", () => {
    const a = chooseBuildDir(root, { XDG_CACHE_HOME: '/home/u/.cache' }, () => false, () => false);
    expect(a).toMatch(/^\/home\/u\/\.cache\/podlab\/build\/[0-9a-f]{16}$/);
    expect(chooseBuildDir('/opt/other/podlab/', { XDG_CACHE_HOME: '/home/u/.cache' }, () => false, () => false)).not.toBe(a);
    expect(chooseBuildDir(root, { PODLAB_CACHE_DIR: '/c' }, () => false, () => false)).toMatch(/^\/c\/build\//);
    expect(chooseBuildDir(root, { PODLAB_BUILD_DIR: '/b/' }, () => true, () => true)).toBe('/b');
  });
});

describe('lab-name prefix', () => {
  it('is prepended once, and not at all without one', () => {
    expect(prefixed('services', 'alice-')).toBe('alice-services');
    expect(prefixed('alice-services', 'alice-')).toBe('alice-services');
    expect(prefixed('services', '')).toBe('services');
  });
  it('a prefix that makes no lab name is PL3140, exit 2, before anything is built', () => {
    const r = spawnSync(process.execPath, ['bin/podlab.js', 'down', 'services', '--prefix', 'Alice_'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('PL3140');
  });
});
