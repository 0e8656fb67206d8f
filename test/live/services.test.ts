/**
 * Live Services: the example lab labs/services.lab.ts (renamed) built for real, and every point
 * of the Services issue checked with real packets, asserting the source address the backend saw
 * wherever the point is about NAT. A second lab turns natOutgoing off and adds what the first
 * does not have (internalTrafficPolicy Local, a client host on the node network).
 */
import { describe, expect, it } from 'vitest';
import servicesLab from '../../labs/services.lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { runChecks } from '../../src/check/run.ts';
import { down } from '../../src/runtime/down.ts';
import { nodeAddresses } from '../../src/plan/plan.ts';
import { createPod, deletePod, recreatePod } from '../../src/runtime/pods.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { readState, type LabState } from '../../src/runtime/state.ts';
import { labStatus } from '../../src/runtime/status.ts';
import { inLab, labAroundSuite, liveGuard, WORKLOAD } from './host.ts';
import { scopedSnapshot, type ScopedSnapshot } from './scoped.ts';

const live = liveGuard();

interface Answer {
  pod: string | null;
  client: string | null;
}

/** N GETs from `from`, each on a new connection: who answered, and which client address each saw. */
async function answers(state: LabState, from: string, url: string, count: number): Promise<Answer[]> {
  const r = await inLab(state, from, ['node', WORKLOAD, 'http-get', '--url', url, '--count', String(count), '--timeout-ms', '2000']);
  const out = JSON.parse(r.stdout) as { ok: boolean; answers?: Answer[]; error?: string };
  if (!out.ok) throw new Error(`GET ${url} from ${from} failed: ${out.error}`);
  return out.answers!;
}

async function reaches(state: LabState, from: string, host: string, port: number): Promise<boolean> {
  const r = await inLab(state, from, ['node', WORKLOAD, 'tcp-connect', '--host', host, '--port', String(port), '--timeout-ms', '1000']);
  return JSON.parse(r.stdout).ok === true;
}

const pods = (a: Answer[]) => new Set(a.map((x) => x.pod));
const clients = (a: Answer[]) => new Set(a.map((x) => x.client));

function svc(state: LabState, name: string) {
  return state.plan.services.find((s) => s.name === name)!;
}

