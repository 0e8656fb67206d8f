import { container, defineLab, workloads } from 'podlab';

/** A wrong answer to "nodeport-snat" (variant storefront, 30082): no nodePort given, so one is allocated (30000), not the 30082 the task asks for. */
export default defineLab({
  name: 'nodeport-snat',
  description: 'Two replicas of a shop app on two workers, a laptop outside the cluster, and no Service yet.',
  nodes: {
    'control-plane': { role: 'control-plane' },
    'worker-1': {},
    'worker-2': {},
  },
  cni: 'flannel',
  pods: {
    'shop-1': { node: 'worker-1', labels: { app: 'shop' }, containers: [container(workloads.httpEcho(8080))] },
    'shop-2': { node: 'worker-2', labels: { app: 'shop' }, containers: [container(workloads.httpEcho(8080))] },
    client: { node: 'control-plane' },
  },
  services: {
    storefront: { type: 'NodePort', selector: { app: 'shop' }, ports: [{ port: 80, targetPort: 8080 }] },
  },
  hosts: {
    laptop: { network: 'external' },
  },
});
