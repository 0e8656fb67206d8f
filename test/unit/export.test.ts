/**
 * Manifests out: every example lab's export is committed under test/fixtures/export/<lab>/ and
 * kept equal to a fresh one; every exported object passes the same Kubernetes schema checks that
 * manifests-in applies; the checks script is valid bash; and a round trip — export a lab's
 * objects, build a lab from those manifests — plans the same pods, Services and addresses.
 *
 *   UPDATE_EXPORTS=1 npx vitest run test/unit/export.test.ts   # (re)writes test/fixtures/export/
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileLab } from '../../src/compile/compile.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import type { Lab } from '../../src/compile/lab.ts';
import { loadLab } from '../../src/compile/load.ts';
import { checksScript, exportLab, labObjects } from '../../src/export/export.ts';
import { validateObject } from '../../src/k8s/api-schema.ts';
import { CLUSTER_NETWORK_POLICY } from '../../src/k8s/manifests.ts';
import { clusterNetworkPolicySchema } from '../../src/schema/cluster-network-policy-schema.ts';
import { buildPlan, type Plan } from '../../src/plan/plan.ts';
import { drift } from '../../src/render/files.ts';

const labs = readdirSync('labs').filter((f) => f.endsWith('.lab.ts')).sort();
const UPDATE = process.env.UPDATE_EXPORTS === '1';
const compiled = new Map<string, { lab: Lab; plan: Plan; value: Record<string, unknown> }>();

beforeAll(async () => {
  for (const f of labs) {
    const r = await compileLab(join('labs', f));
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const loaded = await loadLab(join('labs', f));
    compiled.set(f, { lab: r.lab!, plan: buildPlan(r.lab!), value: loaded.value as Record<string, unknown> });
  }
}, 120_000);

/** What a round trip must keep: each pod's place and address, each Service's addresses and ports. */
function essentials(plan: Plan) {
  return {
    nodes: plan.nodes.map((n) => ({ name: n.name, ip: n.ip })),
    namespaces: plan.namespaces,
    pods: plan.pods.map((p) => ({
      name: p.name,
      namespace: p.namespace,
      node: p.node,
      ip: p.ip,
      hostNetwork: p.hostNetwork,
      labels: p.labels,
      resolv: p.resolv,
      containers: p.containers.map((c) => JSON.stringify(c)),
    })),
    services: plan.services,
    endpoints: plan.endpoints,
    loops: plan.loops ? JSON.stringify(plan.loops) : undefined,
    // Namespace labels as the lab wrote them: export adds podlab's own two marks (PODLAB_LABELS), which read back as labels.
    networkPolicy: plan.networkPolicy && {
      policies: plan.networkPolicy.policies,
      clusterPolicies: plan.networkPolicy.clusterPolicies,
      namespaces: Object.fromEntries(Object.entries(plan.networkPolicy.namespaces).map(([ns, l]) => [ns, Object.fromEntries(Object.entries(l).filter(([k]) => !['app.kubernetes.io/managed-by', 'podlab.dev/lab'].includes(k)))]).filter(([, l]) => Object.keys(l as object).length)),
    },
    ingress: plan.ingress,
    corefile: plan.dns ? JSON.stringify(plan.dns) : undefined,
  };
}

