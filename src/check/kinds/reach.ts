/**
 * What the reachability kinds (ping, tcp, udp, http) share: their fields, their defaults, the
 * rules on their source, target and port, how a target is resolved, and the verdict "reaches /
 * does not reach" every one of their judges ends in.
 */
import * as ip from '../../net/ipv4.ts';
import { parseAddr } from '../../net/addr.ts';
import { diag, warning, type Diagnostic } from '../../compile/diagnostics.ts';
import { findService } from '../../k8s/objects.ts';
import { DNS } from '../../constants.ts';
import { resolveSource, resolveTarget, serviceLacksFamily, type Peers } from './targets.ts';
import { checkAt, lastLine, type Check, type Expect, type LabView, type ProbeOutput, type SpecOf, type Stage, type Stages, type Verdict } from './kind.ts';

export type ReachKindName = 'ping' | 'tcp' | 'udp' | 'http';

export interface ReachFields<S extends Stage> {
  from: Stages[S]['source'];
  /** A pod, node/<name>, host/<name>, svc/…, lb/… or an address; planned: with its address. */
  to: Stages[S]['target'];
  expect: Expect;
  /** As written; planned, a Service target's first port of the protocol when none was written. */
  port?: number;
  /** As written: the target's address family (a dual-stack lab's pods, nodes and Services have one address per family). */
  family?: 'IPv4' | 'IPv6';
}

export type ReachCheck<S extends Stage, K extends ReachKindName> = Check<S, K, ReachFields<S>>;

const DEFAULT_TIMEOUT_MS = 5000;

/** `request`: what the check asks beyond its target (an http check's URL), in its default name. */
export function normalizeReach<K extends ReachKindName>(c: SpecOf<ReachKindName> & { kind: K }, index: number, at: (string | number)[], request?: string): ReachCheck<'lab', K> {
  const port = 'port' in c ? c.port : undefined;
  const expect = c.expect ?? 'reach';
  return {
    index,
    at,
    kind: c.kind,
    from: c.from,
    to: c.to,
    expect,
    timeoutMs: c.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    port,
    ...('family' in c && c.family ? { family: c.family } : {}),
    name: c.name ?? `${c.kind} ${c.from} → ${c.to}${port ? `:${port}` : ''}${request ? `: ${request}` : ''}${'family' in c && c.family ? ` (${c.family})` : ''}${expect === 'no-reach' ? ' (must fail)' : ''}`,
  };
}

/** The cluster DNS Service the lab does not declare but always has (unless dns: false): a check may aim at it, e.g. to show a policy denies DNS. */
const kubeDns = (lab: LabView): LabView['services'][number] => ({
  name: DNS.serviceName,
  namespace: DNS.namespace,
  type: 'ClusterIP',
  ports: DNS.ports.map((p) => ({ port: p.containerPort, protocol: p.protocol })),
  ipFamilies: lab.ipFamilies ?? ['IPv4'],
});

/**
 * The target is a pod, node, host, Service with a port of the protocol, or an address; a port is
 * given unless a Service supplies one. `between` adds the kind's own rules (http's), in the place
 * their diagnostics read best: after the port, before the warning about an undeclared pod port.
 */
