/**
 * Container logs as kubelet keeps them, through the executor without root (a recording executor,
 * the state in a temporary directory): a container restarted in its pod logs afresh and keeps its
 * last instance's log for `logs --previous`; a pod deleted and created again is a new pod, whose
 * logs start empty; `down` leaves none.
 */
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';

const root = vi.hoisted(() => {
  // The state root is read when constants.ts is first imported: set it before any import.
  const { mkdtempSync } = require('node:fs') as typeof import('node:fs');
  const dir = mkdtempSync(`${require('node:os').tmpdir()}/podlab-clogs-`);
  process.env.PODLAB_STATE_ROOT = dir;
  return dir;
});

import { validateValue } from '../../src/compile/validate-value.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { render } from '../../src/render/render.ts';
import { down } from '../../src/runtime/down.ts';
import { recreatePod } from '../../src/runtime/pods.ts';
import { restartContainer } from '../../src/runtime/sandbox.ts';
import { previousLogOf, readState, stateDir } from '../../src/runtime/state.ts';
import { up } from '../../src/runtime/up.ts';
import { recordingExecutor } from './recorder.ts';

const ex = recordingExecutor();
afterAll(() => {
  ex.close();
  rmSync(root, { recursive: true, force: true });
});

describe('container logs', () => {
  it('a restart keeps the last instance for --previous; a pod created anew starts empty; down removes them', async () => {
    const { lab, diagnostics } = validateValue({ name: 'clogs', nodes: { a: {} }, pods: { web: { node: 'a', containers: [{ name: 'web', workload: { kind: 'http-echo' } }] } } }, 'clogs.lab.ts');
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const plan = buildPlan(lab!);
    await up(plan, render(plan), { ex });
    const log = readState('clogs')!.pods.web!.containers.web!.log;
    expect(log).toBe(`${stateDir('clogs')}/logs/default_web_web.log`);
    appendFileSync(log, 'first instance\n');
    expect(existsSync(previousLogOf(log))).toBe(false);

    await restartContainer(ex, readState('clogs')!, 'web', 'web');
    expect(readFileSync(previousLogOf(log), 'utf8')).toContain('first instance');
    expect(readFileSync(log, 'utf8')).not.toContain('first instance');
    appendFileSync(log, 'second instance\n');
    await restartContainer(ex, readState('clogs')!, 'web', 'web');
    // kubelet keeps one previous instance: the last.
    expect(readFileSync(previousLogOf(log), 'utf8')).toContain('second instance');
    expect(readFileSync(previousLogOf(log), 'utf8')).not.toContain('first instance');

    appendFileSync(log, 'third instance\n');
    await recreatePod(ex, readState('clogs')!, 'web');
    expect(readFileSync(log, 'utf8')).not.toMatch(/instance/);
    expect(existsSync(previousLogOf(log))).toBe(false);

    await down('clogs', ex);
    expect(existsSync(`${stateDir('clogs')}/logs`)).toBe(false);
  }, 60_000);
});
