import { container, defineLab, workloads } from 'podlab';

/** A wrong answer to "nodeport-snat" (variant storefront, 30082): a ClusterIP Service (the default type): reachable from pods only, no port on the nodes. */
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
    storefront: { selector: { app: 'shop' }, ports: [{ port: 80, targetPort: 8080 }] },
  },
  hosts: {
    laptop: { network: 'external' },
  },
});
