/**
 * `podlab events <lab>`: what the lab's control loops decided, in time order, as
 * `kubectl get events` lists a cluster's (src/runtime/events.ts); `--follow` keeps printing,
 * `--wait-for REASON[:OBJECT]` waits until such an event happens (for scripts and graders).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { duration, durationProblem, formatDuration } from '../dns/corefile/names.ts';
import { CHANGE_REASONS, eventMatches, lastChange, readEvents, type EventReason, type LabEvent } from '../runtime/events.ts';
import { EVENT_REASONS } from '../loops/event-reasons.ts';
import { diag } from '../compile/diagnostics.ts';
import { NOTHING_CHANGED } from '../constants.ts';
import { readState } from '../runtime/state.ts';
import { Exit, EXIT, labName, upOrExit } from './common.ts';
import { printHostProblems } from './basics.ts';
import { dim, red } from './terminal.ts';

/**
 * `--timeout`'s parser: milliseconds as a bare whole number (`20000`), or a duration as the
 * Corefile writes them (Go's time.ParseDuration: `500ms`, `5s`, `1m30s`); anything else, or a
 * negative one, is a usage error (exit 2, as every bad option value), never a wait without end.
 */
export function timeoutMs(text: string): number {
  const ms = /^\d{1,15}$/.test(text) ? Number(text) : duration(text);
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
    const why = ms === undefined ? (/^\d+\.\d*$/.test(text) ? `"${text}" is neither whole milliseconds nor a duration with a unit (e.g. ${text}s)` : durationProblem(text)) : `"${text}" is negative`;
    throw new InvalidArgumentError(`--timeout ${why}`);
  }
  return ms;
}

/** `--wait-for`'s parser: a reason podlab's events have (a typo would wait in vain), and an optional object after ':'. */
export function waitFor(text: string): { reason: EventReason; object?: string } {
  const [reason, object] = text.split(/:(.*)/s, 2);
  const r = EVENT_REASONS.find((k) => k === reason);
  if (!r) {
    const near = EVENT_REASONS.find((k) => k.toLowerCase() === reason!.toLowerCase());
    throw new InvalidArgumentError(`--wait-for "${reason}" is not a reason podlab's events have${near ? ` (did you mean ${near}?)` : ''}; they are ${EVENT_REASONS.join(', ')}`);
  }
  return { reason: r, ...(object ? { object } : {}) };
}

/** `--since`'s parser: an ISO 8601 time, kept as the events' own form (UTC, milliseconds) so it compares as text; `now`: the command's start. */
export function sinceIso(text: string): string {
  if (text === 'now') return new Date().toISOString();
  const t = /^\d{4}-\d{2}-\d{2}(T[\d:.]+)?(Z|[+-]\d{2}:?\d{2})?$/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(t)) throw new InvalidArgumentError(`--since "${text}" is neither an ISO 8601 time (e.g. 2026-12-07T10:00:00Z) nor now`);
  return new Date(t).toISOString();
}

function line(e: LabEvent, json: boolean): string {
  if (json) return `${JSON.stringify(e)}\n`;
  const t = e.at.slice(11, 23);
  return `${dim(t)}  ${(e.type === 'Warning' ? red(e.type) : e.type).padEnd(e.type === 'Warning' ? 7 + (red('x').length - 1) : 7)}  ${e.reason.padEnd(18)} ${e.object.padEnd(34)} ${e.message}\n`;
}

/** PL3073, exit 2: `--wait-for` a reason only control loops record, in a lab that runs none. */
function noLoopsExit(lab: string, reason: EventReason, json: boolean): never {
  printHostProblems(
    [diag('PL3073', [], `lab "${lab}" runs no control loops, so no ${reason} event will come: only a lab's control loops record one`, `Give the lab \`loops: {}\` (or deployments, a probe, a restartPolicy) and bring it up again; without loops only a change records an event (${CHANGE_REASONS.join(', ')}). ${NOTHING_CHANGED}`)],
    json,
  );
}

