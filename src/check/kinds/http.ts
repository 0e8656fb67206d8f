/**
 * The http kind: the native probe sends one GET (or `requests` of them, each on a new connection)
 * and reports each answer; with the http-echo workload the answer names the pod that served it
 * and the client address it saw, so the judge can tell load balancing, affinity and NAT apart.
 */
import { diag } from '../../compile/diagnostics.ts';
import * as ip from '../../net/ipv4.ts';
import { sourceAddressesOf, type Peers } from './targets.ts';
import { checkAt, lastLine, sourceRef, type ProbeKind, type Stage, type Stages, type Verdict } from './kind.ts';
import { ATTEMPT_TIMEOUT_MS, normalizeReach, planReach, reachVerdict, readProbeReport, validateReach, type ReachCheck, type ProbeReport } from './reach.ts';

export type HttpCheck<S extends Stage> = ReachCheck<S, 'http'> & {
  path: string;
  expectPod?: string;
  expectStatus?: number;
  expectBody?: string;
  expectNoNat: boolean;
  /** As written (`nodes`, `node/<name>`, a pod, …); planned, with the addresses it stands for. */
  expectSource?: Stages[S]['sourceSet'];
  requests: number;
  expectSpread?: number;
  expectSticky: boolean;
};

/** What one http-echo answer says: the pod that answered and the client address it saw. */
export interface Answer {
  pod: string | null;
  client: string | null;
}

export const http: ProbeKind<'http', HttpCheck<'lab'>, HttpCheck<'plan'>> = {
  kind: 'http',
  normalize: (c, index, at) => ({
    ...normalizeReach(c, index, at),
    path: c.path ?? '/',
    expectPod: c.expectPod,
    expectStatus: c.expectStatus,
    expectBody: c.expectBody,
    expectNoNat: c.expectNoNat ?? false,
    expectSource: c.expectSource,
    requests: c.requests ?? 1,
    expectSpread: c.expectSpread,
    expectSticky: c.expectSticky ?? false,
  }),
  validate(lab, c, out) {
    const at = checkAt(c);
    const pods = new Set(lab.pods.map((p) => p.name));
    const machine = (ref: string) =>
      ref.startsWith('node/') ? lab.nodes.some((n) => n.name === ref.slice(5)) : ref.startsWith('host/') ? lab.hosts.some((h) => h.name === ref.slice(5)) : pods.has(ref);
    validateReach(lab, c, out, () => {
      if (c.expectPod && !pods.has(c.expectPod))
        out.push(diag('PL2012', at('expectPod'), `check "${c.name}" expects an answer from pod "${c.expectPod}", which the lab does not declare`));
      if (c.expectSource && c.expectSource !== 'nodes' && !machine(c.expectSource) && ip.parseIp(c.expectSource) === undefined)
        out.push(diag('PL2012', at('expectSource'), `check "${c.name}" expects the source "${c.expectSource}", which is not nodes, node/<name>, host/<name>, a pod or an IPv4 address`));
      if (c.expectSpread !== undefined && c.expectSpread > c.requests)
        out.push(diag('PL2014', at('expectSpread'), `check "${c.name}" wants ${c.expectSpread} different pods to answer ${c.requests} request(s)`, `Set requests to at least ${c.expectSpread} (e.g. 60 for 3 backends).`));
      if (c.expectBody !== undefined && c.requests > 1)
        out.push(diag('PL2014', at('expectBody'), `check "${c.name}" looks into the body of ${c.requests} answers; only a single request's body is kept`, 'Use requests: 1 with expectBody, and a second check for the spread.'));
      if (c.expectSticky && c.requests < 2) out.push(diag('PL2014', at('expectSticky'), `check "${c.name}" tests affinity with a single request`, 'Set requests: 20 or so.'));
    });
  },
  plan: (c, peers) => ({
    ...planReach(c, peers),
    path: c.path,
    expectPod: c.expectPod,
    ...(c.expectStatus !== undefined ? { expectStatus: c.expectStatus } : {}),
    ...(c.expectBody !== undefined ? { expectBody: c.expectBody } : {}),
    expectNoNat: c.expectNoNat,
    ...(c.expectSource ? { expectSource: { label: c.expectSource, ips: sourceAddressesOf(peers, c.expectSource) } } : {}),
    requests: c.requests,
    expectSpread: c.expectSpread,
    expectSticky: c.expectSticky,
  }),
  probe(c, probeBin) {
    const argv = [probeBin, 'http-get', '--url', `http://${c.to.ip.includes(':') ? `[${c.to.ip}]` : c.to.ip}:${c.port}${c.path}`, '--timeout-ms', String(ATTEMPT_TIMEOUT_MS)];
    if (c.requests > 1) argv.push('--count', String(c.requests));
    return argv;
  },
  judge(plan, c, r) {
    const wantReach = c.expect === 'reach';
    const out = readProbeReport<ProbeReport & { answers?: Answer[] }>(r);
    // Several requests: one answered is already "reached" (a later reset must not pass a no-reach check).
    const reached = out.ok === true || (out.answers?.length ?? 0) > 0;
    let seen: string;
    let extra: Verdict | undefined;
    if (out.answers) {
      const n = out.answers.length;
      seen = out.ok ? `${n} answers from ${describeSpread(out.answers)}` : `${n ? `${n} answer(s) from ${describeSpread(out.answers)}, then ` : ''}no HTTP answer (${out.error ?? lastLine(r)})`;
      if (out.ok && wantReach) extra = judgeAnswers(plan, c, out.status ?? 0, out.answers);
      // Some answered, then the connection failed: reached (so no-reach fails), but not every request (so reach fails too).
      else if (!out.ok && n && wantReach) extra = { ok: false, expected: `all ${c.requests} requests answered`, seen: '' };
    } else {
      seen = reached ? `HTTP ${out.status}: ${(out.body ?? '').trim().slice(0, 200)}` : `no HTTP answer (${out.error ?? lastLine(r)})`;
      if (reached && wantReach) extra = judgeHttpBody(plan, c, out.status ?? 0, out.body ?? '');
    }
    return reachVerdict(c, reached, seen, extra);
  },
};

function judgeHttpBody(plan: Peers, check: HttpCheck<'plan'>, status: number, body: string): Verdict {
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

function judgeAnswers(plan: Peers, check: HttpCheck<'plan'>, status: number, answers: readonly Answer[], body?: string): Verdict {
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
    const mine = sourceAddressesOf(plan, sourceRef(check.from));
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
