/** The kernel features a probe found present, kept for the boot (src/runtime/preflight.ts): `up` skips probing them again. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { presentThisBoot, rememberPresent } from '../../src/runtime/preflight.ts';

describe('kernel probe results kept for the boot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podlab-kernel-'));
  const file = join(dir, 'kernel.json');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('nothing is known before a probe', () => {
    expect(presentThisBoot(file, 'boot-a')).toEqual(new Set());
  });

  it('remembers present kernel features for this boot only, adding to what it knew; tools on the PATH are not kept', () => {
    rememberPresent(['veth', 'vxlan', 'bird'], file, 'boot-a');
    rememberPresent(['nftables'], file, 'boot-a');
    expect([...presentThisBoot(file, 'boot-a')].sort()).toEqual(['nftables', 'veth', 'vxlan']);
    expect(presentThisBoot(file, 'boot-b')).toEqual(new Set());
    expect(JSON.parse(readFileSync(file, 'utf8')).boot).toBe('boot-a');
  });

  it('a file of another boot is replaced, a corrupt one or an unknown feature is ignored', () => {
    rememberPresent(['bridge'], file, 'boot-b');
    expect([...presentThisBoot(file, 'boot-b')]).toEqual(['bridge']);
    writeFileSync(file, JSON.stringify({ boot: 'boot-b', present: ['bridge', 'rm -rf', 7] }));
    expect([...presentThisBoot(file, 'boot-b')]).toEqual(['bridge']);
    writeFileSync(file, '{oops');
    expect(presentThisBoot(file, 'boot-b')).toEqual(new Set());
  });
});
