/**
 * The API's apps/v1 and Ingress kinds, pure: Deployments and ReplicaSets with the columns kubectl
 * prints (READY, UP-TO-DATE, AVAILABLE, AGE), the scale subresource as kubectl scale uses it
 * (discovery names autoscaling/v1 Scale; GET and PATCH of …/deployments/<name>/scale become the
 * same intent `podlab scale` carries out), Ingresses and IngressClasses; over views of
 * labs/self-healing.lab.ts and labs/ingress.lab.ts as if they were up.
 * test/live/kubectl-apps.test.ts runs the machine's kubectl against a live lab.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { handle, type ApiRequest, type ApiResult } from '../../src/api/handlers.ts';
import { ApiError, type K8sObject, type LabView } from '../../src/api/types.ts';
import { upViewOf } from './api-view.ts';
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { render } from '../../src/cli/get.ts';
import { labStatus } from '../../src/runtime/status.ts';

const req = (method: string, path: string, extra: Partial<ApiRequest> = {}): ApiRequest => ({ method, path: path.split('?')[0]!, query: new URLSearchParams(path.split('?')[1] ?? ''), accept: 'application/json', contentType: 'application/json', ...extra });
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
const body = (r: ApiResult) => (r.type === 'json' ? (r.body as K8sObject) : (undefined as never));
type Table = { columnDefinitions: { name: string; priority: number }[]; rows: { cells: unknown[] }[] };

let healing: LabView;
let ingress: LabView;
beforeAll(async () => {
  healing = await upViewOf('labs/self-healing.lab.ts', 'k8s-unit-sh');
  ingress = await upViewOf('labs/ingress.lab.ts', 'k8s-unit-ing');
}, 60_000);

describe('deployments and replicasets (apps/v1)', () => {
  it('are in discovery, with the scale subresource kubectl scale looks for', () => {
    const list = body(handle(healing, req('GET', '/apis/apps/v1'), 1)) as unknown as { resources: { name: string; kind: string; group?: string; version?: string; verbs: string[]; shortNames?: string[] }[] };
    expect(list.resources.map((r) => r.name)).toEqual(['deployments', 'deployments/scale', 'replicasets']);
    expect(list.resources[1]).toMatchObject({ kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] });
    expect(list.resources[0]!.shortNames).toEqual(['deploy']);
    // kubectl get all: the resources of the `all` category, as in Kubernetes.
    const core = body(handle(healing, req('GET', '/api/v1'), 1)) as unknown as { resources: { name: string; categories?: string[] }[] };
    const net = body(handle(healing, req('GET', '/apis/networking.k8s.io/v1'), 1)) as unknown as { resources: { name: string; categories?: string[] }[] };
    const all = ([...core.resources, ...list.resources, ...net.resources] as { name: string; categories?: string[] }[]).filter((r) => r.categories?.includes('all')).map((r) => r.name);
    expect(all).toEqual(['pods', 'services', 'deployments', 'replicasets']);
  });

  it("print READY, UP-TO-DATE, AVAILABLE and AGE; READY's second number follows a scale", () => {
    const t = body(handle(healing, req('GET', '/apis/apps/v1/namespaces/default/deployments', { accept: TABLE }), 1)) as unknown as Table;
    expect(t.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual(['Name', 'Ready', 'Up-to-date', 'Available', 'Age']);
    expect(t.rows.map((r) => r.cells.slice(0, 4))).toEqual([['web', '3/3', 3, 3]]);
    expect(t.rows[0]!.cells.slice(5)).toEqual(['web', 'hashicorp/http-echo:1.0', 'app=web']);
    const scaled = body(handle({ ...healing, replicas: { web: 5 } }, req('GET', '/apis/apps/v1/namespaces/default/deployments', { accept: TABLE }), 1)) as unknown as Table;
    expect(scaled.rows[0]!.cells.slice(0, 4)).toEqual(['web', '3/5', 3, 3]);
    // A pod the agent holds not ready is not available.
    const unready = { ...healing, status: { ...healing.status, pods: healing.status.pods.map((p, i) => (p.owner && i === 1 ? { ...p, ready: false } : p)) } };
    const d = body(handle(unready, req('GET', '/apis/apps/v1/namespaces/default/deployments/web'), 1));
    expect(d.status).toMatchObject({ replicas: 3, readyReplicas: 2, availableReplicas: 2, unavailableReplicas: 1 });
  });

  it('show one ReplicaSet per Deployment, named with the pod-template-hash its pods carry, owned by the Deployment', () => {
    const rs = body(handle(healing, req('GET', '/apis/apps/v1/namespaces/default/replicasets'), 1)) as unknown as { items: K8sObject[] };
    const hash = healing.plan.loops!.deployments[0]!.hash;
    expect(rs.items.map((o) => o.metadata.name)).toEqual([`web-${hash}`]);
    expect(healing.plan.pods.filter((p) => p.owner === 'web').every((p) => p.name.startsWith(`web-${hash}-`))).toBe(true);
    const deploy = body(handle(healing, req('GET', '/apis/apps/v1/namespaces/default/deployments/web'), 1));
    expect(rs.items[0]!.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Deployment', name: 'web', uid: deploy.metadata.uid, controller: true })]);
    // Its pods name it as their controller (kubectl describe pod: "Controlled By: ReplicaSet/web-…"), by the uid it is served with.
    const pods = body(handle(healing, req('GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb'), 1)) as unknown as { items: K8sObject[] };
    expect(pods.items).toHaveLength(3);
    for (const p of pods.items) expect(p.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'ReplicaSet', name: `web-${hash}`, uid: rs.items[0]!.metadata.uid, controller: true })]);
    const client = body(handle(healing, req('GET', '/api/v1/namespaces/default/pods/client'), 1));
    expect(client.metadata.ownerReferences).toBeUndefined();
    const t = body(handle(healing, req('GET', '/apis/apps/v1/namespaces/default/replicasets', { accept: TABLE }), 1)) as unknown as Table;
    expect(t.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual(['Name', 'Desired', 'Current', 'Ready', 'Age']);
    expect(t.rows[0]!.cells.slice(0, 4)).toEqual([`web-${hash}`, 3, 3, 3]);
  });

  it('mid-rollout: UP-TO-DATE counts the new template\'s pods, one ReplicaSet per pod-template-hash, the strategy shown', () => {
    const d = healing.plan.loops!.deployments[0]!;
    const [first] = healing.plan.pods.filter((p) => p.owner === 'web');
    // A new template written through the API (a new hash, maxUnavailable 0); one pod of it runs beside two old ones.
    const rolled = { ...d, hash: 'newhash222', strategy: { type: 'RollingUpdate' as const, maxSurge: 1, maxUnavailable: 0 } };
    const pods = healing.plan.pods.map((p) => (p === first ? { ...p, labels: { ...p.labels, 'pod-template-hash': 'newhash222' } } : p));
    const view = { ...healing, plan: { ...healing.plan, pods, loops: { ...healing.plan.loops!, deployments: [rolled] } } };
    const dep = body(handle(view, req('GET', '/apis/apps/v1/namespaces/default/deployments/web'), 1));
    expect(dep.spec).toMatchObject({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } });
    expect(dep.status).toMatchObject({ replicas: 3, updatedReplicas: 1, readyReplicas: 3 });
    expect((dep.status as { conditions: { type: string; reason: string }[] }).conditions.find((c) => c.type === 'Progressing')?.reason).toBe('ReplicaSetUpdated');
    const rs = body(handle(view, req('GET', '/apis/apps/v1/namespaces/default/replicasets'), 1)) as unknown as { items: K8sObject[] };
    // DESIRED of the new ReplicaSet is what the deployment controller scaled it to, not yet the
    // replicas: 3 pods of 3 + maxSurge 1 leave room for one more new one (NewRSNewReplicas): 2.
    expect(rs.items.map((o) => [o.metadata.name, (o.spec as { replicas: number }).replicas, (o.status as { replicas: number }).replicas])).toEqual([
      ['web-newhash222', 2, 1],
      [`web-${d.hash}`, 2, 2],
    ]);
    // With Kubernetes' default 25 % of 3 (maxSurge 1) and no new pod yet, kubectl get rs shows the new one at 1, not 3.
    const started = { ...view, plan: { ...view.plan, pods: healing.plan.pods, loops: { ...view.plan.loops, deployments: [{ ...rolled, strategy: undefined }] } } };
    const rs0 = body(handle(started, req('GET', '/apis/apps/v1/namespaces/default/replicasets'), 1)) as unknown as { items: K8sObject[] };
    expect(rs0.items.map((o) => [o.metadata.name, (o.spec as { replicas: number }).replicas])).toEqual([['web-newhash222', 1], [`web-${d.hash}`, 3]]);
    // Recreate: none of the new template until the old pods are gone.
    const recreate = { ...view, plan: { ...view.plan, loops: { ...view.plan.loops, deployments: [{ ...rolled, strategy: { type: 'Recreate' as const } }] } } };
    expect((body(handle(recreate, req('GET', '/apis/apps/v1/namespaces/default/replicasets/web-newhash222'), 1)).spec as { replicas: number }).replicas).toBe(1);
    // Without a strategy of its own a Deployment shows Kubernetes' default, and once every pod is new it has progressed.
    const done = { ...view, plan: { ...view.plan, pods: pods.map((p) => (p.owner === 'web' ? { ...p, labels: { ...p.labels, 'pod-template-hash': 'newhash222' } } : p)), loops: { ...view.plan.loops, deployments: [{ ...rolled, strategy: undefined }] } } };
    const after = body(handle(done, req('GET', '/apis/apps/v1/namespaces/default/deployments/web'), 1));
    expect(after.spec).toMatchObject({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } });
    expect((after.status as { updatedReplicas: number; conditions: { type: string; reason: string }[] }).updatedReplicas).toBe(3);
    expect((after.status as { conditions: { type: string; reason: string }[] }).conditions.find((c) => c.type === 'Progressing')?.reason).toBe('NewReplicaSetAvailable');
  });

  it('scale: GET is an autoscaling/v1 Scale; PATCH and PUT become the scale-deployment intent', () => {
    const scale = body(handle(healing, req('GET', '/apis/apps/v1/namespaces/default/deployments/web/scale'), 1));
    expect(scale).toMatchObject({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 3 }, status: { replicas: 3, selector: 'app=web' } });
    const patch = handle(healing, req('PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale', { body: '{"spec":{"replicas":5}}', contentType: 'application/merge-patch+json' }), 1);
    expect(patch.type === 'write' && patch.intent).toEqual({ op: 'scale-deployment', deployment: 'web', replicas: 5 });
    expect(patch.type === 'write' && patch.reply!(patch.object)).toMatchObject({ kind: 'Scale', spec: { replicas: 5 } });
    const put = handle(healing, req('PUT', '/apis/apps/v1/namespaces/default/deployments/web/scale', { body: JSON.stringify({ ...scale, spec: { replicas: 0 } }) }), 1);
    expect(put.type === 'write' && put.intent).toEqual({ op: 'scale-deployment', deployment: 'web', replicas: 0 });
    let refused: ApiError | undefined;
    try {
      handle(healing, req('PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale', { body: '{"spec":{"replicas":-1}}', contentType: 'application/merge-patch+json' }), 1);
    } catch (e) {
      refused = e as ApiError;
    }
    expect(refused?.toStatus()).toMatchObject({ code: 422, reason: 'Invalid', details: { causes: [{ field: 'spec.replicas' }] } });
    expect(() => handle(healing, req('GET', '/apis/apps/v1/namespaces/default/deployments/nope/scale'), 1)).toThrow(/deployments.apps "nope" not found/);
    // ReplicaSets are the Deployments' own: not written through the API.
    expect(() => handle(healing, req('DELETE', '/apis/apps/v1/namespaces/default/replicasets/web-x'), 1)).toThrow(/podlab does not delete replicasets/);
  });

  it('a watch carries the list version it would start from', () => {
    const list = body(handle(healing, req('GET', '/apis/apps/v1/namespaces/default/deployments'), 1));
    const w = handle(healing, req('GET', '/apis/apps/v1/namespaces/default/deployments?watch=true&resourceVersion=1'), 1);
    expect(w.type === 'watch' && w.listVersion).toBe(list.metadata.resourceVersion);
    const other = handle({ ...healing, replicas: { web: 4 } }, req('GET', '/apis/apps/v1/namespaces/default/deployments?watch=true'), 1);
    expect(other.type === 'watch' && other.listVersion).not.toBe(list.metadata.resourceVersion);
  });
});

describe('pods and nodes as podlab status and get show them', () => {
  it("a pod's READY, RESTARTS and last exit are the control loops' readiness and restarts; a failed node is NotReady", () => {
    const web = healing.status.pods.find((p) => p.owner)!;
    const changed = {
      ...healing,
      status: {
        ...healing.status,
        // One web pod crashed once and is back but fails its readiness probe; worker-2 was failed.
        pods: healing.status.pods.map((p) => (p === web ? { ...p, ready: false, containers: p.containers.map((c) => ({ ...c, restarts: 1, lastExitCode: 137, lastReason: 'Error' })) } : p)),
        agent: { pid: 1, alive: true, failedNodes: ['worker-2'] },
      },
    };
    const pod = body(handle(changed, req('GET', `/api/v1/namespaces/default/pods/${web.name}`), 1));
    const st = pod.status as { conditions: { type: string; status: string }[]; containerStatuses: Record<string, unknown>[] };
    expect(st.containerStatuses[0]).toMatchObject({ ready: false, started: true, restartCount: 1, lastState: { terminated: { exitCode: 137, reason: 'Error' } } });
    expect(st.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'False' }));
    const t = body(handle(changed, req('GET', '/api/v1/namespaces/default/pods', { accept: TABLE }), 1)) as unknown as Table;
    expect(t.rows.find((r) => r.cells[0] === web.name)!.cells.slice(1, 4)).toEqual(['0/1', 'Running', '1']);
    // Every other pod as before: ready, no restarts.
    expect(t.rows.filter((r) => r.cells[0] !== web.name).every((r) => r.cells[3] === '0' && /^(\d)\/\1$/.test(r.cells[1] as string))).toBe(true);
    const nodes = body(handle(changed, req('GET', '/api/v1/nodes', { accept: TABLE }), 1)) as unknown as Table;
    expect(nodes.rows.map((r) => r.cells.slice(0, 2))).toContainEqual(['worker-2', 'NotReady']);
    const node = body(handle(changed, req('GET', '/api/v1/nodes/worker-2'), 1));
    expect((node.status as { conditions: unknown[] }).conditions[0]).toMatchObject({ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', lastTransitionTime: '2026-01-01T00:00:00Z' });
    // Tainted unreachable, as the node controller taints a node whose kubelet stopped; the others not.
    expect((node.spec as { taints: { key: string; effect: string }[] }).taints.map((t) => `${t.key}:${t.effect}`)).toEqual(['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    const other = body(handle(changed, req('GET', '/api/v1/nodes/worker-1'), 1));
    expect((other.spec as { taints?: unknown }).taints).toBeUndefined();
    // A capacity kubectl describe node can divide by: the host's CPUs and memory, which every node shares.
    expect((other.status as { capacity: Record<string, string> }).capacity).toMatchObject({ cpu: expect.stringMatching(/^\d+$/), memory: expect.stringMatching(/^\d+Ki$/), pods: '110' });
  });
});

describe('a container that does not run, as the kubelet reports it', () => {
  it('CrashLoopBackOff while the back-off holds its restart, its last exit in lastState, RESTARTS "N (Xs ago)"; ContainerCreating before it starts', () => {
    const web = healing.status.pods.find((p) => p.owner)!;
    const finishedAt = new Date(Date.now() - 30_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const looping = { restarts: 2, lastExitCode: 1, lastReason: 'Error' as const, lastFinishedAt: finishedAt, state: 'waiting', reason: 'CrashLoopBackOff', backoffMs: 20_000 };
    const view = (c: Partial<LabView['status']['pods'][number]['containers'][number]> | 'none') => ({
      ...healing,
      status: { ...healing.status, pods: healing.status.pods.map((p) => (p === web ? { ...p, ready: false, containers: c === 'none' ? [] : p.containers.map((k) => ({ ...k, alive: false, ...c })) } : p)) },
    });
    const pod = body(handle(view(looping), req('GET', `/api/v1/namespaces/default/pods/${web.name}`), 1));
    const [st] = (pod.status as { containerStatuses: Record<string, unknown>[] }).containerStatuses;
    expect(st).toMatchObject({ ready: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off 20s restarting failed container=web pod=${web.name}_default` } }, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt } } });
    const row = (v: LabView) => (body(handle(v, req('GET', '/api/v1/namespaces/default/pods', { accept: TABLE }), 1)) as unknown as Table).rows.find((r) => r.cells[0] === web.name)!.cells;
    expect(row(view(looping)).slice(1, 4)).toEqual(['0/1', 'CrashLoopBackOff', expect.stringMatching(/^2 \(3\ds ago\)$/)]);
    // Exited 0 and not restarted (restartPolicy): Completed, with its own code, not 137.
    expect(row(view({ ...looping, restarts: 0, lastExitCode: 0, lastReason: 'Completed', state: 'terminated', reason: 'Completed' })).slice(1, 4)).toEqual(['0/1', 'Completed', '0']);
    // A pod whose container has not started yet (its process not recorded).
    expect(row(view('none')).slice(1, 3)).toEqual(['0/1', 'ContainerCreating']);
  });
});

describe('a pod the control loops hold not ready, as the endpoint controllers list it', () => {
  it('stays in its Service\'s EndpointSlice (ready: false) and Endpoints (notReadyAddresses), out of kubectl get ep; podlab get ep and status alike', () => {
    const web = healing.status.pods.find((p) => p.owner)!;
    // What the agent leaves: the pod not ready (loops.json), and out of the kube-proxy tables.
    const loops = { agent: { pid: 1 }, pods: Object.fromEntries(healing.status.pods.map((p) => [p.name, { ready: p !== web, containers: {} }])), failedNodes: {}, evictedNodes: [], seq: {} };
    const state = { ...healing.state, endpoints: Object.fromEntries(Object.entries(healing.plan.endpoints).map(([k, eps]) => [k, eps.filter((e) => e.pod !== web.name)])) };
    const view: LabView = { ...healing, state, status: labStatus(healing.lab, state, loops)! };
    const slice = (body(handle(view, req('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dweb'), 1)) as unknown as { items: K8sObject[] }).items[0]!;
    const eps = slice.endpoints as { addresses: string[]; conditions: Record<string, boolean>; targetRef: { name: string } }[];
    expect(eps).toHaveLength(3);
    expect(eps.find((e) => e.targetRef.name === web.name)!.conditions).toEqual({ ready: false, serving: false, terminating: false });
    expect(eps.filter((e) => e.conditions.ready)).toHaveLength(2);
    const ep = body(handle(view, req('GET', '/api/v1/namespaces/default/endpoints/web'), 1));
    const [subset] = ep.subsets as { addresses: { targetRef: { name: string } }[]; notReadyAddresses?: { ip: string; targetRef: { name: string } }[] }[];
    expect(subset!.addresses).toHaveLength(2);
    expect(subset!.notReadyAddresses!.map((a) => a.targetRef.name)).toEqual([web.name]);
    // kubectl get ep prints the ready addresses; get endpointslices every address, as kubectl's printers do.
    const cells = (path: string) => (body(handle(view, req('GET', path, { accept: TABLE }), 1)) as unknown as Table).rows.map((r) => r.cells);
    const epCell = cells('/api/v1/namespaces/default/endpoints').find((c) => c[0] === 'web')![1] as string;
    expect(epCell.split(',')).toHaveLength(2);
    expect(epCell).not.toContain(`${web.ip}:`);
    expect((cells('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices').find((c) => (c[0] as string).startsWith('web-') && c[1] === 'IPv4' && (c[3] as string).includes(web.ip))) ?? []).toHaveLength(5);
    // podlab get ep reads the same: notReadyAddresses in -o json.
    const list = JSON.parse(render(view.status, 'endpoints', { all: false, output: 'json', now: Date.now() }));
    expect(list.items.find((i: { metadata: { name: string } }) => i.metadata.name === 'web').subsets[0].notReadyAddresses.map((a: { ip: string }) => a.ip)).toEqual([web.ip]);
    expect(view.status.services.find((s) => s.name === 'web')!.endpoints.find((e) => e.pod === web.name)).toMatchObject({ ready: false, notProgrammed: true });
  });
});

describe('publishNotReadyAddresses', () => {
  it('keeps a not-ready pod ready in the slice, but not serving: serving is the pod\'s readiness', async () => {
    const probes = await upViewOf('test/fixtures/labs/loop-probes.lab.ts', 'k8s-unit-lp');
    const loops = { agent: { pid: 1 }, pods: Object.fromEntries(probes.status.pods.map((p) => [p.name, { ready: p.name !== 'never', containers: {} }])), failedNodes: {}, evictedNodes: [], seq: {} };
    // The agent's tables: the not-ready pod stays in never-peers (it publishes not-ready addresses), not in never.
    const state = { ...probes.state, endpoints: { ...probes.plan.endpoints, 'default/never': [] } };
    const view: LabView = { ...probes, state, status: labStatus(probes.lab, state, loops)! };
    const conditions = (svc: string) => ((body(handle(view, req('GET', `/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3D${svc}`), 1)) as unknown as { items: K8sObject[] }).items[0]!.endpoints as { conditions: Record<string, boolean> }[]).map((e) => e.conditions);
    expect(conditions('never-peers')).toEqual([{ ready: true, serving: false, terminating: false }]);
    expect(conditions('never')).toEqual([{ ready: false, serving: false, terminating: false }]);
  });
});

describe('nodes as kubectl prints them', () => {
  it("get nodes -o wide: kube-apiserver's node columns, with the host's kernel and OS, podlab as the runtime, the server's version; podlab get nodes -o wide prints the same", () => {
    const t = body(handle(healing, req('GET', '/api/v1/nodes', { accept: TABLE }), 1)) as unknown as Table;
    expect(t.columnDefinitions.map((c) => `${c.name}${c.priority ? '*' : ''}`)).toEqual(['Name', 'Status', 'Roles', 'Age', 'Version', 'Internal-IP*', 'External-IP*', 'OS-Image*', 'Kernel-Version*', 'Container-Runtime*']);
    const version = (body(handle(healing, req('GET', '/version'), 1)) as unknown as { gitVersion: string }).gitVersion;
    const osImage = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))![1];
    const row = t.rows[0]!.cells;
    expect(row.slice(4)).toEqual([version, '172.16.94.10', '<none>', osImage, release(), expect.stringMatching(/^podlab:\/\/\d+\.\d+\.\d+/)]);
    expect(version).toBe('v1.32.0-podlab');
    const node = body(handle(healing, req('GET', '/api/v1/nodes/worker-1'), 1));
    expect((node.status as { nodeInfo: Record<string, string> }).nodeInfo).toMatchObject({ kubeletVersion: version, kernelVersion: release(), osImage, operatingSystem: 'linux' });
    // podlab get nodes -o wide: the same columns and values, as kubectl lays them out.
    const lines = render(healing.status, 'nodes', { all: false, output: 'wide', now: Date.parse(healing.createdAt) }).trimEnd().split('\n');
    expect(lines[0]!.split(/ {3,}/)).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME']);
    expect(lines[1]!.split(/ {3,}/)).toEqual([row[0], row[1], '<none>', '0s', ...row.slice(4)]);
  });
});

describe('leases (coordination.k8s.io/v1)', () => {
  it("are the nodes' heartbeats in kube-node-lease (kubectl describe node's Lease); a failed node's stops at its failure", () => {
    const failedAt = Date.parse('2026-12-07T10:00:00Z');
    const view = { ...healing, nodeFailures: { 'worker-2': failedAt } };
    const list = body(handle(view, req('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases'), 1)) as unknown as { items: { metadata: { name: string }; spec: { holderIdentity: string; renewTime: string; leaseDurationSeconds: number } }[] };
    expect(list.items.map((l) => l.metadata.name)).toEqual(view.plan.nodes.map((n) => n.name));
    const byName = new Map(list.items.map((l) => [l.metadata.name, l.spec]));
    expect(byName.get('worker-2')).toEqual({ holderIdentity: 'worker-2', leaseDurationSeconds: 40, renewTime: '2026-12-07T10:00:00.000000Z' });
    // A live node renewed within the last 10 s.
    expect(Date.now() - Date.parse(byName.get('worker-1')!.renewTime)).toBeLessThan(11_000);
    expect(() => handle(view, req('DELETE', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/worker-1'), 1)).toThrow(ApiError);
  });
});

describe('events (v1)', () => {
  it("are the control loops' events, each naming its object with the uid the API gives it: kubectl get events and describe find them", () => {
    const pod = healing.status.pods.find((p) => p.owner)!;
    const at = '2026-12-07T10:00:00.000Z';
    const events = [
      { at, type: 'Warning' as const, reason: 'Unhealthy' as const, object: `pod/${pod.name}`, message: 'Readiness probe failed' },
      { at, type: 'Normal' as const, reason: 'NodeNotReady' as const, object: 'node/worker-2', message: 'Node worker-2 status is now: NodeNotReady' },
    ];
    const view = { ...healing, events };
    const podUid = (body(handle(view, req('GET', `/api/v1/namespaces/default/pods/${pod.name}`), 1)).metadata as unknown as { uid: string }).uid;
    const list = body(handle(view, req('GET', `/api/v1/namespaces/default/events?fieldSelector=involvedObject.name=${pod.name},involvedObject.uid=${podUid}`), 1)) as unknown as { items: Record<string, unknown>[] };
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ kind: 'Event', reason: 'Unhealthy', type: 'Warning', involvedObject: { kind: 'Pod', namespace: 'default', name: pod.name, uid: podUid } });
    const t = body(handle(view, req('GET', '/api/v1/namespaces/default/events', { accept: TABLE }), 1)) as unknown as Table;
    expect(t.rows.map((r) => r.cells.slice(1, 4))).toEqual([['Warning', 'Unhealthy', `pod/${pod.name}`], ['Normal', 'NodeNotReady', 'node/worker-2']]);
  });
});

describe('ingresses and ingressclasses (networking.k8s.io/v1)', () => {
  it("list the lab's Ingresses with CLASS, HOSTS, ADDRESS (the controller's load balancer) and PORTS", () => {
    const t = body(handle(ingress, req('GET', '/apis/networking.k8s.io/v1/namespaces/default/ingresses', { accept: TABLE }), 1)) as unknown as Table;
    expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Class', 'Hosts', 'Address', 'Ports', 'Age']);
    const lb = ingress.status.services.find((s) => s.name === 'ingress-nginx-controller')!.loadBalancerIP;
    expect(lb).toBeDefined();
    expect(t.rows.map((r) => r.cells.slice(0, 5))).toEqual([
      ['shop', 'nginx', 'shop.example.com', lb, '80, 443'],
      ['blog', 'nginx', 'blog.example.com,*.blog.example.com', lb, '80'],
      ['secure', 'nginx', 'secure.example.com', lb, '80, 443'],
      ['secure-status', 'nginx', 'secure.example.com', lb, '80'],
      ['fallback', 'nginx', '*', lb, '80'],
    ]);
    const shop = body(handle(ingress, req('GET', '/apis/networking.k8s.io/v1/namespaces/default/ingresses/shop'), 1));
    expect((shop.spec as { rules: { http: { paths: unknown[] } }[] }).rules[0]!.http.paths[0]).toEqual({ path: '/api', pathType: 'Prefix', backend: { service: { name: 'api', port: { number: 8080 } } } });
  });

  it('list IngressClasses, the default one annotated; neither is written through the API', () => {
    const list = body(handle(ingress, req('GET', '/apis/networking.k8s.io/v1/ingressclasses'), 1)) as unknown as { items: K8sObject[] };
    expect(list.items.map((o) => [o.metadata.name, (o.spec as { controller: string }).controller, o.metadata.annotations])).toEqual([['nginx', 'k8s.io/ingress-nginx', { 'ingressclass.kubernetes.io/is-default-class': 'true' }]]);
    expect(() => handle(ingress, req('DELETE', '/apis/networking.k8s.io/v1/ingressclasses/nginx'), 1)).toThrow(/podlab does not delete ingressclasses/);
  });
});
