/**
 * The lab API's answers, pure: discovery, tables, selectors, the Status errors, and what each
 * write becomes, over a view of test/fixtures/labs/kubectl-lab.lab.ts as if it were up (every
 * pod at its planned IP, its processes alive). test/live/kubectl.test.ts runs the real kubectl.
 */
import { describe, expect, it } from 'vitest';
import spec from '../fixtures/labs/kubectl-lab.lab.ts';
import { handle, mergePatch, type ApiRequest, type ApiResult } from '../../src/api/handlers.ts';
import { KINDS, servedKinds } from '../../src/api/kinds/index.ts';
import { openapiDocument, openapiRoot } from '../../src/api/openapi.ts';
import { fieldsMatch, labelsMatch, parseFieldSelector, parseLabelSelector } from '../../src/api/selectors.ts';
import { ApiError, type K8sObject, type LabView } from '../../src/api/types.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { upView } from './api-view.ts';

function viewOf(ips: Record<string, string> = {}): LabView {
  const { lab } = validateValue(spec, 'kubectl-lab.lab.ts');
  return upView(buildPlan(lab!), ips);
}

const view = viewOf();
const req = (method: string, path: string, extra: Partial<ApiRequest> = {}): ApiRequest => ({ method, path: path.split('?')[0]!, query: new URLSearchParams(path.split('?')[1] ?? ''), accept: 'application/json', contentType: 'application/json', ...extra });
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
const body = (r: ApiResult) => (r.type === 'json' ? (r.body as K8sObject) : (undefined as never));

