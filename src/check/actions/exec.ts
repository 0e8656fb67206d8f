/** exec: run a command in a pod, node or host; the step fails unless it exits with `expectExit`. */
import { diag } from '../../compile/diagnostics.ts';
import { ActionFailed, type ScenarioAction } from './action.ts';

export const execAction: ScenarioAction<'exec'> = {
  action: 'exec',
  normalize: (a) => ({ ...a, expectExit: a.expectExit ?? 0 }),
  validate(a, step, out) {
    const { lab } = step;
    const ok = a.from.startsWith('node/')
      ? lab.nodes.some((n) => n.name === a.from.slice(5))
      : a.from.startsWith('host/')
        ? lab.hosts.some((h) => h.name === a.from.slice(5))
        : lab.pods.some((p) => p.name === a.from);
    if (!ok) out.push(diag('PL2029', step.at('from'), `${step.what}: "${a.from}" is neither a pod, node/<name> nor host/<name> of this lab`));
  },
  describe: (a) => `exec ${a.from}: ${a.command.join(' ')}`,
  async run(live, a) {
    const r = await live.exec(a.from, a.command, 30_000);
    const output = `${r.stdout}${r.stderr}`.trim().replace(/\s+/g, ' ').slice(0, 300);
    if (r.exitCode !== a.expectExit) throw new ActionFailed(`exit ${r.exitCode} (expected ${a.expectExit})${output ? `: ${output}` : ''}`);
    return `exit ${r.exitCode}${output ? `: ${output}` : ''}`;
  },
};
