/**
 * The dns kind: the command is `dig` in the check's source (so a pod's own /etc/resolv.conf —
 * nameserver, search list, ndots — applies unless a server is given), and the judge reads dig's
 * report: the status of the header, and the answer section's records.
 */
import { DNS } from '../../constants.ts';
import { diag, warning } from '../../compile/diagnostics.ts';
import { parseAddr } from '../../net/addr.ts';
import { findService } from '../../k8s/objects.ts';
import { resolveSource, resolveTarget, serviceLacksFamily, type Peers } from './targets.ts';
import { checkAt, type Check, type ProbeKind, type Stage, type Stages } from './kind.ts';

export interface DnsQuery {
  query: string;
  type: 'A' | 'AAAA' | 'SRV' | 'CNAME' | 'PTR' | 'TXT' | 'NS' | 'SOA' | 'MX';
  tcp: boolean;
  expectRcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED';
  expectAnswers: string[];
  expectEmpty: boolean;
}

export type DnsCheck<S extends Stage> = Check<
  S,
  'dns',
  {
    from: Stages[S]['source'];
    /** The server asked: as written (`resolv.conf` when the source's own); planned, ip '' for the source's own resolver. */
    to: Stages[S]['target'];
    dns: DnsQuery;
    /** As written: the family of the server's address (a Service's or host's in a lab with both). */
    family?: 'IPv4' | 'IPv6';
  }
>;

