/**
 * `up` as the CLI runs it: under the lab's lock (lock.ts), taken before anything is created —
 * the kernel probe's namespace included — and given back only once the lab is built or what was
 * built of it is removed again. A second `up` of the same lab fails at once with PL3004 and
 * changes nothing; so does an `up` of a lab that is on the host already. On any failure,
 * Interrupted included, what was built is removed before the error is thrown.
 */
import { NOTHING_CHANGED } from '../constants.ts';
import { diag, type Diagnostic } from '../compile/diagnostics.ts';
import type { Plan } from '../plan/plan.ts';
import type { Rendered } from '../render/render.ts';
import { down, labOnHost } from './down.ts';
import { probeKernel } from './preflight.ts';
import { takeLabLock } from './lock.ts';
import type { LabState } from './state.ts';
import { Interrupted, up, type UpOptions } from './up.ts';

/** `up` refused before anything was created: the diagnostics say why (PL3004, PL3001). */
export class UpRefused extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.message).join('; '));
  }
}

export async function upExclusive(plan: Plan, rendered: Rendered, options: UpOptions = {}): Promise<LabState> {
  const taken = takeLabLock(plan.lab);
  if (!taken.ok)
    throw new UpRefused([
      taken.alive
        ? diag('PL3004', [], `lab "${plan.lab}" is being brought up by another podlab (pid ${taken.holder?.pid ?? '?'}) right now`, `Wait for it, or stop it with podlab down ${plan.lab}. ${NOTHING_CHANGED}`)
        : diag('PL3004', [], `lab "${plan.lab}" was being brought up by podlab pid ${taken.holder!.pid}, which died before it finished`, `Run podlab down ${plan.lab} to remove what it left. ${NOTHING_CHANGED}`),
    ]);
  try {
    if (labOnHost(plan.lab)) throw new UpRefused([diag('PL3004', [], `lab "${plan.lab}" is already up on this host`, `Run podlab down ${plan.lab} first. ${NOTHING_CHANGED}`)]);
    const kernel = await probeKernel(plan.kernelFeatures, undefined, plan.lab);
    if (kernel.length) throw new UpRefused(kernel);
    if (options.signal?.aborted) throw new Interrupted();
    try {
      return await up(plan, rendered, options);
    } catch (e) {
      // Still under the lock: no other `up` can start building while this one's work is removed.
      await down(plan.lab);
      throw e;
    }
  } finally {
    taken.lock.release();
  }
}
