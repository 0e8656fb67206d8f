import type { LabSpec } from 'podlab';
import starter from './starter.lab.ts';

/**
 * The reference answer: one Ingress, /api (Prefix) to api and / to web by the port name, TLS for
 * the host, and plain HTTP kept answering (a host with TLS is redirected to HTTPS by default).
 */
export function solution(host: string): LabSpec {
  return {
    ...starter,
    ingresses: {
      shop: {
        annotations: { 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' },
        rules: [
          {
            host,
            http: {
              paths: [
                { path: '/api', pathType: 'Prefix', backend: { service: { name: 'api', port: { name: 'http' } } } },
                { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } },
              ],
            },
          },
        ],
        tls: [{ hosts: [host], secretName: 'shop-tls' }],
      },
    },
  };
}

/** As a lab file of its own (`podlab up`): the first choice of the variant. */
export default solution('shop.example.com');
