/**
 * Deployments and Ingresses written through the API, pure (src/api/workloads.ts): what a
 * create, replace or apply of each becomes (the control loops' Deployment with its pod template;
 * the controller's Ingress), and every refusal a 422 Status naming the field, as kubectl prints
 * it. Over views of labs/self-healing.lab.ts and labs/ingress.lab.ts as if they were up;
 * test/live/kubectl-writes.test.ts runs the machine's kubectl against a live lab.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { handle, type ApiRequest, type ApiResult } from '../../src/api/handlers.ts';
import { ApiError, type Intent, type LabView } from '../../src/api/types.ts';
import { upViewOf } from './api-view.ts';
import { noteRevision } from '../../src/loops/revisions.ts';

const req = (method: string, path: string, body?: unknown, contentType = 'application/json'): ApiRequest => ({ method, path, query: new URLSearchParams(), accept: 'application/json', contentType, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
const intentOf = (r: ApiResult): Intent => (r.type === 'write' ? r.intent : (undefined as never));
function refusal(f: () => unknown): ReturnType<ApiError['toStatus']> {
  try {
    f();
  } catch (e) {
    if (e instanceof ApiError) return e.toStatus();
    throw e;
  }
  throw new Error('not refused');
}

const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';
const INGS = '/apis/networking.k8s.io/v1/namespaces/default/ingresses';

const api = (o: { replicas?: number; labels?: Record<string, string>; selector?: Record<string, string>; args?: string[]; image?: string; name?: string } = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: o.name ?? 'api' },
  spec: {
    replicas: o.replicas ?? 2,
    selector: { matchLabels: o.selector ?? { app: 'api' } },
    template: { metadata: { labels: o.labels ?? { app: 'api' } }, spec: { containers: [{ name: 'api', image: o.image ?? 'hashicorp/http-echo:1.0', args: o.args ?? ['-listen=:5678'], ports: [{ containerPort: 5678 }] }] } },
  },
});

let healing: LabView;
let ingress: LabView;
beforeAll(async () => {
  healing = await upViewOf('labs/self-healing.lab.ts', 'k8s-unit-shw');
  ingress = await upViewOf('labs/ingress.lab.ts', 'k8s-unit-ingw');
}, 60_000);

describe('Deployments written through the API', () => {
  it('a new Deployment becomes the control loops\' Deployment: replicas, hash, and a pod template running the mapped workload', () => {
    const i = intentOf(handle(healing, req('POST', DEPLOYS, api()), 1));
    if (i.op !== 'apply-deployment') throw new Error(i.op);
    const d = i.deployment;
    expect(d).toMatchObject({ name: 'api', namespace: 'default', replicas: 2 });
    expect(d.hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{10}$/);
    const t = d.template!;
    expect(t.owner).toBe('api');
    expect(t.labels).toEqual({ app: 'api', 'pod-template-hash': d.hash });
    // hashicorp/http-echo -listen=:5678 is podlab's http-echo on 5678; the pod's name goes in --pod (the agent renames it per pod).
    expect(t.containers.map((c) => c.argv)).toEqual([['@workload', 'http-echo', '--port', '5678', '--pod', t.name]]);
    expect(t.resolv.searches[0]).toBe('default.svc.cluster.local');
    expect(t.netns).toContain(t.name);
    // Kubernetes' default strategy, which the agent rolls a new template out with: no warning.
    expect(d.strategy).toEqual({ type: 'RollingUpdate', maxSurge: '25%', maxUnavailable: '25%' });
    expect(i.warnings).toEqual([]);
    const withEnvFrom = api() as unknown as { spec: { strategy?: unknown; template: { spec: { containers: Record<string, unknown>[] } } } };
    withEnvFrom.spec.strategy = { type: 'Recreate' };
    withEnvFrom.spec.template.spec.containers[0]!.env = [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }];
    const w = intentOf(handle(healing, req('POST', DEPLOYS, withEnvFrom), 1));
    expect(w.op === 'apply-deployment' && w.warnings).toEqual([expect.stringMatching(/^spec\.template\.spec\.containers\[0\]\.env\[0\]\.valueFrom: env "X": valueFrom is not built by podlab.*\(PL2212\)$/)]);
  });

  it('spec.strategy is kept as written (RollingUpdate with its bounds, or Recreate) and checked as the API server does', () => {
    const withStrategy = (strategy: unknown) => ({ ...api(), spec: { ...api().spec, strategy } });
    const strategyOf = (strategy: unknown) => {
      const i = intentOf(handle(healing, req('POST', DEPLOYS, withStrategy(strategy)), 1));
      return i.op === 'apply-deployment' ? i.deployment.strategy : undefined;
    };
    expect(strategyOf({ type: 'Recreate' })).toEqual({ type: 'Recreate' });
    expect(strategyOf({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } })).toEqual({ type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 });
    expect(strategyOf({ rollingUpdate: { maxUnavailable: '50%' } })).toEqual({ type: 'RollingUpdate', maxSurge: '25%', maxUnavailable: '50%' });
    const causes = (strategy: unknown) => (refusal(() => handle(healing, req('POST', DEPLOYS, withStrategy(strategy)), 1)).details as { causes?: { field?: string; message: string }[] } | undefined)?.causes?.map((c) => `${c.field}: ${c.message}`);
    expect(causes({ type: 'Recreate', rollingUpdate: { maxSurge: 1 } })).toEqual(["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"]);
    expect(causes({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } })).toEqual(['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0']);
    expect(causes({ rollingUpdate: { maxUnavailable: '150%' } })).toEqual(['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%']);
    expect(causes({ rollingUpdate: { maxSurge: 'many' } })).toEqual([expect.stringMatching(/^spec\.strategy\.rollingUpdate\.maxSurge: Invalid value: "many": a valid percent string/)]);
    expect(causes({ rollingUpdate: { maxSurge: -1 } })).toEqual(['spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0']);
  });

  it('kubectl set env / set image (strategic merge patches) change one container of the template as written, keeping its other fields', () => {
    const created = intentOf(handle(healing, req('POST', DEPLOYS, api()), 1));
    if (created.op !== 'apply-deployment') throw new Error(created.op);
    const d = created.deployment;
    const view = { ...healing, plan: { ...healing.plan, loops: { ...healing.plan.loops!, deployments: [...healing.plan.loops!.deployments, d] } } };
    // What GET serves is the template as written (so kubectl computes its patches against it).
    const got = handle(view, req('GET', `${DEPLOYS}/api`), 1);
    const served = (got.type === 'json' ? got.body : undefined) as { spec: { template: unknown } };
    expect(served.spec.template).toEqual(api().spec.template);
    const patch = (p: unknown) => {
      const i = intentOf(handle(view, req('PATCH', `${DEPLOYS}/api`, p, 'application/strategic-merge-patch+json'), 1));
      return i.op === 'apply-deployment' ? i.deployment : (undefined as never);
    };
    // kubectl set env deployment/api X=1
    const env = patch({ spec: { template: { spec: { containers: [{ name: 'api', env: [{ name: 'X', value: '1' }] }] } } } });
    expect(env.hash).not.toBe(d.hash);
    expect(env.template!.containers.map((c) => [c.argv, c.env])).toEqual([[['@workload', 'http-echo', '--port', '5678', '--pod', env.template!.name], { X: '1' }]]);
    // kubectl set image deployment/api api=hashicorp/http-echo:1.1: the args (the port) stay.
    const image = patch({ spec: { template: { spec: { containers: [{ name: 'api', image: 'hashicorp/http-echo:1.1' }] } } } });
    expect(image.template!.containers.map((c) => c.argv)).toEqual([['@workload', 'http-echo', '--port', '5678', '--pod', image.template!.name]]);
    expect(image.written).toMatchObject({ spec: { containers: [{ name: 'api', image: 'hashicorp/http-echo:1.1', args: ['-listen=:5678'], ports: [{ containerPort: 5678 }] }] } });
    // A JSON merge patch replaces a list whole, as RFC 7386 says: the container loses its image and is refused.
    expect(refusal(() => handle(view, req('PATCH', `${DEPLOYS}/api`, { spec: { template: { spec: { containers: [{ name: 'api', env: [{ name: 'X', value: '1' }] }] } } } }, 'application/merge-patch+json'), 1))).toMatchObject({ code: 422 });
  });

  it("a lab file's Deployment read through the API and sent back validates, its probe, port and workload kept (kubectl set env, rollout restart, get -o yaml | replace)", () => {
    const served = handle(healing, req('GET', `${DEPLOYS}/web`), 1);
    const web = (served.type === 'json' ? served.body : undefined) as unknown as { spec: { template: { metadata: Record<string, unknown>; spec: { containers: Record<string, unknown>[] } } } };
    const c = web.spec.template.spec.containers[0]!;
    expect(c).toMatchObject({ name: 'web', image: 'hashicorp/http-echo:1.0', args: ['-listen=:8080'], ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { httpGet: { path: '/healthz', port: 8080 } } });
    // Sent back with an env var, as kubectl set env does: accepted, and the same workload and probe planned.
    c.env = [{ name: 'FOO', value: 'bar' }];
    const i = intentOf(handle(healing, req('PUT', `${DEPLOYS}/web`, web), 1));
    const d = i.op === 'apply-deployment' ? i.deployment : (undefined as never);
    const planned = d.template!.containers[0]!;
    expect(planned.argv.slice(0, 4)).toEqual(['@workload', 'http-echo', '--port', '8080']);
    expect(planned.env).toEqual({ FOO: 'bar' });
    expect(planned.readinessProbe?.action).toEqual({ kind: 'httpGet', port: 8080, path: '/healthz' });
    // kubectl rollout restart: a template annotation is a new pod-template-hash (its pods are rolled), the same one the same hash.
    const restart = (at: string) => {
      const r = intentOf(handle(healing, req('PATCH', `${DEPLOYS}/web`, { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } } }, 'application/strategic-merge-patch+json'), 1));
      return r.op === 'apply-deployment' ? r.deployment : (undefined as never);
    };
    const once = restart('2026-12-07T10:00:00Z');
    expect(once.hash).not.toBe(healing.plan.loops!.deployments.find((x) => x.name === 'web')!.hash);
    expect(once.template!.labels['pod-template-hash']).toBe(once.hash);
    expect(restart('2026-12-07T10:00:00Z').hash).toBe(once.hash);
    expect(restart('2026-12-07T10:05:00Z').hash).not.toBe(once.hash);
    // A pod of it shows the same container as its template.
    const pods = handle(healing, req('GET', '/api/v1/namespaces/default/pods'), 1);
    const pod = ((pods.type === 'json' ? pods.body : undefined) as unknown as { items: { metadata: { labels: Record<string, string> }; spec: { containers: Record<string, unknown>[] } }[] }).items.find((p) => p.metadata.labels.app === 'web')!;
    expect(pod.spec.containers[0]).toMatchObject({ image: 'hashicorp/http-echo:1.0', args: ['-listen=:8080'], readinessProbe: { httpGet: { path: '/healthz' } } });
  });

  it("an old ReplicaSet serves its template as it was written, so kubectl rollout undo's JSON patch of it is its pod-template-hash again (the ReplicaSet comes back)", () => {
    const create = (o: unknown) => {
      const i = intentOf(handle(healing, req('POST', DEPLOYS, o), 1));
      return i.op === 'apply-deployment' ? i.deployment : (undefined as never);
    };
    // Revision 1: a template with what the lab's own template has no place for (kubectl rollout restart's annotation, http-echo's -text=).
    const restarted = api({ args: ['-listen=:5678', '-text=one'] });
    (restarted.spec.template.metadata as Record<string, unknown>).annotations = { 'kubectl.kubernetes.io/restartedAt': '2026-12-07T10:00:00Z' };
    const one = create(restarted);
    const two = create(api({ args: ['-listen=:5678', '-text=two'] }));
    expect(two.hash).not.toBe(one.hash);
    // As the agent records them (loops.json), revision 2 current.
    const revisions = { api: noteRevision(noteRevision([], one.hash, '2026-01-01T00:01:00Z', one.template, one.written), two.hash, '2026-01-01T00:02:00Z', two.template, two.written) };
    const view: LabView = { ...healing, plan: { ...healing.plan, loops: { ...healing.plan.loops!, deployments: [...healing.plan.loops!.deployments, two] } }, revisions };
    const rsList = handle(view, req('GET', '/apis/apps/v1/namespaces/default/replicasets'), 1);
    const rs = ((rsList.type === 'json' ? rsList.body : undefined) as unknown as { items: { metadata: { name: string }; spec: { template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> } } } }[] }).items.find((r) => r.metadata.name === `api-${one.hash}`)!;
    expect(rs.spec.template.metadata.annotations).toEqual({ 'kubectl.kubernetes.io/restartedAt': '2026-12-07T10:00:00Z' });
    // kubectl rollout undo --to-revision=1: the ReplicaSet's template, its pod-template-hash label removed, replaces spec.template.
    const template = structuredClone(rs.spec.template);
    delete template.metadata.labels['pod-template-hash'];
    const undo = intentOf(handle(view, req('PATCH', `${DEPLOYS}/api`, [{ op: 'replace', path: '/spec/template', value: template }], 'application/json-patch+json'), 1));
    expect(undo.op === 'apply-deployment' && undo.deployment.hash).toBe(one.hash);
  });

  it('the hash follows the template, not the replicas: a new image or label is a new hash, a scale is not', () => {
    const hash = (o: Parameters<typeof api>[0]) => {
      const i = intentOf(handle(healing, req('POST', DEPLOYS, api(o)), 1));
      return i.op === 'apply-deployment' ? i.deployment.hash : '';
    };
    expect(hash({ replicas: 5 })).toBe(hash({}));
    expect(hash({ args: ['-listen=:5679'] })).not.toBe(hash({}));
    expect(hash({ labels: { app: 'api', tier: 'v2' } })).not.toBe(hash({}));
  });

  it('server-side apply of an existing Deployment replaces it whole; DELETE becomes delete-deployment', () => {
    const body = JSON.stringify({ ...api({ name: 'web', selector: { app: 'web' }, labels: { app: 'web' }, replicas: 4 }) });
    const i = intentOf(handle(healing, req('PATCH', `${DEPLOYS}/web`, body, 'application/apply-patch+yaml'), 1));
    expect(i.op === 'apply-deployment' && [i.deployment.name, i.deployment.replicas]).toEqual(['web', 4]);
    expect(intentOf(handle(healing, req('DELETE', `${DEPLOYS}/web`), 1))).toEqual({ op: 'delete-deployment', namespace: 'default', name: 'web' });
  });

  it('refusals are 422s naming the field: schema, an image podlab does not map, an immutable selector, a missing namespace', () => {
    const bad = api();
    (bad.spec.template.spec.containers[0]!.ports[0] as { containerPort: unknown }).containerPort = 'x';
    expect(refusal(() => handle(healing, req('POST', DEPLOYS, bad), 1))).toMatchObject({ code: 422, reason: 'Invalid', details: { kind: 'Deployment', causes: [{ field: 'spec.template.spec.containers[0].ports[0].containerPort' }] } });
    const typo = api() as unknown as { spec: Record<string, unknown> };
    typo.spec.replica = 2;
    expect(refusal(() => handle(healing, req('POST', DEPLOYS, typo), 1))).toMatchObject({ code: 422, details: { causes: [{ field: 'spec.replica', reason: 'FieldValueNotSupported', message: expect.stringContaining('did you mean "replicas"') }] } });
    expect(refusal(() => handle(healing, req('POST', DEPLOYS, api({ image: 'redis:7' })), 1))).toMatchObject({ code: 422, details: { causes: [{ field: 'spec.template.spec.containers[0].image', message: expect.stringContaining('PL2208') }] } });
    const changed = JSON.stringify(api({ name: 'web', selector: { app: 'other' }, labels: { app: 'other' } }));
    expect(refusal(() => handle(healing, req('PUT', `${DEPLOYS}/web`, changed), 1))).toMatchObject({ code: 422, details: { causes: [{ field: 'spec.selector', message: expect.stringContaining('field is immutable') }] } });
    expect(refusal(() => handle(healing, req('POST', '/apis/apps/v1/namespaces/shop/deployments', { ...api(), metadata: { name: 'api', namespace: 'shop' } }), 1))).toMatchObject({ code: 422, details: { causes: [{ field: 'metadata.namespace' }] } });
  });

  it("kubectl delete pod: a Deployment's pod is deleted (the agent replaces it); a scale copy is re-created", () => {
    const pod = healing.plan.pods.find((p) => p.owner === 'web')!;
    expect(intentOf(handle(healing, req('DELETE', `/api/v1/namespaces/default/pods/${pod.name}`), 1))).toEqual({ op: 'delete-pod', pod: pod.name });
    const copy = { ...pod, name: 'client-r2', replicaOf: 'client', replica: 2, owner: undefined };
    const scaled = { ...healing, plan: { ...healing.plan, pods: [...healing.plan.pods, copy] }, state: { ...healing.state, pods: { ...healing.state.pods, 'client-r2': healing.state.pods[pod.name]! } } };
    scaled.status = { ...healing.status, pods: [...healing.status.pods, { ...healing.status.pods.find((p) => p.name === pod.name)!, name: 'client-r2', owner: undefined }] };
    expect(intentOf(handle(scaled, req('DELETE', '/api/v1/namespaces/default/pods/client-r2'), 1))).toEqual({ op: 'recreate-pod', pod: 'client-r2' });
  });

  it('a lab without control loops refuses a Deployment with a 422 that says why', () => {
    expect(ingress.plan.loops).toBeUndefined();
    expect(refusal(() => handle(ingress, req('POST', DEPLOYS, api()), 1))).toMatchObject({ code: 422, message: expect.stringContaining('runs no control loops') });
  });
});

const ing = (o: { name?: string; host?: string; service?: string; port?: number; pathType?: string; tls?: unknown; className?: string; path?: string; annotations?: Record<string, string> } = {}) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: o.name ?? 'extra', ...(o.annotations ? { annotations: o.annotations } : {}) },
  spec: {
    ...(o.className ? { ingressClassName: o.className } : {}),
    rules: [{ host: o.host ?? 'extra.example.com', http: { paths: [{ path: o.path ?? '/', pathType: o.pathType ?? 'Prefix', backend: { service: { name: o.service ?? 'web', port: { number: o.port ?? 80 } } } }] } }],
    ...(o.tls ? { tls: o.tls } : {}),
  },
});

describe('Ingresses written through the API', () => {
  it('a new Ingress becomes the controller\'s: the default class, rules and backends as the lab file\'s', () => {
    const i = intentOf(handle(ingress, req('POST', INGS, ing()), 1));
    expect(i).toMatchObject({ op: 'apply-ingress', ingress: { name: 'extra', namespace: 'default', className: 'nginx', rules: [{ host: 'extra.example.com', paths: [{ path: '/', pathType: 'Prefix', backend: { service: 'web', port: 80 } }] }], tls: [] } });
    expect(intentOf(handle(ingress, req('DELETE', `${INGS}/shop`), 1))).toEqual({ op: 'delete-ingress', namespace: 'default', name: 'shop' });
  });

  it('accepted as kube-apiserver accepts them: a Service or port that is not there, a class no controller of the lab serves; each with a warning', () => {
    const written = (o: Parameters<typeof ing>[0]) => {
      const i = intentOf(handle(ingress, req('POST', INGS, ing(o)), 1));
      return i.op === 'apply-ingress' ? i : (undefined as never);
    };
    // ingress-nginx answers 503 for these (nginx-conf.ts): the API server does not look.
    expect(written({ service: 'nope' }).warnings).toEqual(['spec.rules[0].http.paths[0].backend.service.name: no Service "default/nope" (yet): the controller answers 503 here until there is one (PL2261)']);
    expect(written({ port: 8080 }).warnings).toEqual([expect.stringMatching(/^spec\.rules\[0\]\.http\.paths\[0\]\.backend\.service\.port\.number: Service "web" has no TCP port 8080 \(its ports: .*\): the controller answers 503 here \(PL2262\)$/)]);
    // Another class (declared or not): kept, not served; the controller's own checks (a clash, a certificate) are not its.
    const traefik = written({ className: 'traefik', host: 'shop.example.com', tls: [{ hosts: ['shop.example.com'], secretName: 'nope-tls' }] });
    expect(traefik.ingress.className).toBe('traefik');
    expect(traefik.warnings).toEqual([expect.stringMatching(/^spec\.ingressClassName: no IngressClass "traefik" in this lab: podlab's controller \(k8s\.io\/ingress-nginx, classes "nginx"\) ignores this Ingress \(PL2253\)$/)]);
    expect(written({}).warnings).toEqual([]);
  });

  it('refusals are 422s naming the field: what kube-apiserver refuses (a pathType, a host, names), and what the controller refuses of its own class (a clash, a certificate not issued)', () => {
    const field = (o: Parameters<typeof ing>[0]) => (refusal(() => handle(ingress, req('POST', INGS, ing(o)), 1)).details as { causes: { field: string }[] }).causes.map((c) => c.field);
    expect(field({ service: 'No_Such' })).toEqual(['spec.rules[0].http.paths[0].backend.service.name']);
    expect(field({ port: 70000 })).toEqual(['spec.rules[0].http.paths[0].backend.service.port.number']);
    expect(field({ className: 'Not_A_Class' })).toEqual(['spec.ingressClassName']);
    expect(field({ pathType: 'Regex' })).toEqual(['spec.rules[0].http.paths[0].pathType']);
    expect(field({ host: 'Not_A_Host' })).toEqual(['spec.rules[0].host']);
    // shop.example.com Prefix / is the lab file's Ingress "shop"'s already: ingress-nginx refuses the second.
    expect(field({ host: 'shop.example.com' })).toEqual(['spec.rules[0].http.paths[0].path']);
    expect(field({ tls: [{ hosts: ['extra.example.com'], secretName: 'extra-tls' }] })).toEqual(['spec.tls[0]']);
    // The redirect annotations take "true" or "false", as ingress-nginx validates them.
    expect(field({ annotations: { 'nginx.ingress.kubernetes.io/force-ssl-redirect': 'yes', 'nginx.ingress.kubernetes.io/ssl-redirect': 'off' } })).toEqual(['metadata.annotations[nginx.ingress.kubernetes.io/force-ssl-redirect]', 'metadata.annotations[nginx.ingress.kubernetes.io/ssl-redirect]']);
    expect(intentOf(handle(ingress, req('POST', INGS, ing({ annotations: { 'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true' } })), 1)).op).toBe('apply-ingress');
    // A Secret whose certificate exists (issued at up for the lab file's Ingress) is fine.
    expect(intentOf(handle(ingress, req('POST', INGS, ing({ name: 'shop2', host: 'shop.example.com', path: '/new', tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }] })), 1)).op).toBe('apply-ingress');
  });
});

describe('OpenAPI v3 for kubectl explain, and the terminal of exec -t', () => {
  it('every field below a served kind is described: Pod → spec → containers → ports, with types and required fields', async () => {
    const { openapiDocument } = await import('../../src/api/openapi.ts');
    type S = { description?: string; type?: string; required?: string[]; properties?: Record<string, S>; items?: S; allOf?: { $ref: string }[]; 'x-kubernetes-group-version-kind'?: unknown };
    const doc = openapiDocument('api/v1') as { components: { schemas: Record<string, S> } };
    const schemas = doc.components.schemas;
    const deref = (s: S): S => (s.allOf ? schemas[s.allOf[0]!.$ref.replace('#/components/schemas/', '')]! : s);
    const pod = schemas['io.k8s.api.core.v1.Pod']!;
    expect(pod['x-kubernetes-group-version-kind']).toEqual([{ group: '', version: 'v1', kind: 'Pod' }]);
    const containers = deref(pod.properties!.spec!).properties!.containers!;
    expect(containers.type).toBe('array');
    const container = deref(containers.items!);
    expect(container.description).toBe('A single application container that you want to run within a pod.');
    expect(container.required).toEqual(['name']);
    const port = deref(container.properties!.ports!.items!);
    expect(port.properties!.containerPort).toMatchObject({ type: 'integer', description: expect.stringContaining('0 < x < 65536') });
    // Every reference resolves inside the document, as kubectl explain follows them.
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[^"]+/g)!;
    for (const r of refs) expect(schemas[r.replace('#/components/schemas/', '')], r).toBeDefined();
    // Kinds without a model (EndpointSlice) keep their top level.
    const discovery = openapiDocument('apis/discovery.k8s.io/v1') as { components: { schemas: Record<string, S> } };
    expect(Object.keys(discovery.components.schemas)).toEqual(['io.k8s.api.discovery.v1.EndpointSlice']);
  });

  it('src/api/openapi-docs.json is what scripts/k8s-docs.ts makes of the installed kubernetes-models', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/k8s-docs.ts', '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);

  it('resize messages (channel 4) are read as kubectl sends them; anything else is ignored', async () => {
    const { resizeOf } = await import('../../src/api/server.ts');
    expect(resizeOf(Buffer.from('{"Width":120,"Height":40}'))).toEqual({ cols: 120, rows: 40 });
    expect(resizeOf(Buffer.from('{"Width":0,"Height":40}'))).toBeUndefined();
    expect(resizeOf(Buffer.from('{"Width":"120; rm -rf /","Height":40}'))).toBeUndefined();
    expect(resizeOf(Buffer.from('not json'))).toBeUndefined();
  });
});
