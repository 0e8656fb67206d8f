/**
 * Live: every invalid lab of test/fixtures/bad-labs given to `podlab up` as root is rejected
 * with the codes its first line promises, says "Nothing was changed on this host.", and indeed
 * changes nothing: the root namespace is as before and no namespace, /etc/netns entry or state
 * directory of any of these labs appears. (The exact diagnostics are test/unit/error-baselines.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { liveGuard } from './host.ts';
import { scopedSnapshot } from './scoped.ts';

const live = liveGuard();
const DIR = 'test/fixtures/bad-labs';
const CONCURRENCY = 4;

const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.lab.ts'))
  .sort()
  .map((f) => {
    const text = readFileSync(join(DIR, f), 'utf8');
    return {
      file: join(DIR, f),
      codes: /^\/\/ expect: (.*)$/m.exec(text)![1]!.split(', '),
      /** The name the lab would have had: anything of it on the host would be a leak. */
      name: /^ {2,4}name: '([^']*)'/m.exec(text)?.[1] ?? f.replace(/\.lab\.ts$/, ''),
    };
  });

describe.skipIf(!live)('bad input corpus, live', () => {
  it(`rejects all ${fixtures.length} invalid labs with their codes and creates nothing`, async () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(55);
    const names = fixtures.map((f) => f.name).filter(Boolean);
    const before = await scopedSnapshot(names);
    const results: { file: string; codes: string[]; exitCode?: number; stderr: string }[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < fixtures.length) {
          const f = fixtures[next++]!;
          const r = await execa('node', ['bin/podlab.js', 'up', f.file], { reject: false });
          results.push({ ...f, exitCode: r.exitCode, stderr: r.stderr });
        }
      }),
    );
    for (const r of results) {
      expect(r.exitCode, `${r.file}: ${r.stderr}`).toBe(1);
      // Each promised code is printed (a warning such as PL2303 as one); the lab fails on its errors (exit 1).
      for (const c of r.codes) expect(r.stderr, r.file).toMatch(new RegExp(`(error|warning) ${c}\\b`));
      expect(r.stderr, r.file).toContain('Nothing was changed on this host.');
    }
    expect(await scopedSnapshot(names)).toEqual(before);
  }, 240_000);
});
