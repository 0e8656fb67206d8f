/**
 * The ingress controller of a live lab, around real nginx:
 * - at `up`, before the controller pod starts: its run directory (owned by the controller's
 *   unprivileged user) and the certificates — a lab CA, the controller's default ("fake")
 *   certificate and one per TLS Secret for its hosts — made with openssl into the lab's state
 *   (a tmpfs, gone at `down`; no private key is ever written to generated/);
 * - whenever endpoints are synced (a pod recreated, scaled, deleted): nginx.conf rendered again
 *   with the ready endpoints and, if it changed, nginx told to reload (SIGHUP to its master, the
 *   signal `nginx -s reload` sends; old workers finish their requests, nothing is dropped).
 * nginx itself is the controller pod's container (render.ts expands `@nginx`), contained like every
 * other (runtime/container.ts) with its run directory writable; `down` stops it by pid with the pod.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { INGRESS } from '../ingress/types.ts';
import { nginxConf } from '../plan/ingress.ts';
import type { Plan } from '../plan/plan.ts';
import { writeFileAtomic } from '../lib/write-atomic.ts';
import { must, type Executor } from './exec.ts';
import { isAlive } from './procs.ts';
import type { Endpoint } from '../plan/services.ts';

type Endpoints = Record<string, Endpoint[]>;
import type { LabState } from './state.ts';
import { commonName } from '../lib/x509.ts';

/** Days the lab's certificates are valid: a lab lives for hours. */
const CERT_DAYS = '30';
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** The run directory and every certificate of the lab's Ingresses (openssl through the Executor). */
export async function prepareIngress(ex: Executor, plan: Plan): Promise<void> {
  const ing = plan.ingress;
  if (!ing) return;
  // Traversable by the controller; the run directory and the leaf keys become its uid's when it
  // starts (nginxContainer), the CA's key stays root's alone.
  mkdirSync(dirname(ing.runDir), { recursive: true, mode: 0o755 });
  mkdirSync(ing.runDir, { mode: 0o700 });
  mkdirSync(ing.tlsDir, { mode: 0o711 });
  const tls = ing.tlsDir;
  await must(ex, ['openssl', 'req', '-x509', ...EC, '-keyout', `${tls}/ca.key`, '-out', `${tls}/ca.crt`, '-days', CERT_DAYS, '-subj', `/O=podlab/CN=${commonName(`podlab lab ${plan.lab} CA`)}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const leaves = [
    { file: 'default', cn: 'Kubernetes Ingress Controller Fake Certificate', hosts: ['ingress.local'] },
    ...ing.secrets.map((s) => ({ file: s.file, cn: s.hosts[0] ?? s.secret, hosts: s.hosts })),
  ];
  await Promise.all(
    leaves.map(async (l) => {
      const san = l.hosts.map((h) => `DNS:${h}`).join(',');
      await must(ex, [
        'openssl', 'req', '-x509', ...EC, '-keyout', `${tls}/${l.file}.key`, '-out', `${tls}/${l.file}.crt`, '-days', CERT_DAYS,
        '-CA', `${tls}/ca.crt`, '-CAkey', `${tls}/ca.key`, '-subj', `/O=podlab/CN=${commonName(l.cn)}`,
        '-addext', `subjectAltName=${san}`, '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'extendedKeyUsage=serverAuth',
      ]);
      // nginx reads its keys as the controller's uid, which owns them once it starts; nobody else may.
      chmodSync(`${tls}/${l.file}.key`, 0o600);
    }),
  );
}

/** The leaf certificates' files (not the CA's): the default ("fake") certificate's and one per TLS Secret. */
function leafFiles(plan: Plan): string[] {
  return ['default', ...(plan.ingress?.secrets.map((s) => s.file) ?? [])];
}

/**
 * What the controller's container may touch beyond the read-only view: its run directory
 * (writable: pid file, temporary files) and, read-only, its private keys, both handed to its uid.
 */
export function nginxContainer(plan: Plan): { writable: string[]; owns: string[] } {
  const ing = plan.ingress!;
  return { writable: [ing.runDir], owns: [ing.runDir, ...leafFiles(plan).map((f) => `${ing.tlsDir}/${f}.key`)] };
}

/** The controller's nginx master process, when it is running and has set itself up (its pid file exists). */
function nginxMaster(state: LabState): number | undefined {
  const ing = state.plan.ingress!;
  const rec = state.pods[ing.pod]?.containers[INGRESS.containerName];
  if (!rec || !isAlive(rec) || !existsSync(`${ing.runDir}/nginx.pid`)) return undefined;
  return rec.pid;
}

export interface IngressSync {
  /** nginx.conf changed and nginx was told to reload. */
  reloaded: boolean;
  changed: boolean;
}

/**
 * Renders nginx.conf for `endpoints` and, when it differs from the one nginx runs, writes it
 * (by rename) and reloads nginx. A controller not started yet reads the new file when it starts.
 */
export async function syncIngress(ex: Executor, state: LabState, endpoints: Endpoints): Promise<IngressSync> {
  const plan = state.plan;
  if (!plan.ingress) return { reloaded: false, changed: false };
  const text = nginxConf(plan, endpoints);
  const file = plan.ingress.confFile;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (current === text) return { reloaded: false, changed: false };
  writeFileAtomic(file, text);
  const pid = nginxMaster(state);
  if (pid === undefined) return { reloaded: false, changed: true };
  const before = workersOf(pid);
  ex.signal(pid, 'SIGHUP');
  // The reload is done when a worker of the new configuration runs and every old one has closed
  // its listening sockets (it then calls itself "worker process is shutting down" and only
  // finishes the requests it holds): from then on every new connection gets the new upstreams.
  const deadline = Date.now() + RELOAD_TIMEOUT_MS;
  for (let wait = 1; Date.now() < deadline; wait = Math.min(10, wait * 2)) {
    const now = workersOf(pid);
    if (now.some((w) => !before.includes(w)) && before.every((w) => !now.includes(w) || shuttingDown(w))) break;
    await new Promise((r) => setTimeout(r, wait));
  }
  return { reloaded: true, changed: true };
}

/** How long a sync waits for nginx to have reloaded. */
const RELOAD_TIMEOUT_MS = 2000;

function shuttingDown(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('shutting down');
  } catch {
    return true;
  }
}

/** The nginx master's worker processes (its children). */
function workersOf(master: number): number[] {
  try {
    return readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Waits until the controller's nginx has bound its ports (it writes its pid file after that), so
 * `up` returns a lab whose ingress answers; fails with nginx's last log lines if it exits instead.
 */
export async function waitIngress(state: LabState, timeoutMs = 10_000): Promise<void> {
  const ing = state.plan.ingress;
  if (!ing) return;
  const rec = state.pods[ing.pod]?.containers[INGRESS.containerName];
  const deadline = Date.now() + timeoutMs;
  for (let wait = 2; ; wait = Math.min(20, wait * 2)) {
    if (existsSync(`${ing.runDir}/nginx.pid`)) return;
    if (!rec || !isAlive(rec) || Date.now() > deadline) {
      const log = rec && 'log' in rec && typeof rec.log === 'string' && existsSync(rec.log) ? readFileSync(rec.log, 'utf8').trim().split('\n').slice(-3).join(' | ') : '';
      throw new Error(`the ingress controller's nginx ${rec && isAlive(rec) ? `did not start within ${timeoutMs} ms` : 'exited'}: ${log}`);
    }
    await new Promise((r) => setTimeout(r, wait));
  }
}
