/**
 * The lab language: what an author may write in a `*.lab.ts` file, as a zod schema. Its input
 * type is the authoring type (`LabSpec`, optional fields and shorthands); structure only. Rules
 * that relate one part to another (references, overlaps, sizes) live in compile/rules.ts.
 */
import { z } from 'zod';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 label: lower-case alphanumerics and '-', starting and ending alphanumeric, ≤ 63 bytes. */
export const dnsLabel = z
  .string()
  .max(63, { message: 'must be at most 63 characters (a DNS-1123 label)' })
  .regex(DNS1123_LABEL, {
    message: "must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit",
  });

const port = z
  .number()
  .int({ message: 'must be a whole number' })
  .min(1, { message: 'must be between 1 and 65535' })
  .max(65535, { message: 'must be between 1 and 65535' });

const protocol = z.enum(['TCP', 'UDP']);

export const containerPortSchema = z.strictObject({
  /** Port name, referenced by Services' targetPort. */
  name: dnsLabel.max(15, { message: 'must be at most 15 characters (an IANA service name)' }).optional(),
  containerPort: port,
  /** @default 'TCP' */
  protocol: protocol.optional(),
});

/** Built-in workloads: small servers whose answers make the network visible. */
export const workloadSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('http-echo'),
    /** @default 8080 */
    port: port.optional(),
  }),
  z.strictObject({ kind: z.literal('tcp-echo'), /** @default 9000 */ port: port.optional() }),
  z.strictObject({ kind: z.literal('udp-echo'), /** @default 9001 */ port: port.optional() }),
]);

export const containerSchema = z
  .strictObject({
    name: dnsLabel,
    /** A built-in workload; exactly one of `workload` and `command`. */
    workload: workloadSchema.optional(),
    /** An argv to run inside the pod (no shell): e.g. ['sleep', 'infinity']. */
    command: z.array(z.string()).min(1, { message: 'must name a program' }).optional(),
    ports: z.array(containerPortSchema).optional(),
    env: z.record(z.string(), z.string()).optional(),
  });

export const podSchema = z.strictObject({
  /** Kubernetes namespace. @default 'default' */
  namespace: dnsLabel.optional(),
  /** Node the pod is scheduled on (a key of `nodes`). */
  node: z.string(),
  labels: z.record(z.string(), z.string()).optional(),
  /** Share the node's network namespace instead of getting a pod IP. @default false */
  hostNetwork: z.boolean().optional(),
  /** @default [] — a pod with no containers is just its sandbox (the pause process). */
  containers: z.array(containerSchema).optional(),
});

export const nodeSchema = z.strictObject({
  /** @default 'worker' */
  role: z.enum(['control-plane', 'worker']).optional(),
  /** Fixed address on the node network; otherwise .10, .11, … in declaration order. */
  ip: z.string().optional(),
  /** Name of the node's link to the node network (e.g. 'enp0s8' as on a VM). @default 'eth0' */
  interface: z.string().optional(),
});

export const cniSchema = z.union([
  z.enum(['kubenet', 'flannel']),
  z.strictObject({ type: z.literal('kubenet') }),
  z.strictObject({
    type: z.literal('flannel'),
    /** VXLAN network identifier. @default 1 */
    vni: z.number().int().min(1).max(16777215).optional(),
    /** VXLAN UDP port. @default 8472 */
    port: port.optional(),
  }),
]);

const checkEnds = {
  /** A pod key, or `node/<name>`. */
  from: z.string(),
  /** A pod key, `node/<name>`, or an IPv4 address. */
  to: z.string(),
  /** @default 'reach' */
  expect: z.enum(['reach', 'no-reach']).optional(),
  /** How long to keep retrying before the check fails, in ms. @default 5000 */
  timeoutMs: z.number().int().min(100).max(120000).optional(),
  /** Shown in reports; defaults to a description built from the check. */
  name: z.string().optional(),
};

export const checkSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('ping'), ...checkEnds }),
  z.strictObject({ kind: z.literal('tcp'), ...checkEnds, port }),
  z.strictObject({
    kind: z.literal('http'),
    ...checkEnds,
    port,
    /** @default '/' */
    path: z.string().startsWith('/').optional(),
    /** The pod expected to answer (its name in the http-echo reply). */
    expectPod: z.string().optional(),
    /** Assert that the server saw the client's own IP (no NAT on the path). @default false */
    expectNoNat: z.boolean().optional(),
  }),
]);

export const labSchema = z.strictObject({
  name: dnsLabel,
  description: z.string().optional(),
  nodeNetwork: z.strictObject({ cidr: z.string() }).optional(),
  nodes: z.record(z.string(), nodeSchema),
  /** Cluster pod network; node N (in declaration order) gets the N-th slice. @default '10.244.0.0/16' */
  podCidr: z.string().optional(),
  /** Prefix length of each node's slice of podCidr. @default 24 */
  podCidrMaskSize: z.number().int().min(8).max(30).optional(),
  /** @default '10.96.0.0/12' */
  serviceCidr: z.string().optional(),
  /** @default 'cluster.local' */
  clusterDomain: z.string().optional(),
  /** Kubernetes namespaces; 'default' and 'kube-system' always exist. */
  namespaces: z.array(dnsLabel).optional(),
  /** @default 'flannel' */
  cni: cniSchema.optional(),
  pods: z.record(z.string(), podSchema).optional(),
  checks: z.array(checkSchema).optional(),
});

/** What an author writes (optional fields, shorthands). */
export type LabSpec = z.input<typeof labSchema>;
export type PodSpec = z.input<typeof podSchema>;
export type ContainerSpec = z.input<typeof containerSchema>;
export type CheckSpec = z.input<typeof checkSchema>;
export type Workload = z.input<typeof workloadSchema>;
