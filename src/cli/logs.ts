/** `podlab logs`: a pod's container logs (or, with --previous, those of their instances before a restart), a host's programs' or a node's daemons' (BIRD), optionally followed. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { findTarget, TargetError } from '../runtime/enter.ts';
import { previousLogOf, readState, stateDir, type LabState } from '../runtime/state.ts';
import { EXIT, inNamespace, labName, refused, upOrExit } from './common.ts';
import { dim } from './terminal.ts';

/** A log shown: its name in the header (`==> <where>/<name> <==`) and the file. */
type Shown = [string, { log: string }];

/**
 * The daemons a node's CNI mode runs (BIRD in a Calico BGP lab; none in kubenet's or flannel's), by
 * name: those the state journal records (`<node>/<name>`), and the log a daemon stopped since
 * (stop-bird drops its record) left, `logs/<node>_<name>.log` (a container's log is
 * `<namespace>_<pod>_<container>.log`: names have no `_`, so the two never meet).
 */
export function nodeDaemonLogs(state: LabState, node: string): Record<string, string> {
  const out: Record<string, string> = {};
  const dir = `${stateDir(state.lab)}/logs`;
  let files: string[] = [];
  try {
    files = readdirSync(dir);
  } catch {
    /* no logs yet */
  }
  for (const f of files) {
    const m = /^([^_]+)_([^_]+)\.log$/.exec(f);
    if (m?.[1] === node) out[m[2]!] = `${dir}/${f}`;
  }
  for (const [key, d] of Object.entries(state.daemons ?? {})) if (key.startsWith(`${node}/`)) out[key.slice(node.length + 1)] = d.log;
  return out;
}

/**
 * Where the logs a reference names are (`where`, for their header) and which:
 * `pod[/container]`, `namespace/pod[/container]`, `host/<name>[/container]` or `node/<name>[/daemon]`.
 * `-n` names the namespace of a bare pod and is ignored by a reference that names its own (as
 * exec's); `-c` the container (or daemon). An unknown pod, host or node is PL3030, an unknown
 * container or daemon PL3032 (as exec's), a pod of the plan that does not run now PL3033, a node
 * that runs no daemon PL3039: TargetErrors.
 */
export function logsOf(state: LabState, ref: string, opts: { namespace?: string; container?: string } = {}): { podName: string; shown: Shown[] } {
  const { plan } = state;
  const parts = inNamespace(ref, opts.namespace).split('/');
  let podName: string;
  let what: string;
  let container: string | undefined;
  let declared: string[] | undefined;
  if (parts[0] === 'node') {
    // node/<name>[/daemon]: what the node's CNI mode runs in it (BIRD), each logging to a file of its own.
    const t = findTarget(plan, `node/${parts[1]}`);
    const daemon = opts.container ?? parts[2];
    const logs = nodeDaemonLogs(state, parts[1]!);
    const names = Object.keys(logs).sort();
    if (!names.length) throw new TargetError('PL3039', `${t.what} runs no daemon that logs: a ${plan.nodes.find((n) => n.name === parts[1])!.cni.type} lab's nodes run none (a Calico BGP lab's run BIRD); its network is its namespace's routes and nft rules (podlab exec ${plan.lab} node/${parts[1]} -- ip route), its pods log on their own (podlab logs ${plan.lab} <pod>)`);
    if (daemon !== undefined && !logs[daemon]) throw new TargetError('PL3032', `${t.what} runs no daemon "${daemon}"; its daemons: ${names.join(', ')}`);
    return { podName: `node/${parts[1]}`, shown: names.filter((n) => daemon === undefined || n === daemon).map((n) => [n, { log: logs[n]! }]) };
  }
  if (parts[0] === 'host') {
    // host/<name>[/container]: a host's programs are kept under `host.<name>`.
    findTarget(plan, `host/${parts[1]}`);
    [podName, what, container] = [`host.${parts[1]}`, `host ${parts[1]}`, parts[2]];
  } else {
    // namespace/pod[/container] when the first part is a namespace holding that pod (always, after -n); else pod[/container].
    const nsPod = parts.length >= 2 && ((opts.namespace !== undefined && !ref.includes('/')) || plan.pods.some((p) => p.namespace === parts[0] && p.name === parts[1]));
    const t = findTarget(plan, nsPod ? `${parts[0]}/${parts[1]}` : parts[0]!);
    if (t.kind !== 'pod') throw new TargetError('PL3030', `${t.what} has no logs; logs names a pod, host/<name> or node/<name>`);
    [podName, what, container, declared] = [t.pod.name, `pod ${t.pod.namespace}/${t.pod.name}`, nsPod ? parts[2] : parts[1], t.pod.containers.map((c) => c.name)];
  }
  container = opts.container ?? container;
  const pod = state.pods[podName];
  if (!pod) throw new TargetError('PL3033', `${what} of lab "${plan.lab}" is not running (deleted?); see podlab status ${plan.lab}`);
  const names = declared ?? Object.keys(pod.containers);
  if (container !== undefined && !names.includes(container)) throw new TargetError('PL3032', `${what} has no container "${container}"; its containers: ${names.join(', ') || '(none: it is only a sandbox)'}`);
  return { podName, shown: Object.entries(pod.containers).filter(([name]) => container === undefined || name === container) };
}