describe.skipIf(!live)('live Services (labs/services.lab.ts)', () => {
  const name = 'ls-svc';
  let before: ScopedSnapshot;
  const state = labAroundSuite({ ...servicesLab, name }, { beforeUp: async () => { before = await scopedSnapshot([name]); } }).lab;
  const ip = (pod: string) => readState(name)!.pods[pod]!.ip!;

  it("passes every check of the example lab", async () => {
    const results = await runChecks(readState(name)!);
    expect(results.filter((r) => r.status === 'fail')).toEqual([]);
    expect(results.length).toBe(servicesLab.checks!.length);
  });

  it('ClusterIP: 60 requests reach all 3 backends, and each backend sees the client pod IP (no SNAT)', async () => {
    const a = await answers(state(), 'client', `http://${svc(state(), 'web').clusterIP}/`, 60);
    expect(pods(a)).toEqual(new Set(['web-1', 'web-2', 'web-3']));
    expect(clients(a)).toEqual(new Set([ip('client')]));
  });

  it('ClusterIP from a pod on the same node as two of its backends: all reached, no SNAT', async () => {
    const a = await answers(state(), 'hostport-web', `http://${svc(state(), 'web').clusterIP}/`, 60);
    expect(pods(a)).toEqual(new Set(['web-1', 'web-2', 'web-3']));
    expect(clients(a)).toEqual(new Set([ip('hostport-web')]));
  });

  it('hairpin: a backend reaching its own Service lands on itself too, masqueraded to its node only then', async () => {
    const a = await answers(state(), 'web-3', `http://${svc(state(), 'web').clusterIP}/`, 40);
    const self = a.filter((x) => x.pod === 'web-3');
    expect(self.length).toBeGreaterThan(0);
    const worker2 = state().plan.nodes.find((n) => n.name === 'worker-2')!;
    expect(new Set(self.map((x) => x.client))).toEqual(new Set([worker2.podGateway]));
    expect(new Set(a.filter((x) => x.pod !== 'web-3').map((x) => x.client))).toEqual(new Set([ip('web-3')]));
  });

  it('sessionAffinity ClientIP: 20 requests from one client all land on one backend', async () => {
    const a = await answers(state(), 'client', `http://${svc(state(), 'web-sticky').clusterIP}/`, 20);
    expect(pods(a).size).toBe(1);
  });

  it('UDP Service: a datagram to the ClusterIP comes back from the ClusterIP', async () => {
    const s = svc(state(), 'echo-udp');
    const r = await inLab(state(), 'client', ['node', WORKLOAD, 'udp-echo-client', '--host', s.clusterIP!, '--port', '53', '--message', 'hi', '--timeout-ms', '2000']);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, received: 'hi', remote: s.clusterIP });
  });

  it('NodePort (externalTrafficPolicy Cluster): every node answers, from another node and from outside; the backend sees a node address', async () => {
    const nodeAddrs = new Set(state().plan.nodes.flatMap(nodeAddresses));
    for (const n of state().plan.nodes) {
      const outside = await answers(state(), 'host/internet', `http://${n.ip}:30080/`, 12);
      expect(outside.length).toBe(12);
      for (const c of clients(outside)) expect(nodeAddrs.has(c!), `client ${c} seen via ${n.name}`).toBe(true);
      const fromNode = await answers(state(), 'node/control-plane', `http://${n.ip}:30080/`, 3);
      expect(fromNode.length).toBe(3);
    }
  });

  it('NodePort (externalTrafficPolicy Local): only the node with the endpoint answers, and the backend sees the real client IP', async () => {
    const internet = state().plan.hosts.find((h) => h.name === 'internet')!;
    const [w1, w2] = ['worker-1', 'worker-2'].map((n) => state().plan.nodes.find((x) => x.name === n)!);
    const a = await answers(state(), 'host/internet', `http://${w2!.ip}:30081/`, 5);
    expect(pods(a)).toEqual(new Set(['solo']));
    expect(clients(a)).toEqual(new Set([internet.ip]));
    expect(await reaches(state(), 'host/internet', w1!.ip, 30081)).toBe(false);
    // The contrast: externalTrafficPolicy Cluster on the same path translates the source.
    const c = await answers(state(), 'host/internet', `http://${w2!.ip}:30080/`, 5);
    expect(clients(c).has(internet.ip)).toBe(false);
  });

  it('LoadBalancer: an outside client reaches the pool address on the gateway, spread over all backends', async () => {
    const s = svc(state(), 'web-lb');
    expect(s.loadBalancerIP).toBe('172.16.94.241');
    const a = await answers(state(), 'host/internet', `http://${s.loadBalancerIP}/`, 30);
    expect(pods(a)).toEqual(new Set(['web-1', 'web-2', 'web-3']));
    // A pod reaching the load-balancer address is short-circuited by its node, as kube-proxy does.
    const fromPod = await answers(state(), 'client', `http://${s.loadBalancerIP}/`, 3);
    expect(fromPod.length).toBe(3);
  });

  it('hostPort: node-IP:8081 leads to the pod (CNI portmap), and a hostNetwork pod serves a Service from the node namespace', async () => {
    const w1 = state().plan.nodes.find((n) => n.name === 'worker-1')!;
    const hp = await answers(state(), 'node/control-plane', `http://${w1.ip}:8081/`, 2);
    expect(pods(hp)).toEqual(new Set(['hostport-web']));
    const agent = await answers(state(), 'client', `http://${svc(state(), 'agent').clusterIP}:9090/`, 2);
    expect(pods(agent)).toEqual(new Set(['agent']));
    expect(state().plan.pods.find((p) => p.name === 'agent')!.netns).toBe(state().plan.nodes.find((n) => n.name === 'worker-2')!.netns);
  });

  it('natOutgoing on: the outside host sees the node address, not the pod IP', async () => {
    const internet = state().plan.hosts.find((h) => h.name === 'internet')!;
    const a = await answers(state(), 'client', `http://${internet.ip}/`, 2);
    expect(clients(a)).toEqual(new Set([state().plan.nodes.find((n) => n.name === 'control-plane')!.ip]));
  });

  it('headless and ExternalName Services have no rules, but their data is in the plan', async () => {
    const r = await inLab(state(), 'node/worker-1', ['nft', 'list', 'table', 'ip', 'podlab']);
    expect(r.stdout).toContain('svc.default/web/http');
    expect(r.stdout).not.toContain('web-headless');
    expect(r.stdout).not.toContain('default/db');
    expect(svc(state(), 'db')).toMatchObject({ type: 'ExternalName', externalName: 'db.example.com' });
    expect(svc(state(), 'web-headless').headless).toBe(true);
    expect(state().plan.endpoints['default/web-headless']!.map((e) => e.pod)).toEqual(['web-1', 'web-2', 'web-3']);
  });

  it('a re-created pod gets a new IP; its Services follow (status, rules) and keep working', async () => {
    const s = readState(name)!;
    const old = ip('web-1');
    const r = await recreatePod(realExecutor, s, 'web-1');
    expect(r.ip).not.toBe(old);
    const eps = labStatus(name)!.services.find((x) => x.name === 'web')!.endpoints;
    expect(eps.map((e) => e.ip)).toContain(r.ip);
    expect(eps.map((e) => e.ip)).not.toContain(old);
    // Only the changed chains and elements were sent: far fewer lines than the whole table.
    expect(r.sync.applied.every((a) => a.lines < 120)).toBe(true);
    const a = await answers(s, 'client', `http://${svc(s, 'web').clusterIP}/`, 60);
    expect(pods(a)).toEqual(new Set(['web-1', 'web-2', 'web-3']));
    const w1 = await inLab(s, 'client', ['node', WORKLOAD, 'http-get', '--url', `http://${r.ip}:8080/`]);
    expect(JSON.parse(JSON.parse(w1.stdout).body)).toMatchObject({ pod: 'web-1', podIP: r.ip });
  });

  it('a deleted pod leaves its Services at once; created again, it is back', async () => {
    const s = readState(name)!;
    await deletePod(realExecutor, s, 'web-2');
    const a = await answers(s, 'client', `http://${svc(s, 'web').clusterIP}/`, 40);
    expect(pods(a)).toEqual(new Set(['web-1', 'web-3']));
    await createPod(realExecutor, s, 'web-2');
    const b = await answers(s, 'client', `http://${svc(s, 'web').clusterIP}/`, 60);
    expect(pods(b)).toEqual(new Set(['web-1', 'web-2', 'web-3']));
  });

  it('down leaves nothing of the lab and the root namespace unchanged', async () => {
    await down(name);
    expect(await scopedSnapshot([name])).toEqual(before);
  });
});

