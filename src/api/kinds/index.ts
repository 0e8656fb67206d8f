/**
 * The kinds the API serves, one module each: adding a kind (Deployments, Ingresses) is one
 * module and one line here. Discovery, OpenAPI, tables, reads and writes all come from this list.
 */
import type { ApiKind } from '../types.ts';
import { configMapKind } from './configmaps.ts';
import { deploymentKind, replicaSetKind } from './deployments.ts';
import { eventKind } from './events.ts';
import { ingressClassKind, ingressKind } from './ingresses.ts';
import { leaseKind } from './leases.ts';
import { namespaceKind } from './namespaces.ts';
import { networkPolicyKind } from './networkpolicies.ts';
import { nodeKind } from './nodes.ts';
import { podKind } from './pods.ts';
import { endpointsKind, serviceKind, sliceKind } from './services.ts';

export const KINDS: readonly ApiKind[] = [namespaceKind, nodeKind, podKind, serviceKind, endpointsKind, configMapKind, eventKind, sliceKind, networkPolicyKind, deploymentKind, replicaSetKind, ingressKind, ingressClassKind, leaseKind];

export function findKind(group: string, version: string, resource: string): ApiKind | undefined {
  return KINDS.find((k) => k.group === group && k.version === version && k.resource === resource);
}
