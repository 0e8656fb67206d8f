/**
 * What is live: labs on this host, and for one lab its nodes and pods with IPs and processes,
 * read from the state journal and checked against the kernel (namespace present, process alive).
 */
import { existsSync } from 'node:fs';
import { NETNS_RUN_DIR } from '../constants.ts';
import { labNamespacesOnHost, labsOnHost } from './down.ts';
import { isAlive } from './procs.ts';
import { readState } from './state.ts';

export interface LabStatus {
  lab: string;
  status: string;
  source?: string;
  cni?: string;
  namespaces: number;
  nodes: { name: string; role: string; ip: string; podCidr: string; netns: string; present: boolean }[];
  pods: {
    namespace: string;
    name: string;
    node: string;
    ip: string;
    hostNetwork: boolean;
    pause?: { pid: number; alive: boolean };
    containers: { name: string; pid: number; alive: boolean }[];
  }[];
}

export function labStatus(lab: string): LabStatus | undefined {
  const state = readState(lab);
  const namespaces = labNamespacesOnHost(lab);
  if (!state) return namespaces.length ? { lab, status: 'orphaned (no state; run podlab down)', namespaces: namespaces.length, nodes: [], pods: [] } : undefined;
  const plan = state.plan;
  return {
    lab,
    status: state.status,
    source: plan.source,
    cni: plan.cni.type,
    namespaces: namespaces.length,
    nodes: plan.nodes.map((n) => ({ name: n.name, role: n.role, ip: n.ip, podCidr: n.podCidr, netns: n.netns, present: existsSync(`${NETNS_RUN_DIR}/${n.netns}`) })),
    pods: plan.pods.map((p) => {
      const ps = state.pods[p.name];
      return {
        namespace: p.namespace,
        name: p.name,
        node: p.node,
        ip: ps?.ip ?? p.ip,
        hostNetwork: p.hostNetwork,
        pause: ps?.pause && { pid: ps.pause.pid, alive: isAlive(ps.pause) },
        containers: Object.entries(ps?.containers ?? {}).map(([name, c]) => ({ name, pid: c.pid, alive: isAlive(c) })),
      };
    }),
  };
}

export function allStatus(): LabStatus[] {
  return labsOnHost()
    .map(labStatus)
    .filter((s): s is LabStatus => !!s);
}
