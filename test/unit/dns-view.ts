/** The small cluster view the DNS server tests share: a ClusterIP Service and a headless one with 60 endpoints. */
import type { ClusterView } from '../../src/dns/types.ts';

export function smallView(namespaces: string[] = ['default']): ClusterView {
  return {
    namespaces,
    services: [
      { name: 'web', namespace: 'default', type: 'ClusterIP', clusterIP: '10.96.0.1', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
      { name: 'big', namespace: 'default', type: 'ClusterIP', clusterIP: 'None', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
    ],
    endpoints: [
      {
        service: 'big',
        namespace: 'default',
        // 60 endpoints: 60 A records do not fit in 512 bytes.
        addresses: Array.from({ length: 60 }, (_, i) => ({ ip: `10.244.1.${i + 2}`, ready: true })),
        ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
      },
    ],
    pods: [],
  };
}
