/**
 * `podlab get pods|svc|endpoints|nodes [lab] [-n ns | -A] [-o wide|json|yaml]` (pods also
 * `-l selector`, `--show-labels`): the live lab in kubectl's layout, for kubectl habits. A thin reader of the live state (runtime/status.ts, the
 * same as `podlab status`), so that it and any other reader of that state agree.
 * Exit codes: 0 printed, 2 podlab could not read it (no such lab, more than one lab up and none named, bad option).
 */
import { Argument, InvalidArgumentError, Option, type Command } from 'commander';
import { diag } from '../compile/diagnostics.ts';
import { NOTHING_CHANGED } from '../constants.ts';
import { createRequire } from 'node:module';
import { allStatus, containerReady, labStatus, lastStateOf, nodeFailed, podReady, shownContainers, stoppedStateOf, type LabStatus } from '../runtime/status.ts';
import { labName, labPrefix, notUpExit, prefixNamed } from './common.ts';
import { printHostProblems, unprefixed, usageExit } from './basics.ts';
import { nodeInfo } from '../lib/node-info.ts';
import { formatEndpoints, formatLabels, humanDuration, podStatusColumn, restartsColumn } from '../k8s/printers.ts';
import { labelsMatch, parseLabelSelector, type Requirement } from '../api/selectors.ts';

const RESOURCES: Record<string, 'pods' | 'services' | 'endpoints' | 'nodes'> = {
  pods: 'pods', pod: 'pods', po: 'pods',
  services: 'services', service: 'services', svc: 'services',
  endpoints: 'endpoints', endpoint: 'endpoints', ep: 'endpoints',
  nodes: 'nodes', node: 'nodes', no: 'nodes',
};
const OUTPUTS = ['wide', 'json', 'yaml'] as const;

type Resource = (typeof RESOURCES)[string];

/** `<resource>`'s parser: kubectl's names and short names; anything else is a usage error (PL3141). */
function resourceOf(what: string): Resource {
  const r = RESOURCES[what.toLowerCase()];
  if (!r) throw new InvalidArgumentError(`"${what}" is not a resource podlab get shows: pods (po), svc (services), endpoints (ep), nodes (no)`);
  return r;
}
type Output = (typeof OUTPUTS)[number] | undefined;

