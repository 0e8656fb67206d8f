/**
 * Pods of a live lab coming and going, as a ReplicaSet makes them: a pod is deleted (its
 * processes stopped, CNI DEL, its namespace removed) and created again in a new sandbox with a new
 * IP; the Services that select it follow, because the kube-proxy tables are re-synced with the
 * endpoints of the moment. Also the hosts outside the cluster, whose programs run like containers.
 */
import * as ip from '../net/ipv4.ts';
import { formatAddr, nth, parseAddr, parsePrefix } from '../net/addr.ts';
import { nextFreeAddress, podAddresses } from '../plan/addresses.ts';
import type { PlanPod } from '../plan/plan.ts';
import { cniAdd, cniDel } from './cni.ts';
import { must, type Executor } from './exec.ts';
import { PAUSE_BIN } from './artifacts.ts';
import { killAllOfUid, recordOf, stopProcesses } from './procs.ts';
import { endContainerUids } from './uids.ts';
import { syncServices, type SyncReport } from './services.ts';
import { stateDir, writeState, type LabState } from './state.ts';
import { pauseArgv } from '../render/render.ts';
import { containerId, netns, replicaName } from '../plan/names.ts';
import { freshLogs, startContainers } from './sandbox.ts';
import { mountFrom } from './sandbox-join.ts';
import { RuntimeError } from './errors.ts';
import { calicoPodIp, calicoPodIp6 } from './calico-ipam.ts';

export class PodError extends RuntimeError {}

function planPod(state: LabState, name: string): PlanPod {
  const pod = state.plan.pods.find((p) => p.name === name);
  if (!pod) throw new PodError('PL3030', `lab "${state.lab}" has no pod "${name}"; pods: ${state.plan.pods.map((p) => p.name).join(', ')}`);
  return pod;
}

/**
 * The address a re-created pod gets: the next host number of its node's pod CIDR after every
 * address handed out so far (wrapping to the first free one), so it visibly differs from the old one.
 */
export function nextPodIp(state: LabState, pod: PlanPod): string {
  const node = state.plan.nodes.find((n) => n.name === pod.node)!;
  if (node.podCidr.includes(':')) return nextPodIp6(state, pod, node.podCidr);
  const cidr = ip.parseCidr(node.podCidr)!;
  const inUse = new Set(
    state.plan.pods.filter((p) => p.node === pod.node && state.pods[p.name]?.ip).map((p) => ip.parseIp(state.pods[p.name]!.ip!)!),
  );
  const planned = state.plan.pods.filter((p) => p.node === pod.node && !p.hostNetwork).map((p) => ip.parseIp(p.ip)! - cidr.network);
  const next = (state.nextPodHost ??= {});
  const chosen = nextFreeAddress(cidr, inUse, next[pod.node] ?? Math.max(1, ...planned) + 1);
  next[pod.node] = chosen.next;
  return chosen.ip;
}

/** nextPodIp in an IPv6-only lab: the same choice of host number, in the node's IPv6 slice. */
function nextPodIp6(state: LabState, pod: PlanPod, podCidr: string): string {
  const slice = parsePrefix(podCidr)!;
  const host = (a: string) => Number(parseAddr(a)!.value - slice.network);
  const inUse = new Set(state.plan.pods.filter((p) => p.node === pod.node && state.pods[p.name]?.ip).map((p) => host(state.pods[p.name]!.ip!)));
  const planned = state.plan.pods.filter((p) => p.node === pod.node && !p.hostNetwork).map((p) => host(p.ip));
  const next = (state.nextPodHost ??= {});
  // The hosts an IPv4 /24 slice would have: host numbers stay small and read alike in both setups.
  const chosen = nextFreeAddress({ network: 0, prefix: 24 }, inUse, next[pod.node] ?? Math.max(1, ...planned) + 1);
  next[pod.node] = chosen.next;
  return formatAddr(nth(slice, ip.parseIp(chosen.ip)!)!);
}

/**
 * Deletes a pod: containers and sandbox stopped, then every process left of each container's uid
 * (what it forked out of its process group) and the uids freed, CNI DEL (IPAM released), namespace
 * removed; Services re-synced.
 */
export async function deletePod(ex: Executor, state: LabState, name: string, options: { sync?: boolean } = {}): Promise<SyncReport | undefined> {
  const pod = planPod(state, name);
  const ps = state.pods[name];
  if (!ps) throw new PodError('PL3033', `pod "${name}" of lab "${state.lab}" is not running (already deleted?)`);
  const containers = Object.values(ps.containers);
  await stopProcesses(ex, containers);
  await Promise.all([
    endContainerUids(containers.flatMap((c) => (c.uid === undefined ? [] : [{ uid: c.uid, holder: c }])), killAllOfUid(ex)),
    ps.pause ? stopProcesses(ex, [ps.pause]) : undefined,
  ]);
  if (!pod.hostNetwork) {
    const node = state.plan.nodes.find((n) => n.name === pod.node)!;
    await cniDel(ex, node, pod, ps.cniResult);
    await ex.run(['ip', 'netns', 'del', pod.netns]);
  }
  delete state.pods[name];
  writeState(state);
  if (options.sync === false) return undefined;
  const report = await syncServices(ex, state);
  writeState(state);
  return report;
}

