/**
 * The API server's Services in dual-stack and IPv6-only labs, pure: spec.ipFamilyPolicy,
 * spec.ipFamilies and spec.clusterIPs as the plan has them (primary first), one
 * status.loadBalancer.ingress entry per load-balancer address, `kubectl get svc` columns as
 * kubectl prints a dual-stack Service, one EndpointSlice per family of the Service, Endpoints (v1)
 * in its primary family; and a Service written through the API settled against the lab's
 * families as kube-apiserver settles it (service-families.ts), every refusal a 422 naming the
 * field. Views of labs/dual-stack.lab.ts, labs/ipv6-only.lab.ts and labs/services.lab.ts as if up.
 * test/live/v6-api.test.ts runs the machine's kubectl against live labs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { handle, type ApiRequest, type ApiResult } from '../../src/api/handlers.ts';
import { familiesOf, sliceName } from '../../src/api/kinds/services.ts';
import { serviceRequest } from '../../src/api/live.ts';
import { settleFamilies } from '../../src/api/service-families.ts';
import { ApiError, type Intent, type K8sObject, type LabView } from '../../src/api/types.ts';
import { upViewOf as viewOf } from './api-view.ts';

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
const req = (method: string, path: string, o: { body?: unknown; accept?: string } = {}): ApiRequest => ({ method, path, query: new URLSearchParams(), accept: o.accept ?? 'application/json', contentType: 'application/json', ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }) });
const get = (view: LabView, path: string) => (handle(view, req('GET', path), 1) as Extract<ApiResult, { type: 'json' }>).body as K8sObject;
const items = (view: LabView, path: string) => (get(view, path) as unknown as { items: K8sObject[] }).items;
const spec = (o: K8sObject) => o.spec as Record<string, unknown>;
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
const SVCS = '/api/v1/namespaces/default/services';
const svc = (name: string, s: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }], ...s } });
const fields = (view: LabView, body: unknown) => (refusal(() => handle(view, req('POST', SVCS, { body }), 1)).details as { causes: { field: string; message: string }[] }).causes;

let dual: LabView;
let v6: LabView;
let v4: LabView;
beforeAll(async () => {
  dual = await viewOf('labs/dual-stack.lab.ts', 'v6a-unit-dual');
  v6 = await viewOf('labs/ipv6-only.lab.ts', 'v6a-unit-v6');
  v4 = await viewOf('labs/services.lab.ts', 'v6a-unit-v4');
}, 60_000);

describe('Services as the API server shows them in a dual-stack lab', () => {
  it('spec.ipFamilyPolicy, spec.ipFamilies and spec.clusterIPs as planned, the primary family first', () => {
    const plan = (n: string) => dual.plan.services.find((s) => s.name === n)!;
    const web = get(dual, `${SVCS}/web`);
    expect(spec(web)).toMatchObject({ ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4', 'IPv6'], clusterIP: plan('web').clusterIPs![0], clusterIPs: plan('web').clusterIPs });
    expect(spec(web).clusterIPs).toEqual([expect.stringMatching(/^10\.96\./), 'fd00:10:96::1']);
    expect(spec(get(dual, `${SVCS}/web-v4`))).toMatchObject({ ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'], clusterIPs: [plan('web-v4').clusterIP] });
    expect(spec(get(dual, `${SVCS}/web-v6`))).toMatchObject({ ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'], clusterIP: plan('web-v6').clusterIP, clusterIPs: [expect.stringContaining(':')] });
    // RequireDualStack as written, not the PreferDualStack two families would suggest.
    expect(spec(get(dual, `${SVCS}/web-lb`))).toMatchObject({ ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] });
    expect(spec(get(dual, '/api/v1/namespaces/kube-system/services/kube-dns')).clusterIPs).toEqual(['10.96.0.10', 'fd00:10:96::a']);
  });

  it('status.loadBalancer.ingress has one entry per load-balancer address; kubectl get svc prints the primary ClusterIP and every ingress IP', () => {
    const lb = dual.plan.services.find((s) => s.name === 'web-lb')!;
    expect(lb.loadBalancerIPs).toHaveLength(2);
    expect((get(dual, `${SVCS}/web-lb`).status as { loadBalancer: unknown }).loadBalancer).toEqual({ ingress: lb.loadBalancerIPs!.map((ip) => ({ ip, ipMode: 'VIP' })) });
    const t = (handle(dual, req('GET', SVCS, { accept: TABLE }), 1) as Extract<ApiResult, { type: 'json' }>).body as unknown as { rows: { cells: unknown[] }[] };
    const row = (n: string) => t.rows.find((r) => r.cells[0] === n)!.cells;
    expect(row('web-lb').slice(1, 4)).toEqual(['LoadBalancer', lb.clusterIP, lb.loadBalancerIPs!.join(',')]);
    expect(row('web').slice(1, 4)).toEqual(['ClusterIP', dual.plan.services.find((s) => s.name === 'web')!.clusterIPs![0], '<none>']);
  });
});

describe('EndpointSlices per family, Endpoints in the primary family', () => {
  const podIps = (view: LabView, family: 'IPv4' | 'IPv6') => view.plan.pods.filter((p) => p.labels.app === 'web').map((p) => p.ips.find((a) => a.includes(':') === (family === 'IPv6'))!).sort();

  it('a dual-stack Service has an IPv4 and an IPv6 slice, each named <service>-<5 characters> and labelled with its Service, holding the pods\' addresses of its family', () => {
    const slices = items(dual, '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices').filter((s) => (s.metadata.labels as Record<string, string>)['kubernetes.io/service-name'] === 'web');
    expect(slices.map((s) => s.addressType)).toEqual(['IPv4', 'IPv6']);
    expect(new Set(slices.map((s) => s.metadata.name)).size).toBe(2);
    for (const s of slices) expect(s.metadata.name).toMatch(/^web-[0-9a-z]{5}$/);
    // The IPv4 slice keeps the name it had before slices were per family.
    expect(slices[0]!.metadata.name).toBe(sliceName('default', 'web'));
    const addrs = (s: K8sObject) => (s.endpoints as { addresses: string[] }[]).flatMap((e) => e.addresses).sort();
    expect(addrs(slices[0]!)).toEqual(podIps(dual, 'IPv4'));
    expect(addrs(slices[1]!)).toEqual(podIps(dual, 'IPv6'));
    expect(podIps(dual, 'IPv6').every((a) => a.includes(':'))).toBe(true);
  });

  it('an IPv6 single-stack Service has one IPv6 slice, and its Endpoints carry IPv6 addresses; a dual-stack one\'s Endpoints the primary (IPv4) ones', () => {
    const slices = items(dual, '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices').filter((s) => (s.metadata.labels as Record<string, string>)['kubernetes.io/service-name'] === 'web-v6');
    expect(slices.map((s) => s.addressType)).toEqual(['IPv6']);
    const epIps = (n: string) => ((get(dual, `/api/v1/namespaces/default/endpoints/${n}`).subsets as { addresses: { ip: string }[] }[])[0]!.addresses.map((a) => a.ip).sort());
    expect(epIps('web-v6')).toEqual(podIps(dual, 'IPv6'));
    expect(epIps('web')).toEqual(podIps(dual, 'IPv4'));
    // kubectl get ep prints an IPv6 endpoint in brackets; a slice's owner is its Service, by uid.
    const t = (handle(dual, req('GET', '/api/v1/namespaces/default/endpoints', { accept: TABLE }), 1) as Extract<ApiResult, { type: 'json' }>).body as unknown as { rows: { cells: unknown[] }[] };
    expect(t.rows.find((r) => r.cells[0] === 'web-v6')!.cells[1]).toMatch(/^\[fd00:[0-9a-f:]+\]:\d+(,\[fd00:[0-9a-f:]+\]:\d+)*$/);
    expect((slices[0]!.metadata.ownerReferences as { uid: string }[])[0]!.uid).toBe(get(dual, `${SVCS}/web-v6`).metadata.uid);
  });

  it('an IPv6-only lab: IPv6 ClusterIPs, IPv6 slices, no IPv4 anywhere in a Service', () => {
    const web = get(v6, `${SVCS}/web`);
    expect(spec(web)).toMatchObject({ ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'], clusterIPs: [expect.stringMatching(/^fd00:10:96::/)] });
    const lb = get(v6, `${SVCS}/web-lb`);
    expect((lb.status as { loadBalancer: { ingress: { ip: string }[] } }).loadBalancer.ingress.map((i) => i.ip)).toEqual([expect.stringContaining(':')]);
    const slices = items(v6, '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices').filter((s) => (s.metadata.labels as Record<string, string>)['kubernetes.io/service-name'] === 'web');
    expect(slices.map((s) => s.addressType)).toEqual(['IPv6']);
    expect((slices[0]!.endpoints as unknown[]).length).toBe(2);
  });
});

describe('a Service written through the API, its families settled as kube-apiserver settles them', () => {
  it('defaults: SingleStack in the primary family; PreferDualStack takes both families in a dual-stack lab and one in a single-stack lab', () => {
    const req4 = serviceRequest(svc('a') as unknown as K8sObject, dual.plan);
    expect(req4).toMatchObject({ ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'] });
    expect(serviceRequest(svc('a', { ipFamilyPolicy: 'PreferDualStack' }) as unknown as K8sObject, dual.plan)).toMatchObject({ ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4', 'IPv6'] });
    expect(serviceRequest(svc('a', { ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv6'] }) as unknown as K8sObject, dual.plan)).toMatchObject({ ipFamilies: ['IPv6', 'IPv4'] });
    expect(serviceRequest(svc('a', { ipFamilyPolicy: 'PreferDualStack' }) as unknown as K8sObject, v4.plan)).toMatchObject({ ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4'] });
    expect(serviceRequest(svc('a') as unknown as K8sObject, v6.plan)).toMatchObject({ ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'] });
    // IPv6 primary (labs/dual-stack-ipv6.lab.ts): the default is IPv6, PreferDualStack adds IPv4 second.
    const v6first = { ...dual.plan, ipFamilies: ['IPv6', 'IPv4'] as ('IPv4' | 'IPv6')[], serviceCidrs: [...dual.plan.serviceCidrs].reverse() };
    expect(serviceRequest(svc('a') as unknown as K8sObject, v6first)).toMatchObject({ ipFamilies: ['IPv6'] });
    expect(serviceRequest(svc('a', { ipFamilyPolicy: 'PreferDualStack' }) as unknown as K8sObject, v6first)).toMatchObject({ ipFamilies: ['IPv6', 'IPv4'] });
    // Two families without a policy are RequireDualStack; a cluster IP given decides the family.
    expect(settleFamilies({ ipFamilies: ['IPv6', 'IPv4'] }, { namespace: 'default', name: 'a' }, familiesOf(dual.plan))).toMatchObject({ causes: [], ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv6', 'IPv4'] });
    expect(settleFamilies({ clusterIP: 'fd00:10:96::99' }, { namespace: 'default', name: 'a' }, familiesOf(dual.plan))).toMatchObject({ causes: [], ipFamilies: ['IPv6'], clusterIPs: ['fd00:10:96::99'] });
    expect(settleFamilies({ clusterIP: 'None', ipFamilyPolicy: 'PreferDualStack' }, { namespace: 'default', name: 'a' }, familiesOf(dual.plan))).toMatchObject({ causes: [], ipFamilies: ['IPv4', 'IPv6'], clusterIPs: ['None'] });
    const i = intentOf(handle(dual, req('POST', SVCS, { body: svc('a', { ipFamilyPolicy: 'PreferDualStack' }) }), 1));
    expect(i.op).toBe('apply-service');
  });

  it('RequireDualStack in a single-stack lab is a 422 naming spec.ipFamilyPolicy, as kube-apiserver says it', () => {
    expect(fields(v4, svc('a', { ipFamilyPolicy: 'RequireDualStack' }))).toEqual([{ field: 'spec.ipFamilyPolicy', reason: 'FieldValueInvalid', message: 'Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services' }]);
    expect(fields(v6, svc('a', { ipFamilyPolicy: 'RequireDualStack' })).map((c) => c.field)).toEqual(['spec.ipFamilyPolicy']);
    expect(fields(v4, svc('a', { ipFamilies: ['IPv6'] }))).toEqual([expect.objectContaining({ field: 'spec.ipFamilies[0]', message: 'Invalid value: "IPv6": not configured on this cluster' })]);
    expect(refusal(() => handle(v4, req('POST', SVCS, { body: svc('a', { ipFamilyPolicy: 'RequireDualStack' }) }), 1))).toMatchObject({ code: 422, reason: 'Invalid', message: expect.stringContaining('Service "a" is invalid: spec.ipFamilyPolicy') });
  });

  it('a cluster IP of the wrong family, outside the Service CIDR or taken is a 422 naming spec.clusterIPs', () => {
    expect(fields(v4, svc('a', { clusterIP: 'fd00:10:96::5' }))).toEqual([expect.objectContaining({ field: 'spec.clusterIPs[0]', message: expect.stringContaining('IPv6 is not configured on this cluster') })]);
    expect(fields(v6, svc('a', { clusterIP: '10.96.0.50' }))).toEqual([expect.objectContaining({ field: 'spec.clusterIPs[0]', message: expect.stringContaining('IPv4 is not configured') })]);
    expect(fields(dual, svc('a', { clusterIP: '10.96.0.50', ipFamilies: ['IPv6'] }))).toEqual([expect.objectContaining({ field: 'spec.clusterIPs[0]', message: 'Invalid value: "10.96.0.50": expected an IPv6 value as indicated by `ipFamilies[0]`' })]);
    expect(fields(dual, svc('a', { clusterIPs: ['10.96.0.50', 'fd00:99::5'], ipFamilyPolicy: 'RequireDualStack' }))).toEqual([
      expect.objectContaining({ field: 'spec.clusterIPs', message: expect.stringContaining('the provided IP (fd00:99::5) is not in the valid range. The range of valid IPs is fd00:10:96::/112') }),
    ]);
    expect(fields(dual, svc('a', { clusterIPs: ['10.96.0.50', 'fd00:10:96::1'], ipFamilyPolicy: 'RequireDualStack' }))).toEqual([expect.objectContaining({ field: 'spec.clusterIPs', message: expect.stringContaining('fd00:10:96::1: provided IP is already allocated') })]);
    expect(fields(dual, svc('a', { clusterIPs: ['10.96.0.50', 'fd00:10:96::50'], ipFamilyPolicy: 'SingleStack' })).map((c) => c.field)).toEqual(['spec.ipFamilyPolicy']);
    // A dual-stack Service updated to SingleStack keeps its first family (what the merge sends back is trimmed); created so, it is refused.
    const web0 = dual.plan.services.find((s) => s.name === 'web')!;
    expect(settleFamilies({ clusterIPs: web0.clusterIPs, ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'SingleStack' }, web0, familiesOf(dual.plan))).toMatchObject({ causes: [], ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'], clusterIPs: [web0.clusterIPs![0]] });
    expect(settleFamilies({ clusterIPs: ['10.96.0.50', 'fd00:10:96::50'], ipFamilyPolicy: 'SingleStack' }, { namespace: 'default', name: 'new' }, familiesOf(dual.plan)).causes.map((c) => c.field)).toEqual(['spec.ipFamilyPolicy']);
    // Re-applying a Service with its own cluster IPs (what kubectl apply's merge sends back) is no clash.
    const web = dual.plan.services.find((s) => s.name === 'web')!;
    expect(settleFamilies({ clusterIPs: web.clusterIPs, ipFamilyPolicy: 'PreferDualStack' }, web, familiesOf(dual.plan)).causes).toEqual([]);
  });
});

describe('every load-balancer address of a dual-stack Service, in the graph and on the UI page', () => {
  it('the graph labels the Service with both addresses and knows it by each of its addresses; the UI lists both', async () => {
    const { buildGraph } = await import('../../src/render/graph/model.ts');
    const { statusParts } = await import('../../src/ui/page.ts');
    const lb = dual.plan.services.find((s) => s.name === 'web-lb')!;
    const node = buildGraph(dual.plan).nodes.find((n) => n.kind === 'service' && n.label[0] === 'svc default/web-lb')!;
    expect(node.label).toContain(`load balancer ${lb.loadBalancerIPs!.join(', ')}`);
    expect(node.ips).toEqual([...lb.clusterIPs!, ...lb.loadBalancerIPs!]);
    const ui = statusParts(dual.status, buildGraph(dual.plan)).services.find((s) => s.name === 'web-lb')!;
    expect(ui.address).toBe(`${lb.clusterIPs!.join(', ')}, lb ${lb.loadBalancerIPs!.join(', ')}`);
  });

  it('the graph\'s gateway lists the IPv6 load-balancer addresses it holds too (all of them in an IPv6-only lab)', async () => {
    const { buildGraph } = await import('../../src/render/graph/model.ts');
    const gw = (view: LabView) => buildGraph(view.plan).nodes.find((n) => n.kind === 'gateway')!;
    const all = (view: LabView) => view.plan.services.flatMap((s) => s.loadBalancerIPs ?? (s.loadBalancerIP ? [s.loadBalancerIP] : []));
    for (const view of [dual, v6]) {
      expect(all(view).some((a) => a.includes(':'))).toBe(true);
      for (const a of all(view)) expect(gw(view).ips).toContain(a);
      expect(gw(view).label.find((l) => l.startsWith('load balancer'))).toContain(all(view).find((a) => a.includes(':'))!);
    }
  });

  it('trace knows a Service by any of its addresses in either family; an address nobody owns is PL3110', async () => {
    const { resolveEnd, TraceProblem } = await import('../../src/trace/ends.ts');
    const ends = (view: LabView) => ({ plan: view.plan, pods: view.plan.pods.map((p) => ({ ...p, ip: p.ip })) }) as Parameters<typeof resolveEnd>[0];
    const problem = (view: LabView, ref: string) => {
      try {
        resolveEnd(ends(view), ref, true);
      } catch (e) {
        if (e instanceof TraceProblem) return { code: e.code, message: e.message, hint: e.hint };
        throw e;
      }
      throw new Error('resolved');
    };
    const lb = dual.plan.services.find((s) => s.name === 'web-lb')!;
    const [lb4, lb6] = lb.loadBalancerIPs!;
    expect(resolveEnd(ends(dual), lb4!, true)).toMatchObject({ kind: 'service', service: { name: 'web-lb' } });
    expect(resolveEnd(ends(dual), lb6!, true)).toMatchObject({ kind: 'service', service: { name: 'web-lb' } });
    expect(resolveEnd(ends(dual), 'fd00:10:96::1', true)).toMatchObject({ kind: 'service', service: { name: 'web' } });
    expect(resolveEnd(ends(v6), v6.plan.services.find((s) => s.name === 'web')!.clusterIP!, true)).toMatchObject({ kind: 'service', service: { name: 'web' } });
    expect(problem(dual, 'fd00:99::1')).toMatchObject({ code: 'PL3110' });
  });
});

describe('podlab get svc (kubectl\'s layout without the API server)', () => {
  it('prints every load-balancer address in EXTERNAL-IP and lists each family\'s cluster IP and ingress in -o json', async () => {
    const { render } = await import('../../src/cli/get.ts');
    const lb = dual.plan.services.find((s) => s.name === 'web-lb')!;
    const row = render(dual.status, 'services', { all: false, output: undefined, now: Date.parse(dual.createdAt) }).split('\n').find((l) => l.startsWith('web-lb '))!;
    expect(row.split(/\s+/).slice(1, 4)).toEqual(['LoadBalancer', lb.clusterIP, lb.loadBalancerIPs!.join(',')]);
    const items = (JSON.parse(render(dual.status, 'services', { all: false, output: 'json', now: Date.parse(dual.createdAt) })) as { items: { metadata: { name: string }; spec: { clusterIPs?: string[] }; status: { loadBalancer: { ingress?: { ip: string }[] } } }[] }).items;
    const item = items.find((i) => i.metadata.name === 'web-lb')!;
    expect(item.spec.clusterIPs).toEqual(lb.clusterIPs);
    expect(item.status.loadBalancer.ingress!.map((i) => i.ip)).toEqual(lb.loadBalancerIPs);
  });
});
