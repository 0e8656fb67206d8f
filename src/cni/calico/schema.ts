/**
 * The object form of `cni: { type: 'calico', … }` in a lab: its fields and their JSDoc, which the
 * lab's editor shows. Read only by validation (src/cni/schemas.ts, the lab schema), loaded when a lab
 * is validated: the mode itself (index.ts) takes the type only.
 */
import { z } from 'zod';
import { port } from '../../schema/fields.ts';

/** One IP pool (Calico's IPPool resource, the fields podlab builds). */
const poolSchema = z.strictObject({
  /** The pool's name (metadata.name), shown by status and named by set-nat-outgoing. @default 'ippool-<n>' (n from 1) */
  name: z.string().optional(),
  /** The pool: a CIDR inside the lab's podCidr (an IPv6 one, in a lab with IPv6, inside its IPv6 podCidr), overlapping no other pool. */
  cidr: z.string(),
  /** Prefix length of the blocks nodes claim from this pool (Calico: 20–32 for an IPv4 pool, 116–128 for an IPv6 one). @default 26 (IPv4), 122 (IPv6) */
  blockSize: z.number().int().optional(),
  /**
   * Which nodes take blocks from the pool: a Calico selector over node labels (`all()`, `has(k)`,
   * `!has(k)`, `k == 'v'`, `k != 'v'`, `k in {'a','b'}`, `k not in {…}`, `!`, `&&`, `||`, parentheses).
   * Every node has `kubernetes.io/hostname`, `kubernetes.io/os` and, on a control plane,
   * `node-role.kubernetes.io/control-plane`, plus the node's own `labels`. @default 'all()'
   */
  nodeSelector: z.string().optional(),
  /** Masquerade traffic from this pool's pods to anything outside all pools (Calico's natOutgoing). @default the lab's natOutgoing */
  natOutgoing: z.boolean().optional(),
  /** No new block is claimed from the pool (blocks already claimed stay); BIRD stops exporting it. @default false */
  disabled: z.boolean().optional(),
  /** Must equal the lab's `encapsulation` (one routing per lab: BIRD, or vxlan.calico). @default the lab's encapsulation */
  encapsulation: z.enum(['None', 'VXLAN']).optional(),
});

export const calicoSchema = z.strictObject({
  type: z.literal('calico'),
  /** The IP pool pods take their addresses from (Calico's default IPPool, `default-ipv4-ippool`); or use `ipPools`. */
  ipPool: z
    .strictObject({
      /** The pool; inside the lab's podCidr. @default the lab's podCidr */
      cidr: z.string().optional(),
      /** Prefix length of the blocks nodes claim from the pool (Calico: 20–32). @default 26 */
      blockSize: z.number().int().optional(),
      /** Masquerade pod traffic from the pool to anything outside it (Calico's natOutgoing). @default the lab's natOutgoing */
      natOutgoing: z.boolean().optional(),
      /** As the lab-wide `strictAffinity` (kept here for labs written before `ipPools`). @default false */
      strictAffinity: z.boolean().optional(),
    })
    .optional(),
  /**
   * Several IP pools, tried in this order by every node they select (instead of `ipPool`). Each
   * node needs at least one enabled pool that selects it.
   */
  ipPools: z.array(poolSchema).min(1).optional(),
  /**
   * Calico's IPAM strictAffinity: a node never takes an address from another node's block. Off
   * (Calico's default), a node whose blocks are full when its pools have no free block left
   * borrows one address of another node's block, and BIRD advertises that /32. @default false
   */
  strictAffinity: z.boolean().optional(),
  /**
   * How pod traffic crosses nodes: 'None' routes it over the node network, the routes learned by
   * BIRD over BGP; 'VXLAN' encapsulates it in `vxlan.calico`, no BGP. 'IPIP' is refused: this
   * podlab's kernel has no ipip module. @default 'None'
   */
  encapsulation: z.enum(['None', 'VXLAN', 'IPIP']).optional(),
  /** AS number of the node-to-node BGP mesh. @default 64512 */
  asNumber: z.number().int().optional(),
  /**
   * Calico's BGPConfiguration `nodeToNodeMeshEnabled`: every node peers with every other node.
   * Off, nodes peer only with `peers`. @default true
   */
  nodeToNodeMesh: z.boolean().optional(),
  /**
   * Calico's BGPPeer resources: explicit BGP sessions. A peer with `node` applies to that node only
   * (BIRD protocol Node_<ip>), without it to every node (Global_<ip>); a node never peers with
   * its own address, nor twice with one address (the mesh's session counts first). `peerIP` must
   * lie in the lab's node network: BIRD speaks only to lab nodes. @default []
   */
  peers: z
    .array(
      z.strictObject({
        /** The node this peer applies to (Calico's BGPPeer spec.node); every node if left out. */
        node: z.string().optional(),
        /** The peer's address (spec.peerIP): a node of the lab, by its address in the node network. */
        peerIP: z.string(),
        /** The peer's AS number (spec.asNumber). */
        asNumber: z.number().int(),
      }),
    )
    .optional(),
  /** VXLAN network identifier of vxlan.calico. @default 4096 */
  vni: z.number().int().min(1).max(16777215).optional(),
  /** VXLAN UDP port. @default 4789 */
  port: port.optional(),
});
