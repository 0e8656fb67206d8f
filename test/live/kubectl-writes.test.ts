/**
 * The machine's kubectl (v1.32) writing Deployments and Ingresses into a live lab
 * (test/fixtures/labs/kc-writes.lab.ts), and every writable kind refusing a bad manifest as the
 * API server does: `kubectl apply -f` of a new Deployment has the agent start its pods, which a
 * Service of the lab file then reaches; new replicas are scaled to; a new template (client-side
 * or server-side apply) replaces the pods; `kubectl delete deployment` takes its pods and their
 * endpoints; an Ingress applied makes the controller (real nginx) route its host, and deleting it
 * stops that. The lab comes up and goes down by podlab's CLI.
 */
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPort } from '../../src/api/launch.ts';
import { readState } from '../../src/runtime/state.ts';
import { labStatus } from '../../src/runtime/status.ts';
import { liveGuard } from './host.ts';
import { kubectlLab } from './kubectl-cli.ts';

const live = liveGuard();
const LAB = 'kc-writes';
const LAB_FILE = 'test/fixtures/labs/kc-writes.lab.ts';

let dir = '';
const K = kubectlLab(LAB);
const { podlab, kubectl } = K;
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
/** The pods of a Deployment that run now, by the live status (what `podlab status` shows). */
const podsOf = (owner: string) => labStatus(LAB)!.pods.filter((p) => p.owner === owner && p.running).map((p) => p.name).sort();
const curl = (...args: string[]) => kubectl('exec', 'client', '--', 'curl', '-s', '-m', '2', ...args);

