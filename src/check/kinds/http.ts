/**
 * The http kind: the native probe sends one GET (or `requests` of them, each on a new connection)
 * and reports each answer; with the http-echo workload the answer names the pod that served it
 * and the client address it saw, so the judge can tell load balancing, affinity and NAT apart.
 * Each request carries a fresh nonce (`X-Podlab-Nonce`), and the judge believes the pod an answer
 * names, and what it says it saw, only when the proof it brings back holds for that pod and that
 * nonce (SECURITY.md, boundary 13; lib/proof.ts): anyone can write `{"pod":"api-1"}`, only
 * api-1's own http-echo (directly, or through a relay) can prove it.
 */
import { diag, warning } from '../../compile/diagnostics.ts';
import * as ip from '../../net/ipv4.ts';
import { hostPort } from '../../net/addr.ts';
import { sourceAddressesOf, type Peers } from './targets.ts';
import { findService, selects } from '../../k8s/objects.ts';
import { buildRoutes, describeDecision, route } from '../../ingress/router.ts';
import { certFor, serverCerts } from '../../ingress/tls.ts';
import { ingressKey, served, type Ingress } from '../../ingress/types.ts';
import { checkAt, lastLine, sourceRef, type Attempt, type LabView, type ProbeKind, type Stage, type Stages, type Verdict } from './kind.ts';
import { claimedIdentity } from '../../lib/proof.ts';
import { IDENTITY } from '../../constants.ts';
import { ATTEMPT_TIMEOUT_MS, normalizeReach, planReach, reachVerdict, readProbeReport, validateReach, wasRefused, type ReachCheck, type ProbeReport } from './reach.ts';

export type HttpCheck<S extends Stage> = ReachCheck<S, 'http'> & {
  path: string;
  expectPod?: string;
  expectStatus?: number;
  /** Where a redirect answer points (curl's redirect_url). */
  expectLocation?: string;
  expectBody?: string;
  expectNoNat: boolean;
  /** As written (`nodes`, `node/<name>`, a pod, …); planned, with the addresses it stands for. */
  expectSource?: Stages[S]['sourceSet'];
  requests: number;
  expectSpread?: number;
  expectSticky: boolean;
  host?: string;
  /** Only when true (plans of plain HTTP checks stay as they were). */
  https?: boolean;
  sni?: string;
  /** As written; planned, with the pods that back it (copies a scale makes, `<pod>-rN`, count too). */
  expectService?: S extends 'plan' ? { label: string; pods: string[] } : string;
  expectHeaders?: Record<string, string>;
  /** The path (and query) the server saw: what an Ingress's rewrite-target made of the request's. */
  expectPath?: string;
  /** Planned, when the request goes through the ingress controller: the rule the router expects it to take. */
  ingressRoute?: string;
  /** Planned, for https with a server name: the lab CA to verify against. */
  caFile?: string;
};

/** What one http-echo answer says: the pod that answered and the client address it saw. */
export interface Answer {
  pod: string | null;
  client: string | null;
  /** The headers the server saw (http-echo), names lower-cased. */
  headers?: Record<string, string>;
  /** The path (and query) the server saw (http-echo). */
  path?: string;
  /** http-echo's proof of its pod for this request's nonce (lib/proof.ts). */
  proof?: string;
}

/** The fields of an http-echo answer the judge reads, from its JSON body (anything else: not http-echo's). */
function answerOf(body: string): Answer {
  let reply: { pod?: unknown; client?: unknown; headers?: unknown; path?: unknown; proof?: unknown } = {};
  try {
    const v: unknown = JSON.parse(body);
    if (v && typeof v === 'object') reply = v;
  } catch {
    /* not an http-echo answer */
  }
  const text = (x: unknown) => (typeof x === 'string' ? x : undefined);
  return {
    pod: text(reply.pod) ?? null,
    client: text(reply.client) ?? null,
    ...(reply.headers && typeof reply.headers === 'object' ? { headers: reply.headers as Record<string, string> } : {}),
    ...(text(reply.path) !== undefined ? { path: text(reply.path)! } : {}),
    ...(text(reply.proof) !== undefined ? { proof: text(reply.proof)! } : {}),
  };
}

