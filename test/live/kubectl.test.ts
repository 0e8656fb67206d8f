/**
 * The real kubectl (the machine's, v1.32) against a live lab's API server: the lab is brought up
 * and down by podlab's own CLI, as a learner does, and every answer is compared with the live
 * state (`podlab status`'s) or with real packets between the lab's pods.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiPort } from '../../src/api/launch.ts';
import { isAlive } from '../../src/runtime/procs.ts';
import { readState, type LabState } from '../../src/runtime/state.ts';
import { labStatus } from '../../src/runtime/status.ts';
import { inLab, liveGuard, WORKLOAD } from './host.ts';
import { kubectlLab } from './kubectl-cli.ts';

const live = liveGuard();
const LAB = 'kubectl-lab';
const LAB_FILE = 'test/fixtures/labs/kubectl-lab.lab.ts';

const K = kubectlLab(LAB, { podlabTimeout: 60_000 });
const { podlab, kubectl } = K;
const state = (): LabState => readState(LAB)!;

async function reaches(from: string, host: string, port: number): Promise<boolean> {
  const r = await inLab(state(), from, ['node', WORKLOAD, 'tcp-connect', '--host', host, '--port', String(port), '--timeout-ms', '1000']);
  return JSON.parse(r.stdout).ok === true;
}

/** An HTTPS GET to the lab's API server with the lab's CA and the given Authorization header (or none). */
function apiGet(path: string, auth?: string): Promise<{ status: number; body: string }> {
  const ca = readFileSync(`/run/podlab/${LAB}/api/ca.crt`);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: apiPort(LAB), path, ca, headers: auth ? { authorization: auth } : {} }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function manifest(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe.skipIf(!live)('kubectl against a live lab', () => {
  let dir: string;
  let apiPid = 0;

  K.aroundSuite(LAB_FILE);
  beforeAll(() => {
    apiPid = state().api!.pid;
    dir = mkdtempSync(join(tmpdir(), 'kubectl-lab-'));
  });

  it('podlab kubeconfig: a 0600 file whose context is named after the lab, server on 127.0.0.1', async () => {
    expect(statSync(K.kubeconfig).mode & 0o777).toBe(0o600);
    for (const key of ['ca.key', 'server.key', 'token']) expect(statSync(`/run/podlab/${LAB}/api/${key}`).mode & 0o777).toBe(0o600);
    const r = await kubectl('config', 'current-context');
    expect(r.stdout.trim()).toBe(LAB);
    expect(readFileSync(K.kubeconfig, 'utf8')).toContain(`server: https://127.0.0.1:${apiPort(LAB)}`);
  });

  it("the API server, a Node of podlab's own, starts without the NODE_EXTRA_CA_CERTS the CLI was given", () => {
    const environ = readFileSync(`/proc/${apiPid}/environ`, 'utf8').split('\0');
    expect(environ.filter((v) => v.startsWith('NODE_EXTRA_CA_CERTS='))).toEqual([]);
    expect(readFileSync(`/run/podlab/${LAB}/api/server.log`, 'utf8')).not.toContain('extra certs');
  });

  it('nothing of the API server listens on anything but 127.0.0.1', async () => {
    const ss = await execa('ss', ['-Hltnp'], { reject: false });
    const mine = ss.stdout.split('\n').filter((l) => l.includes(`pid=${apiPid},`));
    expect(mine.length).toBeGreaterThan(0);
    for (const l of mine) expect(l.split(/\s+/)[3]).toBe(`127.0.0.1:${apiPort(LAB)}`);
    const udp = await execa('ss', ['-Hlunp'], { reject: false });
    expect(udp.stdout.split('\n').filter((l) => l.includes(`pid=${apiPid},`))).toEqual([]);
  });

  it('a request without the token, or with a wrong one, is refused with a 401 Status', async () => {
    const none = await apiGet('/api/v1/pods');
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    const wrong = await apiGet('/api/v1/pods', 'Bearer not-the-token');
    expect(wrong.status).toBe(401);
    const token = readFileSync(`/run/podlab/${LAB}/api/token`, 'utf8').trim();
    expect((await apiGet('/api/v1/pods', `Bearer ${token}`)).status).toBe(200);
  });

  it('kubectl get pods -A -o wide shows every pod with its IP and node, as podlab status does', async () => {
    const r = await kubectl('get', 'pods', '-A', '-o', 'wide', '--no-headers');
    expect(r.exitCode).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => l.split(/\s+/));
    const status = labStatus(LAB)!;
    expect(rows.map((c) => `${c[0]}/${c[1]} ${c[6]} ${c[7]}`).sort()).toEqual(status.pods.map((p) => `${p.namespace}/${p.name} ${p.ip} ${p.node}`).sort());
    expect(rows.every((c) => c[3] === 'Running' && c[2] === '1/1')).toBe(true);
    const header = (await kubectl('get', 'pods', '-o', 'wide')).stdout.split('\n')[0]!;
    expect(header.split(/\s{2,}/)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
  });

  it("kubectl get nodes -o wide prints kube-apiserver's node columns, the host's kernel and podlab's runtime; podlab get nodes -o wide the same", async () => {
    const k = (await kubectl('get', 'nodes', '-o', 'wide')).stdout.trim().split('\n').map((l) => l.split(/ {3,}/));
    expect(k[0]).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME']);
    const server = JSON.parse((await kubectl('version', '-o', 'json')).stdout) as { serverVersion: { gitVersion: string } };
    const kernel = (await execa('uname', ['-r'])).stdout.trim();
    for (const row of k.slice(1)) expect([row[4], row[8], row[9]]).toEqual([server.serverVersion.gitVersion, kernel, expect.stringMatching(/^podlab:\/\/\d+\.\d+\.\d+/)]);
    // podlab get: the same rows but AGE (counted a moment apart).
    const p = (await podlab('get', 'nodes', LAB, '-o', 'wide')).stdout.trim().split('\n').map((l) => l.split(/ {3,}/));
    const noAge = (rows: string[][]) => rows.map((r) => r.filter((_, i) => i !== 3));
    expect(noAge(p)).toEqual(noAge(k));
  });

  it('label and field selectors choose pods as the API server does', async () => {
    const byLabel = await kubectl('get', 'pods', '-l', 'app=web', '-o', 'name');
    expect(byLabel.stdout.trim().split('\n').sort()).toEqual(['pod/web-1', 'pod/web-2']);
    const byNode = await kubectl('get', 'pods', '--field-selector', 'spec.nodeName=worker-2', '-o', 'name');
    expect(byNode.stdout.trim().split('\n').sort()).toEqual(state().plan.pods.filter((p) => p.node === 'worker-2').map((p) => `pod/${p.name}`).sort());
  });

  it('the coredns ConfigMap carries the Corefile the DNS server runs', async () => {
    const r = await kubectl('get', 'configmap', 'coredns', '-n', 'kube-system', '-o', 'jsonpath={.data.Corefile}');
    expect(r.stdout).toBe(state().plan.dns!.corefile.trimEnd());
  });

  it('kubectl replace of the coredns ConfigMap reloads the DNS server; a Corefile that does not load is a 422 and changes nothing', async () => {
    const cm = JSON.parse((await kubectl('get', 'configmap', 'coredns', '-n', 'kube-system', '-o', 'json')).stdout);
    const before = state().plan.dns!.corefile;
    const bad = manifest(dir, 'bad-cm.json', JSON.stringify({ ...cm, data: { Corefile: before.replace('loadbalance', 'loadbalance\n    no-such-plugin') } }));
    const r = await kubectl('replace', '-f', bad);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('ConfigMap "coredns" is invalid: data.Corefile');
    expect(state().plan.dns!.corefile).toBe(before);
    const good = manifest(dir, 'cm.json', JSON.stringify({ ...cm, data: { Corefile: before.replace('loadbalance', 'loadbalance\n    log') } }));
    const ok = await kubectl('replace', '-f', good);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain('configmap/coredns replaced');
    expect(state().plan.dns!.corefile).toContain('    log\n');
    expect(readFileSync(`/run/podlab/${LAB}/rendered/dns/Corefile`, 'utf8')).toContain('    log\n');
  }, 30_000);

  it('kubectl get endpointslices -w sees a re-created pod leave and its new IP arrive', async () => {
    const oldIp = state().pods['web-1']!.ip!;
    const watch = spawn('kubectl', ['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-w', '--no-headers'], { env: { ...process.env, KUBECONFIG: K.kubeconfig } });
    let out = '';
    watch.stdout.on('data', (d) => (out += d));
    try {
      await expect.poll(() => out, { timeout: 10_000 }).toContain(oldIp);
      const r = await podlab('pod', 'recreate', LAB, 'web-1');
      expect(r.exitCode).toBe(0);
      const newIp = state().pods['web-1']!.ip!;
      expect(newIp).not.toBe(oldIp);
      await expect.poll(() => out.split('\n').slice(1).join('\n'), { timeout: 10_000 }).toContain(newIp);
    } finally {
      watch.kill();
    }
  }, 30_000);

  it('kubectl delete pod of a pod of its own deletes it, as Kubernetes does: gone from the pods and the endpoints', async () => {
    const oldIp = state().pods['web-2']!.ip!;
    const r = await kubectl('delete', 'pod', 'web-2');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('pod "web-2" deleted');
    expect(state().pods['web-2']).toBeUndefined();
    expect((await kubectl('get', 'pod', 'web-2')).stderr).toContain('pods "web-2" not found');
    const eps = await kubectl('get', 'endpoints', 'web', '-o', 'jsonpath={.subsets[*].addresses[*].ip}');
    expect(eps.stdout.split(' ')).not.toContain(oldIp);
    expect(eps.stdout.split(' ')).toEqual([state().pods['web-1']!.ip]);
    // podlab pod create brings it back, in a new sandbox with a new IP, which the Service follows.
    const deleting = Math.floor(Date.now() / 1000) * 1000;
    expect((await podlab('pod', 'create', LAB, 'web-2')).exitCode).toBe(0);
    const newIp = state().pods['web-2']!.ip!;
    expect(newIp).not.toBe(oldIp);
    const back = await kubectl('get', 'endpoints', 'web', '-o', 'jsonpath={.subsets[*].addresses[*].ip}');
    expect(back.stdout.split(' ')).toContain(newIp);
    // A new pod: created now, not when the lab came up (kubectl's AGE column).
    const createdText = (await kubectl('get', 'pod', 'web-2', '-o', 'jsonpath={.metadata.creationTimestamp}')).stdout;
    expect(Date.parse(createdText)).toBeGreaterThanOrEqual(deleting - 2000);
    // podlab get counts its AGE from the same moment, not from the lab's creation.
    const got = JSON.parse((await podlab('get', 'pods', LAB, '-o', 'json')).stdout) as { items: { metadata: { name: string; creationTimestamp: string } }[] };
    expect(got.items.find((i) => i.metadata.name === 'web-2')!.metadata.creationTimestamp).toBe(createdText);
  }, 30_000);

  it('kubectl apply -f of a NetworkPolicy cuts the client off; kubectl delete -f lets it through again', async () => {
    const web = () => state().pods['web-1']!.ip!;
    expect(await reaches('client', web(), 8080)).toBe(true);
    const file = manifest(dir, 'deny.yaml', 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web-deny\nspec:\n  podSelector:\n    matchLabels:\n      app: web\n  policyTypes: [Ingress]\n');
    const a = await kubectl('apply', '-f', file);
    expect(a.stderr).toBe('');
    expect(a.stdout).toContain('networkpolicy.networking.k8s.io/web-deny created');
    expect(await reaches('client', web(), 8080)).toBe(false);
    expect((await kubectl('apply', '-f', file)).stdout).toContain('unchanged');
    expect((await kubectl('get', 'netpol', '--no-headers')).stdout).toMatch(/^web-deny\s+app=web/);
    const d = await kubectl('delete', '-f', file);
    expect(d.exitCode).toBe(0);
    expect(await reaches('client', web(), 8080)).toBe(true);
  }, 30_000);

  it("a NetworkPolicy that selects no pod is applied with validate's warning (PL2112): kubectl prints the server's Warning, podlab policy apply its own", async () => {
    const file = manifest(dir, 'typo.yaml', 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: typo\nspec:\n  podSelector:\n    matchLabels:\n      app: wbe\n  policyTypes: [Ingress]\n');
    const a = await kubectl('apply', '-f', file);
    expect(a.exitCode).toBe(0);
    expect(a.stdout).toContain('networkpolicy.networking.k8s.io/typo created');
    expect(a.stderr.trim()).toBe('Warning: spec.podSelector: NetworkPolicy "default/typo" selects no pod: no pod in namespace "default" has app=wbe (PL2112)');
    // podlab policy apply: the same warning on stderr, at its line of the file, and in --json; applied all the same.
    const p = await podlab('policy', 'apply', LAB, '-f', file);
    expect(p.exitCode).toBe(0);
    expect(p.stdout).toContain('networkpolicy default/typo configured');
    expect(p.stderr).toContain(`${file}:6:3 - warning PL2112 spec.podSelector: NetworkPolicy "default/typo" selects no pod`);
    const j = JSON.parse((await podlab('policy', 'apply', LAB, '-f', file, '--json')).stdout) as { warnings: { code: string; severity: string; path: string[]; line: number }[] };
    expect(j.warnings.map((w) => [w.code, w.severity, w.path.join('.'), w.line])).toEqual([['PL2112', 'warning', 'spec.podSelector', 6]]);
    expect((await kubectl('delete', '-f', file)).exitCode).toBe(0);
  }, 30_000);

  it('a manifest that fails validation is refused with a 422 naming the field, and nothing is applied', async () => {
    const file = manifest(dir, 'bad.yaml', 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: bad\nspec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: 70000\n');
    const r = await kubectl('apply', '-f', file);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('The NetworkPolicy "bad" is invalid: spec.ingress[0].ports[0].port');
    expect((await kubectl('get', 'netpol', 'bad')).stderr).toContain('NotFound');
  });

  it('kubectl apply -f of a Service makes its pods reachable at a new ClusterIP (server-side apply too)', async () => {
    const file = manifest(dir, 'api.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  selector:\n    app: api\n  ports:\n  - name: http\n    port: 80\n    targetPort: 9090\n');
    const a = await kubectl('apply', '-f', file);
    expect(a.stdout).toContain('service/api created');
    const ip = (await kubectl('get', 'svc', 'api', '-o', 'jsonpath={.spec.clusterIP}')).stdout;
    expect(state().plan.services.find((s) => s.name === 'api')?.clusterIP).toBe(ip);
    // Its EndpointSlice and Endpoints are made with it (as old as it, owned by it), and podlab get counts its AGE from then too.
    const svc = JSON.parse((await kubectl('get', 'svc', 'api', '-o', 'json')).stdout) as { metadata: { uid: string; creationTimestamp: string } };
    const slice = JSON.parse((await kubectl('get', 'endpointslices', '-l', 'kubernetes.io/service-name=api', '-o', 'json')).stdout) as { items: { metadata: { creationTimestamp: string; ownerReferences: { uid: string }[] } }[] };
    expect(slice.items.map((i) => [i.metadata.creationTimestamp, i.metadata.ownerReferences[0]!.uid])).toEqual([[svc.metadata.creationTimestamp, svc.metadata.uid]]);
    expect((await kubectl('get', 'endpoints', 'api', '-o', 'jsonpath={.metadata.creationTimestamp}')).stdout).toBe(svc.metadata.creationTimestamp);
    const listed = JSON.parse((await podlab('get', 'svc', LAB, '-o', 'json')).stdout) as { items: { metadata: { name: string; creationTimestamp: string } }[] };
    expect(listed.items.find((i) => i.metadata.name === 'api')!.metadata.creationTimestamp).toBe(svc.metadata.creationTimestamp);
    expect(await reaches('client', ip, 80)).toBe(true);
    expect((await kubectl('apply', '--server-side', '-f', file)).stdout).toContain('service/api serverside-applied');
    expect((await kubectl('delete', 'svc', 'api')).exitCode).toBe(0);
    expect(await reaches('client', ip, 80)).toBe(false);
  }, 30_000);

  it('kubectl logs and kubectl exec run in the pod as podlab exec does', async () => {
    const logs = await kubectl('logs', 'web-1');
    expect(logs.stdout).toContain('"event":"listening"');
    const host = await kubectl('exec', 'client', '--', 'hostname');
    expect(host.stdout.trim()).toBe('client');
    const ip = await kubectl('exec', 'client', '--', 'ip', '-4', '-o', 'addr', 'show', 'eth0');
    expect(ip.stdout).toContain(`inet ${state().pods.client!.ip}/`);
    const fail = await kubectl('exec', 'client', '--', 'sh', '-c', 'exit 3');
    expect(fail.exitCode).toBe(3);
    const stdin = execa('kubectl', ['exec', '-i', 'client', '--', 'cat'], { reject: false, env: { KUBECONFIG: K.kubeconfig }, input: 'through stdin\n', timeout: 20_000 });
    expect((await stdin).stdout).toBe('through stdin');
  }, 30_000);

  it('an unsupported verb gets a Status naming what is supported', async () => {
    const r = await kubectl('delete', 'node', 'worker-1');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('Error from server (MethodNotAllowed): podlab does not delete nodes: it serves get, list, watch for nodes');
  });

  it('podlab down stops the API server', async () => {
    const rec = state().api!;
    expect(isAlive(rec)).toBe(true);
    const r = await podlab('down', LAB);
    expect(r.exitCode).toBe(0);
    await expect.poll(() => isAlive(rec), { timeout: 5000 }).toBe(false);
    expect(existsSync(`/run/podlab/${LAB}`)).toBe(false);
  }, 30_000);

  it('up --no-api starts no server, and podlab kubeconfig says so (PL3070, exit 1)', async () => {
    const up = await podlab('up', '--no-api', LAB_FILE);
    expect(up.exitCode).toBe(0);
    try {
      expect(state().api).toBeUndefined();
      const k = await podlab('kubeconfig', LAB);
      expect(k.exitCode).toBe(1);
      expect(k.stderr).toContain('PL3070');
    } finally {
      await podlab('down', LAB);
    }
  }, 60_000);
});
