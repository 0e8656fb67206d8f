/**
 * The kinds the API serves, one module each: adding a kind (Deployments, Ingresses) is one
 * module and one line here. Discovery, OpenAPI, tables, reads and writes all come from this list.
 */
import type { Plan } from '../../plan/plan.ts';
import type { ApiKind } from '../types.ts';
import { blockAffinityKind, ipPoolKind } from './calico.ts';
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

export const KINDS: readonly ApiKind[] = [namespaceKind, nodeKind, podKind, serviceKind, endpointsKind, configMapKind, eventKind, sliceKind, networkPolicyKind, deploymentKind, replicaSetKind, ingressKind, ingressClassKind, leaseKind, ipPoolKind, blockAffinityKind];

/** The kinds a lab serves: every kind but those of other labs (Calico's CRDs outside a Calico lab). */
export function servedKinds(plan: Plan): readonly ApiKind[] {
  return KINDS.filter((k) => !k.servedIn || k.servedIn(plan));
}

export function findKind(kinds: readonly ApiKind[], group: string, version: string, resource: string): ApiKind | undefined {
  return kinds.find((k) => k.group === group && k.version === version && k.resource === resource);
}
