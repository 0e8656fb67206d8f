/**
 * Recorded probe and curl output, as podlab's http-echo answers since it proves who answered
 * (SECURITY.md, boundary 13): each answer that names a pod gets the proof that pod's http-echo
 * makes for its request's nonce, under a test secret; the attempt (the nonces, a prover of that
 * secret) is what the judge is then given. The proofs are lib/proof.ts's; native/workload.c makes
 * the same ones (test/unit/proof.test.ts for its HMAC, test/live/workload.test.ts and
 * test/live/identity.test.ts for its answers).
 */
import type { Attempt } from '../../src/check/kinds/kind.ts';
import { claimedIdentity, proofOf, proverOf, workloadKey } from '../../src/lib/proof.ts';

export const TEST_SECRET = Buffer.alloc(32, 7);

type Names = { pods: readonly { name: string }[]; hosts: readonly { name: string }[] };

/** An attempt of `n` requests: nonces `nonce-0`, `nonce-1`, …, and the test secret's prover. */
export function testAttempt(n: number, secret: Uint8Array = TEST_SECRET): Attempt {
  return { nonces: Array.from({ length: n }, (_, i) => `nonce-${i}`), prover: proverOf(secret) };
}

/** The proof the http-echo of the pod `pod` names gives for this nonce, client and path. */
export const proofFor = (plan: Names, pod: string, nonce: string, client: string, path: string, secret: Uint8Array = TEST_SECRET) =>
  proofOf(workloadKey(secret, claimedIdentity(plan, pod)), { nonce, client, path });

/** One http-echo body (JSON text) with its proof after `pod`, as http-echo writes it; other bodies as they are. */
export function provenBody(plan: Names, body: string, nonce: string, secret?: Uint8Array): string {
  let reply: Record<string, unknown>;
  try {
    reply = JSON.parse(body);
  } catch {
    return body;
  }
  if (typeof reply.pod !== 'string') return body;
  const { pod, ...rest } = reply;
  const proof = proofFor(plan, pod, nonce, String(reply.client), String(reply.path), secret);
  return `${JSON.stringify({ pod, proof, ...rest })}${body.endsWith('\n') ? '\n' : ''}`;
}

/** A native probe's output line with its answers proven (`path`: what the server saw, for answers recorded before the probe reported it). */
export function provenProbe(plan: Names, stdout: string, attempt: Attempt, path = '/', secret?: Uint8Array): string {
  const o = JSON.parse(stdout);
  if (Array.isArray(o.answers)) {
    o.answers = o.answers.map((a: { pod: string | null; client: string; path?: string }, i: number) =>
      a.pod === null ? a : { ...a, path: a.path ?? path, proof: proofFor(plan, a.pod, attempt.nonces[i]!, a.client, a.path ?? path, secret) },
    );
  } else if (typeof o.body === 'string') {
    o.body = provenBody(plan, o.body, attempt.nonces[0]!, secret);
  }
  return JSON.stringify(o);
}

const MARK = '\n@@podlab-status ';

/** curl's output (http.ts curlArgv) with each answer's body proven. */
export function provenCurl(plan: Names, stdout: string, attempt: Attempt, secret?: Uint8Array): string {
  const parts = stdout.split(MARK);
  const bodies: string[] = [parts[0]!];
  const rests: string[] = [];
  for (const rest of parts.slice(1)) {
    const nl = rest.indexOf('\n');
    rests.push(nl < 0 ? rest : rest.slice(0, nl + 1));
    bodies.push(nl < 0 ? '' : rest.slice(nl + 1));
  }
  return bodies.map((b, i) => (i < rests.length ? `${provenBody(plan, b, attempt.nonces[i]!, secret)}${MARK}${rests[i]}` : b)).join('');
}