export function validateReach(lab: LabView, c: ReachCheck<'lab', ReachKindName>, out: Diagnostic[], between?: () => void): void {
  const at = checkAt(c);
  const pods = new Set(lab.pods.map((p) => p.name));
  const nodes = new Set(lab.nodes.map((n) => n.name));
  const hosts = new Set(lab.hosts.map((h) => h.name));
  const machine = (ref: string) => (ref.startsWith('node/') ? nodes.has(ref.slice(5)) : ref.startsWith('host/') ? hosts.has(ref.slice(5)) : pods.has(ref));
  let service: LabView['services'][number] | undefined;
  if (c.to.startsWith('svc/') || c.to.startsWith('lb/')) {
    const lb = c.to.startsWith('lb/');
    const ref = c.to.slice(lb ? 3 : 4);
    service = findService(lab.services, ref) ?? (!lb && ref === `${DNS.namespace}/${DNS.serviceName}` && lab.dns ? kubeDns(lab) : undefined);
    if (!service)
      out.push(diag('PL2012', at('to'), `check "${c.name}" targets Service "${ref}", which the lab does not declare`, ref === `${DNS.namespace}/${DNS.serviceName}` && !lab.dns ? 'The lab has no cluster DNS (dns: false), so no kube-dns Service.' : 'Write svc/<name> for the default namespace, or svc/<namespace>/<name>.'));
    else if (lb && service.type !== 'LoadBalancer') out.push(diag('PL2012', at('to'), `check "${c.name}" targets the load-balancer address of "${service.name}", which is of type ${service.type}`, `Make it type: 'LoadBalancer' and give the lab a loadBalancer: { pool: '<CIDR>' } if it has none${service.type === 'NodePort' ? `, or aim at a node's NodePort: to: 'node/<name>', port: its nodePort` : service.type === 'ClusterIP' && service.clusterIP !== 'None' ? `, or aim at its cluster IP: to: 'svc/${c.to.slice(3)}'` : ''}.`));
    else if (!lb && (service.type === 'ExternalName' || service.clusterIP === 'None'))
      out.push(diag('PL2012', at('to'), `check "${c.name}" targets Service "${service.name}", which has no cluster IP (${service.type === 'ExternalName' ? 'ExternalName' : 'headless'})`));
    else {
      const protocol = c.kind === 'udp' ? 'UDP' : 'TCP';
      const ports = service.ports.filter((p) => p.protocol === protocol);
      if (c.port !== undefined && !ports.some((p) => p.port === c.port))
        out.push(diag('PL2014', at('port'), `check "${c.name}": Service "${service.name}" has no ${protocol} port ${c.port}`, `Its ports: ${service.ports.map((p) => `${p.port}/${p.protocol}`).join(', ')}.`));
      else if (c.kind !== 'ping' && !ports.length)
        out.push(diag('PL2014', at('kind'), `check "${c.name}" is a ${c.kind} check, but Service "${service.name}" has no ${protocol} port`, `Its ports: ${service.ports.map((p) => `${p.port}/${p.protocol}`).join(', ')}.`));
    }
  } else if (!machine(c.to) && ip.parseIp(c.to) === undefined && parseAddr(c.to)?.family !== 'IPv6')
    out.push(diag('PL2012', at('to'), `check "${c.name}" targets "${c.to}", which is not a pod, node/<name>, host/<name>, svc/<name>, lb/<name> or IPv4 address of this lab`));
  if (c.family && lab.ipFamilies && !lab.ipFamilies.includes(c.family))
    out.push(diag('PL2404', at('family'), `check "${c.name}" asks for ${c.family}, but the lab is ${lab.ipFamilies.join('-')}-only`, "Add ipFamilies: ['IPv4', 'IPv6'] to the lab for dual stack."));
  else if (c.family && service) {
    const lacking = serviceLacksFamily(service, c.family, c.to.startsWith('lb/') ? 'load-balancer address' : 'cluster IP');
    if (lacking) out.push(diag('PL2426', at('family'), `check "${c.name}" asks for ${c.family}, but ${lacking.message}`, lacking.hint));
  }
  // (A Service the lab lacks is PL2012 above: its port is not asked for as well.)
  if (c.kind !== 'ping' && c.port === undefined && !service && !/^(svc|lb)\//.test(c.to))
    out.push(diag('PL2014', at(), `check "${c.name}" needs a port`, 'Give port: …; it may be left out only when the target is a Service (svc/… or lb/…).'));
  between?.();
  // From outside the cluster a cluster IP is no address at all: only nodes and pods have kube-proxy's rules for it.
  if (service && !c.to.startsWith('lb/') && c.from.startsWith('host/') && c.expect === 'reach' && service.type !== 'ExternalName' && service.clusterIP !== 'None')
    out.push(
      warning(
        'PL2014',
        at('to'),
        `check "${c.name}" goes from ${c.from}, outside the cluster, to the cluster IP of Service "${service.namespace}/${service.name}": only nodes and pods reach a cluster IP, so it cannot pass`,
        service.type === 'LoadBalancer' ? `Aim at its load-balancer address: to: 'lb/${service.namespace}/${service.name}'.` : service.type === 'NodePort' ? "Aim at a node's NodePort: to: 'node/<name>', port: <its nodePort>." : "Make it a NodePort or LoadBalancer Service (as an outside client needs), or check from a pod or node.",
      ),
    );
  const target = lab.pods.find((p) => p.name === c.to);
  const declared = target?.containers.some((k) => k.ports.some((p) => p.containerPort === c.port));
  if (target && c.port && c.expect === 'reach' && !declared)
    out.push(warning('PL2014', at('port'), `check "${c.name}" expects pod "${target.name}" to answer on port ${c.port}, but none of its containers declares it`));
  // In a lab with policies, a check that expects no answer from a closed port passes on the refusal: it says nothing of the policies.
  const policies = !!(lab.networkPolicies?.length || lab.clusterNetworkPolicies?.length);
  if (target && c.port && c.kind !== 'ping' && c.expect !== 'reach' && !declared && policies)
    out.push(
      warning(
        'PL2014',
        at('port'),
        `check "${c.name}" expects pod "${target.name}" not to answer on port ${c.port}, which none of its containers declares: nothing listens there, so it passes whether or not a policy stops it`,
        `Aim it at a port the pod serves (${target.containers.flatMap((k) => k.ports.map((p) => p.containerPort)).join(', ') || 'it declares none'}), so that only a policy can make it pass.`,
      ),
    );
}

export function planReach<K extends ReachKindName>(c: ReachCheck<'lab', K>, peers: Peers): ReachCheck<'plan', K> {
  const to = resolveTarget(peers, c.to, c.kind === 'udp' ? 'UDP' : 'TCP', c.family);
  return {
    index: c.index,
    name: c.name,
    kind: c.kind,
    from: resolveSource(peers, c.from),
    to: { kind: to.kind, name: to.name, ip: to.ip },
    expect: c.expect,
    timeoutMs: c.timeoutMs,
    port: c.port ?? to.port,
  };
}

/** What the native probe prints last: one JSON line. */
export interface ProbeReport {
  ok?: boolean;
  /** The failure's errno name (ECONNREFUSED, ETIMEDOUT, …). */
  code?: string;
  status?: number;
  body?: string;
  error?: string;
  local?: string;
  remote?: string;
}

export function readProbeReport<T extends ProbeReport>(r: ProbeOutput): T {
  try {
    return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}');
  } catch {
    return { ok: false, error: lastLine(r) } as T;
  }
}

/**
 * "reaches X" or "does not reach X", judged against whether it was reached; `extra` is what the
 * kind checks beyond reaching (only when it was meant to reach and did).
 */
export function reachVerdict(check: ReachCheck<'plan', ReachKindName>, reached: boolean, seen: string, extra?: Verdict, refused = false): Verdict {
  const wantReach = check.expect === 'reach';
  const target = `${check.to.name}${check.to.kind === 'ip' ? '' : ` (${check.to.ip})`}${check.port ? `:${check.port}` : ''}`;
  const expected = `${wantReach ? 'reaches' : 'does not reach'} ${target}`;
  if (extra) return { ok: extra.ok, expected: `${expected}; ${extra.expected}`, seen: extra.ok ? seen : `${seen} — ${extra.seen}` };
  const ok = reached === wantReach;
  return { ok, expected, seen, ...(!ok && refused ? { definite: true } : {}) };
}

/** The probe was refused (a reset, or ICMP port unreachable): something answered "no one here". */
export function wasRefused(out: ProbeReport): boolean {
  return out.ok !== true && (out.code === 'ECONNREFUSED' || /\bECONNREFUSED\b/.test(out.error ?? ''));
}

/** One attempt's time budget inside a probe. */
export const ATTEMPT_TIMEOUT_MS = 1000;
