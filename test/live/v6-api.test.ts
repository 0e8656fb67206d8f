/**
 * The machine's kubectl (v1.32) and Services in a dual-stack and an IPv6-only lab
 * (test/fixtures/labs/v6a-dual.lab.ts, v6a-only.lab.ts): `kubectl get svc -o json` shows both
 * families (ipFamilyPolicy, ipFamilies, clusterIPs, one load-balancer ingress per family) and one
 * EndpointSlice per family; `kubectl apply` of a PreferDualStack Service gives it an IPv4 and an
 * IPv6 ClusterIP, both answering from a pod through kube-proxy's ip and ip6 tables; in the
 * IPv6-only lab a default Service gets an IPv6 ClusterIP that answers, and RequireDualStack is a
 * 422 naming spec.ipFamilyPolicy with nothing applied. The labs come up and go down by podlab's CLI.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readState } from '../../src/runtime/state.ts';
import { liveGuard } from './host.ts';
import { kubectlLab } from './kubectl-cli.ts';

const live = liveGuard();
const LABS = { dual: 'v6a-dual', only: 'v6a-only' } as const;
const K: Record<string, ReturnType<typeof kubectlLab>> = Object.fromEntries(Object.values(LABS).map((lab) => [lab, kubectlLab(lab, { podlabTimeout: 120_000 })]));

let dir = '';
const kubectl = (lab: string, ...args: string[]) => K[lab]!.kubectl(...args);
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
/** GET from a pod, an IPv6 address in brackets (curl -g: no globbing of the brackets). */
const curl = (lab: string, address: string, port = 80) => kubectl(lab, 'exec', 'client', '--', 'curl', '-g', '-s', '-m', '2', `http://${address.includes(':') ? `[${address}]` : address}:${port}/`);

