import type { LabSpec } from 'podlab';
import starter from './starter.lab.ts';

/**
 * The reference answer for one variant: a NodePort Service selecting app=web, port 80 to the pods'
 * 8080, the variant's nodePort, and a cluster IP in each family (RequireDualStack; PreferDualStack
 * does the same in a dual-stack cluster).
 */
export function solution(service: string, nodePort: number): LabSpec {
  return {
    ...starter,
    services: {
      [service]: { type: 'NodePort', ipFamilyPolicy: 'RequireDualStack', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, nodePort }] },
    },
  };
}

/** As a lab file of its own (`podlab up`): the first choice of each variant. */
export default solution('shop', 30090);
