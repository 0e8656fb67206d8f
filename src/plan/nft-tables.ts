/**
 * The registry of nftables table builders: every table podlab programs in a lab's namespaces,
 * each a pure function of the lab's view of the moment (plan, endpoints, pods at their current
 * addresses, policies in force) for one namespace, or undefined where that namespace has no such
 * table. runtime/nft-sync.ts applies them all, one transaction per namespace, sending only the
 * difference from what it applied last. A new table (Calico NAT, the fabric rule) is one entry here.
 */
import { POLICY, SERVICES } from '../constants.ts';
import type { NftTable } from '../nft/table.ts';
import { policyTable } from '../policy/nft.ts';
import type { NetworkPolicy, PolicyPod } from '../policy/types.ts';
import { gatewayTable, ipv6Context, ipv6GatewayContext, nodeTable, proxyContext } from './kube-proxy.ts';
import type { Plan } from './plan.ts';
import type { Endpoint } from './services.ts';

/** What the tables of a lab depend on at one moment. */
export interface NftView {
  plan: Plan;
  endpoints: Readonly<Record<string, readonly Endpoint[]>>;
  /** Every pod with its current address (none when not running). */
  pods: readonly PolicyPod[];
  /** The NetworkPolicies in force. */
  policies: readonly NetworkPolicy[];
}

/** A namespace that holds tables: a node, or the gateway. */
export type NftTarget = { kind: 'node'; name: string; netns: string } | { kind: 'gateway'; name: 'gateway'; netns: string };

export interface TableBuilder {
  /** The table's key: its name (family ip), or `<family> <name>` for another family. */
  table: string;
  build(view: NftView, target: NftTarget): NftTable | undefined;
}

export const kubeProxyTables: TableBuilder = {
  table: SERVICES.table,
  build: (view, target) => {
    const ctx = proxyContext(view.plan, view.endpoints as Record<string, Endpoint[]>);
    return target.kind === 'gateway' ? gatewayTable(ctx) : nodeTable(ctx, target.name);
  },
};

/** kube-proxy's IPv6 table (family ip6, the same name) in a lab with IPv6; its key here is `ip6 <name>`. */
export const kubeProxyTables6: TableBuilder = {
  table: `ip6 ${SERVICES.table}`,
  build: (view, target) => {
    if (target.kind === 'gateway') {
      const gctx = ipv6GatewayContext(view.plan, view.endpoints);
      return gctx ? gatewayTable(gctx) : undefined;
    }
    const ctx = ipv6Context(view.plan, view.endpoints);
    return ctx ? nodeTable(ctx, target.name) : undefined;
  },
};

export const policyTables: TableBuilder = {
  table: POLICY.table,
  build: (view, target) =>
    target.kind === 'node' ? policyTable({ policies: view.policies, namespaces: view.plan.networkPolicy?.namespaces ?? {}, pods: view.pods }, target.name) : undefined,
};

/** Every builder, in the order their tables are applied within a namespace's transaction. */
export const TABLE_BUILDERS: readonly TableBuilder[] = [kubeProxyTables, kubeProxyTables6, policyTables];

export function nftTargets(plan: Plan): NftTarget[] {
  return [
    ...plan.nodes.map((n): NftTarget => ({ kind: 'node', name: n.name, netns: n.netns })),
    ...(plan.gateway ? [{ kind: 'gateway' as const, name: 'gateway' as const, netns: plan.gateway.netns }] : []),
  ];
}

/** The view of a plan as planned: every pod at its planned address, the lab's own policies. */
export function plannedView(plan: Plan): NftView {
  return { plan, endpoints: plan.endpoints, pods: plan.pods, policies: plan.networkPolicy?.policies ?? [] };
}
