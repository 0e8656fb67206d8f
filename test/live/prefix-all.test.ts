/**
 * Two users on one host, each with a lab-name prefix (`--prefix`, PODLAB_PREFIX): the commands that
 * look at every lab on the host see only the user's own. `status` lists them, `down --all` removes
 * them, `doctor --lab <name>` names a lab with the prefix, as every command does. Built with
 * labs/kubenet.lab.ts as px1-kubenet and px2-kubenet; nothing else on the host is touched.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down } from '../../src/runtime/down.ts';
import { readState } from '../../src/runtime/state.ts';
import { liveGuard } from './host.ts';
import { scopedSnapshot } from './scoped.ts';

const live = liveGuard();
const PREFIXES = ['px1-', 'px2-'];
const as = (prefix: string, ...args: string[]) => execa('bin/podlab.js', ['--prefix', prefix, ...args], { reject: false });

describe.skipIf(!live)('the lab-name prefix on commands that look at every lab', () => {
  let before: Awaited<ReturnType<typeof scopedSnapshot>>;
  beforeAll(async () => {
    before = await scopedSnapshot(PREFIXES);
    for (const p of PREFIXES) {
      const r = await as(p, 'up', 'labs/kubenet.lab.ts', '--no-api');
      expect(r.exitCode, r.stderr).toBe(0);
    }
  }, 120_000);
  afterAll(async () => {
    for (const p of PREFIXES) await down(`${p}kubenet`);
    expect(await scopedSnapshot(PREFIXES)).toEqual(before);
  }, 60_000);

  it("status lists the user's labs; doctor --lab names one with the prefix; down --all removes only the user's", async () => {
    const listed = await as('px1-', 'status', '--json');
    expect(listed.exitCode, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { lab: string }[]).map((s) => s.lab)).toEqual(['px1-kubenet']);

    const doc = await as('px2-', 'doctor', '--lab', 'kubenet', '--json');
    expect(doc.exitCode, doc.stdout).toBe(0);
    expect(JSON.parse(doc.stdout)).toMatchObject({ clean: true, found: { labs: [{ lab: 'px2-kubenet', reason: 'up', verdict: 'healthy' }], leaks: [] } });

    const all = await as('px1-', 'down', '--all', '--json');
    expect(all.exitCode, all.stderr).toBe(0);
    expect((JSON.parse(all.stdout) as { lab: string }[]).map((r) => r.lab)).toEqual(['px1-kubenet']);
    expect(readState('px1-kubenet')).toBeUndefined();
    expect(readState('px2-kubenet')?.status).toBe('up');
    const none = await as('px1-', 'status');
    expect(none.stdout).toContain('no podlab lab named px1-… is up');
  });
});
