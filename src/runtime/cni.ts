/**
 * Calls CNI plugins per the CNI spec, as a kubelet/container runtime would: the network
 * configuration on stdin, CNI_* variables in the environment, the result JSON on stdout, run
 * inside the node's network namespace (where the plugin creates the bridge and the host-side veth).
 */
import { NETNS_RUN_DIR, POD_IFNAME } from '../constants.ts';
import type { PlanNode, PlanPod } from '../plan/plan.ts';
import { pluginNetconf } from '../render/render.ts';
import { CommandError, type Executor } from './exec.ts';
import { PODLAB_CNI_BIN_DIR } from './artifacts.ts';
import { cniPluginDir } from './preflight.ts';
import { PODLAB_CNI_PLUGINS } from '../constants.ts';

type Command = 'ADD' | 'DEL';

async function invoke(ex: Executor, cmd: Command, node: PlanNode, pod: PlanPod, ifname: string, netconf: Record<string, unknown>): Promise<unknown> {
  const dir = cniPluginDir()!;
  const type = String(netconf.type);
  // podlab's own plugins (e.g. calico) come from build/cni; they find IPAM plugins through CNI_PATH, as the spec says.
  const own = PODLAB_CNI_PLUGINS.includes(type);
  const env = {
    CNI_COMMAND: cmd,
    CNI_CONTAINERID: pod.containerId,
    CNI_NETNS: `${NETNS_RUN_DIR}/${pod.netns}`,
    CNI_IFNAME: ifname,
    CNI_PATH: own ? `${PODLAB_CNI_BIN_DIR}:${dir}` : dir,
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${pod.namespace};K8S_POD_NAME=${pod.name}${cmd === 'ADD' && ifname === POD_IFNAME ? `;IP=${pod.ip}` : ''}`,
    // The plugins are Go programs that wire one pod and exit: with one P the Go runtime starts fewer
    // threads and spins less on a machine of two cores (bridge and the host-local it runs: about
    // 0.7 ms of CPU less per ADD; 10 × 10 up 658 -> 613 ms). A GOMAXPROCS of the user's own stands.
    ...(process.env.GOMAXPROCS ? {} : { GOMAXPROCS: '1' }),
  };
  const argv = ['nsenter', `--net=${NETNS_RUN_DIR}/${node.netns}`, '--', `${own ? PODLAB_CNI_BIN_DIR : dir}/${type}`];
  const r = await ex.run(argv, { input: JSON.stringify(netconf), env });
  if (r.exitCode !== 0) {
    // Plugins report errors as JSON on stdout (spec: "Error" result type).
    let msg = r.stderr.trim();
    try {
      const e = JSON.parse(r.stdout) as { msg?: string; details?: string };
      msg = [e.msg, e.details].filter(Boolean).join(': ') || msg;
    } catch {
      /* not JSON */
    }
    throw new CommandError([...argv, `(CNI ${cmd} ${pod.namespace}/${pod.name})`], { ...r, stderr: msg });
  }
  return r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
}

/**
 * Capability arguments (CNI spec "Deriving runtimeConfig"): a plugin that declares
 * `capabilities.portMappings` receives the pod's hostPorts as `runtimeConfig.portMappings`.
 */
export function withRuntimeConfig(netconf: Record<string, unknown>, pod: PlanPod): Record<string, unknown> {
  const caps = netconf.capabilities as Record<string, boolean> | undefined;
  // A dual-stack pod asks host-local for its planned address in each family: CNI_ARGS' IP= holds
  // one, so both go as `args.cni.ips` in the network configuration (the CNI "args" convention).
  if (pod.ips.length > 1 && netconf.ipam) netconf = { ...netconf, args: { cni: { ips: pod.ips } } };
  if (!caps?.portMappings) return netconf;
  const portMappings = pod.containers.flatMap((c) =>
    c.ports.filter((p) => p.hostPort).map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol.toLowerCase() })),
  );
  return { ...netconf, runtimeConfig: { portMappings } };
}

/**
 * ADD: each plugin of the node's conflist, chaining prevResult. The pod's loopback is already up:
 * the pause process brings it up when it joins the namespace, as CRI-O does, instead of one more
 * plugin process per pod (containerd calls the loopback plugin for it).
 */
export async function cniAdd(ex: Executor, node: PlanNode, pod: PlanPod): Promise<unknown> {
  let prev: unknown;
  for (let i = 0; i < node.conflist.plugins.length; i++) prev = await invoke(ex, 'ADD', node, pod, POD_IFNAME, withRuntimeConfig(pluginNetconf(node.conflist, i, prev), pod));
  return prev;
}

/** DEL: the conflist's plugins in reverse order with the ADD result; errors are collected, not fatal (DEL must be idempotent). */
export async function cniDel(ex: Executor, node: PlanNode, pod: PlanPod, addResult?: unknown): Promise<string[]> {
  const errors: string[] = [];
  for (let i = node.conflist.plugins.length - 1; i >= 0; i--) {
    try {
      await invoke(ex, 'DEL', node, pod, POD_IFNAME, withRuntimeConfig(pluginNetconf(node.conflist, i, addResult), pod));
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  return errors;
}
