/**
 * Every Linux name podlab derives, in one place: namespace names (unambiguous per lab), interface
 * names (≤ 15 bytes, hashed rather than truncated when the readable form does not fit) and MACs.
 */
import { createHash } from '../lib/crypto.ts';
import { IFNAME_MAX, NETNS_PREFIX, NETNS_SEP } from '../constants.ts';

export function shortHash(text: string, len = 8): string {
  return createHash('sha256').update(text).digest('hex').slice(0, len);
}

/** `podlab-<lab>.` — every namespace of a lab starts with this, and only that lab's do. */
export function labNetnsPrefix(lab: string): string {
  return `${NETNS_PREFIX}${lab}${NETNS_SEP}`;
}

export const netns = {
  fabric: (lab: string) => `${labNetnsPrefix(lab)}fabric`,
  node: (lab: string, node: string) => `${labNetnsPrefix(lab)}node${NETNS_SEP}${node}`,
  pod: (lab: string, namespace: string, pod: string) => `${labNetnsPrefix(lab)}pod${NETNS_SEP}${namespace}${NETNS_SEP}${pod}`,
  host: (lab: string, host: string) => `${labNetnsPrefix(lab)}host${NETNS_SEP}${host}`,
  gateway: (lab: string) => `${labNetnsPrefix(lab)}gateway`,
  /** The kernel probe's throw-away namespace while `up` of the lab checks the kernel (not in the plan: it is gone before the lab is built). */
  probe: (lab: string) => `${labNetnsPrefix(lab)}probe`,
};

/** Parses a namespace name back into its lab, for `down --all` and the doctor. */
export function labOfNetns(name: string): string | undefined {
  if (!name.startsWith(NETNS_PREFIX)) return undefined;
  const rest = name.slice(NETNS_PREFIX.length);
  // `podlab-probe.<pid>` is the kernel probe's throw-away namespace, not lab "probe" (whose
  // namespaces end in fabric, gateway, node.…, host.… or pod.…, never in digits alone).
  if (/^probe\.\d+$/.test(rest)) return undefined;
  const i = rest.indexOf(NETNS_SEP);
  return i > 0 ? rest.slice(0, i) : undefined;
}

/** Fabric-side port of a node's link: the node's name when it fits, else `n-<hash>`. */
export function fabricPortName(node: string): string {
  return Buffer.byteLength(node) <= IFNAME_MAX ? node : `n-${shortHash(node, 10)}`;
}

/** Fabric-side port of an outside host's link: `h.<name>` ('.' never occurs in node names, so it cannot clash with a node's port). */
export function hostPortName(host: string): string {
  const name = `h.${host}`;
  return Buffer.byteLength(name) <= IFNAME_MAX ? name : `h.${shortHash(host, 10)}`;
}

/** A locally administered unicast MAC, stable for a given seed. */
export function macFor(seed: string): string {
  const h = shortHash(seed, 10);
  return ['02', h.slice(0, 2), h.slice(2, 4), h.slice(4, 6), h.slice(6, 8), h.slice(8, 10)].join(':');
}

/** CNI container id for a pod: stable, unique per lab. */
export function containerId(lab: string, namespace: string, pod: string): string {
  return `podlab-${shortHash(`${lab}/${namespace}/${pod}`, 16)}`;
}

/** The name of the n-th replica a scenario's `scale` makes of a pod (n ≥ 2; the pod itself is the first). */
export function replicaName(pod: string, n: number): string {
  return `${pod}-r${n}`;
}