describe('podlab export', () => {
  for (const f of labs) {
    const name = f.replace(/\.lab\.ts$/, '');

    it(`${f}: matches test/fixtures/export/${name}/`, () => {
      const { lab, plan } = compiled.get(f)!;
      const files = exportLab(lab, plan);
      const dir = join('test/fixtures/export', name);
      if (UPDATE) {
        rmSync(dir, { recursive: true, force: true });
        for (const [rel, text] of files) {
          mkdirSync(dirname(join(dir, rel)), { recursive: true });
          writeFileSync(join(dir, rel), text);
        }
      }
      expect(drift(dir, files), `${dir} drifted: run UPDATE_EXPORTS=1 npx vitest run test/unit/export.test.ts`).toEqual([]);
    });

    it(`${f}: every exported object passes the Kubernetes schemas`, () => {
      const { lab, plan } = compiled.get(f)!;
      const files = exportLab(lab, plan);
      let objects = 0;
      for (const [rel, text] of files) {
        if (!rel.endsWith('.yaml') || rel === 'kind.yaml') continue;
        for (const doc of parseAllDocuments(text)) {
          expect(doc.errors).toEqual([]);
          const obj = doc.toJS() as Record<string, unknown>;
          if (obj.kind === 'ClusterNetworkPolicy') {
            // A CRD, not in the Kubernetes API schemas: its spec against podlab's copy of the CRD's (schema/cluster-network-policy-schema.ts).
            expect(`${String(obj.apiVersion)}/${String(obj.kind)}`).toBe(CLUSTER_NETWORK_POLICY);
            expect(Object.keys(obj).sort()).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
            expect(clusterNetworkPolicySchema.safeParse(obj.spec).error?.issues ?? []).toEqual([]);
          } else expect(validateObject(obj), `${rel}: ${String(obj.kind)}`).toEqual([]);
          objects++;
        }
      }
      expect(objects).toBeGreaterThanOrEqual(7);
    });

    it(`${f}: the checks Job's script is valid bash`, () => {
      const { lab, plan } = compiled.get(f)!;
      const text = exportLab(lab, plan).get('40-checks.yaml')!;
      const cm = parseAllDocuments(text).map((d) => d.toJS() as { kind: string; data?: Record<string, string> }).find((o) => o.kind === 'ConfigMap')!;
      const r = spawnSync('bash', ['-n'], { input: cm.data!['checks.sh'], encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    });

    it(`${f}: round trip — the exported manifests build the same pods, Services and addresses`, () => {
      const { lab, plan, value } = compiled.get(f)!;
      const o = labObjects(lab, plan);
      const yaml = (objs: Record<string, unknown>[]) => objs.map((x) => stringify(x)).join('---\n');
      const dns = value.dns === false ? false : { ...((value.dns as object | undefined) ?? {}), corefile: undefined, files: undefined };
      const fromManifests = {
        ...value,
        namespaces: undefined,
        pods: undefined,
        deployments: undefined,
        services: undefined,
        networkPolicies: undefined,
        clusterNetworkPolicies: undefined,
        ingresses: undefined,
        ingressClasses: undefined,
        dns,
        manifests: [o.namespaces, o.dns, o.pods, o.deployments, o.services, o.networkPolicies, o.clusterNetworkPolicies, o.ingress].filter((x) => x.length).map(yaml),
      };
      const back = validateValue(JSON.parse(JSON.stringify(fromManifests)), join('labs', f));
      expect(back.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(essentials(buildPlan(back.lab!))).toEqual(essentials(plan));
    });
  }

  it('a round trip can fail: an Ingress path or a policy port changed in the YAML changes the plan', () => {
    const back = (f: string, edit: (o: ReturnType<typeof labObjects>) => void) => {
      const { lab, plan, value } = compiled.get(f)!;
      const o = JSON.parse(JSON.stringify(labObjects(lab, plan))) as ReturnType<typeof labObjects>;
      edit(o);
      const yaml = (objs: Record<string, unknown>[]) => objs.map((x) => stringify(x)).join('---\n');
      const r = validateValue({ ...value, namespaces: undefined, pods: undefined, services: undefined, networkPolicies: undefined, ingresses: undefined, ingressClasses: undefined, manifests: [o.namespaces, o.pods, o.services, o.networkPolicies, o.ingress].filter((x) => x.length).map(yaml) }, join('labs', f));
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      return { before: essentials(plan), after: essentials(buildPlan(r.lab!)) };
    };
    const ing = back('ingress.lab.ts', (o) => {
      const shop = o.ingress.find((x) => (x.metadata as { name: string }).name === 'shop') as { spec: { rules: { http: { paths: { path: string }[] } }[] } };
      shop.spec.rules[0]!.http.paths[0]!.path = '/apis';
    });
    expect(ing.after.ingress).not.toEqual(ing.before.ingress);
    expect({ ...ing.after, ingress: undefined }).toEqual({ ...ing.before, ingress: undefined });
    const np = back('network-policy.lab.ts', (o) => {
      (o.networkPolicies[0] as { spec: { policyTypes: string[] } }).spec.policyTypes = ['Egress'];
    });
    expect(np.after.networkPolicy).not.toEqual(np.before.networkPolicy);
  });

  it('a round trip can fail: a ClusterNetworkPolicy action changed in the YAML changes the plan', () => {
    const { lab, plan, value } = compiled.get('cluster-network-policy.lab.ts')!;
    const o = JSON.parse(JSON.stringify(labObjects(lab, plan))) as ReturnType<typeof labObjects>;
    const yaml = (objs: Record<string, unknown>[]) => objs.map((x) => stringify(x)).join('---\n');
    const build = (cnps: Record<string, unknown>[]) => validateValue({ ...value, clusterNetworkPolicies: undefined, manifests: [yaml(cnps)] }, 'labs/cluster-network-policy.lab.ts');
    expect(essentials(buildPlan(build(o.clusterNetworkPolicies).lab!))).toEqual(essentials(plan));
    (o.clusterNetworkPolicies[0] as { spec: { ingress: { action: string }[] } }).spec.ingress[0]!.action = 'Accept';
    expect(essentials(buildPlan(build(o.clusterNetworkPolicies).lab!)).networkPolicy).not.toEqual(essentials(plan).networkPolicy);
  });

  it('a ClusterNetworkPolicy manifest the CRD rejects is a coded error at its YAML line', () => {
    const { value } = compiled.get('cluster-network-policy.lab.ts')!;
    const text = ['apiVersion: policy.networking.k8s.io/v1alpha2', 'kind: ClusterNetworkPolicy', 'metadata:', '  name: bad', 'spec:', '  tier: Admin', '  priority: 5', '  subject:', '    namespaces: {}', '  ingress:', '    - action: Drop', '      from: [{ namespaces: {} }]', ''].join('\n');
    const r = validateValue({ ...value, manifests: [text] }, 'labs/cluster-network-policy.lab.ts');
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]!.message).toContain('Drop');
    expect(errors[0]!.within?.line ?? errors[0]!.line).toBe(11);
  });

  it("the checks Job runs an https check from a pod: SNI through --resolve, the Ingress's TLS", () => {
    const { lab, plan } = compiled.get('ingress.lab.ts')!;
    const from = plan.pods.find((p) => !p.hostNetwork && p.namespace === 'default')!;
    const https = plan.checks.find((c) => c.kind === 'http' && c.https && c.sni === 'secure.example.com') as Extract<typeof plan.checks[number], { kind: 'http' }>;
    // From a pod of the lab to the controller's Service (the example's run from an outside host to its load balancer: skipped).
    const moved = { ...plan, checks: [{ ...https, from: { kind: 'pod', name: from.name }, to: { ...https.to, kind: 'svc', name: 'svc/ingress-nginx/ingress-nginx-controller' } }] } as typeof plan;
    const script = checksScript(lab, moved);
    const line = script.split('\n').find((l) => l.startsWith('run ') || l.startsWith('skip '))!;
    expect(line).toMatch(/^run \d+ .* http_check "\$\(svc_ip 'ingress-nginx' 'ingress-nginx-controller'\)" 443 '\/' 200 1 0 '' '' '' '.*' https 'secure\.example\.com'$/);
    const headers = plan.checks.find((c) => c.kind === 'http' && c.expectHeaders)!;
    const skipped = checksScript(lab, { ...plan, checks: [{ ...headers, from: { kind: 'pod', name: from.name } }] } as typeof plan);
    expect(skipped).toContain("judges the request headers a server saw");
  });

  it('a round trip can fail: a pod moved to another node changes the plan', () => {
    const { lab, plan } = compiled.get('services.lab.ts')!;
    const o = labObjects(lab, plan);
    const moved = o.pods.map((p) => JSON.parse(JSON.stringify(p)) as { metadata: { name: string }; spec: { nodeSelector: Record<string, string> } });
    moved.find((p) => p.metadata.name === 'web-1')!.spec.nodeSelector['podlab.dev/node'] = 'worker-2';
    const { value } = compiled.get('services.lab.ts')!;
    const back = validateValue({ ...value, pods: undefined, services: undefined, manifests: [moved.map((x) => stringify(x)).join('---\n'), o.services.map((x) => stringify(x)).join('---\n')] }, 'labs/services.lab.ts');
    expect(back.lab).toBeDefined();
    expect(essentials(buildPlan(back.lab!))).not.toEqual(essentials(plan));
  });
});