async function until(what: string, ok: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const service = (name: string, extra = '') => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector: {app: web}
${extra}  ports:
  - port: 80
    targetPort: 8080
`;

describe.skipIf(!live)('kubectl and Services in dual-stack and IPv6-only labs', () => {
  for (const lab of Object.values(LABS)) K[lab]!.aroundSuite(`test/fixtures/labs/${lab}.lab.ts`);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'v6a-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('kubectl get svc -o json shows both families: policy, families, a ClusterIP and a load-balancer address per family', async () => {
    const r = await kubectl(LABS.dual, 'get', 'svc', '-o', 'json');
    expect(r.exitCode).toBe(0);
    const items = (JSON.parse(r.stdout) as { items: { metadata: { name: string }; spec: Record<string, unknown>; status: { loadBalancer: { ingress?: { ip: string }[] } } }[] }).items;
    const web = items.find((i) => i.metadata.name === 'web')!;
    expect(web.spec).toMatchObject({ ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4', 'IPv6'], clusterIPs: [expect.stringMatching(/^10\.96\./), expect.stringMatching(/^fd00:10:96::/)] });
    const lb = items.find((i) => i.metadata.name === 'web-lb')!;
    expect(lb.spec.ipFamilyPolicy).toBe('RequireDualStack');
    const ingress = lb.status.loadBalancer.ingress!.map((i) => i.ip);
    expect(ingress).toEqual([expect.stringMatching(/^172\.16\.94\./), expect.stringMatching(/^fd00:172:16:94::/)]);
    // kubectl's printer: the primary ClusterIP, every ingress IP joined by commas.
    const t = await kubectl(LABS.dual, 'get', 'svc', 'web-lb', '--no-headers');
    expect(t.stdout.split(/\s+/).slice(1, 4)).toEqual(['LoadBalancer', lb.spec.clusterIP, ingress.join(',')]);
    const slices = await kubectl(LABS.dual, 'get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'jsonpath={range .items[*]}{.addressType}={.endpoints[*].addresses[0]};{end}');
    const byFamily = Object.fromEntries(slices.stdout.split(';').filter(Boolean).map((s) => s.split('=') as [string, string]));
    const pods = readState(LABS.dual)!.plan.pods.filter((p) => p.labels.app === 'web');
    expect(byFamily.IPv4!.split(' ').sort()).toEqual(pods.map((p) => p.ips[0]).sort());
    expect(byFamily.IPv6!.split(' ').sort()).toEqual(pods.map((p) => p.ips[1]).sort());
  }, 60_000);

  it('kubectl apply of a PreferDualStack Service: an IPv4 and an IPv6 ClusterIP, each answering from a pod', async () => {
    const r = await kubectl(LABS.dual, 'apply', '-f', file('both.yaml', service('both', '  ipFamilyPolicy: PreferDualStack\n')));
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('service/both created');
    const got = await kubectl(LABS.dual, 'get', 'svc', 'both', '-o', 'jsonpath={.spec.ipFamilies[*]}|{.spec.clusterIPs[*]}');
    const [families, ips] = got.stdout.split('|');
    expect(families).toBe('IPv4 IPv6');
    const [v4, v6] = ips!.split(' ');
    expect(v6).toMatch(/^fd00:10:96::/);
    await until('the IPv4 ClusterIP answering', async () => (await curl(LABS.dual, v4!)).stdout.includes('"pod":"web-'));
    await until('the IPv6 ClusterIP answering', async () => (await curl(LABS.dual, v6!)).stdout.includes('"pod":"web-'));
    // Applied again unchanged: the same addresses (kubectl apply's merge sends them back).
    expect((await kubectl(LABS.dual, 'apply', '-f', join(dir, 'both.yaml'))).stdout.trim()).toBe('service/both unchanged');
    expect((await kubectl(LABS.dual, 'get', 'svc', 'both', '-o', 'jsonpath={.spec.clusterIPs[*]}')).stdout).toBe(ips);
  }, 60_000);

  it('a single-stack Service applied again with PreferDualStack keeps its IPv4 ClusterIP and gains an IPv6 one that answers; back to SingleStack drops it', async () => {
    expect((await kubectl(LABS.dual, 'apply', '-f', file('grow.yaml', service('grow')))).stdout.trim()).toBe('service/grow created');
    const first = (await kubectl(LABS.dual, 'get', 'svc', 'grow', '-o', 'jsonpath={.spec.ipFamilyPolicy}|{.spec.clusterIPs[*]}')).stdout.split('|');
    expect(first[0]).toBe('SingleStack');
    expect(first[1]).toMatch(/^10\.96\.\S+$/);
    expect((await kubectl(LABS.dual, 'apply', '-f', file('grow.yaml', service('grow', '  ipFamilyPolicy: PreferDualStack\n')))).stdout.trim()).toBe('service/grow configured');
    const [v4, v6] = (await kubectl(LABS.dual, 'get', 'svc', 'grow', '-o', 'jsonpath={.spec.clusterIPs[*]}')).stdout.split(' ');
    expect(v4).toBe(first[1]);
    expect(v6).toMatch(/^fd00:10:96::/);
    await until('the new IPv6 ClusterIP answering', async () => (await curl(LABS.dual, v6!)).stdout.includes('"pod":"web-'));
    // Back to SingleStack: the API server keeps the first family only, and kube-proxy's ip6 rule goes.
    expect((await kubectl(LABS.dual, 'apply', '-f', file('grow.yaml', service('grow', '  ipFamilyPolicy: SingleStack\n')))).stdout.trim()).toBe('service/grow configured');
    expect((await kubectl(LABS.dual, 'get', 'svc', 'grow', '-o', 'jsonpath={.spec.ipFamilies[*]}|{.spec.clusterIPs[*]}')).stdout).toBe(`IPv4|${v4}`);
    await until('the IPv6 ClusterIP gone', async () => (await curl(LABS.dual, v6!)).exitCode !== 0);
    expect((await curl(LABS.dual, v4!)).stdout).toContain('"pod":"web-');
    expect((await kubectl(LABS.dual, 'delete', 'svc', 'grow')).stdout.trim()).toBe('service "grow" deleted');
    await until('the IPv4 ClusterIP gone', async () => (await curl(LABS.dual, v4!)).exitCode !== 0);
  }, 60_000);

  it('kubectl apply of a dual-stack NodePort Service: its NodePort answers at a node\'s IPv6 address too', async () => {
    const r = await kubectl(LABS.dual, 'apply', '-f', file('np.yaml', service('np', '  type: NodePort\n  ipFamilyPolicy: RequireDualStack\n')));
    expect(r.stdout.trim()).toBe('service/np created');
    const nodePort = Number((await kubectl(LABS.dual, 'get', 'svc', 'np', '-o', 'jsonpath={.spec.ports[0].nodePort}')).stdout);
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    const node = readState(LABS.dual)!.plan.nodes.find((n) => n.name === 'worker-2')!;
    const [ip4, ip6] = node.ips;
    expect(ip6).toContain(':');
    await until('the NodePort answering at the node\'s IPv6 address', async () => (await curl(LABS.dual, ip6!, nodePort)).stdout.includes('"pod":"web-'));
    expect((await curl(LABS.dual, ip4!, nodePort)).stdout).toContain('"pod":"web-');
  }, 60_000);

  it('the IPv6-only lab: a Service applied with no families gets an IPv6 ClusterIP that answers', async () => {
    const r = await kubectl(LABS.only, 'apply', '-f', file('web6.yaml', service('web')));
    expect(r.stdout.trim()).toBe('service/web created');
    const got = await kubectl(LABS.only, 'get', 'svc', 'web', '-o', 'jsonpath={.spec.ipFamilyPolicy}|{.spec.ipFamilies[*]}|{.spec.clusterIP}');
    const [policy, families, ip] = got.stdout.split('|');
    expect([policy, families]).toEqual(['SingleStack', 'IPv6']);
    expect(ip).toMatch(/^fd00:10:96::/);
    await until('the IPv6 ClusterIP answering', async () => (await curl(LABS.only, ip!)).stdout.includes('"pod":"web"'));
    const slices = await kubectl(LABS.only, 'get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'jsonpath={.items[*].addressType}');
    expect(slices.stdout).toBe('IPv6');
  }, 60_000);

  it('RequireDualStack in a single-stack lab is a 422 naming spec.ipFamilyPolicy; nothing is applied', async () => {
    const before = readState(LABS.only)!.plan.services.map((s) => s.name);
    const r = await kubectl(LABS.only, 'apply', '-f', file('req.yaml', service('req', '  ipFamilyPolicy: RequireDualStack\n')));
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services');
    expect(readState(LABS.only)!.plan.services.map((s) => s.name)).toEqual(before);
    expect((await kubectl(LABS.only, 'get', 'svc', 'req')).exitCode).not.toBe(0);
    // An IPv4 ClusterIP in this lab: its family is not configured.
    const v4 = await kubectl(LABS.only, 'apply', '-f', file('v4.yaml', service('v4', '  clusterIP: 10.96.0.50\n')));
    expect(v4.exitCode).not.toBe(0);
    expect(v4.stderr).toContain('spec.clusterIPs[0]: Invalid value: "10.96.0.50"');
  }, 60_000);
});