/** `-l`'s parser: kubectl's label selector (`app=web`, `app!=web`, `app`, `!app`, `tier in (a,b)`); a malformed one is a usage error (PL3141). */
function selectorOf(text: string): Requirement[] {
  try {
    return parseLabelSelector(text);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

/** The yaml package, loaded when `-o yaml` asks for it, not at every start of live.cjs (bin/podlab.js). */
const yaml = () => createRequire(import.meta.url)('yaml') as typeof import('yaml');

/** kubectl's age: 45s, 3m12s, 42m, 5h3m, 20h, 3d4h, 12d (k8s/printers.ts humanDuration, as the lab's API server prints it). */
export const humanAge = (ms: number): string => humanDuration(Math.max(0, ms));

/** Columns padded as kubectl's printer pads them: each as wide as its widest cell, three spaces apart. */
export function columns(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd()).join('\n');
}

/**
 * The table (or document) kubectl would print for this resource of the lab. Pods only: `selector`
 * keeps the pods whose labels match it (`-l`), `showLabels` adds kubectl's LABELS column last.
 */
export function render(s: LabStatus, resource: (typeof RESOURCES)[string], o: { namespace?: string; all: boolean; output: Output; now: number; selector?: readonly Requirement[]; showLabels?: boolean }): string {
  // AGE counts from each object's creation (a pod made at run time is younger than the lab), as kubectl's does.
  const ageOf = (created: string | undefined) => humanAge(o.now - Date.parse(created ?? new Date(o.now).toISOString()));
  const age = ageOf(s.createdAt);
  const inNs = <T extends { namespace: string }>(xs: T[]) => (o.all ? xs : xs.filter((x) => x.namespace === (o.namespace ?? 'default')));
  const wide = o.output === 'wide';
  const nsCol = (ns: string) => (o.all ? [ns] : []);
  const head = (cols: string[]) => [...(o.all && resource !== 'nodes' ? ['NAMESPACE'] : []), ...cols];
  const items: object[] = [];
  let rows: string[][];
  if (resource === 'pods') {
    // A pod `podlab pod delete` removed is gone, as kubectl lists pods (and as the lab's API server does).
    const pods = inNs(s.pods).filter((p) => p.running && (!o.selector || labelsMatch(o.selector, p.labels)));
    rows = [head(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', ...(wide ? ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'] : []), ...(o.showLabels ? ['LABELS'] : [])])];
    for (const p of pods) {
      // A pod of only a sandbox shows it as its container, as the lab's API server shows it to kubectl.
      const containers = shownContainers(p);
      // READY counts ready containers (the readiness the control loops record, as `status` shows
      // it); STATUS is kubectl's, read from each container's state: an unready pod is `0/1
      // Running`, a container whose restart is held back `CrashLoopBackOff`, one that exited and
      // is not restarted `Error` or `Completed`, as the lab's API server shows them to kubectl.
      const ready = containers.filter((c) => containerReady(p, c)).length;
      const sandboxUp = p.hostNetwork || !!p.pause?.alive;
      const phase = sandboxUp ? 'Running' : 'Failed';
      const containerStatuses = containers.map((c) => ({ name: c.name, ready: containerReady(p, c), restartCount: c.restarts ?? 0, state: sandboxUp && c.alive ? { running: {} } : stoppedStateOf(p, c, c.name), ...lastStateOf(c) }));
      const status = podStatusColumn(phase, containerStatuses, podReady(p));
      // kubectl's RESTARTS: the sum over the pod's containers of the restarts the agent counted, and how long ago the last ended.
      rows.push([...nsCol(p.namespace), p.name, `${ready}/${containers.length}`, status, restartsColumn(containerStatuses, o.now), ageOf(p.createdAt), ...(wide ? [p.podIPs[0] ?? p.ip, p.node, '<none>', '<none>'] : []), ...(o.showLabels ? [formatLabels(p.labels)] : [])]);
      const cond = (type: string, ok: boolean) => ({ type, status: ok ? 'True' : 'False' });
      const conditions = [cond('Ready', podReady(p)), cond('ContainersReady', podReady(p) && ready === containers.length)];
      items.push({ apiVersion: 'v1', kind: 'Pod', metadata: { name: p.name, namespace: p.namespace, ...(Object.keys(p.labels).length ? { labels: p.labels } : {}), creationTimestamp: p.createdAt }, spec: { nodeName: p.node, hostNetwork: p.hostNetwork || undefined, containers: containers.map((c) => ({ name: c.name })) }, status: { phase, conditions, podIP: p.podIPs[0] ?? p.ip, podIPs: p.podIPs.map((ip) => ({ ip })), containerStatuses } });
    }
  } else if (resource === 'services') {
    const svcs = inNs(s.services);
    rows = [head(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', ...(wide ? ['SELECTOR'] : [])])];
    for (const v of svcs) {
      const external = v.type === 'ExternalName' ? (v.externalName ?? '<none>') : v.type === 'LoadBalancer' ? ((v.loadBalancerIPs ?? (v.loadBalancerIP ? [v.loadBalancerIP] : [])).join(',') || '<pending>') : '<none>';
      const ports = v.ports.map((p) => p.replace(/→.*$/, '')).join(',') || '<none>';
      rows.push([...nsCol(v.namespace), v.name, v.type, v.type === 'ExternalName' ? '<none>' : v.clusterIP || '<none>', external, ports, ageOf(v.createdAt), ...(wide ? [formatLabels(v.selector)] : [])]);
      items.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: v.name, namespace: v.namespace, creationTimestamp: v.createdAt }, spec: { type: v.type, clusterIP: v.clusterIP || undefined, clusterIPs: v.clusterIP ? (v.clusterIPs ?? [v.clusterIP]) : undefined, externalName: v.externalName, selector: v.selector, ports: v.ports, sessionAffinity: v.sessionAffinity }, status: { loadBalancer: v.loadBalancerIP ? { ingress: (v.loadBalancerIPs ?? [v.loadBalancerIP]).map((ip) => ({ ip })) } : {} } });
    }
  } else if (resource === 'endpoints') {
    const svcs = inNs(s.services).filter((v) => v.type !== 'ExternalName');
    rows = [head(['NAME', 'ENDPOINTS', 'AGE'])];
    for (const v of svcs) {
      // kubectl lists the ready addresses; a pod that is not ready is among notReadyAddresses.
      const ready = v.endpoints.filter((e) => e.ready);
      const notReady = v.endpoints.filter((e) => !e.ready);
      const address = (e: (typeof v.endpoints)[number]) => ({ ip: e.ip, nodeName: e.node, targetRef: { kind: 'Pod', name: e.pod, namespace: v.namespace } });
      // One per port of the Service (UDP and TCP 53 both, each its own), as the endpoints controller lists them.
      const ports = [...new Map(v.endpoints.flatMap((e) => Object.entries(e.ports)).map(([name, port]) => [name, { name, port }])).values()];
      const subsets = v.endpoints.length ? [{ ...(ready.length ? { addresses: ready.map(address) } : {}), ...(notReady.length ? { notReadyAddresses: notReady.map(address) } : {}), ports }] : [];
      // Made by the endpoints controller as its Service was; the cell as kubectl prints it (k8s/printers.ts).
      rows.push([...nsCol(v.namespace), v.name, formatEndpoints(subsets), ageOf(v.createdAt)]);
      items.push({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: v.name, namespace: v.namespace, creationTimestamp: v.createdAt }, subsets });
    }
  } else {
    // kubectl's node columns (its node printer); the pod CIDR is in -o json / yaml (spec.podCIDR), as kubectl has it.
    const info = nodeInfo();
    rows = [['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', ...(wide ? ['INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'] : [])]];
    for (const n of s.nodes) {
      const roles = n.role === 'control-plane' ? 'control-plane' : '<none>';
      // A failed node's kubelet stopped: the node controller sets Ready to Unknown, which kubectl prints NotReady.
      const failed = nodeFailed(s, n.name);
      const ready = n.present && !failed;
      const condition = failed ? { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' } : { type: 'Ready', status: n.present ? 'True' : 'False' };
      // spec.podCIDR as the Node has it: in a Calico lab kube-controller-manager's slice, not a Calico block (docs/calico.md).
      const podCidrs = n.kubePodCidrs;
      rows.push([n.name, ready ? 'Ready' : 'NotReady', roles, age, info.kubeletVersion, ...(wide ? [n.ips[0] ?? n.ip, '<none>', info.osImage, info.kernelVersion, info.containerRuntimeVersion] : [])]);
      items.push({ apiVersion: 'v1', kind: 'Node', metadata: { name: n.name, labels: n.role === 'control-plane' ? { 'node-role.kubernetes.io/control-plane': '' } : {} }, spec: podCidrs.length ? { podCIDR: podCidrs[0], podCIDRs: podCidrs } : {}, status: { addresses: n.ips.map((address) => ({ type: 'InternalIP', address })), conditions: [condition], nodeInfo: info } });
    }
  }
  const list = { apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } };
  if (o.output === 'json') return `${JSON.stringify(list, null, 4)}\n`;
  if (o.output === 'yaml') return yaml().stringify(list);
  if (rows.length === 1) return `No resources found${resource === 'nodes' ? '' : o.all ? '' : ` in ${o.namespace ?? 'default'} namespace`}.\n`;
  return `${columns(rows)}\n`;
}

