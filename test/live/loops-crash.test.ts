/**
 * Crash at every step, for a lab with control loops (issue #30: "crash-at-every-step and leak tests
 * cover the agents"): labs/self-healing.lab.ts as loop-crash, `up` killed (SIGKILL) after each of
 * its steps and then `down`: no process of the lab is left — not the agent (`podlab agent
 * loop-crash`), not a container's exit shim (`contain --exit-file`), not a pause — and the host is
 * as it was. Then the agent itself is killed on a running lab, and `down` still leaves nothing.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import selfHealing from '../../labs/self-healing.lab.ts';
import { down } from '../../src/runtime/down.ts';
import { readState } from '../../src/runtime/state.ts';
import { STEPS } from '../../src/runtime/up.ts';
import { comparable, hostSnapshot, liveGuard, writeLabFile, type HostSnapshot } from './host.ts';

const live = liveGuard();
const name = 'loop-crash';
const dir = 'test/live/.tmp/loop-crash';

/** Every process whose command line names the lab: its state directory, or `podlab agent <lab>`. */
function processesOfLab(lab: string): string[] {
  const out: string[] = [];
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      const cmd = argv.join(' ');
      if (cmd.includes(`/run/podlab/${lab}/`) || (argv.includes('agent') && argv.includes(lab))) out.push(`${p}: ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

function hostPart(s: HostSnapshot, lab: string) {
  const c = comparable(s);
  const mine = (x: string) => x.includes(lab);
  return { links: c.links, addresses: c.addresses, routes: c.routes, rules: c.rules, nft: c.nft, labNetns: c.podlabNetns.filter(mine), labState: c.state.filter(mine), labMounts: c.stateMounts.filter(mine) };
}

describe.skipIf(!live)('live control loops: up killed after every step, then down; the agent killed', () => {
  afterAll(async () => {
    await down(name);
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves no agent, no shim and nothing of the lab on the host, whichever step up died after', async () => {
    await down(name);
    const before = await hostSnapshot();
    const file = writeLabFile(dir, name, { ...selfHealing, name });
    for (let k = 0; k <= STEPS.length; k++) {
      const r = await execa('node', ['bin/podlab.js', 'up', file, '--crash-after-step', String(k)], { reject: false });
      if (k < STEPS.length) expect(r.signal, `up should have been killed after step ${k}`).toBe('SIGKILL');
      else {
        expect(r.exitCode, r.stderr).toBe(0);
        // The lab really ran its loops: an agent and a shim per container were there to be stopped.
        expect(processesOfLab(name).some((p) => / agent loop-crash/.test(p)), 'the agent runs').toBe(true);
        expect(processesOfLab(name).some((p) => p.includes('--exit-file')), 'containers run under their shims').toBe(true);
      }
      const d = await execa('node', ['bin/podlab.js', 'down', name], { reject: false });
      expect(d.exitCode, d.stderr).toBe(0);
      expect(processesOfLab(name), `after a crash at step ${k} (${STEPS[k] ?? 'none'})`).toEqual([]);
      expect(hostPart(await hostSnapshot(), name), `after a crash at step ${k}`).toEqual(hostPart(before, name));
    }
  }, 300_000);

  it('an agent killed on a running lab: down still stops every container and leaves nothing', async () => {
    const before = await hostSnapshot();
    const file = writeLabFile(dir, name, { ...selfHealing, name });
    const r = await execa('node', ['bin/podlab.js', 'up', file], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    const agent = processesOfLab(name).find((p) => / agent loop-crash/.test(p));
    expect(agent, 'the agent runs').toBeDefined();
    process.kill(Number(agent!.split(':')[0]), 'SIGKILL');
    expect(readState(name)).toBeDefined();
    const d = await execa('node', ['bin/podlab.js', 'down', name], { reject: false });
    expect(d.exitCode, d.stderr).toBe(0);
    expect(processesOfLab(name)).toEqual([]);
    expect(hostPart(await hostSnapshot(), name)).toEqual(hostPart(before, name));
  }, 120_000);
});