/** Creates a deleted pod again: a new namespace and sandbox, a new IP, its containers; Services re-synced. */
export async function createPod(ex: Executor, state: LabState, name: string, options: { sync?: boolean } = {}): Promise<{ ip: string; sync?: SyncReport }> {
  const planned = planPod(state, name);
  if (state.pods[name]) throw new PodError('PL3034', `pod "${name}" of lab "${state.lab}" is running; delete it first (or use recreate)`);
  const onCalico = state.plan.nodes.find((n) => n.name === planned.node)?.cni.type === 'calico';
  // Calico: its block IPAM at run time (own block, a new block, or borrowed); other modes: the next free address of the node's slice.
  const node = state.plan.nodes.find((n) => n.name === planned.node)!;
  // An IPv6-only Calico node has IPv6 blocks alone: the pod's one address is the next of them.
  const only6 = onCalico && (node.cni as { ipv6?: { only?: true } }).ipv6?.only === true;
  const newIp = planned.hostNetwork ? undefined : only6 ? (await calicoPodIp6(ex, state, planned))!.ip : onCalico ? (await calicoPodIp(ex, state, planned)).ip : nextPodIp(state, planned);
  // Dual stack: the new IPv4 address's host number in the node's IPv6 slice too, so the pod keeps an IPv6 endpoint.
  // A dual-stack Calico node numbers IPv6 pods from its own IPv6 blocks (not the IPv4 host number).
  const ip6 = newIp !== undefined && onCalico && !only6 ? (await calicoPodIp6(ex, state, planned))?.ip : undefined;
  const ips = newIp === undefined ? planned.ips : only6 ? [newIp] : ip6 ? planned.ips.map((a) => (a.includes(':') ? ip6 : newIp)) : podAddresses(node, newIp);
  const pod: PlanPod = newIp === undefined ? planned : { ...planned, ip: newIp, ips };
  const ps: LabState['pods'][string] = (state.pods[name] = { containers: {} });
  try {
    if (!pod.hostNetwork) await must(ex, ['ip', 'netns', 'add', pod.netns]);
    // The new sandbox's /etc/hosts names its new address (pause writes it from `pod`); a hostNetwork
    // pod's sandbox joins its node's network namespace.
    const pid = await ex.spawn(pauseArgv(state.plan, pod, PAUSE_BIN, `${stateDir(state.lab)}/rendered`, mountFrom(state)), { readyLine: 'ready' });
    ps.pause = recordOf(pid);
    writeState(state);
    if (!pod.hostNetwork) {
      ps.cniResult = await cniAdd(ex, state.plan.nodes.find((n) => n.name === pod.node)!, pod);
    }
    ps.ip = pod.ip;
    if (pod.ips.length > 1) ps.ips = pod.ips;
    writeState(state);
    freshLogs(state.lab, pod);
    await startContainers(ex, state.plan, state, pod);
  } catch (e) {
    // Nothing half-made stays behind: the pod is as deleted as before.
    await deletePod(ex, state, name, { sync: false }).catch(() => undefined);
    throw e;
  }
  if (options.sync === false) return { ip: pod.ip };
  const sync = await syncServices(ex, state);
  writeState(state);
  return { ip: pod.ip, sync };
}

/** Delete, then create: what `kubectl delete pod` looks like under a ReplicaSet. */
export async function recreatePod(ex: Executor, state: LabState, name: string): Promise<{ oldIp?: string; ip: string; sync: SyncReport }> {
  const oldIp = state.pods[name]?.ip;
  await deletePod(ex, state, name, { sync: false });
  const { ip: newIp, sync } = await createPod(ex, state, name);
  return { oldIp, ip: newIp, sync: sync! };
}

/** A pod and the copies a scale made of it, in replica order (the pod itself first). */
export function replicaSet(state: LabState, name: string): PlanPod[] {
  const copies = state.plan.pods.filter((p) => p.replicaOf === name).sort((a, b) => a.replica! - b.replica!);
  return [planPod(state, name), ...copies];
}

/**
 * Runs `replicas` pods of a pod's kind, as a Deployment's ReplicaSet does: the pod itself, then
 * copies `<pod>-r2`, `<pod>-r3`, … on its node with its labels and containers, each in a sandbox
 * of its own with the next free IP. Scaling down deletes the highest-numbered first (and the
 * copies leave the state's plan); 0 deletes the pod itself too. Services are re-synced once.
 */
export async function scalePod(ex: Executor, state: LabState, name: string, replicas: number): Promise<{ created: string[]; deleted: string[]; sync: SyncReport }> {
  const template = planPod(state, name);
  if (template.replicaOf) throw new PodError('PL3035', `pod "${name}" is a copy of "${template.replicaOf}"; scale that one`);
  const created: string[] = [];
  const deleted: string[] = [];
  const wanted = (p: PlanPod) => (p.replica ?? 1) <= replicas;
  for (const p of replicaSet(state, name).reverse()) {
    if (wanted(p)) continue;
    if (state.pods[p.name]) {
      await deletePod(ex, state, p.name, { sync: false });
      deleted.push(p.name);
    }
    if (p.replicaOf) state.plan = { ...state.plan, pods: state.plan.pods.filter((q) => q !== p) };
  }
  writeState(state);
  for (let n = 1; n <= replicas; n++) {
    const podName = n === 1 ? name : replicaName(name, n);
    if (!state.plan.pods.some((p) => p.name === podName)) {
      const copy: PlanPod = {
        ...template,
        name: podName,
        hostname: podName,
        netns: netns.pod(state.lab, template.namespace, podName),
        // Built-in workloads answer with the name they were started with.
        containers: template.containers.map((c) => ({ ...c, argv: c.argv.map((a, i) => (c.argv[i - 1] === '--pod' && a === name ? podName : a)) })),
        containerId: containerId(state.lab, template.namespace, podName),
        replicaOf: name,
        replica: n,
      };
      state.plan = { ...state.plan, pods: [...state.plan.pods, copy] };
      writeState(state);
    }
    if (!state.pods[podName]) {
      await createPod(ex, state, podName, { sync: false });
      created.push(podName);
    }
  }
  const sync = await syncServices(ex, state);
  writeState(state);
  return { created, deleted, sync };
}
