/**
 * The DNS check kind: the command is `dig` in the check's source (so a pod's own
 * /etc/resolv.conf — nameserver, search list, ndots — applies unless a server is given), and the
 * judge reads dig's report: the status of the header, and the answer section's records.
 */
import { findService } from '../k8s/objects.ts';
import type { Plan, PlanCheck } from '../plan/plan.ts';
import type { RunResult } from '../runtime/exec.ts';
import type { Verdict } from './checks.ts';

export function dnsProbeArgv(check: PlanCheck): string[] {
  const q = check.dns!;
  const fqdn = q.query.endsWith('.');
  return [
    'dig',
    '+tries=1',
    '+time=1',
    ...(q.tcp ? ['+tcp'] : []),
    // Like a program's lookup: a relative name goes through the search list (with ndots).
    ...(!fqdn && q.type !== 'PTR' ? ['+search'] : []),
    ...(check.to.ip ? [`@${check.to.ip}`] : []),
    ...(q.type === 'PTR' ? ['-x', q.query] : [q.query, q.type]),
  ];
}

export interface DigRecord {
  name: string;
  ttl: number;
  type: string;
  data: string;
}

export interface DigReport {
  status?: string;
  answers: DigRecord[];
  /** Why dig got no answer at all (e.g. a timeout). */
  error?: string;
}

/** Reads dig's default output. */
export function parseDig(stdout: string): DigReport {
  const status = /->>HEADER<<-.*status: ([A-Z]+)/.exec(stdout)?.[1];
  const answers: DigRecord[] = [];
  let inAnswer = false;
  for (const line of stdout.split('\n')) {
    if (line.startsWith(';; ANSWER SECTION:')) inAnswer = true;
    else if (line.startsWith(';;') || !line.trim()) inAnswer = false;
    else if (inAnswer) {
      const [name, ttl, , type, ...data] = line.trim().split(/\s+/);
      answers.push({ name: name!, ttl: Number(ttl), type: type!, data: data.join(' ') });
    }
  }
  const error = status ? undefined : (stdout.split('\n').find((l) => /^;; (connection timed out|communications error|.*no servers could be reached)/.test(l)) ?? stdout.trim().split('\n').at(-1))?.replace(/^;; /, '');
  return { ...(status ? { status } : {}), answers, ...(error ? { error } : {}) };
}

const norm = (s: string) => s.toLowerCase().replace(/^"|"$/g, '').replace(/\.$/, '');

/** True when `want` is a record's data, or one of its fields (an SRV's target, an MX's host). */
function matches(r: DigRecord, want: string): boolean {
  const w = norm(want);
  return norm(r.data) === w || r.data.split(/\s+/).some((f) => norm(f) === w);
}

/**
 * What an expected answer means now: `pod/<name>` is the pod's current address, `svc/<ref>` the
 * Service's cluster IP, `host/<name>` the host's address; anything else is taken as written.
 */
export function expectedAnswer(plan: Plan, want: string): string {
  if (want.startsWith('pod/')) return plan.pods.find((p) => p.name === want.slice(4))?.ip ?? want;
  if (want.startsWith('svc/')) return findService(plan.services, want.slice(4))?.clusterIP ?? want;
  if (want.startsWith('host/')) return plan.hosts.find((h) => h.name === want.slice(5))?.ip ?? want;
  return want;
}

export function judgeDns(plan: Plan, check: PlanCheck, r: RunResult): Verdict {
  const q = { ...check.dns!, expectAnswers: check.dns!.expectAnswers.map((w) => expectedAnswer(plan, w)) };
  const rep = parseDig(r.stdout);
  const wants: string[] = [q.expectRcode];
  if (q.expectEmpty) wants.push('no answer records');
  else if (q.expectAnswers.length) wants.push(`answers include ${q.expectAnswers.join(', ')}`);
  else if (q.expectRcode === 'NOERROR') wants.push(`at least one ${q.type} record`);
  const expected = `${q.type} ${q.query}: ${wants.join(', ')}`;
  if (!rep.status) return { ok: false, expected, seen: `no DNS answer (${rep.error ?? `dig exit ${r.exitCode}`})` };
  const shown = rep.answers.map((a) => `${a.name} ${a.type} ${a.data}`);
  const seen = `${rep.status}${shown.length ? `: ${shown.join('; ')}` : ', no answer records'}`;
  const problems: string[] = [];
  if (rep.status !== q.expectRcode) problems.push(`status ${rep.status}`);
  if (q.expectEmpty && rep.answers.length) problems.push(`${rep.answers.length} answer record(s)`);
  const missing = q.expectAnswers.filter((w) => !rep.answers.some((a) => matches(a, w)));
  if (missing.length) problems.push(`missing ${missing.join(', ')}`);
  if (!q.expectEmpty && !q.expectAnswers.length && q.expectRcode === 'NOERROR' && !rep.answers.some((a) => a.type === q.type)) problems.push(`no ${q.type} record`);
  return { ok: problems.length === 0, expected, seen: problems.length ? `${seen} — ${problems.join(', ')}` : seen };
}
