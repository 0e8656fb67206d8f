/**
 * The runtime's side of scenario actions: `LiveLab` over one lab's state and an executor. Each
 * method changes the live lab and records the change in the state; the action modules
 * (check/actions/) decide what to do and how to say what happened.
 */
import { setBird } from './bird.ts';
import { setNatOutgoing } from './calico-nat.ts';
import { exhaustBlocks } from './calico-ipam.ts';
import type { LiveLab } from '../check/actions/action.ts';
import { NETNS_RUN_DIR } from '../constants.ts';
import { reloadDnsAndWait } from './dns.ts';
import { sourceArgv } from './enter.ts';
import type { Executor } from './exec.ts';
import { createPod, deletePod, recreatePod, scalePod } from './pods.ts';
import { applyPolicy, deletePolicy, labelPod } from './policies.ts';
import { restartContainer } from './sandbox.ts';
import { eventMatches, readEvents } from './events.ts';
import { crashContainer, failNode, restoreNode, scaleDeployment, setHealth } from './faults.ts';
import type { LabState } from './state.ts';

/**
 * `eventsSince` (ISO time): `waitEvent` looks only at events from then on (the scenario's last
 * action). A Deployment's template is changed through the lab's API kind, a layer above: the
 * scenario runner (check/scenario.ts) adds `setDeploymentEnv`.
 */
export function liveLab(ex: Executor, state: LabState, eventsSince = ''): Omit<LiveLab, 'setDeploymentEnv'> {
  return {
    lab: state.lab,
    recreatePod: (pod) => recreatePod(ex, state, pod),
    async deletePod(pod) {
      await deletePod(ex, state, pod);
    },
    createPod: (pod) => createPod(ex, state, pod),
    async restartContainer(pod, container) {
      const pidBefore = state.pods[pod]?.containers[container]?.pid;
      await restartContainer(ex, state, pod, container);
      return { pidBefore, pid: state.pods[pod]!.containers[container]!.pid, ip: state.pods[pod]!.ip };
    },
    async scalePod(pod, replicas) {
      const r = await scalePod(ex, state, pod, replicas);
      return { created: r.created.map((name) => ({ name, ip: state.pods[name]!.ip })), deleted: r.deleted };
    },
    reloadDns: (corefile) => reloadDnsAndWait(ex, state, corefile),
    async setNodeLink(name, updown) {
      const node = state.plan.nodes.find((n) => n.name === name);
      if (!node) return undefined;
      // The fabric side of the node's veth: the cable is unplugged, the node's own eth0 keeps its
      // addresses and routes (NO-CARRIER), as a real unplugged NIC does.
      return ex.run(['nsenter', `--net=${NETNS_RUN_DIR}/${state.plan.fabric.netns}`, '--', 'ip', 'link', 'set', node.fabricPort, updown]);
    },
    setBird: (node, to) => setBird(ex, state, node, to),
    exhaustBlock: async (node, family) => exhaustBlocks(state, node, family),
    setNatOutgoing: async (natOutgoing, pool) => ({ was: (await setNatOutgoing(ex, state, natOutgoing, pool)).was }),
    exec: (from, argv, timeoutMs) => ex.run([...sourceArgv(state, from), ...argv], { timeoutMs }),
    async applyPolicy(policy) {
      const r = await applyPolicy(ex, state, policy);
      return { replaced: r.replaced, applied: r.sync.applied };
    },
    async deletePolicy(namespace, name) {
      return { applied: (await deletePolicy(ex, state, namespace, name)).applied };
    },
    crashContainer: async (pod, container) => crashContainer(ex, state, pod, container),
    setHealth: (pod, healthy) => setHealth(ex, state, pod, healthy),
    setNodeFailed: (node, failed) => (failed ? failNode(ex, state, node) : restoreNode(ex, state, node)),
    scaleDeployment: async (deployment, replicas) => scaleDeployment(state, deployment, replicas),
    async waitEvent(filter, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = readEvents(state.lab).find((e) => e.at >= eventsSince && eventMatches(e, filter));
        if (hit || Date.now() > deadline) return hit;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async labelPod(pod, labels) {
      const r = await labelPod(ex, state, pod, labels);
      return { before: r.before, after: r.after, applied: r.sync.applied };
    },
  };
}
