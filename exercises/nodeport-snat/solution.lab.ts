import type { LabSpec } from 'podlab';
import starter from './starter.lab.ts';

/**
 * The reference answer for one variant: a NodePort Service selecting app=shop, port 80 on the
 * ClusterIP, the pods' 8080 as targetPort, the variant's nodePort, and the default
 * externalTrafficPolicy (Cluster).
 */
export function solution(service: string, nodePort: number): LabSpec {
  return {
    ...starter,
    services: {
      [service]: { type: 'NodePort', selector: { app: 'shop' }, ports: [{ port: 80, targetPort: 8080, nodePort }] },
    },
  };
}

/** As a lab file of its own (`podlab up`): the first choice of each variant. */
export default solution('shop', 30080);
