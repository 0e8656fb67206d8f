/**
 * Starting a lab's API server on first use: the first `podlab kubeconfig` of a lab that is up
 * (ensureApiServer) starts the server process (`podlab api-server <lab>`, in its own session,
 * recorded in the state so that `down` stops it by pid), and starts it again if it died. A lab
 * nobody drives with kubectl costs no server: no Node process, no certificates, no memory. The
 * process makes, in /run/podlab/<lab>/api/, a CA and a serving certificate for 127.0.0.1 with
 * openssl (keys 0600), a random bearer token, listens on a port the kernel picks, and writes the
 * kubeconfig (0600, context named after the lab) last: its existence says the server answers.
 * `podlab kubeconfig` waits for it (waitApiServer).
 */
import { randomBytes } from '../lib/crypto.ts';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { REPO_ROOT } from '../runtime/artifacts.ts';
import { must, ownNodeEnv, type Executor } from '../runtime/exec.ts';
import { isAlive, recordOf } from '../runtime/procs.ts';
import { withLabMutex } from '../runtime/mutex.ts';
import { readState, stateDir, writeState, type ProcessRecord } from '../runtime/state.ts';
import { writeFileAtomic } from '../lib/write-atomic.ts';
import { apiDir } from './live.ts';
import { traced } from '../lib/trace.ts';
import { commonName } from '../lib/x509.ts';

export const kubeconfigPath = (lab: string) => `${apiDir(lab)}/kubeconfig`;

/** Certificates valid this long: a lab lives for a session, not a year. */
const CERT_DAYS = '30';

/**
 * The CA, and a serving certificate for 127.0.0.1 and localhost signed by it: two openssl runs
 * (`req -x509 -CA` signs in the run that makes the key; P-256 keys are made in milliseconds).
 */
export async function makeCertificates(ex: Executor, lab: string, dir = apiDir(lab)): Promise<void> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', CERT_DAYS];
  await must(ex, ['openssl', 'req', '-x509', ...ec, '-keyout', `${dir}/ca.key`, '-out', `${dir}/ca.crt`, '-subj', `/CN=${commonName(`podlab-${lab}-ca`)}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await must(ex, ['openssl', 'req', '-x509', ...ec, '-keyout', `${dir}/server.key`, '-out', `${dir}/server.crt`, '-subj', `/CN=${commonName(`podlab-${lab}-apiserver`)}`, '-CA', `${dir}/ca.crt`, '-CAkey', `${dir}/ca.key`,
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-addext', 'basicConstraints=CA:FALSE', '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment', '-addext', 'extendedKeyUsage=serverAuth']);
  chmodSync(`${dir}/ca.key`, 0o600);
  chmodSync(`${dir}/server.key`, 0o600);
}

export function kubeconfigText(lab: string, port: number, caPem: string, token: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: lab, cluster: { server: `https://127.0.0.1:${port}`, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: `${lab}-admin`, user: { token } }],
    contexts: [{ name: lab, context: { cluster: lab, user: `${lab}-admin`, namespace: 'default' } }],
    'current-context': lab,
  });
}

/**
 * Starts the lab's API server process and records it in the state; does not wait for it (it makes
 * its certificates and token itself: prepareApiServer). Returns its record (pid, start time).
 */
export async function launchApiServer(ex: Executor, lab: string): Promise<ProcessRecord> {
  const dir = makeApiDir(lab);
  const pid = await ex.spawn([process.execPath, `${REPO_ROOT}bin/podlab.js`, 'api-server', lab], { logFile: `${dir}/server.log`, cleanEnv: true, env: ownNodeEnv() });
  const state = readState(lab);
  if (!state) {
    // A `down` came between: the lab is gone, and so must its server be.
    process.kill(pid, 'SIGKILL');
    throw new Error(`lab "${lab}" is gone`);
  }
  state.api = recordOf(pid);
  writeState(state);
  return state.api;
}

/** The server's folder (0700) in the lab's state directory, which it never makes again: a lab that `down` removed meanwhile throws (ENOENT). */
function makeApiDir(lab: string): string {
  const dir = apiDir(lab);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  chmodSync(dir, 0o700);
  return dir;
}

export type ApiStart = { rec: ProcessRecord; why?: undefined } | { rec?: undefined; why: 'not up' | 'no api' };

/**
 * The lab's API server, started unless it runs (`podlab kubeconfig`): under the lab's mutex, so
 * that two commands at once start one server. One that died is replaced, its port and kubeconfig
 * removed first (they name a port nobody serves). None for a lab that is not up, or was brought up
 * with --no-api.
 */
export function ensureApiServer(ex: Executor, lab: string): Promise<ApiStart> {
  return withLabMutex(lab, async () => {
    const state = readState(lab);
    if (!state || state.status !== 'up') return { why: 'not up' };
    if (state.noApi) return { why: 'no api' };
    if (state.api && isAlive(state.api)) return { rec: state.api };
    for (const f of ['kubeconfig', 'port']) rmSync(`${apiDir(lab)}/${f}`, { force: true });
    return { rec: await launchApiServer(ex, lab) };
  });
}

/** In the server process, before it listens: the certificates and the token. */
export async function prepareApiServer(ex: Executor, lab: string): Promise<string> {
  const dir = makeApiDir(lab);
  await traced('api: certificates', () => makeCertificates(ex, lab, dir));
  const token = randomBytes(32).toString('base64url');
  writeFileSync(`${dir}/token`, `${token}\n`, { mode: 0o600 });
  return token;
}

/** In the server process, once it listens: the kubeconfig, written whole (it says the server is ready). */
export function writeKubeconfig(lab: string, port: number, token: string): void {
  writeFileAtomic(kubeconfigPath(lab), kubeconfigText(lab, port, readFileSync(`${apiDir(lab)}/ca.crt`, 'utf8'), token), 0o600);
  chmodSync(kubeconfigPath(lab), 0o600);
}

/** The port the lab's API server listens on, once it does. */
export function apiPort(lab: string): number | undefined {
  try {
    const port = Number(readFileSync(`${apiDir(lab)}/port`, 'utf8').trim());
    return port > 0 ? port : undefined;
  } catch {
    return undefined;
  }
}

export type ApiWait = { ready: true; port: number; kubeconfig: string } | { ready: false; why: 'none' | 'exited' | 'timeout' };

/**
 * Waits until the lab's API server (ensureApiServer) has written its kubeconfig: 'none' when the
 * lab has no server (`up --no-api`), 'exited' when its process is gone, 'timeout'.
 */
export async function waitApiServer(lab: string, rec: ProcessRecord | undefined, timeoutMs = 20_000): Promise<ApiWait> {
  if (!rec) return { ready: false, why: 'none' };
  const deadline = Date.now() + timeoutMs;
  for (let wait = 5; ; wait = Math.min(50, wait * 2)) {
    const port = apiPort(lab);
    if (port && existsSync(kubeconfigPath(lab))) return { ready: true, port, kubeconfig: kubeconfigPath(lab) };
    if (!isAlive(rec) || !existsSync(stateDir(lab))) return { ready: false, why: 'exited' };
    if (Date.now() > deadline) return { ready: false, why: 'timeout' };
    await new Promise((r) => setTimeout(r, wait));
  }
}