async function until(what: string, ok: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const deployment = (o: { replicas: number; labels?: string; selector?: string; text?: string }) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: ${o.replicas}
  selector:
    matchLabels: ${o.selector ?? '{app: api}'}
  template:
    metadata:
      labels: ${o.labels ?? '{app: api}'}
    spec:
      containers:
      - name: api
        image: hashicorp/http-echo:1.0
        args: ["-listen=:5678", "-text=${o.text ?? 'api'}"]
        ports: [{containerPort: 5678}]
`;

const ingress = (host: string) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  labels: {team: shop}
spec:
  ingressClassName: nginx
  rules:
  - host: ${host}
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              number: 80
`;

describe.skipIf(!live)('kubectl apply and delete of Deployments and Ingresses; bad manifests refused for every writable kind', () => {
  K.aroundSuite(LAB_FILE);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kc-writes-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('kubectl apply -f of a new Deployment: the agent starts its pods, and the lab\'s Service reaches them', async () => {
    expect((await curl('http://api')).exitCode).not.toBe(0); // no pods behind it yet
    const r = await kubectl('apply', '-f', file('api.yaml', deployment({ replicas: 2 })));
    // Accepted without a Warning header: the default strategy (RollingUpdate) is the one podlab rolls with.
    expect(r.stderr.trim()).toBe('');
    expect(r.stdout.trim()).toBe('deployment.apps/api created');
    await until('two api pods', () => podsOf('api').length === 2);
    await until('the Deployment ready', async () => (await kubectl('get', 'deploy', 'api', '-o', 'jsonpath={.status.readyReplicas}/{.spec.replicas}')).stdout === '2/2');
    const hash = readState(LAB)!.plan.loops!.deployments.find((d) => d.name === 'api')!.hash;
    expect(podsOf('api').every((p) => p.startsWith(`api-${hash}-`))).toBe(true);
    await until('the Service answering from an api pod', async () => (await curl('http://api')).stdout.includes('"pod":"api-'));
    const eps = await kubectl('get', 'endpoints', 'api', '-o', 'jsonpath={.subsets[*].addresses[*].ip}');
    expect(eps.stdout.split(' ').sort()).toEqual(labStatus(LAB)!.pods.filter((p) => p.owner === 'api').map((p) => p.ip).sort());
  }, 60_000);

  it("kubectl delete pod of a Deployment's pod: the agent replaces it with a new pod (new name, new IP), which the Service follows", async () => {
    const [old] = podsOf('web');
    const oldIp = labStatus(LAB)!.pods.find((p) => p.name === old)!.ip;
    const r = await kubectl('delete', 'pod', old!);
    expect(r.stdout.trim()).toBe(`pod "${old}" deleted`);
    const freshIp = () => labStatus(LAB)!.pods.find((p) => p.owner === 'web' && p.running && p.name !== old)?.ip;
    await until('a replacement with its address', () => podsOf('web').length === 1 && podsOf('web')[0] !== old && !!freshIp());
    expect(freshIp()).not.toBe(oldIp);
    await until('the Service on the new pod', async () => (await kubectl('get', 'endpoints', 'web', '-o', 'jsonpath={.subsets[*].addresses[*].ip}')).stdout === freshIp());
  }, 30_000);

  it('kubectl apply with more replicas scales up; the pods that ran keep running', async () => {
    const before = podsOf('api');
    const r = await kubectl('apply', '-f', file('api3.yaml', deployment({ replicas: 3 })));
    expect(r.stdout.trim()).toBe('deployment.apps/api configured');
    await until('three api pods', () => podsOf('api').length === 3);
    expect(podsOf('api')).toEqual(expect.arrayContaining(before));
  }, 40_000);

  it('a new template (server-side apply) replaces every pod with pods of the new pod-template-hash', async () => {
    const before = podsOf('api');
    const oldHash = readState(LAB)!.plan.loops!.deployments.find((d) => d.name === 'api')!.hash;
    const r = await kubectl('apply', '--server-side', '-f', file('api-v2.yaml', deployment({ replicas: 2, labels: '{app: api, tier: v2}', text: 'v2' }).replace('  replicas: 2\n', '  replicas: 2\n  strategy: {type: Recreate}\n')));
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('deployment.apps/api serverside-applied');
    const newHash = readState(LAB)!.plan.loops!.deployments.find((d) => d.name === 'api')!.hash;
    expect(newHash).not.toBe(oldHash);
    await until('two pods of the new template', () => podsOf('api').length === 2 && podsOf('api').every((p) => p.startsWith(`api-${newHash}-`)));
    expect(podsOf('api').some((p) => before.includes(p))).toBe(false);
    const labels = await kubectl('get', 'pods', '-l', 'tier=v2', '-o', 'name');
    expect(labels.stdout.trim().split('\n').sort()).toEqual(podsOf('api').map((p) => `pod/${p}`));
    await until('the Service answering from a new pod', async () => (await curl('http://api')).stdout.includes(`"pod":"api-${newHash}-`));
  }, 60_000);

  it('a changed selector is refused as immutable (422) and changes nothing', async () => {
    const before = JSON.stringify(readState(LAB)!.plan.loops);
    const r = await kubectl('apply', '-f', file('api-sel.yaml', deployment({ replicas: 2, selector: '{app: other}', labels: '{app: other}' })));
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/The Deployment "api" is invalid: spec\.selector: Invalid value: .*field is immutable/);
    expect(JSON.stringify(readState(LAB)!.plan.loops)).toBe(before);
  });

  it('kubectl delete deployment takes its pods, and the Service has no endpoints left', async () => {
    const gone = podsOf('api');
    const r = await kubectl('delete', 'deployment', 'api');
    expect(r.stdout.trim()).toBe('deployment.apps "api" deleted');
    expect(podsOf('api')).toEqual([]);
    expect(readState(LAB)!.plan.pods.some((p) => gone.includes(p.name))).toBe(false);
    expect((await kubectl('get', 'endpoints', 'api', '-o', 'jsonpath={.subsets[*].addresses[*].ip}')).stdout).toBe('');
    expect((await kubectl('get', 'deployment', 'api')).stderr).toMatch(/NotFound|not found/);
    // The agent does not bring them back.
    await new Promise((r) => setTimeout(r, 600));
    expect(podsOf('api')).toEqual([]);
    expect((await curl('http://api')).exitCode).not.toBe(0);
  }, 30_000);

  it('kubectl apply -f of an Ingress: nginx routes its host; its labels and creation time are kept; an update moves it; kubectl delete stops it', async () => {
    const ip = (await kubectl('-n', 'ingress-nginx', 'get', 'svc', 'ingress-nginx-controller', '-o', 'jsonpath={.spec.clusterIP}')).stdout;
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const code = async (host: string) => (await curl('-o', '/dev/null', '-w', '%{http_code}', '-H', `Host: ${host}`, `http://${ip}/`)).stdout;
    expect(await code('shop.example.com')).toBe('404');
    const conf = () => readState(LAB)!.plan.ingress!.confFile;
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    const r = await kubectl('apply', '-f', file('ing.yaml', ingress('shop.example.com')));
    expect(r.stdout.trim()).toBe('ingress.networking.k8s.io/shop created');
    // Its labels are kept (a selector finds it), and it is as old as it is, not as old as the lab.
    const meta = async () => (await kubectl('get', 'ingress', '-l', 'team=shop', '-o', 'jsonpath={.items[*].metadata.name} {.items[*].metadata.creationTimestamp} {.items[*].metadata.uid}')).stdout.split(' ');
    const [named, created, uid] = await meta();
    expect(named).toBe('shop');
    expect(Date.parse(created!)).toBeGreaterThanOrEqual(t0);
    expect(await code('shop.example.com')).toBe('200');
    expect((await import('node:fs')).readFileSync(conf(), 'utf8')).toContain('shop.example.com');
    const list = await kubectl('get', 'ingress', 'shop', '--no-headers');
    expect(list.stdout.split(/\s+/).slice(0, 3)).toEqual(['shop', 'nginx', 'shop.example.com']);
    const u = await kubectl('apply', '--server-side', '-f', file('ing2.yaml', ingress('store.example.com')));
    expect(u.stdout.trim()).toBe('ingress.networking.k8s.io/shop serverside-applied');
    expect(await meta()).toEqual(['shop', created, uid]); // an update is the same object
    expect(await code('store.example.com')).toBe('200');
    expect(await code('shop.example.com')).toBe('404');
    const d = await kubectl('delete', 'ingress', 'shop');
    expect(d.stdout.trim()).toBe('ingress.networking.k8s.io "shop" deleted');
    expect(await code('store.example.com')).toBe('404');
    expect(await code('web.example.com')).toBe('200'); // the lab file's Ingress is untouched
  }, 40_000);

  it("an Ingress whose Service or port is not there, or of another class, is accepted as kube-apiserver accepts it: nginx answers 503 for the first two (until the Service comes) and ignores the other class's", async () => {
    const ip = (await kubectl('-n', 'ingress-nginx', 'get', 'svc', 'ingress-nginx-controller', '-o', 'jsonpath={.spec.clusterIP}')).stdout;
    const code = async (host: string) => (await curl('-o', '/dev/null', '-w', '%{http_code}', '-H', `Host: ${host}`, `http://${ip}/`)).stdout;
    const of = (name: string, host: string, service: string, port: number, cls = 'nginx') =>
      ingress(host).replace('name: shop', `name: ${name}`).replace('name: web', `name: ${service}`).replace('number: 80', `number: ${port}`).replace('ingressClassName: nginx', `ingressClassName: ${cls}`);
    const ghost = await kubectl('apply', '-f', file('ghost.yaml', of('ghost', 'ghost.example.com', 'ghost', 80)));
    expect([ghost.exitCode, ghost.stdout.trim()]).toEqual([0, 'ingress.networking.k8s.io/ghost created']);
    expect(ghost.stderr).toContain('Warning: spec.rules[0].http.paths[0].backend.service.name: no Service "default/ghost" (yet): the controller answers 503 here until there is one (PL2261)');
    const port = await kubectl('apply', '-f', file('port.yaml', of('wrong-port', 'port.example.com', 'web', 8080)));
    expect([port.exitCode, port.stdout.trim()]).toEqual([0, 'ingress.networking.k8s.io/wrong-port created']);
    expect(port.stderr).toContain('(PL2262)');
    const other = await kubectl('apply', '-f', file('other.yaml', of('other', 'other.example.com', 'web', 80, 'traefik')));
    expect([other.exitCode, other.stdout.trim()]).toEqual([0, 'ingress.networking.k8s.io/other created']);
    expect(other.stderr).toContain('ignores this Ingress (PL2253)');
    // ingress-nginx: 503 for a backend without a Service or port; another class's Ingress is not served (no rule: 404).
    expect(await code('ghost.example.com')).toBe('503');
    expect(await code('port.example.com')).toBe('503');
    expect(await code('other.example.com')).toBe('404');
    expect(await code('web.example.com')).toBe('200');
    // All three are Ingresses of the API; only the controller's have its address.
    const rows = (await kubectl('get', 'ingress', '--no-headers')).stdout.trim().split('\n').map((l) => l.split(/\s{2,}/).slice(0, 4));
    expect(rows.filter((r) => ['ghost', 'wrong-port', 'other'].includes(r[0]!)).map((r) => [r[0], r[1], r[3] === ip])).toEqual([['ghost', 'nginx', true], ['wrong-port', 'nginx', true], ['other', 'traefik', false]]);
    // The Service comes: nginx follows at once, as for any endpoint change.
    const svc = await kubectl('apply', '-f', file('ghost-svc.yaml', 'apiVersion: v1\nkind: Service\nmetadata: {name: ghost}\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080}]\n'));
    expect(svc.exitCode).toBe(0);
    expect(await code('ghost.example.com')).toBe('200');
    for (const name of ['ghost', 'wrong-port', 'other']) expect((await kubectl('delete', 'ingress', name)).exitCode).toBe(0);
    expect((await kubectl('delete', 'svc', 'ghost')).exitCode).toBe(0);
    expect(readState(LAB)!.plan.ingress!.others ?? []).toEqual([]);
    expect(await code('web.example.com')).toBe('200');
  }, 60_000);

  // Point 3: for every kind the API writes, a manifest that fails validation is a 422 naming the
  // field, and the lab's state (plan and policies) is byte for byte what it was.
  const bad: [string, string, RegExp][] = [
    ['Service', `apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec:\n  selector: {app: web}\n  ports: [{port: 70000, targetPort: 8080}]\n`, /The Service "bad" is invalid: spec\.ports\[0\]\.port/],
    ['NetworkPolicy', `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: 0}]}]\n`, /The NetworkPolicy "bad" is invalid: spec\.ingress\[0\]\.ports\[0\]\.port/],
    ['ConfigMap', `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: coredns, namespace: kube-system}\ndata:\n  Corefile: |\n    .:53 {\n        nosuchplugin\n    }\n`, /The ConfigMap "coredns" is invalid: data\.Corefile/],
    ['Deployment', deployment({ replicas: 1 }).replace('containerPort: 5678', 'containerPort: "x"'), /The Deployment "api" is invalid: spec\.template\.spec\.containers\[0\]\.ports\[0\]\.containerPort/],
    ['Deployment (an image podlab does not map)', deployment({ replicas: 1 }).replace('hashicorp/http-echo:1.0', 'redis:7'), /The Deployment "api" is invalid: spec\.template\.spec\.containers\[0\]\.image: .*PL2208/],
    ['Ingress (a Service name that is no DNS-1035 label)', ingress('shop.example.com').replace('name: web', 'name: No_Such'), /The Ingress "shop" is invalid: spec\.rules\[0\]\.http\.paths\[0\]\.backend\.service\.name: Invalid value: "No_Such": a DNS-1035 label/],
    ['Ingress (a pathType)', ingress('shop.example.com').replace('Prefix', 'Regex'), /The Ingress "shop" is invalid: spec\.rules\[0\]\.http\.paths\[0\]\.pathType/],
  ];
  for (const [what, text, message] of bad)
    it(`a ${what} that fails validation is a 422 naming the field; nothing is applied (client- and server-side)`, async () => {
      const snapshot = () => {
        const s = readState(LAB)!;
        return JSON.stringify({ plan: s.plan, policies: s.policies });
      };
      const before = snapshot();
      const path = file('bad.yaml', text);
      for (const args of [['apply', '-f', path], ['apply', '--server-side', '-f', path]]) {
        const r = await kubectl(...args);
        expect(r.exitCode).toBe(1);
        expect(r.stderr).toMatch(message);
      }
      expect(snapshot()).toBe(before);
    });

  it('kubectl exec -it gets a terminal in the pod (a /dev/pts path, sized by kubectl\'s resize message); its exit code comes back', async () => {
    // script(1) gives kubectl a terminal of 120x40, as a learner's shell would.
    const run = (cmd: string) => execa('script', ['-qec', `stty cols 120 rows 40; kubectl exec -it client -- ${cmd}`, '/dev/null'], { reject: false, env: { KUBECONFIG: K.kubeconfig }, input: '', timeout: 30_000 });
    const r = await run(`sh -c 'tty; stty size'`);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.replace(/\r/g, '').replace(/\0|\^@/g, '').trim().split('\n');
    expect(lines[0]).toMatch(/^\/dev\/pts\/\d+$/);
    expect(lines[1]).toBe('40 120');
    // Without -t there is no terminal: tty says so.
    const plain = await kubectl('exec', 'client', '--', 'tty');
    expect(plain.stdout.trim()).toBe('not a tty');
    const code = await run(`sh -c 'exit 4'`);
    expect(code.stdout).toContain('command terminated with exit code 4');
    expect(code.exitCode).toBe(4);
  }, 40_000);

  it('kubectl explain describes sub-fields from the OpenAPI v3 served: pod.spec.containers, service.spec.ports', async () => {
    const c = await kubectl('explain', 'pod.spec.containers');
    expect(c.exitCode).toBe(0);
    expect(c.stdout).toMatch(/^KIND:\s+Pod\nVERSION:\s+v1\n\nFIELD: containers <\[\]Container>/);
    expect(c.stdout).toContain('A single application container that you want to run within a pod.');
    expect(c.stdout).toMatch(/\n  readinessProbe\t<Probe>\n/);
    const p = await kubectl('explain', 'service.spec.ports');
    expect(p.stdout).toMatch(/FIELD: ports <\[\]ServicePort>/);
    expect(p.stdout).toMatch(/\n  targetPort\t<IntOrString>|\n  targetPort\t<string>/);
    const deep = await kubectl('explain', 'deployment.spec.template.spec.containers.ports.containerPort');
    expect(deep.stdout).toMatch(/FIELD: containerPort <integer>/);
    const missing = await kubectl('explain', 'pod.spec.nosuchfield');
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('field "nosuchfield" does not exist');
  });

  it('no anonymous access: discovery, OpenAPI, version, health, watches, writes and the exec websocket all want the token', async () => {
    const ca = readFileSync(`/run/podlab/${LAB}/api/ca.crt`);
    const token = readFileSync(`/run/podlab/${LAB}/api/token`, 'utf8').trim();
    const call = (method: string, path: string, auth?: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: apiPort(LAB), method, path, ca, headers: { ...(auth ? { authorization: auth } : {}), ...headers } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
          req.destroy();
        });
        req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
        req.end(method === 'GET' ? undefined : '{}');
      });
    const paths: [string, string][] = [
      ['GET', '/version'], ['GET', '/healthz'], ['GET', '/api'], ['GET', '/apis'], ['GET', '/openapi/v3'], ['GET', '/api/v1/pods?watch=true'],
      ['POST', '/apis/apps/v1/namespaces/default/deployments'], ['DELETE', '/apis/networking.k8s.io/v1/namespaces/default/ingresses/web'], ['GET', '/api/v1/namespaces/default/pods/client/log'],
    ];
    for (const [method, path] of paths) {
      expect(await call(method, path), `${method} ${path}`).toBe(401);
      expect(await call(method, path, 'Bearer not-the-token'), `${method} ${path}`).toBe(401);
    }
    const ws = { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol': 'v5.channel.k8s.io' };
    const exec = '/api/v1/namespaces/default/pods/client/exec?command=id&stdout=true';
    expect(await call('GET', exec, undefined, ws)).toBe(401);
    expect(await call('GET', '/version', `Bearer ${token}`)).toBe(200);
    expect(readState(LAB)!.plan.ingress!.ingresses.map((i) => i.name)).toEqual(['web']);
  });

  it('podlab status and the API agree after the writes: the same pods, IPs, nodes and Deployments', async () => {
    const st = JSON.parse((await execa(process.execPath, ['bin/podlab.js', 'status', LAB, '--json'], { cwd: new URL('../../', import.meta.url).pathname })).stdout) as { pods: { name: string; ip?: string; node: string; running: boolean }[] };
    const fromStatus = st.pods.filter((p) => p.running).map((p) => `${p.name} ${p.ip} ${p.node}`).sort();
    const k = await kubectl('get', 'pods', '-A', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.podIP} {.spec.nodeName}{"\\n"}{end}');
    expect(k.stdout.trim().split('\n').sort()).toEqual(fromStatus);
    const deploys = await kubectl('get', 'deployments', '-o', 'jsonpath={.items[*].metadata.name}');
    expect(deploys.stdout.split(' ').sort()).toEqual(readState(LAB)!.plan.loops!.deployments.map((d) => d.name).sort());
  });

  it('what podlab does not write is a Status naming what it changes, never a hang', async () => {
    const r = await kubectl('delete', 'ingressclass', 'nginx');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/MethodNotAllowed.*deployments \(create, delete, patch, update\).*ingresses \(create, delete, patch, update\)/);
    const rs = await kubectl('delete', 'rs', '--all');
    expect(rs.exitCode).toBe(1);
    expect(rs.stderr).toMatch(/MethodNotAllowed/);
  });
});