export const dns: ProbeKind<'dns', DnsCheck<'lab'>, DnsCheck<'plan'>> = {
  kind: 'dns',
  normalize(c, index, at) {
    const type = c.type ?? 'A';
    return {
      index,
      at,
      kind: 'dns',
      timeoutMs: c.timeoutMs ?? 5000,
      from: c.from,
      to: c.server ?? 'resolv.conf',
      ...(c.family ? { family: c.family } : {}),
      dns: { query: c.query, type, tcp: c.tcp ?? false, expectRcode: c.expectRcode ?? 'NOERROR', expectAnswers: c.expectAnswers ?? [], expectEmpty: c.expectEmpty ?? false },
      name: c.name ?? `${c.from} resolves ${c.query} ${type}${c.server ? ` at ${c.server}${c.family ? ` (${c.family})` : ''}` : ''}${c.expectRcode && c.expectRcode !== 'NOERROR' ? ` → ${c.expectRcode}` : ''}`,
    };
  },
  /** The server: the source's own resolver (pods only: nodes and hosts have no resolv.conf of the lab's), an address, a host or a Service. */
  validate(lab, c, out) {
    const at = checkAt(c);
    const server = c.to;
    if (server === 'resolv.conf') {
      if (c.from.startsWith('node/') || c.from.startsWith('host/'))
        out.push(diag('PL2014', at('server'), `check "${c.name}" runs on ${c.from}, which has no lab resolver of its own`, 'Give server: (e.g. "svc/kube-system/kube-dns" or "host/upstream"), or run it from a pod.'));
      if (!lab.dns && !lab.pods.find((p) => p.name === c.from)?.dnsConfig)
        out.push(warning('PL2014', at('from'), `check "${c.name}" uses the pod's resolver, but the lab has no cluster DNS (dns: false)`));
    } else if (server.startsWith('host/')) {
      if (!lab.hosts.some((h) => h.name === server.slice(5))) out.push(diag('PL2012', at('server'), `check "${c.name}" asks host "${server.slice(5)}", which the lab does not declare`));
    } else if (server.startsWith('svc/')) {
      const ref = server.slice(4);
      const isDns = !!lab.dns && ref === `${DNS.namespace}/${DNS.serviceName}`;
      if (!isDns && !findService(lab.services, ref)) out.push(diag('PL2012', at('server'), `check "${c.name}" asks Service "${ref}", which the lab does not declare`, lab.dns ? `The cluster DNS Service is svc/${DNS.namespace}/${DNS.serviceName}.` : undefined));
    } else if (parseAddr(server) === undefined)
      out.push(diag('PL2012', at('server'), `check "${c.name}": server "${server}" is not an IPv4 or IPv6 address, host/<name> or svc/<namespace>/<name>`));
    if (c.family) {
      if (lab.ipFamilies && !lab.ipFamilies.includes(c.family))
        out.push(diag('PL2404', at('family'), `check "${c.name}" asks its server over ${c.family}, but the lab is ${lab.ipFamilies.join('-')}-only`, "Add ipFamilies: ['IPv4', 'IPv6'] to the lab for dual stack."));
      else if (!server.startsWith('svc/') && !server.startsWith('host/'))
        out.push(diag('PL2411', at('family'), `check "${c.name}" gives family ${c.family}, but its server is ${server === 'resolv.conf' ? "the pod's resolv.conf nameserver" : `the address ${server}`}, which has one family already`, 'family picks the address of a server written as svc/<namespace>/<name> or host/<name>; leave it out, or name the server that way.'));
    }
    if (c.dns.type === 'PTR' && parseAddr(c.dns.query) === undefined)
      out.push(diag('PL2014', at('query'), `check "${c.name}" is a PTR lookup of "${c.dns.query}", which is not an IPv4 or IPv6 address`, 'Write the address itself (e.g. "10.96.0.10" or "fd00:10:96::a"); podlab asks for its in-addr.arpa or ip6.arpa name.'));
    c.dns.expectAnswers.forEach((w, i) => {
      const known = w.startsWith('pod/')
        ? lab.pods.some((p) => p.name === w.slice(4))
        : w.startsWith('svc/')
          ? !!findService(lab.services, w.slice(4)) || (!!lab.dns && w === `svc/${DNS.namespace}/${DNS.serviceName}`)
          : w.startsWith('host/')
            ? lab.hosts.some((h) => h.name === w.slice(5))
            : true;
      if (!known) out.push(diag('PL2012', at('expectAnswers', i), `check "${c.name}" expects the address of "${w}", which the lab does not declare`));
      else if (w.startsWith('svc/') && (c.dns.type === 'AAAA' || c.dns.type === 'A') && !(lab.ipFamilies ?? ['IPv4']).includes(c.dns.type === 'AAAA' ? 'IPv6' : 'IPv4')) {
        // No Service of the lab has an address of a family the lab lacks, whatever its ipFamilyPolicy says.
        const lacking = c.dns.type === 'AAAA' ? 'IPv6' : 'IPv4';
        out.push(diag('PL2404', at('expectAnswers', i), `check "${c.name}" expects the ${c.dns.type} record of "${w}", but the lab is ${(lab.ipFamilies ?? ['IPv4']).join('-')}-only: no Service has an ${lacking} cluster IP`, "Add ipFamilies: ['IPv4', 'IPv6'] to the lab for dual stack."));
      } else if (w.startsWith('svc/') && (c.dns.type === 'AAAA' || c.dns.type === 'A')) {
        const service = findService(lab.services, w.slice(4));
        const lacking = service && serviceLacksFamily(service, c.dns.type === 'AAAA' ? 'IPv6' : 'IPv4', 'cluster IP');
        if (lacking) out.push(diag('PL2426', at('expectAnswers', i), `check "${c.name}" expects the ${c.dns.type} record of "${w}", but ${lacking.message}`, lacking.hint));
      }
    });
    if (c.dns.expectEmpty && c.dns.expectAnswers.length)
      out.push(diag('PL2014', at('expectEmpty'), `check "${c.name}" expects no answers and also answers ${c.dns.expectAnswers.join(', ')}`));
  },
  plan(c, peers) {
    const to = c.to === 'resolv.conf' ? { kind: 'ip' as const, name: 'resolv.conf', ip: '' } : resolveTarget(peers, c.to, 'UDP', c.family);
    return { index: c.index, name: c.name, kind: 'dns', from: resolveSource(peers, c.from), to: { kind: to.kind, name: to.name, ip: to.ip }, timeoutMs: c.timeoutMs, dns: c.dns };
  },
  probe(c) {
    const q = c.dns;
    const fqdn = q.query.endsWith('.');
    return [
      'dig',
      '+tries=1',
      '+time=1',
      ...(q.tcp ? ['+tcp'] : []),
      // Like a program's lookup: a relative name goes through the search list (with ndots).
      ...(!fqdn && q.type !== 'PTR' ? ['+search'] : []),
      ...(c.to.ip ? [`@${c.to.ip}`] : []),
      ...(q.type === 'PTR' ? ['-x', q.query] : [q.query, q.type]),
    ];
  },
  judge(plan, c, r) {
    const q = { ...c.dns, expectAnswers: c.dns.expectAnswers.map((w) => expectedAnswer(plan, w, c.dns.type === 'AAAA' ? 'IPv6' : c.dns.type === 'A' ? 'IPv4' : undefined)) };
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
    // An answer (NXDOMAIN, or records other than expected) is definite: a server said so.
    return { ok: problems.length === 0, expected, seen: problems.length ? `${seen} — ${problems.join(', ')}` : seen, ...(problems.length ? { definite: true } : {}) };
  },
};

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
 * Service's cluster IP, `host/<name>` the host's address — of the record's family (an A answer is
 * IPv4, an AAAA one IPv6; a lab with one family has one); anything else is taken as written.
 */
export function expectedAnswer(plan: Peers, want: string, family?: 'IPv4' | 'IPv6'): string {
  const pick = (one: string | undefined, list?: readonly string[]) => (family && list?.find((a) => a.includes(':') === (family === 'IPv6'))) ?? list?.[0] ?? one;
  if (want.startsWith('pod/')) {
    const p = plan.pods.find((x) => x.name === want.slice(4));
    return (p && pick(p.ip, p.ips)) ?? want;
  }
  if (want.startsWith('svc/')) {
    const s = findService(plan.services, want.slice(4));
    return (s && pick(s.clusterIP, s.clusterIPs)) ?? want;
  }
  if (want.startsWith('host/')) {
    const h = plan.hosts.find((x) => x.name === want.slice(5));
    return (h && pick(h.ip, h.ips)) ?? want;
  }
  return want;
}
