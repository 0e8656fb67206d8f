/**
 * Manifests in: the scheduler, the image mapping, the schema checks and the merge into the lab,
 * on inline YAML (the error baselines cover files and positions).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { validateValue } from '../../src/compile/validate-value.ts';
import { findImageRule, repositoryOf } from '../../src/k8s/images.ts';
import { validateObject } from '../../src/k8s/api-schema.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { containedProgram, pauseArgv, podPidNs } from '../../src/render/render.ts';

const nodes = { cp: { role: 'control-plane' as const }, 'w-1': {}, 'w-2': {} };

function lab(manifests: string[], extra: Record<string, unknown> = {}) {
  return validateValue({ name: 'm', nodes, manifests, ...extra }, 'test/unit/inline.lab.ts');
}

const deployment = (replicas: number, spec = '') => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
${spec}      containers: [{ name: web, image: nginx, ports: [{ containerPort: 8080 }] }]
`;

describe('manifests in', () => {
  it('spreads replicas over the workers, never on the tainted control plane', () => {
    const r = lab([deployment(4)]);
    expect(r.diagnostics).toEqual([]);
    const byNode = r.lab!.pods.map((p) => p.node);
    expect(byNode.sort()).toEqual(['w-1', 'w-1', 'w-2', 'w-2']);
    expect(r.lab!.pods.every((p) => /^web-[a-z0-9]{10}-[a-z0-9]{5}$/.test(p.name))).toBe(true);
    expect(r.lab!.pods[0]!.containers[0]!.workload).toEqual({ kind: 'http-echo', port: 8080 });
  });

  it('gives the same names every time', () => {
    expect(lab([deployment(2)]).lab!.pods.map((p) => p.name)).toEqual(lab([deployment(2)]).lab!.pods.map((p) => p.name));
  });

  it('honours nodeSelector, tolerations and nodeName', () => {
    const sel = lab([deployment(2, '      nodeSelector: { kubernetes.io/hostname: w-2 }\n')]);
    expect(sel.lab!.pods.map((p) => p.node)).toEqual(['w-2', 'w-2']);
    const cp = lab([deployment(1, '      nodeSelector: { node-role.kubernetes.io/control-plane: "" }\n      tolerations: [{ key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule }]\n')]);
    expect(cp.lab!.pods.map((p) => p.node)).toEqual(['cp']);
    const named = lab([deployment(1, '      nodeName: cp\n')]);
    expect(named.lab!.pods.map((p) => p.node)).toEqual(['cp']);
    // A Deployment's pods that fit no node stay Pending (a warning at the YAML); a Pod that fits none is an error.
    const none = lab([deployment(1, '      nodeSelector: { disk: ssd }\n')]);
    expect(none.diagnostics.map((d) => [d.code, d.severity, d.path[0], d.within?.line])).toEqual([['PL2303', 'warning', 'manifests', 11]]);
    expect(none.lab!.deployments[0]!.pending).toBe(1);
    const pod = lab(['apiVersion: v1\nkind: Pod\nmetadata: { name: p }\nspec:\n  nodeSelector: { disk: ssd }\n  containers: [{ name: c, image: nginx }]\n']);
    expect(pod.diagnostics.map((d) => d.code)).toEqual(['PL2211']);
  });

  it('makes a Deployment a lab Deployment: kept by the control loops, with its probes and restart policy', () => {
    const probe = '          readinessProbe: { httpGet: { path: /healthz, port: 8080 }, periodSeconds: 2 }\n          livenessProbe: { tcpSocket: { port: "8080" }, failureThreshold: 5 }\n';
    const r = lab([`
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web, tier: front } }
    spec:
      restartPolicy: Always
      containers:
        - name: web
          image: nginx
          ports: [{ containerPort: 8080 }]
${probe}`, 'apiVersion: v1\nkind: Namespace\nmetadata: { name: shop }\n']);
    expect(r.diagnostics).toEqual([]);
    const d = r.lab!.deployments[0]!;
    expect([d.name, d.namespace, d.replicas, d.selector, d.labels]).toEqual(['web', 'shop', 2, { app: 'web' }, { app: 'web', tier: 'front' }]);
    expect(d.pods).toHaveLength(2);
    expect(r.lab!.loops).toBeDefined();
    const c = d.containers[0]!;
    expect(c.readinessProbe).toEqual({ action: { kind: 'httpGet', port: 8080, path: '/healthz' }, handlers: 1, settings: { initialDelaySeconds: 0, periodSeconds: 2, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 } });
    expect(c.livenessProbe?.action).toEqual({ kind: 'tcpSocket', port: 8080 });
    expect(c.livenessProbe?.settings.failureThreshold).toBe(5);
    // The same Deployment written in the lab file names its pods alike (the template hash is of the resolved template).
    const same = validateValue({
      name: 'm',
      nodes,
      namespaces: ['shop'],
      deployments: { web: { namespace: 'shop', replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { labels: { tier: 'front', app: 'web' }, containers: [{ name: 'web', workload: { kind: 'http-echo', port: 8080 }, ports: [{ containerPort: 8080 }], livenessProbe: { failureThreshold: 5, tcpSocket: { port: 8080 } }, readinessProbe: { periodSeconds: 2, httpGet: { port: 8080, path: '/healthz' } } }] } } },
    }, 'test/unit/inline.lab.ts');
    expect(same.diagnostics).toEqual([]);
    expect(same.lab!.deployments[0]!.pods).toEqual(d.pods);
  });

  it('builds NetworkPolicy, Ingress and IngressClass, and keeps namespace labels', () => {
    const r = lab(
      [
        'apiVersion: v1\nkind: Namespace\nmetadata: { name: shop, labels: { team: a, kubernetes.io/metadata.name: shop } }\n',
        deployment(1),
        'apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec: { selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }\n',
        'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: from-team-a }\nspec:\n  podSelector: { matchLabels: { app: web } }\n  ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: a } } }], ports: [{ port: 8080 }] }]\n',
        'apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: { name: nginx, annotations: { ingressclass.kubernetes.io/is-default-class: "true" } }\nspec: { controller: k8s.io/ingress-nginx }\n',
        'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: { name: web, annotations: { nginx.ingress.kubernetes.io/ssl-redirect: "false", kubectl.kubernetes.io/last-applied-configuration: "{}" } }\nspec:\n  rules: [{ host: a.example, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }] } }]\n',
      ],
      { loadBalancer: { pool: '172.16.94.240/28' } },
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.lab!.namespaceLabels).toEqual({ shop: { team: 'a' } });
    expect(r.lab!.networkPolicies).toEqual([
      { name: 'from-team-a', namespace: 'default', podSelector: { matchLabels: { app: 'web' }, matchExpressions: [] }, policyTypes: ['Ingress'], ingress: [{ peers: [{ namespaceSelector: { matchLabels: { team: 'a' }, matchExpressions: [] } }], ports: [{ protocol: 'TCP', port: 8080 }] }], egress: [] },
    ]);
    expect(r.lab!.ingress!.classes).toEqual([{ name: 'nginx', controller: 'k8s.io/ingress-nginx', isDefault: true }]);
    // The default class is given to the Ingress that names none; only ingress-nginx's annotations are kept.
    expect(r.lab!.ingress!.ingresses[0]).toMatchObject({ name: 'web', className: 'nginx', annotations: { 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' }, rules: [{ host: 'a.example', paths: [{ path: '/', pathType: 'Prefix', backend: { service: 'web', port: 80 } }] }] });
  });

  it("gives a Pod's restartPolicy to each of its containers", () => {
    const r = lab(['apiVersion: v1\nkind: Pod\nmetadata: { name: job }\nspec:\n  restartPolicy: OnFailure\n  containers: [{ name: a, image: nginx }, { name: b, command: [sleep, "1"] }]\n']);
    expect(r.diagnostics).toEqual([]);
    expect(r.lab!.pods[0]!.containers.map((c) => c.restartPolicy)).toEqual(['OnFailure', 'OnFailure']);
  });

  it('clashes a Deployment with the lab file\'s of the same name', () => {
    const r = lab([deployment(1)], { deployments: { web: { template: { labels: { app: 'x' }, containers: [{ name: 'c', command: ['sleep', 'infinity'] }] } } } });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['PL2209']);
  });

  it('counts the lab file\'s pods when spreading', () => {
    const r = lab([deployment(1)], { pods: { a: { node: 'w-1' } } });
    expect(r.lab!.pods.find((p) => p.name !== 'a')!.node).toBe('w-2');
  });

  it('keeps dnsPolicy, dnsConfig, hostNetwork, ports and labels', () => {
    const r = lab([`
apiVersion: v1
kind: Pod
metadata: { name: p, labels: { app: x } }
spec:
  nodeName: w-1
  hostNetwork: true
  dnsPolicy: ClusterFirstWithHostNet
  dnsConfig: { searches: [corp.example], options: [{ name: ndots, value: "2" }] }
  containers:
    - name: echo
      image: hashicorp/http-echo
      args: ["-listen=:5678"]
      ports: [{ name: web, containerPort: 5678, hostPort: 5678 }]
`]);
    expect(r.diagnostics).toEqual([]);
    const p = r.lab!.pods[0]!;
    expect(p).toMatchObject({ name: 'p', node: 'w-1', hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet', labels: { app: 'x' } });
    expect(p.dnsConfig).toEqual({ nameservers: [], searches: ['corp.example'], options: [{ name: 'ndots', value: '2' }] });
    expect(p.containers[0]).toMatchObject({ workload: { kind: 'http-echo', port: 5678 }, ports: [{ name: 'web', containerPort: 5678, protocol: 'TCP', hostPort: 5678 }] });
  });

  it('shareProcessNamespace: the pod gets its own PID namespace (pause --pid), its containers join it (contain --pid-ns)', () => {
    const r = lab(['apiVersion: v1\nkind: Pod\nmetadata: { name: p }\nspec:\n  nodeName: w-1\n  shareProcessNamespace: true\n  containers: [{ name: a, image: nginx }]\n', 'apiVersion: v1\nkind: Pod\nmetadata: { name: q }\nspec:\n  nodeName: w-1\n  containers: [{ name: a, image: nginx }]\n']);
    expect(r.diagnostics).toEqual([]);
    const plan = buildPlan(r.lab!);
    const [p, q] = ['p', 'q'].map((n) => plan.pods.find((x) => x.name === n)!);
    expect(p!.shareProcessNamespace).toBe(true);
    expect('shareProcessNamespace' in q!).toBe(false);
    expect(pauseArgv(plan, p!, 'pause', '/files')).toContain('--pid');
    expect(pauseArgv(plan, q!, 'pause', '/files')).not.toContain('--pid');
    expect(containedProgram(['prog'], 7, 'contain', podPidNs(p!))).toEqual(['contain', '--uid', '7', '--gid', '7', '--pid-ns', '/proc/1/ns/pid', '--', 'prog']);
    expect(containedProgram(['prog'], 7, 'contain', podPidNs(q!))).not.toContain('--pid-ns');
  });

  it('takes the Corefile from the kube-system/coredns ConfigMap', () => {
    const r = lab(['apiVersion: v1\nkind: ConfigMap\nmetadata: { name: coredns, namespace: kube-system }\ndata:\n  Corefile: |\n    .:53 {\n        errors\n        forward . 10.0.0.1\n    }\n']);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.lab!.dns!.corefile).toContain('forward . 10.0.0.1');
  });

  it('reads no file where only inline YAML is allowed (a graded submission)', () => {
    const r = validateValue({ name: 'm', nodes, manifests: ['/etc/passwd'] }, 'x.lab.ts');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['PL2214']);
  });

  it('maps images', () => {
    expect(repositoryOf('docker.io/library/nginx:1.27@sha256:abc')).toBe('nginx');
    expect(repositoryOf('k8s.gcr.io/e2e-test-images/agnhost:2.40')).toBe('registry.k8s.io/e2e-test-images/agnhost');
    const netexec = findImageRule('registry.k8s.io/e2e-test-images/agnhost:2.53', ['netexec'])!;
    expect(netexec.map({ args: ['netexec', '--http-port=80'], env: {}, tcpPorts: [] }).workloads.map((w) => w.workload)).toEqual([
      { kind: 'http-echo', port: 80 },
      { kind: 'udp-echo', port: 8081 },
    ]);
    const udp = findImageRule('registry.k8s.io/e2e-test-images/agnhost:2.53', ['serve-hostname'])!;
    expect(udp.map({ args: ['serve-hostname', '--udp', '--http=false', '--port=53'], env: {}, tcpPorts: [] }).workloads.map((w) => w.workload)).toEqual([{ kind: 'udp-echo', port: 53 }]);
    expect(findImageRule('postgres:16', [])).toBeUndefined();
    expect(findImageRule('registry.k8s.io/e2e-test-images/agnhost:2.53', ['connect'])).toBeUndefined();
  });

  it('checks objects against the Kubernetes schemas', () => {
    expect(validateObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } })).toEqual([]);
    expect(validateObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'Bogus', ports: [{ port: 80, nodeport: 1 }] } })).toEqual([
      { path: ['spec', 'ports', 0, 'nodeport'], kind: 'unknown-field', message: 'unknown field "nodeport"', suggestion: 'nodePort' },
      { path: ['spec', 'type'], kind: 'invalid', message: 'must be one of "ClusterIP", "ExternalName", "LoadBalancer", "NodePort" (got "Bogus")' },
    ]);
    // A case slip: the value meant is offered.
    expect(validateObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'nodePort', ports: [{ port: 80 }] } })).toEqual([
      { path: ['spec', 'type'], kind: 'invalid', message: 'must be one of "ClusterIP", "ExternalName", "LoadBalancer", "NodePort" (got "nodePort")', suggestion: 'NodePort' },
    ]);
  });

  it('has a field index that matches the installed kubernetes-models', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/k8s-fields.ts', '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);
});
