/**
 * The first check kinds (ping, TCP, HTTP): each is a pure command builder plus a pure judge of the
 * command's output; the runner retries a check until it passes or its timeout expires (no fixed
 * sleeps) and reports evidence: the command to reproduce it by hand, what was expected, what was seen.
 */
import { sourceAddressesOf, type Plan, type PlanCheck } from '../plan/plan.ts';
import type { RunResult } from '../runtime/exec.ts';
import { dnsProbeArgv, judgeDns } from './dns-check.ts';
import { factProbeArgv, judgeCommand, judgeRoute, judgeVxlan } from './fact-checks.ts';

export interface Probe {
  /** argv to run inside the check's source (pod or node). */
  argv: string[];
  /** The same as a command a learner can paste. */
  reproduce: string;
}

export interface Verdict {
  ok: boolean;
  expected: string;
  seen: string;
}

export interface CheckResult {
  index: number;
  name: string;
  kind: PlanCheck['kind'];
  status: 'pass' | 'fail';
  expected: string;
  seen: string;
  command: string;
  attempts: number;
  ms: number;
  /** Matrix checks: the grid of cell results, row-major (sources × targets). */
  matrix?: { rows: string[]; cols: string[]; cells: CheckResult[] };
}

const ATTEMPT_TIMEOUT_MS = 1000;

export function sourceRef(check: PlanCheck): string {
  return check.from.kind === 'pod' ? check.from.name : `${check.from.kind}/${check.from.name}`;
}

export function buildProbe(plan: Plan, check: PlanCheck, probeBin: string): Probe {
  const target = check.to.ip;
  let argv: string[];
  switch (check.kind) {
    case 'ping':
      argv = ['ping', '-n', '-c', '1', '-W', '1', target];
      break;
    case 'tcp':
      argv = [probeBin, 'tcp-connect', '--host', target, '--port', String(check.port), '--timeout-ms', String(ATTEMPT_TIMEOUT_MS)];
      break;
    case 'udp':
      argv = [probeBin, 'udp-echo-client', '--host', target, '--port', String(check.port), '--message', `podlab-check-${check.index}`, '--timeout-ms', String(ATTEMPT_TIMEOUT_MS)];
      break;
    case 'dns':
      argv = dnsProbeArgv(check);
      break;
    case 'command':
    case 'route':
    case 'vxlan':
      argv = factProbeArgv(check);
      break;
    case 'matrix':
      throw new Error('a matrix check is run cell by cell');
    case 'http':
      argv = [probeBin, 'http-get', '--url', `http://${target}:${check.port}${check.path ?? '/'}`, '--timeout-ms', String(ATTEMPT_TIMEOUT_MS)];
      if (check.requests > 1) argv.push('--count', String(check.requests));
      break;
  }
  return { argv, reproduce: `podlab exec ${plan.lab} ${sourceRef(check)} -- ${argv.map(shellQuote).join(' ')}` };
}

/** Addresses a check's source may legitimately appear as to the target (a node has several). */
export function sourceAddresses(plan: Plan, check: PlanCheck): string[] {
  return sourceAddressesOf(plan, sourceRef(check));
}

/** Judges one attempt. Pure: the same output always gets the same verdict. */
export function judge(plan: Plan, check: PlanCheck, r: RunResult): Verdict {
  if (check.kind === 'dns') return judgeDns(plan, check, r);
  if (check.kind === 'command') return judgeCommand(check, r);
  if (check.kind === 'route') return judgeRoute(check, r);
  if (check.kind === 'vxlan') return judgeVxlan(check, r);
  const wantReach = check.expect === 'reach';
  const target = `${check.to.name}${check.to.kind === 'ip' ? '' : ` (${check.to.ip})`}${check.port ? `:${check.port}` : ''}`;
  let reached = false;
  let seen = '';
  let extra: Verdict | undefined;
  if (check.kind === 'ping') {
    reached = r.exitCode === 0 && /\b1 received\b/.test(r.stdout);
    const rtt = /time=([\d.]+) ms/.exec(r.stdout);
    seen = reached ? `reply from ${check.to.ip}${rtt ? ` in ${rtt[1]} ms` : ''}` : `no reply (${lastLine(r)})`;
  } else {
    let out: { ok?: boolean; status?: number; body?: string; error?: string; local?: string; remote?: string; answers?: Answer[] } = {};
    try {
      out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}');
    } catch {
      out = { ok: false, error: lastLine(r) };
    }
    // Several requests: one answered is already "reached" (a later reset must not pass a no-reach check).
    reached = out.ok === true || (out.answers?.length ?? 0) > 0;
    if (check.kind === 'tcp') seen = reached ? `connected from ${out.local} to ${check.to.ip}:${check.port}` : `no connection (${out.error ?? lastLine(r)})`;
    else if (check.kind === 'udp') seen = reached ? `echo from ${out.remote} to ${out.local}` : `no echo (${out.error ?? lastLine(r)})`;
    else if (out.answers) {
      const n = out.answers.length;
      seen = out.ok ? `${n} answers from ${describeSpread(out.answers)}` : `${n ? `${n} answer(s) from ${describeSpread(out.answers)}, then ` : ''}no HTTP answer (${out.error ?? lastLine(r)})`;
      if (out.ok && wantReach) extra = judgeAnswers(plan, check, out.status ?? 0, out.answers);
      // Some answered, then the connection failed: reached (so no-reach fails), but not every request (so reach fails too).
      else if (!out.ok && n && wantReach) extra = { ok: false, expected: `all ${check.requests} requests answered`, seen: '' };
    } else {
      seen = reached ? `HTTP ${out.status}: ${(out.body ?? '').trim().slice(0, 200)}` : `no HTTP answer (${out.error ?? lastLine(r)})`;
      if (reached && wantReach) extra = judgeHttpBody(plan, check, out.status ?? 0, out.body ?? '');
    }
  }
  const expected = `${wantReach ? 'reaches' : 'does not reach'} ${target}`;
  if (extra) return { ok: extra.ok, expected: `${expected}; ${extra.expected}`, seen: extra.ok ? seen : `${seen} — ${extra.seen}` };
  return { ok: reached === wantReach, expected, seen };
}

