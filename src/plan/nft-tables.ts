/**
 * The registry of nftables table builders: every table podlab programs in a lab's namespaces,
 * each a pure function of the lab's view of the moment (plan, endpoints, pods at their current
 * addresses, policies in force) for one namespace, or undefined where that namespace has no such
 * table. runtime/nft-sync.ts applies them all, one transaction per namespace, sending only the
 * difference from what it applied last. A new table (Calico NAT, say) is one entry here, as the underlay rule on the fabric's bridge is.
 */
import { denyActionOf } from './network-policy.ts';
import { CALICO, POLICY, SERVICES, UNDERLAY } from '../constants.ts';
import type { CalicoNode } from '../cni/calico/index.ts';
import { calicoNatTable } from '../cni/calico/nat.ts';
import { calicoNatTable6 } from '../cni/calico/nat6.ts';
import type { NftTable } from '../nft/table.ts';
import { policyTable, type PolicyContext } from '../policy/nft.ts';
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

/** A namespace that holds tables: a node, the gateway, or the fabric (the node network's bridge). */
export type NftTarget = { kind: 'node'; name: string; netns: string } | { kind: 'gateway'; name: 'gateway'; netns: string } | { kind: 'fabric'; name: 'fabric'; netns: string };

export interface TableBuilder {
  /** The table's key: its name (family ip), or `<family> <name>` for another family. */
  table: string;
  build(view: NftView, target: NftTarget): NftTable | undefined;
  /**
   * Before an incremental change the sync reads the table's first base chain and, when its rules
   * are not those podlab wrote (a learner flushed or deleted the table), rewrites the table whole
   * (runtime/nft-sync.ts). @default false
   */
  probed?: boolean;
}

export const kubeProxyTables: TableBuilder = {
  table: SERVICES.table,
  probed: true,
  build: (view, target) => {
    // An IPv6-only lab has no IPv4 table: its Services and pods are in the ip6 one.
    if (target.kind === 'fabric' || !view.plan.ipFamilies.includes('IPv4')) return undefined;
    const ctx = proxyContext(view.plan, view.endpoints as Record<string, Endpoint[]>);
    return target.kind === 'gateway' ? gatewayTable(ctx) : nodeTable(ctx, target.name);
  },
};

/** kube-proxy's IPv6 table (family ip6, the same name) in a lab with IPv6; its key here is `ip6 <name>`. */
export const kubeProxyTables6: TableBuilder = {
  table: `ip6 ${SERVICES.table}`,
  probed: true,
  build: (view, target) => {
    if (target.kind === 'fabric') return undefined;
    if (target.kind === 'gateway') {
      const gctx = ipv6GatewayContext(view.plan, view.endpoints);
      return gctx ? gatewayTable(gctx) : undefined;
    }
    const ctx = ipv6Context(view.plan, view.endpoints);
    return ctx ? nodeTable(ctx, target.name) : undefined;
  },
};

/** What the policy table of a family is built from in a view: its policies, pods and the lab's namespaces, tiers and deny action. */
export function policyContextOf(view: NftView, family: 'ip' | 'ip6'): PolicyContext {
  const np = view.plan.networkPolicy;
  return { policies: view.policies, namespaces: np?.namespaces ?? {}, pods: view.pods, clusterPolicies: np?.clusterPolicies ?? [], denyAction: denyActionOf(view.plan), family };
}

export const policyTables: TableBuilder = {
  table: POLICY.table,
  build: (view, target) => (target.kind === 'node' && view.plan.ipFamilies.includes('IPv4') ? policyTable(policyContextOf(view, 'ip'), target.name) : undefined),
};

/** The policy table over IPv6 addresses (family ip6, the same name) in a lab with IPv6 and policies; its key here is `ip6 <name>`. */
export const policyTables6: TableBuilder = {
  table: `ip6 ${POLICY.table}`,
  build: (view, target) =>
    target.kind === 'node' && view.plan.ipFamilies.includes('IPv6') ? policyTable(policyContextOf(view, 'ip6'), target.name) : undefined,
};

/**
 * nodeNetwork.podTraffic 'drop': the node network knows the nodes' addresses only, as a cloud
 * network does. Its bridge drops every frame carrying a packet from or to a pod network (each
 * family's), so pods on different nodes reach each other only inside an overlay or NATed.
 */
export function underlayTable(plan: Plan): NftTable | undefined {
  if (plan.nodeNetwork.podTraffic !== 'drop') return undefined;
  const rules = plan.podCidrs.flatMap((cidr) => {
    const f = cidr.includes(':') ? 'ip6' : 'ip';
    return [`${f} saddr ${cidr} counter drop comment "pod source on the node network"`, `${f} daddr ${cidr} counter drop comment "pod destination on the node network"`];
  });
  return { family: 'bridge', name: UNDERLAY.table, sets: [], chains: [{ name: 'forward', hook: 'type filter hook forward priority filter; policy accept;', rules }] };
}

export const underlayTables: TableBuilder = {
  table: `bridge ${UNDERLAY.table}`,
  build: (view, target) => (target.kind === 'fabric' ? underlayTable(view.plan) : undefined),
};

/** Calico's natOutgoing per IP pool (cni/calico/nat.ts), in every node of a Calico lab. */
export const calicoNatTables: TableBuilder = {
  table: CALICO.natTable,
  build: (view, target) => {
    const node = target.kind === 'node' ? view.plan.nodes.find((n) => n.name === target.name) : undefined;
    return node?.cni.type === 'calico' ? calicoNatTable((node.cni as unknown as CalicoNode).pools) : undefined;
  },
};

/** Calico's natOutgoing for IPv6 pools (cni/calico/nat6.ts: Felix's ip6 nat table), in every node of a dual-stack Calico lab. */
export const calicoNatTables6: TableBuilder = {
  table: `ip6 ${CALICO.natTable}`,
  build: (view, target) => {
    const node = target.kind === 'node' ? view.plan.nodes.find((n) => n.name === target.name) : undefined;
    const v6 = node?.cni.type === 'calico' ? (node.cni as unknown as CalicoNode).ipv6 : undefined;
    return v6 ? calicoNatTable6(v6.pools) : undefined;
  },
};

/** Every builder, in the order their tables are applied within a namespace's transaction. */
export const TABLE_BUILDERS: readonly TableBuilder[] = [kubeProxyTables, kubeProxyTables6, policyTables, policyTables6, underlayTables, calicoNatTables, calicoNatTables6];

export function nftTargets(plan: Plan): NftTarget[] {
  return [
    ...(plan.nodeNetwork.podTraffic === 'drop' ? [{ kind: 'fabric' as const, name: 'fabric' as const, netns: plan.fabric.netns }] : []),
    ...plan.nodes.map((n): NftTarget => ({ kind: 'node', name: n.name, netns: n.netns })),
    ...(plan.gateway ? [{ kind: 'gateway' as const, name: 'gateway' as const, netns: plan.gateway.netns }] : []),
  ];
}

/** The view of a plan as planned: every pod at its planned address, the lab's own policies. */
export function plannedView(plan: Plan): NftView {
  return { plan, endpoints: plan.endpoints, pods: plan.pods, policies: plan.networkPolicy?.policies ?? [] };
}
