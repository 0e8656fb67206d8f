import { container, defineLab, workloads } from 'podlab';

/** A wrong answer to "nodeport-snat" (variant storefront, 30082): no targetPort, so it defaults to port (80), where the pods do not listen. */
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
    storefront: { type: 'NodePort', selector: { app: 'shop' }, ports: [{ port: 80, nodePort: 30082 }] },
  },
  hosts: {
    laptop: { network: 'external' },
  },
});
