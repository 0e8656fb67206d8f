/** wait-event: wait until the lab's events include a matching one (the control loops' decisions: Restarted, EndpointRemoved, Evicted, …). */
import { ActionFailed, type ScenarioAction } from './action.ts';
import { needsLoops } from './loops-common.ts';

export const waitEventAction: ScenarioAction<'wait-event'> = {
  action: 'wait-event',
  normalize: (a) => a,
  validate(_a, step, out) {
    needsLoops(step, out);
  },
  describe: (a) => `wait-event ${a.reason}${a.object ? ` ${a.object}` : ''}${a.text ? ` "${a.text}"` : ''}`,
  async run(live, a) {
    const e = await live.waitEvent({ reason: a.reason, object: a.object, text: a.text }, a.timeoutMs ?? 10_000);
    if (!e) throw new ActionFailed(`no ${a.reason} event${a.object ? ` for ${a.object}` : ''}${a.text ? ` saying "${a.text}"` : ''} within ${a.timeoutMs ?? 10_000} ms`);
    return `${e.reason} ${e.object}: ${e.message}`;
  },
};