export function registerGet(program: Command): void {
  program
    .command('get')
    .description("Show a live lab's pods, Services, endpoints or nodes in kubectl's layout (read from the live state, as `status` is).")
    .addArgument(new Argument('<resource>', 'pods (po), svc (services), endpoints (ep) or nodes (no)').argParser(resourceOf))
    .argument('[lab]', 'lab name or file; may be left out when one lab is up (with a lab-name prefix: one lab of the prefix)')
    .option('-n, --namespace <namespace>', 'only this namespace (default: default)')
    .option('-A, --all-namespaces', 'every namespace')
    .addOption(new Option('-o, --output <format>', 'wide, json or yaml').choices(OUTPUTS))
    .addOption(new Option('-l, --selector <selector>', "pods only: those whose labels match, as kubectl's -l (app=web, app!=web, app, !app, 'tier in (a,b)')").argParser(selectorOf))
    .option('--show-labels', "pods only: add a LABELS column (key=value,…; <none> when a pod has none), as kubectl's")
    .addHelpText('after', `
Examples:
  podlab get pods services                 pods of the default namespace of lab "services"
  podlab get pods services -n kube-system  the DNS pod
  podlab get svc -A -o wide                every Service of the one lab that is up, with selectors
  podlab get ep services -o json           the endpoints as a kubectl-style List
  podlab get pods services -l app=web --show-labels   the pods a selector app=web picks, with their labels

Exit codes: 0 printed, 2 nothing to read (no such lab, or several up and none named; bad option);
with -o json such an error is JSON on stdout, {"ok": false, "diagnostics": [...]}.`)
    .action(async (resource: Resource, arg: string | undefined, opts: { namespace?: string; allNamespaces?: boolean; output?: string; selector?: Requirement[]; showLabels?: boolean }) => {
      // Only pods carry labels in the live state podlab reads; kubectl's other resources' labels are the API server's (docs/kubectl.md).
      if (resource !== 'pods' && (opts.selector || opts.showLabels)) usageExit(`${opts.selector ? '-l/--selector' : '--show-labels'} is for get pods only`, `Drop it, or ask the lab's API server (podlab kubeconfig; kubectl get ${Object.keys(RESOURCES).find((k) => RESOURCES[k] === resource)} --show-labels).`, opts.output === 'json');
      let status: LabStatus | undefined;
      const lab = arg === undefined ? undefined : await labName(arg, opts.output === 'json');
      if (lab) status = labStatus(lab);
      else {
        // With a lab-name prefix (--prefix, PODLAB_PREFIX), only this user's labs: never another's.
        const up = allStatus(labPrefix());
        const whose = prefixNamed();
        // With -o json the error is JSON on stdout, `{ ok: false, diagnostics }`, as every command's with --json.
        if (up.length !== 1) printHostProblems([up.length ? diag('PL3141', [], `${up.length} labs${whose} are up (${up.map((s) => s.lab).join(', ')}): name one`, `e.g. podlab get ${Object.keys(RESOURCES).find((k) => RESOURCES[k] === resource)} ${unprefixed(up[0]!.lab)}. ${NOTHING_CHANGED}`) : diag('PL3113', [], `no lab${whose} is up`, `Bring one up with podlab up <lab file>. ${NOTHING_CHANGED}`)], opts.output === 'json');
        status = up[0];
      }
      if (!status) notUpExit(lab!, undefined, opts.output === 'json');
      process.stdout.write(render(status, resource, { namespace: opts.namespace, all: !!opts.allNamespaces, output: opts.output as Output, now: Date.now(), selector: opts.selector, showLabels: opts.showLabels }));
    });
}
