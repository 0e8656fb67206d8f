/**
 * `podlab capture`: tcpdump on an interface of a live lab's pod, node, outside host or gateway.
 * Only the target's network namespace is entered (tcpdump needs nothing else of a pod, and a
 * capture file then lands where the user asked, in the host's filesystem). Which namespace and
 * interface, and the argv, are decided here; the CLI runs it with the terminal attached.
 */
import { NETNS_RUN_DIR } from '../constants.ts';
import { diag, type Diagnostic } from '../compile/diagnostics.ts';
import { findTarget, TargetError, type LabTarget } from './enter.ts';
import type { Executor } from './exec.ts';
import type { LabState } from './state.ts';

export interface CaptureOptions {
  /** The interface; default eth0 in a pod or host, every interface ('any') in a node or the gateway. */
  iface?: string;
  /** Stop after this many packets. */
  count?: number;
  /** Write the packets to this pcap file instead of printing them. */
  write?: string;
  /** A tcpdump filter expression, as words (`icmp`, `tcp port 80`). */
  filter?: string[];
}

export interface CaptureTarget {
  /** What is captured, for messages: `pod default/web`, `node worker-1`. */
  what: string;
  netns: string;
  defaultIface: string;
}

/** The namespace behind `pod`, `namespace/pod`, `node/<name>`, `host/<name>` or `gateway` (as `exec` finds it); a PL3030 naming what exists otherwise; a pod of the plan that does not run (deleted) is PL3033, as exec, logs and trace say it. */
export function captureTarget(state: LabState, target: string): CaptureTarget | Diagnostic {
  let t: LabTarget;
  try {
    t = findTarget(state.plan, target);
  } catch (e) {
    if (e instanceof TargetError) return diag('PL3030', [], e.message, `Name a pod (or namespace/pod), node/<name>${state.plan.hosts.length ? ', host/<name>' : ''}${state.plan.gateway ? ' or gateway' : ''}.`);
    throw e;
  }
  if (t.kind === 'pod' && !state.pods[t.pod.name]) return diag('PL3033', [], `pod ${t.pod.namespace}/${t.pod.name} of lab "${state.plan.lab}" is not running (deleted?)`, `See podlab status ${state.plan.lab}.`);
  // A pod or host has its own eth0; a node, the gateway and a hostNetwork pod (its node's network) have several links.
  const ownLink = t.kind === 'host' || (t.kind === 'pod' && !t.pod.hostNetwork);
  return { what: t.what, netns: t.netns, defaultIface: ownLink ? 'eth0' : 'any' };
}

/** The interfaces of a namespace, by name. */
export async function interfacesOf(ex: Executor, netns: string): Promise<string[]> {
  const r = await ex.run(['ip', '-n', netns, '-j', 'link', 'show']);
  if (r.exitCode !== 0) return [];
  return (JSON.parse(r.stdout) as { ifname: string }[]).map((l) => l.ifname).sort();
}

/** The tcpdump command for a target, or a PL3031 naming the interfaces that exist. */
export async function captureArgv(ex: Executor, t: CaptureTarget, o: CaptureOptions): Promise<string[] | Diagnostic> {
  const iface = o.iface ?? t.defaultIface;
  if (iface !== 'any') {
    const known = await interfacesOf(ex, t.netns);
    if (!known.includes(iface))
      return diag('PL3031', [], `${t.what} has no interface "${iface}"`, `Its interfaces: ${known.join(', ') || '(none: is the lab up?)'}, or "any".`);
  }
  return [
    'nsenter',
    `--net=${NETNS_RUN_DIR}/${t.netns}`,
    '--',
    'tcpdump',
    '-n',
    // Line-buffered, so a learner (or a pipe) sees each packet as it passes.
    '-l',
    '-i',
    iface,
    ...(o.count !== undefined ? ['-c', String(o.count)] : []),
    ...(o.write ? ['-w', o.write] : []),
    ...(o.filter ?? []),
  ];
}
