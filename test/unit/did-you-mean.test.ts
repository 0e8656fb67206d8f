import { describe, expect, it } from 'vitest';
import { validateValue } from '../../src/compile/validate-value.ts';

describe('PL1002 did you mean: every property of the lab language is suggested, read from its schema', () => {
  it('names the near property of Calico, Ingress and probe objects, which a kept list had missed', () => {
    const r = validateValue({
      name: 'x',
      nodes: { n1: {} },
      cni: { type: 'calico', ipPoolsX: [] },
      ingresses: { a: { rulez: [] } },
      pods: { p: { node: 'n1', containers: [{ name: 'c', command: ['sleep', '1'], readinesProbe: {} }] } },
    }, 'x.lab.ts');
    const hints = Object.fromEntries(r.diagnostics.filter((d) => d.code === 'PL1002').map((d) => [String(d.path.at(-1)), d.hint]));
    expect(hints).toEqual({ ipPoolsX: 'Did you mean "ipPools"?', rulez: 'Did you mean "rules"?', readinesProbe: 'Did you mean "readinessProbe"?' });
  });

  it("suggests the properties of the object it is in, not a near name from elsewhere in the language", () => {
    const r = validateValue({
      name: 'x',
      nodes: { n1: {} },
      // Pods take `node`; a Deployment's template takes `nodeName` (it was "Did you mean nodes?").
      deployments: { web: { template: { labels: { app: 'web' }, node: 'n1', containers: [{ name: 'c', command: ['sleep', '1'] }] } } },
      // `selectr` is near a Service's `selector`; `podSelectr`, inside a policy, near its `podSelector`.
      services: { web: { selectr: { app: 'web' }, ports: [{ port: 80 }] } },
      networkPolicies: { p: { podSelectr: {} } },
    }, 'x.lab.ts');
    const hints = Object.fromEntries(r.diagnostics.filter((d) => d.code === 'PL1002').map((d) => [String(d.path.at(-1)), d.hint]));
    expect(hints).toEqual({ node: 'Did you mean "nodeName"?', selectr: 'Did you mean "selector"?', podSelectr: 'Did you mean "podSelector"?' });
  });
});
