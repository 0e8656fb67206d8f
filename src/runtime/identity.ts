/**
 * Who answered an HTTP check (SECURITY.md, boundary 13), the live part; lib/proof.ts is the pure
 * one. A lab's secret is made at `up` (32 random bytes) in `<state>/identity/secret`: the
 * directory 0700 and the file 0600, root's, in the lab's tmpfs (gone at `down`, never in
 * generated/ or up.sh). Each of the lab's own http-echo containers gets its pod's key when it
 * starts, restarted or not: `<state>/identity/keys/<identity>.key`, 0600 root's as well, which
 * contain opens as root before it drops to the container's uid and hands on as descriptor
 * IDENTITY.keyFd (`--key-file`); http-echo reads it (`--key-fd`) and closes it. So the key is in
 * no file the container's uid may open, in no command line and no environment, and reaches no
 * other uid (a process's descriptors and memory are open to its own uid only, and each container
 * has a uid of its own). The check's runner reads the secret to judge proofs (a Prover).
 */
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { IDENTITY } from '../constants.ts';
import { randomBytes } from '../lib/crypto.ts';
import { hostIdentity, podIdentity, proverOf, workloadKey, type Prover, type WorkloadIdentity } from '../lib/proof.ts';
import { writeFileAtomic } from '../lib/write-atomic.ts';
import type { Plan, PlanPod } from '../plan/plan.ts';
import { stateDir } from './state.ts';

const identityDir = (lab: string) => `${stateDir(lab)}/identity`;
const secretPath = (lab: string) => `${identityDir(lab)}/secret`;

/** The folder, root's alone (also when it was there). */
function ownDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/**
 * The lab's secret: made once (`up`), then read. Made by a hard link of a complete file, so two
 * processes starting the lab's first containers at once (up, the agent) agree on one secret and
 * neither reads half of it.
 */
export function ensureLabSecret(lab: string): Buffer {
  const have = readLabSecret(lab);
  if (have) return have;
  ownDir(identityDir(lab));
  const tmp = `${secretPath(lab)}.${process.pid}.tmp`;
  writeFileSync(tmp, randomBytes(IDENTITY.secretBytes), { mode: 0o600 });
  try {
    linkSync(tmp, secretPath(lab));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
  return readLabSecret(lab)!;
}

/** The lab's secret, when it has one (a lab brought up by a podlab before boundary 13 has none). */
export function readLabSecret(lab: string): Buffer | undefined {
  try {
    const s = readFileSync(secretPath(lab));
    return s.length === IDENTITY.secretBytes ? s : undefined;
  } catch {
    return undefined;
  }
}

/** What checks the proofs of a lab's answers, when the lab has a secret. */
export function labProver(lab: string): Prover | undefined {
  const secret = readLabSecret(lab);
  return secret ? proverOf(secret) : undefined;
}

/** Whether a planned container is one of podlab's own http-echo servers: those, and only those, get a key. */
export const provesItself = (c: PlanPod['containers'][number]): boolean => c.argv[0] === '@workload' && c.argv[1] === 'http-echo';

/** Whose key a container of `pod` gets: an outside host's (its sandbox, render's hostSandbox, has its netns) or the pod's. */
export function identityOf(plan: Pick<Plan, 'hosts'>, pod: Pick<PlanPod, 'name' | 'netns'>): WorkloadIdentity {
  const host = plan.hosts.find((h) => h.netns === pod.netns && pod.name === `host.${h.name}`);
  return host ? hostIdentity(host.name) : podIdentity(pod.name);
}

/** Writes the key of `identity` (root's, 0600) for contain to hand on, and returns its path. */
export function workloadKeyFile(lab: string, identity: WorkloadIdentity): string {
  const dir = `${identityDir(lab)}/keys`;
  ownDir(dir);
  const file = `${dir}/${identity.replaceAll('/', '_')}.key`;
  writeFileAtomic(file, workloadKey(ensureLabSecret(lab), identity), 0o600);
  return file;
}
