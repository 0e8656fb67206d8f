/**
 * Calico's resources in a Calico lab, as the Kubernetes datastore keeps them: IPPools
 * (ippools.crd.projectcalico.org/v1) and BlockAffinities (blockaffinities.crd.projectcalico.org/v1),
 * so that `kubectl get ippools` and `kubectl get blockaffinities` work as on a cluster running
 * Calico. Built from the live state (cni/calico/resources.ts): a block claimed at run time is a new
 * BlockAffinity at once. Served only in a Calico lab (`servedIn`), read only. Like any CRD without
 * printer columns they print NAME and CREATED AT. `podlab calicoctl <lab> get ippool` shows these
 * same objects as calicoctl converts them (projectcalico.org/v3, the same uid and resourceVersion).
 */
import { blockAffinities, ipPools, type CalicoResourceNode } from '../../cni/calico/resources.ts';
import type { Plan } from '../../plan/plan.ts';
import { finish, type ApiKind, type Column, type K8sObject, type LabView } from '../types.ts';

/** Calico's CRD group in the Kubernetes datastore. */
export const CALICO_CRD_GROUP = 'crd.projectcalico.org';

/** The Calico nodes of a plan, as the resource views read them. */
export const calicoNodes = (plan: Pick<Plan, 'nodes'>): CalicoResourceNode[] => plan.nodes.filter((n) => n.cni.type === 'calico').map((n) => ({ name: n.name, cni: n.cni as unknown as CalicoResourceNode['cni'] }));

const isCalico = (plan: Plan) => plan.nodes.some((n) => n.cni.type === 'calico');

/** What a CRD without additionalPrinterColumns shows: its name and when it was created. */
const CRD_COLUMNS: Column[] = [
  { name: 'Name', type: 'string', format: 'name', priority: 0, description: 'Name must be unique within a namespace.' },
  { name: 'Created At', type: 'date', priority: 0, description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' },
];

/** The view the objects are made from: the plan, and what finish() reads for uid, creationTimestamp and resourceVersion. */
export type CalicoView = Pick<LabView, 'plan' | 'lab' | 'createdAt' | 'kept'>;

/** The IPPools of the lab, in name order, as crd.projectcalico.org/v1 objects. */
export function ipPoolObjects(view: CalicoView): K8sObject[] {
  return ipPools(calicoNodes(view.plan)).map((p) => finish({ apiVersion: `${CALICO_CRD_GROUP}/v1`, kind: 'IPPool', metadata: { name: p.name, generation: 1 }, spec: p.spec }, view, ipPoolKind));
}

function blockAffinityObjects(view: CalicoView): K8sObject[] {
  return blockAffinities(calicoNodes(view.plan)).map((a) => finish({ apiVersion: `${CALICO_CRD_GROUP}/v1`, kind: 'BlockAffinity', metadata: { name: a.name, generation: 1 }, spec: a.spec }, view, blockAffinityKind));
}

const crdRow = (o: K8sObject) => [o.metadata.name, o.metadata.creationTimestamp];

/** The OpenAPI schema of a Calico CRD's spec (its openAPIV3Schema), for `kubectl explain ippools.spec`. */
const crdSchema = (kind: string, description: string, spec: Record<string, { type: string; description: string; items?: object }>) => ({
  description,
  type: 'object',
  properties: {
    apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
    kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
    metadata: { type: 'object', description: "Standard object's metadata." },
    spec: { type: 'object', description: `${kind}Spec contains the specification for ${/^[AEIOU]/.test(kind) ? 'an' : 'a'} ${kind} resource.`, properties: spec },
  },
});

/** A read-only, cluster-scoped Calico CRD served in Calico labs, listing `list`'s objects. */
const calicoCrd = (kind: string, resource: string, list: (view: LabView) => K8sObject[], schema: ApiKind['schema']): ApiKind => ({
  group: CALICO_CRD_GROUP,
  version: 'v1',
  kind,
  resource,
  singular: kind.toLowerCase(),
  shortNames: [],
  namespaced: false,
  verbs: ['get', 'list', 'watch'],
  servedIn: isCalico,
  list,
  columns: CRD_COLUMNS,
  row: crdRow,
  schema,
});

export const ipPoolKind: ApiKind = calicoCrd(
  'IPPool',
  'ippools',
  (view) => ipPoolObjects(view),
  crdSchema('IPPool', "Calico's IP pool: the addresses pods take, cut into blocks that nodes claim (served by podlab from the live lab; read only).", {
    cidr: { type: 'string', description: 'The pool CIDR.' },
    vxlanMode: { type: 'string', description: 'VXLAN tunneling for this pool: Always, CrossSubnet or Never.' },
    ipipMode: { type: 'string', description: 'IPIP tunneling for this pool: Always, CrossSubnet or Never.' },
    natOutgoing: { type: 'boolean', description: 'When true, packets from pods in this pool to destinations outside every pool are masqueraded.' },
    disabled: { type: 'boolean', description: 'When true, Calico IPAM assigns no addresses from this pool.' },
    disableBGPExport: { type: 'boolean', description: "Disable exporting routes from this pool's CIDR over BGP." },
    blockSize: { type: 'integer', description: 'The block size for address assignments from this pool: 26 for IPv4 and 122 for IPv6 by default.' },
    nodeSelector: { type: 'string', description: 'Which nodes take blocks from this pool (a Calico selector over node labels).' },
    allowedUses: { type: 'array', items: { type: 'string' }, description: 'What the pool is used for: Workload, Tunnel.' },
  }),
);

export const blockAffinityKind: ApiKind = calicoCrd(
  'BlockAffinity',
  'blockaffinities',
  (view) => blockAffinityObjects(view),
  crdSchema('BlockAffinity', "Calico IPAM's claim of a block by a node: <node>-<block>, one per block a node holds (served by podlab from the live lab; read only).", {
    state: { type: 'string', description: 'confirmed once the node holds the block (pending while it claims it).' },
    node: { type: 'string', description: 'The node the block is affine to.' },
    cidr: { type: 'string', description: 'The block.' },
    deleted: { type: 'string', description: 'Whether the affinity is being deleted ("true"/"false": a string, for compatibility with older releases).' },
  }),
);
