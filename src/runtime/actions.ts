/**
 * What a scenario does to a live lab between its checks. Each action takes the lab's state,
 * changes the lab, records the change in the state, and says what happened in one line a learner
 * can read ("web-1: 10.244.1.2 → 10.244.1.5").
 */
import type { LabAction } from '../compile/lab.ts';
import { NETNS_RUN_DIR } from '../constants.ts';
import { reloadDnsAndWait } from './dns.ts';
import { sourceArgv } from './enter.ts';
import type { Executor } from './exec.ts';
import { createPod, deletePod, recreatePod, scalePod } from './pods.ts';
import { applyPolicy, deletePolicy, labelPod } from './policies.ts';
import type { LabState } from './state.ts';
import { restartContainer } from './sandbox.ts';

export class ActionFailed extends Error {}

/** One line for reports: what the action is. */
export function describeAction(a: LabAction): string {
  switch (a.action) {
    case 'recreate-pod':
    case 'delete-pod':
    case 'create-pod':
      return `${a.action} ${a.pod}`;
    case 'restart-container':
      return `restart-container ${a.pod}/${a.container}`;
    case 'scale':
      return `scale ${a.pod} to ${a.replicas}`;
    case 'reload-dns':
      return a.corefile === undefined ? 'reload-dns' : 'reload-dns with a new Corefile';
    case 'link-down':
    case 'link-up':
      return `${a.action} node/${a.node}`;
    case 'exec':
      return `exec ${a.from}: ${a.command.join(' ')}`;
    case 'apply-policy':
      return `apply-policy ${a.policy.namespace}/${a.name}`;
    case 'delete-policy':
      return `delete-policy ${a.namespace ?? 'default'}/${a.name}`;
    case 'label-pod':
      return `label-pod ${a.pod} ${Object.entries(a.labels).map(([k, v]) => (v === null ? `${k}-` : `${k}=${v}`)).join(' ')}`;
  }
}

/** Runs one action; resolves to what happened, or throws ActionFailed (or the runtime's own error). */
export async function runAction(ex: Executor, state: LabState, a: LabAction): Promise<string> {
  switch (a.action) {
    case 'recreate-pod': {
      const r = await recreatePod(ex, state, a.pod);
      return `${a.pod}: ${r.oldIp ?? '(not running)'} → ${r.ip}`;
    }
    case 'delete-pod':
      await deletePod(ex, state, a.pod);
      return `${a.pod} deleted`;
    case 'create-pod': {
      const r = await createPod(ex, state, a.pod);
      return `${a.pod} created at ${r.ip}`;
    }
    case 'restart-container': {
      const before = state.pods[a.pod]?.containers[a.container]?.pid;
      await restartContainer(ex, state, a.pod, a.container);
      return `${a.pod}/${a.container}: pid ${before} → ${state.pods[a.pod]!.containers[a.container]!.pid}, IP ${state.pods[a.pod]!.ip} kept`;
    }
    case 'scale': {
      const r = await scalePod(ex, state, a.pod, a.replicas);
      const parts = [r.created.length ? `created ${r.created.map((p) => `${p} (${state.pods[p]!.ip})`).join(', ')}` : '', r.deleted.length ? `deleted ${r.deleted.join(', ')}` : ''].filter(Boolean);
      return `${a.pod} × ${a.replicas}${parts.length ? `: ${parts.join('; ')}` : ' (already)'}`;
    }
    case 'reload-dns': {
      const r = await reloadDnsAndWait(ex, state, a.corefile);
      return `DNS server reloaded${a.corefile === undefined ? '' : ' with the new Corefile'}${r.warnings.length ? ` (${r.warnings.length} warning(s): ${r.warnings.map((w) => w.message).join('; ')})` : ''}`;
    }
    case 'link-down':
    case 'link-up': {
      const node = state.plan.nodes.find((n) => n.name === a.node);
      if (!node) throw new ActionFailed(`lab "${state.lab}" has no node "${a.node}"`);
      const updown = a.action === 'link-down' ? 'down' : 'up';
      // The fabric side of the node's veth: the cable is unplugged, the node's own eth0 keeps its
      // addresses and routes (NO-CARRIER), as a real unplugged NIC does.
      const r = await ex.run(['nsenter', `--net=${NETNS_RUN_DIR}/${state.plan.fabric.netns}`, '--', 'ip', 'link', 'set', node.fabricPort, updown]);
      if (r.exitCode !== 0) throw new ActionFailed(`could not set node ${a.node}'s link ${updown}: ${(r.stderr || r.stdout).trim()}`);
      return `node/${a.node}: link to the node network ${updown}`;
    }
    case 'exec': {
      const r = await ex.run([...sourceArgv(state, a.from), ...a.command], { timeoutMs: 30_000 });
      const output = `${r.stdout}${r.stderr}`.trim().replace(/\s+/g, ' ').slice(0, 300);
      if (r.exitCode !== a.expectExit) throw new ActionFailed(`exit ${r.exitCode} (expected ${a.expectExit})${output ? `: ${output}` : ''}`);
      return `exit ${r.exitCode}${output ? `: ${output}` : ''}`;
    }
    case 'apply-policy': {
      const r = await applyPolicy(ex, state, a.policy);
      return `NetworkPolicy ${a.policy.namespace}/${a.name} ${r.replaced ? 'replaced' : 'created'}; ${describeSync(r.sync.applied)}`;
    }
    case 'delete-policy': {
      const r = await deletePolicy(ex, state, a.namespace ?? 'default', a.name);
      return `NetworkPolicy ${a.namespace ?? 'default'}/${a.name} deleted; ${describeSync(r.applied)}`;
    }
    case 'label-pod': {
      const r = await labelPod(ex, state, a.pod, a.labels);
      const show = (l: Record<string, string>) => Object.entries(l).map(([k, v]) => `${k}=${v}`).join(',') || '(none)';
      return `${a.pod}: labels ${show(r.before)} → ${show(r.after)}; ${describeSync(r.sync.applied)}`;
    }
  }
}

function describeSync(applied: { target: string; lines: number }[]): string {
  return applied.length ? `nft: ${[...applied].sort((a, b) => a.target.localeCompare(b.target)).map((x) => `${x.target} ${x.lines} lines`).join(', ')}` : 'no nft change';
}