export function registerEvents(program: Command): void {
  program
    .command('events')
    .description("Show what a live lab's control loops did (restarts, probe failures, endpoints removed, pods scheduled), in time order.")
    .argument('<lab>', 'lab name or file')
    .option('--json', 'one JSON object per line: at, type, reason, object, message')
    .option('-f, --follow', 'keep printing new events until Ctrl-C (or the lab goes down)')
    .addOption(new Option('--wait-for <reason[:object]>', "wait until an event with this reason (and object, e.g. Restarted:pod/web-) follows the lab's last change made by a command (node fail, scale, set env, pod delete, …), or --since; prints it").argParser(waitFor))
    .addOption(new Option('--since <iso>', 'only events at or after this time (ISO 8601, e.g. 2026-12-07T10:00:00Z; now: from this command on)').argParser(sinceIso))
    .addOption(new Option('--timeout <duration>', 'how long --wait-for waits: milliseconds, or a duration such as 500ms, 10s, 2m').default(30_000, '30s').argParser(timeoutMs))
    .addHelpText('after', `
Examples:
  podlab events self-healing                               everything so far
  podlab events self-healing -f                            and what happens next
  podlab node fail self-healing worker-2
  podlab events self-healing --wait-for Evicted --timeout 2m   its pod's eviction, even if it came first
  podlab events self-healing --wait-for Restarted:pod/web- --json
  podlab events self-healing --wait-for EndpointRemoved --since now   only from now on

--wait-for waits for the consequence of the lab's last change: an event after the last one a
command recorded (NodeFailed, NodeRestored, ScalingReplicaSet by scale, TemplateChanged, Killing by
pod delete or kubectl delete, Crash, Sickened, Healed, DeploymentCreated, …; or podlab up, when no
command changed the lab yet). So \`node fail\` then \`events --wait-for Evicted\` prints this
failure's eviction even when it happened before events started (a short loops.nodeGraceMs), and
never one from before it. --since sets the start instead: a time, or now for only what happens
from now on (start waiting before you act).

Reasons: ${EVENT_REASONS.join(', ')}.

In a lab without control loops only a change records events (${CHANGE_REASONS.join(', ')}):
--wait-for any other reason that has not happened is PL3073 at once, not a wait until --timeout.

Exit codes: 0 printed (or the awaited event happened); 1 --wait-for timed out; 2 the lab is not up,
or runs no control loops to record the reason waited for (PL3073), or --timeout, --since or
--wait-for's reason is not one.`)
    .action(async (arg: string, opts: { json?: boolean; follow?: boolean; waitFor?: { reason: EventReason; object?: string }; since?: string; timeout: number }) => {
      const lab = await labName(arg, opts.json);
      const state = upOrExit(lab, opts.json);
      const since = opts.since ?? '';
      if (opts.waitFor) {
        const { reason, object } = opts.waitFor;
        const deadline = Date.now() + opts.timeout;
        // From the last change a command made (its event included: `--wait-for NodeFailed` after
        // `node fail` is that one), unless --since says otherwise.
        const change = opts.since === undefined ? lastChange(readEvents(lab)) : undefined;
        const from = opts.since ?? change?.at ?? '';
        for (;;) {
          const hit = readEvents(lab).find((e) => e.at >= from && eventMatches(e, { reason, ...(object ? { object } : {}) }));
          if (hit) {
            process.stdout.write(line(hit, !!opts.json));
            return;
          }
          // Not there yet, in a lab whose agent would be the one to record it, and it runs none: it never comes.
          if (!state.plan.loops && !(CHANGE_REASONS as readonly EventReason[]).includes(reason)) noLoopsExit(lab, reason, !!opts.json);
          if (Date.now() > deadline || !readState(lab)) {
            const after = change ? ` after the lab's last change (${change.reason} ${change.object} at ${change.at.slice(11, 23)})` : opts.since ? ` since ${opts.since}` : '';
            process.stderr.write(`no ${reason}${object ? `:${object}` : ''} event${after} within ${formatDuration(opts.timeout)}\n`);
            throw new Exit(EXIT.failed);
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      let shown = 0;
      const show = () => {
        const all = readEvents(lab).filter((e) => e.at >= since);
        for (const e of all.slice(shown)) process.stdout.write(line(e, !!opts.json));
        shown = all.length;
      };
      show();
      if (!shown && !opts.follow && !opts.json) process.stderr.write(`no events yet (without control loops, only a change such as pod delete or node fail records one)\n`);
      while (opts.follow && readState(lab)) {
        await new Promise((r) => setTimeout(r, 200));
        show();
      }
    });
}