/** natOutgoing off, internalTrafficPolicy Local, and a client on the node network. */
function variant(name: string): LabSpec {
  return {
    name,
    nodes: { cp: { role: 'control-plane' }, w1: {}, w2: {} },
    pods: {
      a: { node: 'w1', labels: { app: 'a' }, containers: [{ name: 'web', workload: { kind: 'http-echo' } }] },
      b: { node: 'w2', labels: { app: 'a' }, containers: [{ name: 'web', workload: { kind: 'http-echo' } }] },
      c1: { node: 'w1' },
      c2: { node: 'cp' },
    },
    services: {
      local: { selector: { app: 'a' }, internalTrafficPolicy: 'Local', ports: [{ port: 80, targetPort: 8080 }] },
      lb: { type: 'LoadBalancer', selector: { app: 'a' }, ports: [{ port: 80, targetPort: 8080 }] },
    },
    hosts: {
      laptop: { network: 'nodes' },
      internet: { network: 'external', containers: [{ name: 'web', workload: { kind: 'http-echo', port: 80 } }] },
    },
    loadBalancer: { pool: '192.168.200.0/29' },
    natOutgoing: false,
  };
}

describe.skipIf(!live)('live Services: natOutgoing off, internalTrafficPolicy Local, a node-network client', () => {
  const name = 'ls-var';
  const state = labAroundSuite(variant(name)).lab;

  it('natOutgoing off: the outside host sees the pod IP, and its reply finds the way back', async () => {
    const internet = state().plan.hosts.find((h) => h.name === 'internet')!;
    const a = await answers(state(), 'c2', `http://${internet.ip}/`, 2);
    expect(clients(a)).toEqual(new Set([state().pods.c2!.ip]));
  });

  it('internalTrafficPolicy Local: a client is served only by endpoints on its own node; none there, no answer', async () => {
    const clusterIP = state().plan.services.find((s) => s.name === 'local')!.clusterIP!;
    const a = await answers(state(), 'c1', `http://${clusterIP}/`, 20);
    expect(pods(a)).toEqual(new Set(['a']));
    expect(await reaches(state(), 'c2', clusterIP, 80)).toBe(false);
  });

  it('LoadBalancer from a client on the node network: the gateway masquerades it so the answer comes back through it', async () => {
    const lb = state().plan.services.find((s) => s.name === 'lb')!;
    expect(lb.loadBalancerIP).toBe('192.168.200.1');
    const a = await answers(state(), 'host/laptop', `http://${lb.loadBalancerIP}/`, 20);
    expect(pods(a)).toEqual(new Set(['a', 'b']));
  });
});
