/** Small builders shared by the Service tests (kube-proxy, nft): Services through the real allocator, endpoints by hand. */
import type { LabService, LabServicePort } from '../../src/compile/lab.ts';
import * as ip from '../../src/net/ipv4.ts';
import type { GatewayContext } from '../../src/plan/kube-proxy.ts';
import { planServices, type Endpoint, type PlanService } from '../../src/plan/services.ts';
import type { NftChain, NftSet, NftTable } from '../../src/nft/table.ts';

export const POD_CIDR = '10.244.0.0/16';
export const NODES = [
  { name: 'w1', ip: '172.16.94.11' },
  { name: 'w2', ip: '172.16.94.12' },
  { name: 'w3', ip: '172.16.94.13' },
] as const;

export function labPort(p: Partial<LabServicePort> = {}): LabServicePort {
  return { protocol: 'TCP', port: 80, targetPort: 8080, ...p };
}

export function labService(name: string, s: Partial<LabService> = {}): LabService {
  return {
    name,
    namespace: 'default',
    type: 'ClusterIP',
    selector: { app: name },
    ports: [labPort()],
    sessionAffinity: 'None',
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
    ipFamilyPolicy: 'SingleStack',
    ipFamilies: ['IPv4'],
    ...s,
  };
}

/** Services as the plan has them: ClusterIPs from 10.96.0.1, NodePorts from 30000, pool 172.16.94.240/28. */
export function planned(services: LabService[]): PlanService[] {
  return planServices({ services, serviceCidr: ip.parseCidr('10.96.0.0/12')!, pool: ip.parseCidr('172.16.94.240/28')!, poolTaken: new Set() });
}

/** An endpoint of every port of a Service (`ports`: key → pod port). */
export function endpoint(pod: string, node: string, podIp: string, ports: Record<string, number>): Endpoint {
  return { pod, namespace: 'default', node, ip: podIp, ports };
}

export function context(services: readonly PlanService[], endpoints: Record<string, readonly Endpoint[]>, natOutgoing = true): GatewayContext {
  return { podCidr: POD_CIDR, serviceCidrs: ['10.96.0.0/12'], natOutgoing, services, endpoints, nodeNetworkCidr: '172.16.94.0/24', nodes: NODES };
}

export function chain(t: NftTable, name: string): NftChain {
  const c = t.chains.find((x) => x.name === name);
  if (!c) throw new Error(`no chain ${name}; chains: ${t.chains.map((x) => x.name).join(', ')}`);
  return c;
}

export function set(t: NftTable, name: string): NftSet {
  const s = t.sets.find((x) => x.name === name);
  if (!s) throw new Error(`no set ${name}; sets: ${t.sets.map((x) => x.name).join(', ')}`);
  return s;
}

export { prng } from '../../src/prng.ts';
