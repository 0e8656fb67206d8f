/**
 * The agent stops as soon as `down` asks it to (SIGTERM), not a tick later: `down` waits for it
 * before anything else, so each millisecond of its wait between ticks was `down`'s (a lab with the
 * default 200 ms tick took about 70 ms longer to go). No root: the state lives in a temporary
 * directory, and the lab is still `creating`, so a tick changes nothing.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';

const root = vi.hoisted(() => {
  // The state root is read when constants.ts is first imported: set it before any import.
  const { mkdtempSync } = require('node:fs') as typeof import('node:fs');
  const dir = mkdtempSync(`${require('node:os').tmpdir()}/podlab-agent-stop-`);
  process.env.PODLAB_STATE_ROOT = dir;
  return dir;
});

import { validateValue } from '../../src/compile/validate-value.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { runAgent } from '../../src/runtime/agent.ts';
import { writeState } from '../../src/runtime/state.ts';
import { recordOf } from '../../src/runtime/procs.ts';
import { recordingExecutor } from './recorder.ts';

afterAll(() => {
  vi.useRealTimers();
  rmSync(root, { recursive: true, force: true });
});

describe('the agent', () => {
  it('ends its wait between ticks at a SIGTERM, and gives its signal handlers back', async () => {
    // The longest tick a lab may set: a wait of 10 s the agent must not sit out.
    const { lab } = validateValue({ name: 'agent-stop', nodes: { a: {} }, loops: { tickMs: 10_000 }, pods: { p: { node: 'a' } } } as never, 'x');
    const plan = buildPlan(lab!);
    expect(plan.loops?.settings.tickMs).toBe(10_000);
    writeState({ lab: plan.lab, status: 'creating', createdAt: new Date().toISOString(), steps: [], plan, pods: {}, owner: recordOf(process.pid) });
    const handlers = process.listenerCount('SIGTERM');
    vi.useFakeTimers();
    let ready = false;
    let ended = false;
    const running = runAgent(plan.lab, recordingExecutor(), () => (ready = true)).then(() => (ended = true));
    await vi.waitFor(() => expect(ready).toBe(true));
    // Waiting for its next tick now, on a clock that does not move.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ended).toBe(false);
    process.emit('SIGTERM');
    await vi.advanceTimersByTimeAsync(0);
    expect(ended).toBe(true);
    await running;
    expect(process.listenerCount('SIGTERM')).toBe(handlers);
  });
});
