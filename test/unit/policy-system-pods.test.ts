/**
 * The pods podlab adds to a lab are there for policies' selectors: cluster DNS (kube-system,
 * k8s-app=kube-dns) and the ingress controller (ingress-nginx). The usual "allow DNS" and "allow
 * from the ingress controller" policies select them, so validate does not warn PL2112 ("selects
 * no pod / no namespace") of them; a typo in the same selectors still does.
 */
import { describe, expect, it } from 'vitest';
import { validateValue } from '../../src/compile/validate-value.ts';

const dnsPeer = (app: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': app } } });
const fromIngress = (ns: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } });

function lab(dnsApp: string, ingressNs: string) {
  return {
    name: 'system-peers',
    nodes: { 'worker-1': {} },
    pods: { web: { node: 'worker-1', labels: { app: 'web' }, containers: [{ name: 'web', workload: { kind: 'http-echo' } }] } },
    services: { web: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
    ingresses: { web: { rules: [{ host: 'shop.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] } },
    networkPolicies: {
      'allow-dns': { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [dnsPeer(dnsApp)], ports: [{ protocol: 'UDP', port: 53 }] }] },
      'from-ingress': { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [fromIngress(ingressNs)] }] },
    },
  };
}

const warnings = (value: unknown) =>
  validateValue(value, 'system-peers.lab.ts')
    .diagnostics.filter((d) => d.code === 'PL2112')
    .map((d) => d.message);

describe('NetworkPolicy peers of the pods podlab adds', () => {
  it('kube-dns in kube-system and the ingress-nginx namespace are selected: no PL2112', () => {
    expect(validateValue(lab('kube-dns', 'ingress-nginx'), 'system-peers.lab.ts').diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(warnings(lab('kube-dns', 'ingress-nginx'))).toEqual([]);
  });

  it('a typo in either still warns', () => {
    expect(warnings(lab('kube-dsn', 'ingress-ngnix'))).toEqual([
      expect.stringMatching(/allow-dns.*the peer selects no pod \(k8s-app=kube-dsn, in the namespaces selected\)/),
      expect.stringMatching(/from-ingress.*namespaceSelector selects no namespace/),
    ]);
  });

  it('a policy in a namespace the lab lacks is told once (PL2106), not again as a peer selecting no pod', () => {
    const spec = { ...lab('kube-dns', 'ingress-nginx'), networkPolicies: { p: { namespace: 'nope', podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }] } } };
    expect(validateValue(spec, 'system-peers.lab.ts').diagnostics.map((d) => d.code).filter((c) => c.startsWith('PL21'))).toEqual(['PL2106']);
  });
});
