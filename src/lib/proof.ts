/**
 * Who answered an HTTP check (SECURITY.md, boundary 13), the pure part: a lab has a secret of its
 * own (runtime/identity.ts keeps it, root's alone); each http-echo workload gets the key of its
 * pod, an HMAC of that secret and the pod's identity; a check sends a fresh nonce with every
 * request and http-echo answers with a proof, an HMAC under its key of the nonce and what it saw
 * (the client address and the path). The judge makes the key again from the secret and the pod
 * the answer names, and believes the name only when the proof holds. Nothing but that pod's own
 * http-echo holds its key, so a body anyone can write ({"pod":"api-1"}) proves nothing; a relay
 * (nginx, an Ingress, a proxy of the student's) passes api-1's proof on untouched, and api-1 did
 * answer. native/workload.c computes the same proof (its contract states the message).
 */
import { createHmac, randomBytes, timingSafeEqual } from './crypto.ts';

/**
 * The workload identity a key is made for: a pod or an outside host, by name. A pod's name is
 * unique in its lab whatever its namespace (the state keys pods by name), and it is what
 * http-echo's answer names: so a pod the judge's plan does not know yet (a Deployment's new
 * pod) is still `pod/<name>`.
 */
export type WorkloadIdentity = `pod/${string}` | `host/${string}`;

export const podIdentity = (name: string): WorkloadIdentity => `pod/${name}`;
export const hostIdentity = (name: string): WorkloadIdentity => `host/${name}`;

/** Whose answer one naming `name` claims to be: the pod of that name; else the outside host of that name; else a pod the plan does not list yet. */
export function claimedIdentity(plan: { pods: readonly { name: string }[]; hosts: readonly { name: string }[] }, name: string): WorkloadIdentity {
  return !plan.pods.some((p) => p.name === name) && plan.hosts.some((h) => h.name === name) ? hostIdentity(name) : podIdentity(name);
}

/** A fresh nonce: 128 random bits as 32 hex digits (what http-echo accepts: 1–128 of [A-Za-z0-9_-]). */
export const freshNonce = (): string => randomBytes(16).toString('hex');

/** The key of one workload: HMAC-SHA256(lab secret, "podlab workload key v1\n" identity). */
export function workloadKey(secret: Uint8Array, identity: WorkloadIdentity): Buffer {
  return createHmac('sha256', secret).update(`podlab workload key v1\n${identity}`).digest();
}

/** What an answer says it saw and proves with (http-echo's fields). */
export interface Proven {
  nonce: string;
  client: string;
  path: string;
}

/** http-echo's proof: hex HMAC-SHA256(key, "podlab http-echo v1\n" nonce "\n" client "\n" path). */
export function proofOf(key: Uint8Array, a: Proven): string {
  return createHmac('sha256', key).update(`podlab http-echo v1\n${a.nonce}\n${a.client}\n${a.path}`).digest('hex');
}

/** Whether `proof` is the one the holder of `key` gives for `a` (compared in constant time). */
export function proofHolds(key: Uint8Array, a: Proven, proof: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(proof)) return false;
  return timingSafeEqual(Buffer.from(proofOf(key, a), 'hex'), Buffer.from(proof, 'hex'));
}

/** Checks proofs against the keys of one lab's secret, without handing out the secret or a key. */
export interface Prover {
  proves(identity: WorkloadIdentity, answer: Proven, proof: string): boolean;
}

export function proverOf(secret: Uint8Array): Prover {
  const keys = new Map<WorkloadIdentity, Buffer>();
  return {
    proves(identity, answer, proof) {
      let key = keys.get(identity);
      if (!key) keys.set(identity, (key = workloadKey(secret, identity)));
      return proofHolds(key, answer, proof);
    },
  };
}
