/**
 * Cluster DNS of a live lab: changing its Corefile the way `kubectl edit configmap coredns` does.
 * The new Corefile is checked first (a Corefile that does not load changes nothing), written over
 * the one the DNS container sees at /etc/coredns/Corefile, and the server is told to reload
 * (SIGUSR1, as CoreDNS takes it) instead of waiting for the `reload` plugin's next look.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dnsServerOnly, NODE_LIBRARIES } from '../render/render.ts';
import { PROGRAMS } from './artifacts.ts';
import { checkCorefile } from '../dns/corefile/diagnostics.ts';
import type { Code, Diagnostic } from '../compile/diagnostics.ts';
import { RuntimeError } from './errors.ts';
import { writeFileAtomic } from '../lib/write-atomic.ts';
import type { Executor } from './exec.ts';
import { isAlive } from './procs.ts';
import { stateDir, writeState, type LabState } from './state.ts';

export class DnsError extends RuntimeError {
  constructor(
    code: Code,
    message: string,
    readonly diagnostics: Diagnostic[] = [],
  ) {
    super(code, message);
  }
}

/**
 * What a DNS server's container sees (contain --only): render's dnsServerOnly with this machine's
 * programs and the libraries that exist here — its own directory, the pod's resolv.conf and hosts
 * (cluster DNS), Node, the libraries, podlab-dns's bundle. Nothing else of the host: not
 * /etc/shadow, not /root, not the lab's state, not other labs. up.sh gives it the same view.
 */
export function dnsServerView(argv: readonly string[], pod: { system?: string }, node: string = PROGRAMS.node, bundle: string = PROGRAMS.dns): string[] {
  const view = dnsServerOnly(argv, pod, node, bundle, NODE_LIBRARIES.filter((p) => existsSync(p)));
  if (!view) throw new DnsError('PL3049', `the DNS server's command line has no absolute -conf path: ${argv.join(' ')}`);
  return view;
}

export const corefilePath = (state: LabState) => `${stateDir(state.lab)}/rendered/dns/Corefile`;

/** The DNS server's own process: the container's process is `unshare`, whose only child is the server (PID 1 of its namespace). */
export function dnsServerPid(state: LabState): number | undefined {
  const pod = state.plan.dns ? state.pods[state.plan.dns.pod] : undefined;
  const rec = pod?.containers[state.plan.dns!.pod];
  if (!rec || !isAlive(rec)) return undefined;
  try {
    const children = readFileSync(`/proc/${rec.pid}/task/${rec.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return children[0];
  } catch {
    return undefined;
  }
}

/** Installs a new Corefile (when given) and makes the server re-read it; returns the warnings the check found. */
export function reloadDns(ex: Executor, state: LabState, corefile?: string): Diagnostic[] {
  const dns = state.plan.dns;
  if (!dns) throw new DnsError('PL3046', `lab "${state.lab}" has no cluster DNS (dns: false)`);
  let warnings: Diagnostic[] = [];
  if (corefile !== undefined) {
    const { diagnostics } = checkCorefile(corefile, dns.files, ['dns', 'corefile'], 'Corefile');
    const errors = diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) throw new DnsError('PL3047', `the new Corefile does not load; the old one keeps serving`, errors);
    warnings = diagnostics;
    writeFileAtomic(corefilePath(state), corefile);
    state.plan = { ...state.plan, dns: { ...dns, corefile, corefileGiven: true } };
    writeState(state);
  }
  const pid = dnsServerPid(state);
  if (!pid) throw new DnsError('PL3048', `the DNS server of lab "${state.lab}" is not running (see podlab logs ${state.lab} kube-system/${dns.pod})`);
  ex.signal(pid, 'SIGUSR1');
  return warnings;
}

const RELOADED = /\[INFO\] Reloading complete|\[ERROR\] Restart failed/g;

/** reloadDns, then waits (up to `timeoutMs`) until the server's log says the reload finished; returns that line. */
export async function reloadDnsAndWait(ex: Executor, state: LabState, corefile?: string, timeoutMs = 5000): Promise<{ warnings: Diagnostic[]; outcome: string }> {
  const log = state.pods[state.plan.dns?.pod ?? '']?.containers[state.plan.dns?.pod ?? '']?.log;
  const read = () => (log && existsSync(log) ? readFileSync(log, 'utf8') : '');
  const before = read().match(RELOADED)?.length ?? 0;
  const warnings = reloadDns(ex, state, corefile);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = read().match(RELOADED) ?? [];
    if (seen.length > before) {
      const outcome = seen.at(-1)!;
      if (outcome.includes('failed')) throw new DnsError('PL3049', `the DNS server did not take the new Corefile: ${read().split('\n').reverse().find((l) => l.includes('Restart failed'))}`);
      return { warnings, outcome };
    }
    if (Date.now() > deadline) throw new DnsError('PL3049', `the DNS server did not finish reloading within ${timeoutMs} ms (see podlab logs ${state.lab} kube-system/${state.plan.dns!.pod})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
