/**
 * A small shop: frontend and backend pods of namespace shop on two nodes, Service backend (port 80
 * → targetPort 8080), and the NetworkPolicies a course's exercise gives them. Shared by the unit
 * tests of explain's live comparison and of why a check failed.
 */
import { container, workloads } from '../../src/index.ts';

export function shopLab(networkPolicies: Record<string, unknown>): unknown {
  return {
    name: 'shop',
    namespaces: ['shop'],
    nodes: { 'control-plane': { role: 'control-plane' }, 'worker-1': {}, 'worker-2': {} },
    cni: 'flannel',
    pods: {
      frontend: { namespace: 'shop', node: 'worker-1', labels: { app: 'frontend' }, containers: [container(workloads.httpEcho(8080))] },
      backend: { namespace: 'shop', node: 'worker-2', labels: { app: 'backend' }, containers: [container(workloads.httpEcho(8080))] },
    },
    services: { backend: { namespace: 'shop', selector: { app: 'backend' }, ports: [{ port: 80, targetPort: 8080 }] } },
    networkPolicies,
  };
}

/** frontend isolated for egress with no rule; backend admits frontend. */
export const egressDenied = {
  'deny-egress': { namespace: 'shop', podSelector: { matchLabels: { app: 'frontend' } }, policyTypes: ['Egress'] },
  'be-from-fe': { namespace: 'shop', podSelector: { matchLabels: { app: 'backend' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'frontend' } } }] }] },
};