function refused(f: () => unknown): ApiError {
  try {
    f();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('not refused');
}

describe('discovery and OpenAPI', () => {
  it('lists every served kind with its verbs, pods/log and pods/exec among v1', () => {
    const v1 = body(handle(view, req('GET', '/api/v1'), 1)) as unknown as { resources: { name: string; verbs: string[]; namespaced: boolean }[] };
    expect(v1.resources.map((r) => r.name)).toEqual(['namespaces', 'nodes', 'pods', 'pods/log', 'pods/exec', 'services', 'endpoints', 'configmaps', 'events']);
    expect(v1.resources.find((r) => r.name === 'pods')!.verbs).toContain('delete');
    expect(v1.resources.find((r) => r.name === 'nodes')!.namespaced).toBe(false);
    const groups = body(handle(view, req('GET', '/apis'), 1)) as unknown as { groups: { name: string }[] };
    expect(groups.groups.map((g) => g.name).sort()).toEqual(['apps', 'coordination.k8s.io', 'discovery.k8s.io', 'networking.k8s.io']);
  });

  it('OpenAPI v3 names a document per group version whose PATCH of every kind takes fieldValidation (kubectl then validates on the server)', () => {
    // A lab's own kinds: Calico's CRDs only in a Calico lab (test/unit/calicoctl.test.ts).
    const root = openapiRoot(servedKinds(view.plan)) as { paths: Record<string, { serverRelativeURL: string }> };
    expect(Object.keys(root.paths).sort()).toEqual(['api/v1', 'apis/apps/v1', 'apis/coordination.k8s.io/v1', 'apis/discovery.k8s.io/v1', 'apis/networking.k8s.io/v1']);
    for (const k of KINDS) {
      const doc = openapiDocument(k.group ? `apis/${k.group}/${k.version}` : 'api/v1') as { paths: Record<string, { patch?: { parameters: { name: string }[]; 'x-kubernetes-group-version-kind': object } }> };
      const patch = Object.values(doc.paths).find((p) => p.patch?.['x-kubernetes-group-version-kind'] && JSON.stringify(p.patch['x-kubernetes-group-version-kind']).includes(`"kind":"${k.kind}"`))?.patch;
      expect(patch?.parameters.map((p) => p.name), k.kind).toContain('fieldValidation');
    }
  });
});

describe('reads', () => {
  it('kubectl get pods -o wide: a Table whose rows carry each pod IP and node, wide columns at priority 1', () => {
    const live = viewOf({ 'web-1': '10.244.0.77' });
    const t = body(handle(live, req('GET', '/api/v1/namespaces/default/pods', { accept: TABLE }), 1)) as unknown as { kind: string; columnDefinitions: { name: string; priority: number }[]; rows: { cells: unknown[]; object: { metadata: { name: string } } }[] };
    expect(t.kind).toBe('Table');
    expect(t.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age']);
    const rows = Object.fromEntries(t.rows.map((r) => [r.object.metadata.name, r.cells]));
    expect(rows['web-1']!.slice(5, 7)).toEqual(['10.244.0.77', 'worker-1']);
    expect(rows['web-1']!.slice(1, 3)).toEqual(['1/1', 'Running']);
    expect(Object.keys(rows).sort()).toEqual(['api-1', 'client', 'web-1', 'web-2']);
  });

  it('kubectl get --sort-by: with includeObject=Object each Table row carries the whole object, as kube-apiserver sends it', () => {
    // kubectl get events --sort-by=.lastTimestamp (or pods --sort-by=.status.startTime) asks for
    // includeObject=Object and sorts on the rows' objects: with only their metadata it prints nothing.
    type Rows = { rows: { object?: K8sObject }[] };
    const get = (path: string) => body(handle(view, req('GET', path, { accept: TABLE }), 1)) as unknown as Rows;
    const full = get('/api/v1/namespaces/default/pods?includeObject=Object');
    expect(full.rows.every((r) => r.object?.kind === 'Pod' && (r.object.status as { startTime?: string }).startTime)).toBe(true);
    const one = get('/api/v1/namespaces/default/pods/web-1?includeObject=Object');
    expect(one.rows[0]!.object).toMatchObject({ kind: 'Pod', metadata: { name: 'web-1' }, status: { podIP: expect.any(String) } });
    // The default is the metadata alone (kubectl get without --sort-by), None is no object.
    expect(get('/api/v1/namespaces/default/pods').rows[0]!.object).toMatchObject({ kind: 'PartialObjectMetadata' });
    expect(get('/api/v1/namespaces/default/pods?includeObject=None').rows[0]!.object).toBeUndefined();
    const w = handle(view, req('GET', '/api/v1/namespaces/default/events?watch=true&includeObject=Object', { accept: TABLE }), 1);
    expect(w.type === 'watch' && w.include).toBe('Object');
  });

  it('a pod has podIP/podIPs, hostIP, conditions and one containerStatus per container; a new IP is a new uid', () => {
    const pod = body(handle(view, req('GET', '/api/v1/namespaces/default/pods/web-1'), 1)) as unknown as { status: Record<string, unknown>; metadata: { uid: string } };
    expect(pod.status).toMatchObject({ phase: 'Running', podIP: '10.244.0.2', podIPs: [{ ip: '10.244.0.2' }], hostIP: view.plan.nodes[0]!.ip });
    expect((pod.status.conditions as { type: string; status: string }[]).find((c) => c.type === 'Ready')!.status).toBe('True');
    expect((pod.status.containerStatuses as unknown[]).length).toBe(1);
    const again = body(handle(viewOf({ 'web-1': '10.244.0.9' }), req('GET', '/api/v1/namespaces/default/pods/web-1'), 1)) as unknown as { metadata: { uid: string } };
    expect(again.metadata.uid).not.toBe(pod.metadata.uid);
  });

  it('endpoints and endpointslices list the Service ready pods; coredns carries the live Corefile', () => {
    const slices = body(handle(view, req('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name%3Dweb'), 1)) as unknown as { items: { endpoints: { addresses: string[] }[] }[] };
    expect(slices.items).toHaveLength(1);
    expect(slices.items[0]!.endpoints.flatMap((e) => e.addresses).sort()).toEqual(['10.244.0.2', '10.244.1.2']);
    const cm = body(handle(view, req('GET', '/api/v1/namespaces/kube-system/configmaps/coredns'), 1)) as unknown as { data: { Corefile: string } };
    expect(cm.data.Corefile).toBe(view.plan.dns!.corefile);
  });

  it("kubectl get ep: kube-dns's address once per port (UDP 53, TCP 53, 9153), as kubectl's printer lists a subset", () => {
    const t = body(handle(view, req('GET', '/api/v1/namespaces/kube-system/endpoints', { accept: TABLE }), 1)) as unknown as { rows: { cells: string[] }[] };
    const dns = view.status.pods.find((p) => p.name === 'coredns')!.ip;
    expect(t.rows.find((r) => r.cells[0] === 'kube-dns')!.cells[1]).toBe(`${dns}:53,${dns}:53,${dns}:9153`);
  });

  it("a Service applied at run time: its Endpoints and EndpointSlices are as old as it (creationTimestamp) and owned by its uid", () => {
    // As runtime/live-services.ts records a Service `kubectl apply` made, and api/live.ts keeps its metadata.
    const made = '2026-01-01T00:05:00.000Z';
    const plan = { ...view.plan, services: view.plan.services.map((sv) => (sv.name === 'web' ? { ...sv, createdAt: made } : sv)) };
    const later: LabView = { ...view, plan, kept: { 'Service/default/web': { creationTimestamp: '2026-01-01T00:05:00Z' } } };
    const svc = body(handle(later, req('GET', '/api/v1/namespaces/default/services/web'), 1));
    expect(svc.metadata.creationTimestamp).toBe('2026-01-01T00:05:00Z');
    const slice = (body(handle(later, req('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name%3Dweb'), 1)) as unknown as { items: K8sObject[] }).items[0]!;
    expect(slice.metadata.creationTimestamp).toBe('2026-01-01T00:05:00Z');
    expect((slice.metadata.ownerReferences as { uid: string }[])[0]!.uid).toBe(svc.metadata.uid);
    expect(body(handle(later, req('GET', '/api/v1/namespaces/default/endpoints/web'), 1)).metadata.creationTimestamp).toBe('2026-01-01T00:05:00Z');
    // The lab file's Service and its slices are as old as the lab.
    const api = body(handle(view, req('GET', '/api/v1/namespaces/default/endpoints/web'), 1));
    expect(api.metadata.creationTimestamp).toBe('2026-01-01T00:00:00Z');
  });

  it('pods/log: the container named or the first, follow, tailLines, and previous (kubectl logs -p) passed on', () => {
    const logs = (path: string) => handle(view, req('GET', path), 1);
    expect(logs('/api/v1/namespaces/default/pods/web-1/log')).toMatchObject({ type: 'logs', pod: 'web-1', follow: false, previous: false });
    expect(logs('/api/v1/namespaces/default/pods/web-1/log?previous=true&tailLines=5')).toMatchObject({ type: 'logs', pod: 'web-1', previous: true, tailLines: 5 });
  });

  it('label and field selectors', () => {
    const labels = { app: 'web', tier: 'front' };
    expect(labelsMatch(parseLabelSelector('app=web,tier!=db'), labels)).toBe(true);
    expect(labelsMatch(parseLabelSelector('app in (api, db)'), labels)).toBe(false);
    expect(labelsMatch(parseLabelSelector('!tier'), labels)).toBe(false);
    expect(labelsMatch(parseLabelSelector('tier,app notin (db)'), labels)).toBe(true);
    expect(refused(() => parseLabelSelector('app in web')).code).toBe(400);
    const obj = { metadata: { name: 'x' }, spec: { nodeName: 'worker-2' } } as K8sObject;
    expect(fieldsMatch(parseFieldSelector('spec.nodeName=worker-2,metadata.name!=y'), obj)).toBe(true);
    expect(fieldsMatch(parseFieldSelector('spec.nodeName=worker-1'), obj)).toBe(false);
    const names = (body(handle(view, req('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dworker-2'), 1)) as unknown as { items: K8sObject[] }).items.map((o) => o.metadata.name);
    expect(names.sort()).toEqual(['api-1', 'web-2']);
  });

  it('a watch request is a watch of the kind, with the selectors as its filter', () => {
    const r = handle(view, req('GET', '/api/v1/namespaces/default/pods?watch=true&labelSelector=app%3Dweb', { accept: TABLE }), 1);
    expect(r.type).toBe('watch');
    if (r.type !== 'watch') return;
    expect(r.table).toBe(true);
    expect(r.filter({ metadata: { name: 'web-1', namespace: 'default', labels: { app: 'web' } } })).toBe(true);
    expect(r.filter({ metadata: { name: 'api-1', namespace: 'default', labels: { app: 'api' } } })).toBe(false);
  });
});

describe('Status errors', () => {
  it('an unsupported verb is a 405 naming what is served; an unknown kind a 404 listing the kinds', () => {
    const e = refused(() => handle(view, req('DELETE', '/api/v1/nodes/worker-1'), 1));
    expect(e.code).toBe(405);
    expect(e.message).toMatch(/^podlab does not delete nodes: it serves get, list, watch for nodes\. What it changes: pods \(delete\)/);
    const u = refused(() => handle(view, req('GET', '/apis/batch/v1/namespaces/default/jobs'), 1));
    expect(u.code).toBe(404);
    expect(u.message).toContain('networkpolicies.networking.k8s.io');
    expect(refused(() => handle(view, req('GET', '/api/v1/namespaces/default/pods/nope'), 1)).toStatus()).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404, message: 'pods "nope" not found' });
  });
});

