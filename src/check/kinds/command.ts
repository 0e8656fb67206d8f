/** The command kind: a custom argv in the source, judged on its exit code and output. */
import { diag } from '../../compile/diagnostics.ts';
import { resolveSource } from './targets.ts';
import { checkAt, clip, type Check, type ProbeKind, type Stage, type Stages } from './kind.ts';

export interface CommandQuery {
  argv: string[];
  expectExit: number;
  expectOutput?: string;
  expectMatch?: string;
}

export type CommandCheck<S extends Stage> = Check<S, 'command', { from: Stages[S]['source']; command: CommandQuery }>;

export const command: ProbeKind<'command', CommandCheck<'lab'>, CommandCheck<'plan'>> = {
  kind: 'command',
  normalize: (c, index, at) => ({
    index,
    at,
    kind: 'command',
    timeoutMs: c.timeoutMs ?? 5000,
    from: c.from,
    command: { argv: c.command, expectExit: c.expectExit ?? 0, expectOutput: c.expectOutput, expectMatch: c.expectMatch },
    name: c.name ?? `${c.from}: ${c.command.join(' ')}`,
  }),
  /** The regular expression compiles. */
  validate(_lab, c, out) {
    if (c.command.expectMatch === undefined) return;
    try {
      new RegExp(c.command.expectMatch);
    } catch (e) {
      out.push(diag('PL2014', checkAt(c)('expectMatch'), `check "${c.name}": expectMatch is not a valid regular expression: ${(e as Error).message}`));
    }
  },
  plan: (c, peers) => ({ index: c.index, name: c.name, kind: 'command', from: resolveSource(peers, c.from), timeoutMs: c.timeoutMs, command: c.command }),
  probe: (c) => [...c.command.argv],
  judge(_plan, check, r) {
    const c = check.command;
    const output = `${r.stdout}${r.stderr ? `\n${r.stderr}` : ''}`.trim();
    const wants = [`exit ${c.expectExit}`];
    const problems: string[] = [];
    if (r.exitCode !== c.expectExit) problems.push(`exit ${r.exitCode}`);
    if (c.expectOutput !== undefined) {
      wants.push(`output contains "${c.expectOutput}"`);
      if (!output.includes(c.expectOutput)) problems.push(`output lacks "${c.expectOutput}"`);
    }
    if (c.expectMatch !== undefined) {
      wants.push(`output matches /${c.expectMatch}/`);
      if (!new RegExp(c.expectMatch, 'm').test(output)) problems.push(`output does not match /${c.expectMatch}/`);
    }
    const seen = `exit ${r.exitCode}${output ? `: ${clip(output.replace(/\s+/g, ' '))}` : ', no output'}`;
    return { ok: problems.length === 0, expected: wants.join(', '), seen: problems.length ? `${seen} — ${problems.join(', ')}` : seen };
  },
};