/** What a request with a host, SNI, path or HTTPS asks, in its default name (`https://shop.example.com/api`): two checks of one controller told apart. */
/**
 * Whether the client `from` can be the source `expectSource` names, so that expectNoNat (the
 * server saw the client's own address) may hold beside it: the same node or host, the same pod, a
 * hostNetwork pod and its node. An address is not resolved here, so it may.
 */
function sameSource(lab: LabView, from: string, source: string): boolean {
  if (ip.parseIp(source) !== undefined) return true;
  const pod = lab.pods.find((p) => p.name === from || `${p.namespace ?? 'default'}/${p.name}` === from);
  const node = from.startsWith('node/') ? from.slice(5) : pod?.hostNetwork ? pod.node : undefined;
  if (source === 'nodes') return node !== undefined;
  if (source.startsWith('node/')) return node === source.slice(5);
  if (source.startsWith('host/')) return from === source;
  return pod?.name === source;
}

const requestOf = (c: { host?: string; sni?: string; https?: boolean; path?: string }): string | undefined =>
  c.host !== undefined || c.sni !== undefined || c.https || c.path !== undefined ? `${c.https ? 'https' : 'http'}://${c.host ?? c.sni ?? ''}${c.path ?? '/'}` : undefined;

export const http: ProbeKind<'http', HttpCheck<'lab'>, HttpCheck<'plan'>> = {
  kind: 'http',
  normalize: (c, index, at) => ({
    ...normalizeReach(c, index, at, requestOf(c)),
    path: c.path ?? '/',
    expectPod: c.expectPod,
    expectStatus: c.expectStatus,
    ...(c.expectLocation !== undefined ? { expectLocation: c.expectLocation } : {}),
    expectBody: c.expectBody,
    expectNoNat: c.expectNoNat ?? false,
    expectSource: c.expectSource,
    requests: c.requests ?? 1,
    expectSpread: c.expectSpread,
    expectSticky: c.expectSticky ?? false,
    ...(c.host !== undefined ? { host: c.host } : {}),
    ...(c.https ? { https: true } : {}),
    ...(c.sni !== undefined ? { sni: c.sni } : {}),
    ...(c.expectService !== undefined ? { expectService: c.expectService } : {}),
    ...(c.expectHeaders !== undefined ? { expectHeaders: c.expectHeaders } : {}),
    ...(c.expectPath !== undefined ? { expectPath: c.expectPath } : {}),
  }),
  validate(lab, c, out) {
    const at = checkAt(c);
    const pods = new Set(lab.pods.map((p) => p.name));
    const machine = (ref: string) =>
      ref.startsWith('node/') ? lab.nodes.some((n) => n.name === ref.slice(5)) : ref.startsWith('host/') ? lab.hosts.some((h) => h.name === ref.slice(5)) : pods.has(ref);
    validateReach(lab, c, out, () => {
      if (c.expectPod && !pods.has(c.expectPod))
        out.push(diag('PL2012', at('expectPod'), `check "${c.name}" expects an answer from pod "${c.expectPod}", which the lab does not declare`));
      else if (c.expectPod && /^svc\//.test(c.to)) {
        // Through a Service, only its endpoints answer: a pod its selector does not choose never does.
        const svc = findService(lab.services, c.to.slice(4));
        const pod = lab.pods.find((p) => p.name === c.expectPod);
        if (svc?.selector && pod?.labels && !selects(svc, { namespace: pod.namespace ?? 'default', labels: pod.labels }))
          out.push(warning('PL2014', at('expectPod'), `check "${c.name}" expects pod "${c.expectPod}" to answer through Service "${svc.namespace}/${svc.name}", whose selector (${Object.entries(svc.selector).map(([k, v]) => `${k}=${v}`).join(', ')}) does not choose it: it cannot pass`, `The Service's pods: ${lab.pods.filter((p) => p.labels && selects(svc, { namespace: p.namespace ?? 'default', labels: p.labels })).map((p) => p.name).join(', ') || '(none)'}.`));
      }
      if (c.expectSource && c.expectSource !== 'nodes' && !machine(c.expectSource) && ip.parseIp(c.expectSource) === undefined)
        out.push(diag('PL2012', at('expectSource'), `check "${c.name}" expects the source "${c.expectSource}", which is not nodes, node/<name>, host/<name>, a pod or an IPv4 address`));
      else if (c.expectNoNat && c.expectSource && !sameSource(lab, c.from, c.expectSource))
        // The server sees one source: the client's own (expectNoNat), or what a NAT made it (expectSource).
        out.push(diag('PL2014', at('expectSource'), `check "${c.name}" expects the client's own address (expectNoNat) and the source "${c.expectSource}" (expectSource): a server sees one source, so it cannot pass`, 'Keep expectNoNat for a path without NAT, or expectSource for the address a NAT gives the client, not both.'));
      if (c.expectSpread !== undefined && c.expectSpread > c.requests)
        out.push(diag('PL2014', at('expectSpread'), `check "${c.name}" wants ${c.expectSpread} different pods to answer ${c.requests} request(s)`, `Set requests to at least ${c.expectSpread} (e.g. 60 for 3 backends).`));
      if (c.expectBody !== undefined && c.requests > 1)
        out.push(diag('PL2014', at('expectBody'), `check "${c.name}" looks into the body of ${c.requests} answers; only a single request's body is kept`, 'Use requests: 1 with expectBody, and a second check for the spread.'));
      if (c.expectLocation !== undefined && c.requests > 1)
        out.push(diag('PL2014', at('expectLocation'), `check "${c.name}" looks at where ${c.requests} answers point; only a single request's Location is kept`, 'Use requests: 1 with expectLocation.'));
      if (c.expectSticky && c.requests < 2) out.push(diag('PL2014', at('expectSticky'), `check "${c.name}" tests affinity with a single request`, 'Set requests: 20 or so.'));
      if (c.expectService !== undefined && !findService(lab.services, c.expectService))
        out.push(diag('PL2012', at('expectService'), `check "${c.name}" expects an answer from Service "${c.expectService}", which the lab does not declare`, 'Write <name> for the default namespace, or <namespace>/<name>.'));
      if (c.sni !== undefined && !c.https) out.push(diag('PL2014', at('sni'), `check "${c.name}" names a TLS server name but does not speak HTTPS`, 'Add https: true.'));
      if ((c.expectHeaders || c.expectService) && c.requests > 1 && c.expectHeaders)
        out.push(diag('PL2014', at('expectHeaders'), `check "${c.name}" looks at the headers of ${c.requests} answers; only a single request's are kept`, 'Use requests: 1 with expectHeaders.'));
      const fake = withoutCertificate(lab, c);
      if (fake) out.push(warning('PL2014', at(c.sni !== undefined ? 'sni' : 'host'), fake.message, fake.hint));
    });
  },
  plan: (c, peers) => ({
    ...planReach(c, peers),
    // HTTPS to a Service without a port: its https port (by name, else 443), not its first.
    ...(c.https && c.port === undefined && /^(svc|lb)\//.test(c.to) ? { port: httpsPort(peers, c.to) } : {}),
    path: c.path,
    expectPod: c.expectPod,
    ...(c.expectStatus !== undefined ? { expectStatus: c.expectStatus } : {}),
    ...(c.expectLocation !== undefined ? { expectLocation: c.expectLocation } : {}),
    ...(c.expectBody !== undefined ? { expectBody: c.expectBody } : {}),
    expectNoNat: c.expectNoNat,
    ...(c.expectSource ? { expectSource: { label: c.expectSource, ips: sourceAddressesOf(peers, c.expectSource) } } : {}),
    requests: c.requests,
    expectSpread: c.expectSpread,
    expectSticky: c.expectSticky,
    ...(c.host !== undefined ? { host: c.host } : {}),
    ...(c.https ? { https: true } : {}),
    ...(c.sni !== undefined ? { sni: c.sni } : {}),
    ...(c.expectService !== undefined ? { expectService: { label: c.expectService, pods: backingPods(peers, c.expectService) } } : {}),
    ...(c.expectHeaders !== undefined ? { expectHeaders: c.expectHeaders } : {}),
    ...(c.expectPath !== undefined ? { expectPath: c.expectPath } : {}),
    ...ingressRoute(peers, c),
    ...(c.https && (c.sni ?? c.host) && peers.ingress ? { caFile: `${peers.ingress.tlsDir}/ca.crt` } : {}),
  }),
  challenges: (c) => c.requests,
  probe(c, probeBin, attemptMs = ATTEMPT_TIMEOUT_MS, attempt) {
    if (usesCurl(c)) return curlArgv(c, attemptMs, attempt?.nonces);
    const argv = [probeBin, 'http-get', '--url', `http://${hostPort(c.to.ip, c.port)}${c.path}`, '--timeout-ms', String(attemptMs)];
    if (c.requests > 1) argv.push('--count', String(c.requests));
    if (attempt?.nonces.length) argv.push('--nonces', attempt.nonces.join(','));
    return argv;
  },
  judge(plan, c, r, attempt) {
    const wantReach = c.expect === 'reach';
    const out = usesCurl(c) ? readCurl(r) : readProbeReport<ProbeReport & { answers?: Answer[] }>(r);
    // Several requests: one answered is already "reached" (a later reset must not pass a no-reach check).
    const reached = out.ok === true || (out.answers?.length ?? 0) > 0;
    let seen: string;
    let extra: Verdict | undefined;
    if (out.answers) {
      const n = out.answers.length;
      const judged = believe(plan, out.answers, attempt);
      seen = out.ok ? `${n} answers from ${describeSpread(judged)}` : `${n ? `${n} answer(s) from ${describeSpread(judged)}, then ` : ''}no HTTP answer (${out.error ?? lastLine(r)})`;
      if (out.ok && wantReach) extra = judgeAnswers(plan, c, out.status ?? 0, judged);
      // Some answered, then the connection failed: reached (so no-reach fails), but not every request (so reach fails too).
      else if (!out.ok && n && wantReach) extra = { ok: false, expected: `all ${c.requests} requests answered`, seen: '' };
    } else {
      const location = (out as { location?: string }).location;
      seen = reached ? `HTTP ${out.status}${location ? ` → ${location}` : ''}: ${bodyExcerpt(out.body ?? '')}` : `no HTTP answer (${out.error ?? lastLine(r)})`;
      if (reached && wantReach) extra = judgeAnswers(plan, c, out.status ?? 0, believe(plan, [answerOf(out.body ?? '')], attempt), out.body ?? '', location);
    }
    const v0 = reachVerdict(c, reached, seen, extra, !reached && wasRefused(out));
    // A redirect the check did not ask for is the server's definite answer (settle.ts then stops
    // once it is seen again with nothing pending), as a refusal is.
    const redirected = !v0.ok && wantReach && out.status !== undefined && out.status >= 300 && out.status < 400 && c.expectStatus !== out.status;
    const v = redirected ? { ...v0, definite: true } : v0;
    // A failing check through the ingress says which rule the router expected to serve it.
    return v.ok || !c.ingressRoute ? v : { ...v, seen: `${v.seen} [ingress: ${c.ingressRoute}]` };
  },
};

/** A body as one line of a report: an HTML page by its title (nginx's own pages), else its text, whitespace folded, cut at 160. */
export function bodyExcerpt(body: string): string {
  const title = /<title>([^<]*)<\/title>/i.exec(body)?.[1]?.trim();
  if (title) return `${title} (an HTML page)`;
  const text = body.replace(/\s+/g, ' ').trim();
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/** Requests with a Host header, over HTTPS or asking where a redirect points go with curl (the native probe speaks plain HTTP to an address). */
const usesCurl = (c: HttpCheck<'plan'>) => c.https === true || c.host !== undefined || c.expectLocation !== undefined;

/** The mark curl writes after each answer: its status code. */
const CURL_MARK = '@@podlab-status ';

/**
 * curl, once per request (`requests` URLs, each a new connection: the http-echo server closes
 * it). HTTPS with a server name: the URL names it and `--resolve` points it at the target, so
 * curl sends it as SNI and verifies the certificate against the lab's CA; without one, the
 * address is the URL and nothing is verified. With nonces (one per request), each request is an
 * operation of its own (`--next`) carrying its nonce in an X-Podlab-Nonce header.
 */
export function curlArgv(c: HttpCheck<'plan'>, attemptMs = ATTEMPT_TIMEOUT_MS, nonces?: readonly string[]): string[] {
  const name = c.sni ?? c.host;
  const scheme = c.https ? 'https' : 'http';
  const authority = c.https && name ? name : c.to.ip.includes(':') ? `[${c.to.ip}]` : c.to.ip;
  const url = `${scheme}://${authority}:${c.port}${c.path}`;
  const options = [
    '-sS', '--globoff', '--path-as-is', '--max-time', String(attemptMs / 1000), '-o', '-', '-w', `\\n${CURL_MARK}%{http_code} %{redirect_url}\\n`,
    ...(c.host !== undefined ? ['-H', `Host: ${c.host}`] : []),
    ...(c.https ? (name ? ['--resolve', `${name}:${c.port}:${c.to.ip.includes(':') ? `[${c.to.ip}]` : c.to.ip}`, ...(c.caFile ? ['--cacert', c.caFile] : ['--insecure'])] : ['--insecure']) : []),
  ];
  if (!nonces?.length) return ['curl', ...options, ...Array.from({ length: c.requests }, () => url)];
  return ['curl', ...nonces.flatMap((n, i) => [...(i ? ['--next'] : []), ...options, '-H', `${IDENTITY.nonceHeader}: ${n}`, url])];
}

/** curl's output as the native probe's report: each answer's status and http-echo fields, the body of a single one. */
export function readCurl(r: { exitCode: number; stdout: string; stderr: string }): ProbeReport & { answers?: Answer[]; location?: string } {
  const parts = r.stdout.split(`\n${CURL_MARK}`);
  const answers: (Answer & { status: number; body: string; location?: string })[] = [];
  let body = parts[0] ?? '';
  for (const rest of parts.slice(1)) {
    const nl = rest.indexOf('\n');
    // `<status> <redirect_url>`: where a 3xx answer sends the client (empty otherwise).
    const [code, location] = rest.slice(0, nl < 0 ? undefined : nl).split(' ');
    const status = Number(code);
    if (status > 0) answers.push({ ...answerOf(body), status, body, ...(location ? { location } : {}) });
    body = nl < 0 ? '' : rest.slice(nl + 1);
  }
  // curl's own error line (`curl: (60) SSL: …`), not the advice it prints after it.
  const lines = r.stderr.trim().split('\n');
  const error = r.exitCode === 0 ? undefined : (lines.find((l) => /^curl: \(\d+\)/.test(l)) ?? lines.at(-1)) || `curl exited with ${r.exitCode}`;
  const last = answers.at(-1);
  if (answers.length <= 1) return { ok: r.exitCode === 0 && !!last, ...(last ? { status: last.status, body: last.body, ...(last.location ? { location: last.location } : {}) } : {}), ...(error ? { error } : {}) };
  return { ok: r.exitCode === 0, status: last!.status, answers, ...(error ? { error } : {}) };
}

function httpsPort(peers: Peers, to: string): number | undefined {
  const ports = findService(peers.services, to.slice(to.indexOf('/') + 1))?.ports.filter((p) => p.protocol === 'TCP') ?? [];
  return (ports.find((p) => 'name' in p && p.name === 'https') ?? ports.find((p) => p.port === 443) ?? ports[0])?.port;
}

/** The pods of a Service (by its selector), and the copies a scale would make of them. */
function backingPods(peers: Peers, ref: string): string[] {
  const svc = findService(peers.services, ref);
  if (!svc?.selector) return [];
  const sel = Object.entries(svc.selector);
  return peers.pods.filter((p) => p.namespace === svc.namespace && sel.every(([k, v]) => p.labels?.[k] === v)).map((p) => p.name);
}

/** Why a host meets the default certificate: a tls entry lists it without a Secret, or none lists it (its Ingress may have tls for other hosts). */
function fakeReason(ingresses: readonly Ingress[], host: string): string {
  return ingresses.some((i) => i.tls.some((t) => !t.secretName && t.hosts.some((h) => h.toLowerCase() === host))) ? 'its tls entry names no Secret' : 'no tls entry lists it';
}

/**
 * An https check through the ingress controller to a host no tls entry gives a certificate of its
 * own: nginx answers with its default (fake) certificate, which is not valid for the host, and curl
 * (verifying against the lab CA, as a browser would) refuses it: the check can only fail.
 */
function withoutCertificate(lab: LabView, c: HttpCheck<'lab'>): { message: string; hint: string } | undefined {
  const host = (c.sni ?? c.host ?? '').toLowerCase();
  if (!c.https || c.expect !== 'reach' || !host || !lab.ingress) return undefined;
  const ingresses = lab.ingress.ingresses.filter((i) => served(lab.ingress!, i));
  const cert = certFor(serverCerts(ingresses), host);
  if (cert !== undefined && cert !== 'default') return undefined;
  const routing = ingresses.find((i) => i.rules.some((r) => r.host?.toLowerCase() === host));
  const unnamed = fakeReason(ingresses, host) === 'its tls entry names no Secret';
  const message = `check "${c.name}" speaks HTTPS to ${host}, but ${unnamed ? 'the tls entry that lists it names no Secret' : 'no tls entry of an Ingress lists it'}: the controller answers with its default (fake) certificate, which is not valid for ${host}, so curl refuses it and the check cannot pass`;
  const hint = unnamed
      ? `Give that tls entry a secretName (podlab issues a certificate for each from the lab's CA), or check ${host} over plain HTTP (host: '${host}' without https).`
      : routing
        ? `Add '${host}' to the hosts of a tls entry of Ingress ${ingressKey(routing)} (tls: [{ hosts: ['${host}'], secretName: '<a name>' }]), or check it over plain HTTP (host: '${host}' without https).`
        : `No Ingress has a rule for ${host}; a certificate is issued only for a host a rule routes and a tls entry lists.`;
  return { message, hint };
}

/** When the check goes through the ingress controller (its Service, load-balancer address or pod, or with a Host header): the rule the router picks. */
function ingressRoute(peers: Peers, c: HttpCheck<'lab'>): { ingressRoute?: string } {
  const ing = peers.ingress;
  if (!ing) return {};
  const svc = `${ing.namespace}/${ing.service}`;
  const through = c.to === ing.pod || c.to === `svc/${svc}` || c.to === `lb/${svc}` || c.host !== undefined || c.sni !== undefined;
  if (!through) return {};
  const host = (c.sni ?? c.host ?? '').toLowerCase();
  // Over HTTPS the redirect of plain HTTP does not apply; what does is which certificate answers.
  const cert = c.https && host ? certFor(serverCerts(ing.ingresses), host) : undefined;
  const fake = c.https && host && (cert === undefined || cert === 'default') ? `; over HTTPS ${host} meets the controller's default (fake) certificate: ${fakeReason(ing.ingresses, host)}` : '';
  return { ingressRoute: `${describeDecision(route(buildRoutes(ing.ingresses), c.host ?? c.sni ?? '', c.path), !c.https)}${fake}` };
}

/**
 * An answer as the judge believes it: one that names a pod keeps that name only when the pod's
 * own http-echo proved it for this request's nonce; otherwise it is a `claim` (with `why` it is
 * not believed) and nothing it says — pod, client, path, headers — is taken.
 */
type Judged = (Answer & { claim?: undefined }) | { pod: null; client: null; claim: string; why: string };

/** Each answer (request i's the i-th) as the judge believes it (SECURITY.md, boundary 13). */
function believe(plan: Pick<Peers, 'pods' | 'hosts'>, answers: readonly Answer[], attempt?: Attempt): Judged[] {
  return answers.map((a, i) => {
    if (a.pod === null) return a;
    const why = disbelief(plan, a as Answer & { pod: string }, attempt?.nonces[i], attempt);
    return why ? { pod: null, client: null, claim: claimed(a.pod), why } : a;
  });
}

/**
 * A pod name an answer claims without proof, as reports quote it: at most a pod name's 253
 * characters. The body is the server's, which may be anyone's: a student's server would fill a
 * report (and the student's own feedback) with 64 KiB of whatever it read.
 */
function claimed(name: string): string {
  return name.length <= 253 ? name : `${name.slice(0, 253)}… (${name.length} characters)`;
}

/** Why an answer naming a pod does not prove it (the key and the expected proof are never shown); undefined when it does. */
function disbelief(plan: Pick<Peers, 'pods' | 'hosts'>, a: Answer & { pod: string }, nonce: string | undefined, attempt: Attempt | undefined): string | undefined {
  if (!attempt?.prover) return 'podlab holds no secret of this lab to check it with (a lab brought up by an older podlab: bring it up again)';
  if (nonce === undefined) return 'the request carried no nonce';
  if (a.proof === undefined) return "it carries no proof of the request's nonce (only the pod's own http-echo can make one)";
  if (a.client === null || a.path === undefined || !attempt.prover.proves(claimedIdentity(plan, a.pod), { nonce, client: a.client, path: a.path }, a.proof))
    return "its proof is not that pod's for this request";
  return undefined;
}

/** `web-1 ×21, web-2 ×19` (an answer that did not prove its pod: `"web-3" without proof`) */
function describeSpread(answers: readonly Judged[]): string {
  const counts = new Map<string, number>();
  const label = (a: Judged) => (a.claim !== undefined ? `"${a.claim}" without proof` : (a.pod ?? '(not http-echo)'));
  for (const a of answers) counts.set(label(a), (counts.get(label(a)) ?? 0) + 1);
  return [...counts].map(([pod, n]) => `${pod} ×${n}`).join(', ');
}

/**
 * What the answers that named a pod without proving it say, one line per reason: `the answer
 * naming pod api-1 did not prove it came from pod api-1: …`, or for several pods `6 answers
 * naming pods web-1 ×3, web-2 ×3 did not prove they came from those pods: …`.
 */
function disbelieved(answers: readonly Judged[]): string[] {
  const byWhy = new Map<string, Map<string, number>>();
  for (const a of answers) {
    if (a.claim === undefined) continue;
    const claims = byWhy.get(a.why) ?? new Map<string, number>();
    claims.set(a.claim, (claims.get(a.claim) ?? 0) + 1);
    byWhy.set(a.why, claims);
  }
  return [...byWhy].map(([why, claims]) => {
    const n = [...claims.values()].reduce((x, y) => x + y, 0);
    const some = n === 1 ? (answers.length === 1 ? 'the answer' : '1 answer') : `${n} answers`;
    if (claims.size === 1) {
      const pod = [...claims.keys()][0]!;
      return `${some} naming pod ${pod} did not prove ${n === 1 ? 'it' : 'they'} came from pod ${pod}: ${why}`;
    }
    return `${some} naming pods ${[...claims].map(([pod, k]) => `${pod} ×${k}`).join(', ')} did not prove they came from those pods: ${why}`;
  });
}

function judgeAnswers(plan: Peers, check: HttpCheck<'plan'>, status: number, judged: readonly Judged[], body?: string, location?: string): Verdict {
  // What the answers say is read from those believed: proven http-echo answers, and answers of
  // servers that name no pod (which say nothing, and count as "not an http-echo pod").
  const answers = judged.filter((a): a is Answer & { claim?: undefined } => a.claim === undefined);
  const wantStatus = check.expectStatus ?? 200;
  const wants: string[] = [`status ${wantStatus}`];
  const problems: string[] = [];
  if (status !== wantStatus) problems.push(`status was ${status}`);
  if (check.expectLocation !== undefined) {
    wants.push(`Location ${check.expectLocation}`);
    if (location !== check.expectLocation) problems.push(location ? `Location was ${location}` : 'the answer named no Location');
  }
  if (check.expectBody !== undefined) {
    wants.push(`body contains "${check.expectBody}"`);
    if (body === undefined) problems.push('the body of several answers is not kept; use requests: 1 with expectBody');
    else if (!body.includes(check.expectBody)) problems.push(`body lacks "${check.expectBody}"`);
  }
  const pods = new Set(answers.map((a) => a.pod));
  const echoPods = new Set(answers.flatMap((a) => (a.pod === null ? [] : [a.pod])));
  const clients = [...new Set(answers.map((a) => a.client ?? '(unknown)'))];
  // Every expectation but a spread reads every answer: one that names a pod it cannot prove fails it.
  const readsEvery = !!(check.expectPod || check.expectService || check.expectSticky || check.expectNoNat || check.expectSource || check.expectHeaders || check.expectPath !== undefined);
  if (readsEvery) problems.push(...disbelieved(judged));
  if (check.expectPod) {
    wants.push(`answered by pod ${check.expectPod}`);
    const others = [...pods].filter((p) => p !== check.expectPod);
    if (others.length) problems.push(`answered by ${others.map((p) => p ?? 'something that is not an http-echo pod').join(', ')}`);
  }
  if (check.expectSpread !== undefined) {
    wants.push(`at least ${check.expectSpread} different pods answer ${judged.length} requests`);
    if (echoPods.size < check.expectSpread) problems.push(`only ${echoPods.size} pod(s) answered: ${describeSpread(judged)}`);
  }
  if (check.expectService) {
    const { label, pods: backends } = check.expectService;
    wants.push(`answered by Service ${label}`);
    const ofService = (p: string | null) => p !== null && backends.some((b) => p === b || new RegExp(`^${b}-r\\d+$`).test(p));
    const others = [...pods].filter((p) => !ofService(p));
    if (others.length) problems.push(`answered by ${others.map((p) => (p === null ? 'something that is not an http-echo pod' : `pod ${p}`)).join(', ')}, not a pod of Service ${label} (${backends.join(', ') || 'none'})`);
  }
  if (check.expectHeaders) {
    const first = judged[0];
    for (const [k, v] of Object.entries(check.expectHeaders)) {
      wants.push(`server saw ${k}: ${v}`);
      const got = first?.claim === undefined ? first?.headers?.[k.toLowerCase()] : v; // not believed: said above
      if (got !== v) problems.push(got === undefined ? `server saw no ${k} header` : `server saw ${k}: ${got}`);
    }
  }
  if (check.expectPath !== undefined) {
    wants.push(`server saw path ${check.expectPath}`);
    const seen = answers.map((a) => a.path ?? '(not http-echo)').filter((p) => p !== check.expectPath);
    if (seen.length) problems.push(`server saw path ${[...new Set(seen)].join(', ')}`);
  }
  if (check.expectSticky) {
    wants.push(`one pod answers all ${judged.length} requests (session affinity)`);
    if (pods.size > 1) problems.push(`${pods.size} pods answered: ${describeSpread(judged)}`);
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