describe('writes', () => {
  const policy = (spec: object) => JSON.stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p' }, spec });

  it('a NetworkPolicy becomes podlab policy, defaulted as the API server does', () => {
    const r = handle(view, req('POST', '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies', { body: policy({ podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 8080 }] }] }) }), 1);
    expect(r.type === 'write' && r.intent).toEqual({
      op: 'apply-policy',
      meta: {},
      warnings: [],
      policy: { name: 'p', namespace: 'default', podSelector: { matchLabels: { app: 'web' }, matchExpressions: [] }, policyTypes: ['Ingress'], ingress: [{ peers: [{ podSelector: { matchLabels: { role: 'client' }, matchExpressions: [] } }], ports: [{ protocol: 'TCP', port: 8080 }] }], egress: [] },
    });
  });

  it("a NetworkPolicy whose selectors select no running pod is applied, with validate's PL2112 as the API server's warnings", () => {
    const r = handle(view, req('POST', '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies', { body: policy({ podSelector: { matchLabels: { app: 'wbe' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'clinet' } } }] }] }) }), 1);
    expect(r.type === 'write' && r.intent.op === 'apply-policy' && r.intent.warnings).toEqual([
      'spec.podSelector: NetworkPolicy "default/p" selects no pod: no pod in namespace "default" has app=wbe (PL2112)',
      'spec.ingress[0].from[0].podSelector: NetworkPolicy "default/p" ingress[0].from[0]: the peer selects no pod (role=clinet in namespace "default") (PL2112)',
    ]);
    // One that selects the web pods has nothing to warn of.
    const ok = handle(view, req('POST', '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies', { body: policy({ podSelector: { matchLabels: { app: 'web' } } }) }), 1);
    expect(ok.type === 'write' && ok.intent.op === 'apply-policy' && ok.intent.warnings).toEqual([]);
  });

  it('a name that is not a DNS-1123 subdomain is a 422 on metadata.name: it would reach nft and nginx.conf', () => {
    for (const name of ['x"\ninclude "/etc/shadow"', 'Web', '../x']) {
      const e = refused(() => handle(view, req('POST', '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies', { body: JSON.stringify({ metadata: { name }, spec: { podSelector: {} } }) }), 1));
      expect([e.code, e.details.causes![0]!.field]).toEqual([422, 'metadata.name']);
    }
  });

  it('an invalid NetworkPolicy or Service is a 422 whose causes name the fields', () => {
    const e = refused(() => handle(view, req('POST', '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies', { body: policy({ podSelector: {}, ingress: [{ ports: [{ port: 70000 }], form: [] }] }) }), 1));
    expect(e.code).toBe(422);
    expect(e.details.causes!.map((c) => c.field).sort()).toEqual(['spec.ingress[0].form', 'spec.ingress[0].ports[0].port']);
    const peer = refused(() => handle(view, req('POST', '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies', { body: policy({ podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }] }) }), 1));
    expect(peer.details.causes![0]!.field).toBe('spec.ingress[0].from[0].ipBlock');
    const svc = refused(() => handle(view, req('POST', '/api/v1/namespaces/default/services', { body: JSON.stringify({ metadata: { name: 's' }, spec: { ports: [{ port: 0 }], type: 'Bogus' } }) }), 1));
    expect(svc.message).toMatch(/^Service "s" is invalid: spec.type: Unsupported value: "Bogus".*spec.ports\[0\].port: Invalid value: 0/);
  });

  it('kubectl apply (strategic merge with last-applied) and server-side apply both give the desired object', () => {
    const withPolicy: LabView = { ...view, policies: [{ name: 'p', namespace: 'default', podSelector: { matchLabels: {}, matchExpressions: [] }, policyTypes: ['Ingress'], ingress: [], egress: [] }] };
    const desired = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p', namespace: 'default' }, spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] } };
    const patch = JSON.stringify({ metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(desired) } }, spec: { podSelector: { matchLabels: { app: 'web' } } } });
    const csa = handle(withPolicy, req('PATCH', '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/p', { body: patch, contentType: 'application/strategic-merge-patch+json' }), 1);
    expect(csa.type === 'write' && csa.intent.op === 'apply-policy' && csa.intent.policy.podSelector.matchLabels).toEqual({ app: 'web' });
    expect(csa.type === 'write' && csa.intent.op === 'apply-policy' && Object.keys(csa.intent.meta.annotations ?? {})).toEqual(['kubectl.kubernetes.io/last-applied-configuration']);
    const ssa = handle(view, req('PATCH', '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/p?fieldManager=kubectl', { body: 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec:\n  podSelector: {matchLabels: {app: api}}\n', contentType: 'application/apply-patch+yaml' }), 1);
    expect(ssa.type === 'write' && ssa.created && ssa.intent.op === 'apply-policy' && ssa.intent.policy.podSelector.matchLabels).toEqual({ app: 'api' });
    // A JSON patch (RFC 6902: kubectl patch --type json, kubectl rollout undo) is applied to the object as it is.
    const json = (ops: unknown) => handle(withPolicy, req('PATCH', '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/p', { body: JSON.stringify(ops), contentType: 'application/json-patch+json' }), 1);
    const jp = json([{ op: 'replace', path: '/spec/podSelector', value: { matchLabels: { app: 'db' } } }]);
    expect(jp.type === 'write' && jp.intent.op === 'apply-policy' && jp.intent.policy.podSelector.matchLabels).toEqual({ app: 'db' });
    // A failed test, or a path that is not there, refuses the whole patch (422), as the API server does.
    expect(refused(() => json([{ op: 'test', path: '/spec/podSelector/matchLabels', value: { app: 'nope' } }, { op: 'remove', path: '/spec' }])).code).toBe(422);
    expect(refused(() => json([{ op: 'remove', path: '/spec/nothing/here' }])).code).toBe(422);
    expect(refused(() => handle(withPolicy, req('PATCH', '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/p', { body: '{}', contentType: 'application/json-patch+json' }), 1)).code).toBe(400);
    expect(refused(() => handle(withPolicy, req('PATCH', '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/p', { body: '[]', contentType: 'application/bogus-patch+json' }), 1)).code).toBe(415);
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 } }, { b: { c: null, e: 4 }, $patch: 'x' })).toEqual({ a: 1, b: { d: 3, e: 4 } });
    // Strategic: containers and env merge by name (a $patch: delete element goes); other lists, such as a Service's ports, are replaced whole.
    const tpl = { containers: [{ name: 'a', image: 'x', env: [{ name: 'K', value: '1' }] }, { name: 'b', image: 'y' }], ports: [{ name: 'http', port: 80 }, { name: 'dns', port: 53 }] };
    expect(mergePatch(tpl, { containers: [{ name: 'a', env: [{ name: 'L', value: '2' }] }, { name: 'b', $patch: 'delete' }], ports: [{ name: 'http', port: 81 }] }, true)).toEqual({
      containers: [{ name: 'a', image: 'x', env: [{ name: 'K', value: '1' }, { name: 'L', value: '2' }] }],
      ports: [{ name: 'http', port: 81 }],
    });
    expect(mergePatch(tpl, { containers: [{ name: 'a', image: 'z' }] })).toEqual({ ...tpl, containers: [{ name: 'a', image: 'z' }] });
  });

  it('deleting a pod of its own deletes it (a workload\'s comes back: test/unit/api-writes.test.ts); creating an object that exists is a 409', () => {
    const r = handle(view, req('DELETE', '/api/v1/namespaces/default/pods/web-1'), 1);
    expect(r.type === 'write' && r.intent).toEqual({ op: 'delete-pod', pod: 'web-1' });
    const dup = refused(() => handle(view, req('POST', '/api/v1/namespaces/default/services', { body: JSON.stringify({ metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } }) }), 1));
    expect(dup.code).toBe(409);
  });

  it('the coredns ConfigMap takes a new Corefile; other ConfigMaps are refused with what is served', () => {
    const r = handle(view, req('PUT', '/api/v1/namespaces/kube-system/configmaps/coredns', { body: JSON.stringify({ metadata: { name: 'coredns' }, data: { Corefile: '.:53 {\n    log\n}\n' } }) }), 1);
    expect(r.type === 'write' && r.intent).toMatchObject({ op: 'reload-dns', corefile: '.:53 {\n    log\n}\n' });
    const other = refused(() => handle(view, req('POST', '/api/v1/namespaces/default/configmaps', { body: JSON.stringify({ metadata: { name: 'x' }, data: {} }) }), 1));
    expect(other.code).toBe(405);
  });
});