/**
 * `--previous`: the logs of the shown containers' instances before their last restart in this pod
 * (kubelet keeps one; runtime/sandbox.ts). None of them restarted is kubectl's error (PL3054): a
 * pod created anew, or a container never restarted, has no previous instance.
 */
export function previousOf(podName: string, shown: Shown[], exists: (file: string) => boolean = existsSync): Shown[] {
  const previous = shown.map(([name, c]): Shown => [name, { log: previousLogOf(c.log) }]).filter(([, c]) => exists(c.log));
  if (!previous.length) {
    const name = shown[0]?.[0] ?? '';
    throw new TargetError('PL3054', `previous terminated container "${name}" in pod "${podName}" not found: ${shown.length > 1 ? 'none of its containers was' : 'it was not'} restarted in this pod (a pod created anew starts without one); its current log: podlab logs without --previous`);
  }
  return previous;
}

export function registerLogs(program: Command): void {
  program
    .command('logs')
    .description("Print a pod's container logs, a host's programs' or a node's daemons' (BIRD in a Calico BGP lab).")
    .argument('<lab>', 'lab name or file')
    .argument('<pod>', 'pod, namespace/pod, pod/container, namespace/pod/container, host/<name>, or node/<name>[/daemon] (e.g. kube-system/coredns, node/worker-1/bird)')
    .option('-n, --namespace <namespace>', "the pod's namespace (as kubectl's -n): the same as namespace/pod")
    .option('-c, --container <container>', 'only this container (the same as pod/container), or daemon of a node')
    .option('-f, --follow', 'keep printing what the containers log, until Ctrl-C or the lab goes down')
    .option('-p, --previous', "the log of each container's instance before its last restart in this pod, as kubectl's (none: PL3054)")
    .addHelpText('after', `
Each container instance logs afresh, as kubelet keeps logs: a container the control loops (or a
restart-container step) restarted keeps its last instance's log for --previous; a pod deleted and
created again (pod delete, pod create, kubectl delete pod) is a new pod, whose logs start empty.

Exit codes: 0 printed; 2 the lab is not up, no such pod, node or container (PL3030, PL3032), the pod
is not running (PL3033), a node runs no daemon (PL3039), no previous instance (PL3054).`)
    .action(async (arg: string, ref: string, opts: { namespace?: string; container?: string; follow?: boolean; previous?: boolean }) => {
      const lab = await labName(arg);
      const state = upOrExit(lab);
      let podName: string;
      let shown: Shown[];
      try {
        ({ podName, shown } = logsOf(state, ref, opts));
        if (opts.previous) shown = previousOf(podName, shown);
      } catch (e) {
        if (e instanceof TargetError) refused(e, { exit: EXIT.cannotRun });
        throw e;
      }
      const offsets = new Map<string, number>();
      for (const [name, c] of shown) {
        const text = existsSync(c.log) ? readFileSync(c.log) : Buffer.alloc(0);
        offsets.set(c.log, text.length);
        process.stdout.write(`${dim(`==> ${podName}/${name} <==`)}\n${text.toString('utf8')}`);
      }
      // A previous instance has ended: there is nothing more to follow.
      if (!opts.follow || opts.previous) return;
      // Followed by polling (the logs are plain files on the lab's tmpfs): what was appended since, with
      // the container's name before it when there are several; over when the lab is gone.
      await new Promise<void>((done) => {
        const stop = () => {
          clearInterval(timer);
          process.off('SIGINT', stop);
          done();
        };
        process.on('SIGINT', stop);
        const timer = setInterval(() => {
          if (!readState(lab)) return stop();
          for (const [name, c] of shown) {
            let text: Buffer;
            try {
              text = readFileSync(c.log);
            } catch {
              continue;
            }
            const from = offsets.get(c.log) ?? 0;
            if (text.length < from) offsets.set(c.log, 0); // a restarted container's new log
            if (text.length <= from) continue;
            offsets.set(c.log, text.length);
            const added = text.subarray(from).toString('utf8');
            process.stdout.write(shown.length > 1 ? added.replace(/^(?=.)/gm, `${dim(`[${name}]`)} `) : added);
          }
        }, 200);
      });
    });
}
