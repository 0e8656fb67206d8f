/** `podlab pod delete|create|recreate`: change a pod of a live lab as a ReplicaSet would. */
import type { Command } from 'commander';
import { createPod, deletePod, PodError, recreatePod } from '../runtime/pods.ts';
import { realExecutor } from '../runtime/exec.ts';
import { recordChange, recordPodStarted } from '../runtime/events.ts';
import { asLabWriter, Exit, EXIT, labName, refused, ruleChangeLines, upStateOrExit } from './common.ts';
import { green } from './terminal.ts';

async function podAction(action: 'delete' | 'create' | 'recreate', arg: string, ref: string, opts: { json?: boolean; namespace?: string }): Promise<void> {
  const lab = await labName(arg, opts.json);
  const state = upStateOrExit(lab, opts.json);
  // namespace/pod, or -n namespace: the pod must be in that namespace (pod names are unique in a lab).
  // An unknown pod is PL3030 and exit 2, as label, node and scale have it, in JSON with --json.
  const [ns, name] = ref.includes('/') ? (ref.split('/', 2) as [string, string]) : [opts.namespace, ref];
  if (!state.plan.pods.some((p) => p.name === name && (ns === undefined || p.namespace === ns))) {
    const pods = state.plan.pods.map((p) => `${p.namespace}/${p.name}`).join(', ');
    refused(new PodError('PL3030', `lab "${lab}" has no pod "${ns === undefined ? name : `${ns}/${name}`}"; pods: ${pods}`), { json: opts.json, exit: EXIT.cannotRun });
  }
  try {
    const before = state.pods[name]?.ip;
    const act = async (st: typeof state) => (action === 'delete' ? { sync: await deletePod(realExecutor, st, name) } : action === 'create' ? await createPod(realExecutor, st, name) : await recreatePod(realExecutor, st, name));
    // With control loops, the lab's agent changes it too: one writer at a time.
    const r = await asLabWriter(lab, state, act);
    const ip = 'ip' in r ? r.ip : undefined;
    // A change of the user's is an event, as `kubectl delete pod` gives one, with control loops or
    // without: Killing for the pod stopped; Scheduled (by command: what the loops do next follows it,
    // events --wait-for), then kubelet's Pulled, Created, Started for the new one.
    const planned = state.plan.pods.find((p) => p.name === name)!;
    const owner = planned.owner;
    if (action !== 'create') recordChange(lab, { type: 'Normal', reason: 'Killing', object: `pod/${name}`, message: action === 'delete' ? `deleted by podlab pod delete${owner ? `; Deployment ${owner} replaces it` : ''}` : `re-created by podlab pod recreate: ${before} → ${ip}` });
    if (action !== 'delete') {
      recordChange(lab, { type: 'Normal', reason: 'Scheduled', object: `pod/${name}`, message: `Successfully assigned ${planned.namespace}/${name} to ${planned.node} (podlab pod ${action}; at ${ip})` });
      recordPodStarted(lab, planned);
    }
    const applied = r.sync?.applied ?? [];
    if (opts.json) process.stdout.write(`${JSON.stringify({ lab, pod: name, action, oldIp: before ?? null, ip: ip ?? null, rulesApplied: applied }, null, 2)}\n`);
    else {
      const what = action === 'delete' ? `deleted (was ${before})` : action === 'create' ? `created at ${ip}` : `re-created: ${before} → ${ip}`;
      process.stdout.write(`${green('✓')} pod ${name} ${what}\n`);
      process.stdout.write(ruleChangeLines(applied));
    }
  } catch (e) {
    if (e instanceof PodError) refused(e, { json: opts.json, exit: e.code === 'PL3030' ? EXIT.cannotRun : EXIT.failed });
    throw e;
  }
}

export function registerPod(program: Command): void {
  const pod = program
    .command('pod')
    .description('Delete, create or re-create a pod of a live lab, as a ReplicaSet would; Services follow its new IP.')
    .addHelpText('after', `
A deleted pod leaves its Services' endpoints at once; a created pod gets a new sandbox and a new IP
(the next free address of its node's pod CIDR) and joins them again. Only the changed rules are sent
to each node's nftables table. Try:
  podlab pod recreate services web-1 && podlab status services`);

  for (const [action, description] of [
    ['delete', 'Stop the pod, release its IP (CNI DEL) and remove it from its Services.'],
    ['create', 'Create a deleted pod again: a new sandbox and a new IP.'],
    ['recreate', 'Delete, then create (what `kubectl delete pod` looks like under a ReplicaSet).'],
  ] as const)
    pod
      .command(action)
      .description(description)
      .argument('<lab>', 'lab name or file')
      .argument('<pod>', 'pod name, or namespace/pod')
      .option('-n, --namespace <namespace>', "the pod's namespace (as kubectl's -n)")
      .option('--json', 'print the result as JSON')
      .action((arg: string, name: string, opts: { json?: boolean; namespace?: string }) => podAction(action, arg, name, opts));
}
