/**
 * Starting a lab's API server at `up`: a CA and a serving certificate for 127.0.0.1 made with
 * openssl in /run/podlab/<lab>/api/ (keys 0600), a random bearer token, the server process
 * (`podlab api-server <lab>`, in its own session, recorded in the state with its port so that
 * `down` stops it by pid), and a kubeconfig (0600) whose context is named after the lab.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { REPO_ROOT } from '../runtime/artifacts.ts';
import { must, type Executor } from '../runtime/exec.ts';
import { recordOf } from '../runtime/procs.ts';
import { readState, writeState } from '../runtime/state.ts';
import { apiDir } from './live.ts';
import { traced } from '../lib/trace.ts';

export const kubeconfigPath = (lab: string) => `${apiDir(lab)}/kubeconfig`;

/** Certificates valid this long: a lab lives for a session, not a year. */
const CERT_DAYS = '30';

/** The CA, and a serving certificate for 127.0.0.1 and localhost signed by it (P-256 keys: made in milliseconds). */
export async function makeCertificates(ex: Executor, lab: string, dir = apiDir(lab)): Promise<void> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await must(ex, ['openssl', 'req', '-x509', ...ec, '-keyout', `${dir}/ca.key`, '-out', `${dir}/ca.crt`, '-days', CERT_DAYS, '-subj', `/CN=podlab-${lab}-ca`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await must(ex, ['openssl', 'req', ...ec, '-keyout', `${dir}/server.key`, '-out', `${dir}/server.csr`, '-subj', `/CN=podlab-${lab}-apiserver`]);
  writeFileSync(`${dir}/server.ext`, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
  await must(ex, ['openssl', 'x509', '-req', '-in', `${dir}/server.csr`, '-CA', `${dir}/ca.crt`, '-CAkey', `${dir}/ca.key`, '-CAcreateserial', '-out', `${dir}/server.crt`, '-days', CERT_DAYS, '-extfile', `${dir}/server.ext`]);
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

/** Starts the lab's API server and records it; returns its port and the kubeconfig's path. */
export async function startApiServer(ex: Executor, lab: string): Promise<{ port: number; pid: number; kubeconfig: string }> {
  const dir = apiDir(lab);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  await traced('api: certificates', () => makeCertificates(ex, lab, dir));
  const token = randomBytes(32).toString('base64url');
  writeFileSync(`${dir}/token`, `${token}\n`, { mode: 0o600 });
  const pid = await ex.spawn([process.execPath, `${REPO_ROOT}bin/podlab.js`, 'api-server', lab], { logFile: `${dir}/server.log`, readyLine: 'ready', readyTimeoutMs: 20_000 });
  const port = Number(readFileSync(`${dir}/port`, 'utf8').trim());
  const state = readState(lab);
  if (!state) throw new Error(`lab "${lab}" has no state`);
  state.api = { ...recordOf(pid), port };
  writeState(state);
  writeFileSync(kubeconfigPath(lab), kubeconfigText(lab, port, readFileSync(`${dir}/ca.crt`, 'utf8'), token), { mode: 0o600 });
  chmodSync(kubeconfigPath(lab), 0o600);
  return { port, pid, kubeconfig: kubeconfigPath(lab) };
}