/** What one http-echo answer says: the pod that answered and the client address it saw. */
export interface Answer {
  pod: string | null;
  client: string | null;
}

function judgeHttpBody(plan: Plan, check: PlanCheck, status: number, body: string): Verdict {
  let reply: { pod?: string; client?: string } = {};
  try {
    reply = JSON.parse(body);
  } catch {
    /* not an http-echo answer */
  }
  return judgeAnswers(plan, check, status, [{ pod: reply.pod ?? null, client: reply.client ?? null }], body);
}

/** `web-1 ×21, web-2 ×19` */
function describeSpread(answers: readonly Answer[]): string {
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(a.pod ?? '(not http-echo)', (counts.get(a.pod ?? '(not http-echo)') ?? 0) + 1);
  return [...counts].map(([pod, n]) => `${pod} ×${n}`).join(', ');
}

function judgeAnswers(plan: Plan, check: PlanCheck, status: number, answers: readonly Answer[], body?: string): Verdict {
  const wantStatus = check.expectStatus ?? 200;
  const wants: string[] = [`status ${wantStatus}`];
  const problems: string[] = [];
  if (status !== wantStatus) problems.push(`status was ${status}`);
  if (check.expectBody !== undefined) {
    wants.push(`body contains "${check.expectBody}"`);
    if (body === undefined) problems.push('the body of several answers is not kept; use requests: 1 with expectBody');
    else if (!body.includes(check.expectBody)) problems.push(`body lacks "${check.expectBody}"`);
  }
  const pods = new Set(answers.map((a) => a.pod));
  const echoPods = new Set(answers.flatMap((a) => (a.pod === null ? [] : [a.pod])));
  const clients = [...new Set(answers.map((a) => a.client ?? '(unknown)'))];
  if (check.expectPod) {
    wants.push(`answered by pod ${check.expectPod}`);
    const others = [...pods].filter((p) => p !== check.expectPod);
    if (others.length) problems.push(`answered by ${others.map((p) => p ?? 'something that is not an http-echo pod').join(', ')}`);
  }
  if (check.expectSpread !== undefined) {
    wants.push(`at least ${check.expectSpread} different pods answer ${answers.length} requests`);
    if (echoPods.size < check.expectSpread) problems.push(`only ${echoPods.size} pod(s) answered: ${describeSpread(answers)}`);
  }
  if (check.expectSticky) {
    wants.push(`one pod answers all ${answers.length} requests (session affinity)`);
    if (pods.size !== 1) problems.push(`${pods.size} pods answered: ${describeSpread(answers)}`);
  }
  if (check.expectNoNat) {
    const mine = sourceAddresses(plan, check);
    wants.push(`server sees the client's own IP (${mine[0]}), no NAT`);
    const foreign = clients.filter((c) => !mine.includes(c));
    if (foreign.length) problems.push(`server saw client ${foreign.join(', ')}: the source was translated`);
  }
  if (check.expectSource) {
    const { label, ips } = check.expectSource;
    wants.push(`server sees the source as ${label} (${ips.join(' or ')})`);
    const foreign = clients.filter((c) => !ips.includes(c));
    if (foreign.length) problems.push(`server saw client ${foreign.join(', ')}, which is not ${label}`);
  }
  return { ok: problems.length === 0, expected: wants.join(', '), seen: problems.join('; ') };
}

function lastLine(r: RunResult): string {
  return (r.stderr || r.stdout).trim().split('\n').at(-1) || `exit ${r.exitCode}`;
}

/** Quotes an argument for a POSIX shell when it needs it, so a reproduce line can be pasted as is. */
export function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`;
}
