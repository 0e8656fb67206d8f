/**
 * Live: a Deployment's new pod template written with the machine's kubectl rolls out by the
 * object's `spec.strategy`, through the agent's rolling update (loops/rollout.ts), as `podlab set
 * env`'s does (test/live/loop-roll.test.ts): RollingUpdate with maxSurge 1 and maxUnavailable 0
 * keeps all 4 replicas ready behind the Service throughout, never more than 5 pods, never an
 * endpoint of a pod that is gone, and `kubectl rollout status` follows it to the end; Recreate
 * deletes every old pod before the first new one starts. `kubectl rollout history` numbers the
 * templates as the deployment controller numbers its ReplicaSets.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check/run.ts';
import { readEvents } from '../../src/runtime/events.ts';
import { readLoops } from '../../src/runtime/loops-state.ts';
import { readState } from '../../src/runtime/state.ts';
import { labStatus } from '../../src/runtime/status.ts';
import { liveGuard } from './host.ts';
import { kubectlLab } from './kubectl-cli.ts';

const live = liveGuard();
const LAB = 'tw-roll';

let dir = '';
const K = kubectlLab(LAB, { podlabTimeout: 120_000, kubectlTimeout: 90_000 });
const { podlab, kubectl } = K;
const apply = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return kubectl('apply', '-f', path);
};
/** The running pods of the Deployment, with their pod-template-hash. */
const pods = () => {
  const s = readState(LAB)!;
  const running = new Set(labStatus(LAB, s)!.pods.filter((p) => p.owner === 'api' && p.running).map((p) => p.name));
  return s.plan.pods.filter((p) => running.has(p.name)).map((p) => ({ name: p.name, hash: p.labels['pod-template-hash']! }));
};
const hashNow = () => readState(LAB)!.plan.loops!.deployments.find((d) => d.name === 'api')!.hash;

async function until(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(readEvents(LAB).slice(-8))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const deployment = (text: string, strategy: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 4
  strategy: ${strategy}
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api, version: ${text}}
    spec:
      containers:
      - name: api
        image: hashicorp/http-echo:1.0
        args: ["-listen=:5678"]
        ports: [{containerPort: 5678}]
        readinessProbe: {httpGet: {port: 5678, path: /healthz}, periodSeconds: 1, failureThreshold: 1}
`;
const ROLLING = '{type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}';

describe.skipIf(!live)('kubectl apply of a new pod template rolls by the Deployment\'s strategy', () => {
  K.aroundSuite('test/fixtures/labs/tw-roll.lab.ts');
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tw-roll-'));
    const r = await apply('v1.yaml', deployment('v1', ROLLING));
    expect({ out: r.stdout.trim(), err: r.stderr }).toEqual({ out: 'deployment.apps/api created', err: '' });
    await until('4 ready endpoints', () => (readState(LAB)!.endpoints?.['default/api'] ?? []).length === 4);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('RollingUpdate maxSurge 1, maxUnavailable 0: 4 ready endpoints throughout, at most 5 pods, no gone pod served; rollout status follows it', async () => {
    const before = pods();
    const oldHash = hashNow();
    expect(before.map((p) => p.hash)).toEqual([oldHash, oldHash, oldHash, oldHash]);
    const r = await apply('v2.yaml', deployment('v2', ROLLING));
    expect({ out: r.stdout.trim(), err: r.stderr }).toEqual({ out: 'deployment.apps/api configured', err: '' });
    const newHash = hashNow();
    expect(newHash).not.toBe(oldHash);
    const status = kubectl('rollout', 'status', 'deployment/api', '--timeout=80s');
    const s0 = readState(LAB)!;
    const probe = s0.plan.checks[0]!;
    const endpoints: number[] = [];
    const totals: number[] = [];
    const ghosts: string[] = [];
    let answered = 0;
    let failed = 0;
    const deadline = Date.now() + 80_000;
    // Until the rollout is over: every pod of the new template, and all 4 of them serving.
    for (;;) {
      const s = readState(LAB)!;
      const eps = s.endpoints?.['default/api'] ?? [];
      const now = pods();
      endpoints.push(eps.length);
      totals.push(now.length);
      for (const e of eps) if (!s.pods[e.pod]) ghosts.push(e.pod);
      if (now.length === 4 && now.every((p) => p.hash === newHash) && eps.length === 4) break;
      if (Date.now() > deadline) throw new Error(`the rollout did not end: ${JSON.stringify(now)} ${JSON.stringify(readEvents(LAB).slice(-8))}`);
      if ((await runCheck(s, probe)).status === 'pass') answered++;
      else failed++;
    }
    expect(Math.min(...endpoints)).toBe(4);
    expect(Math.max(...totals)).toBeLessThanOrEqual(5);
    expect(ghosts).toEqual([]);
    expect({ answered: answered > 0, failed }).toEqual({ answered: true, failed: 0 });
    expect(pods().some((p) => before.some((b) => b.name === p.name))).toBe(false);
    const st = await status;
    expect(st.exitCode, st.stderr).toBe(0);
    expect(st.stdout.trim().split('\n').at(-1)).toBe('deployment "api" successfully rolled out');
    // The agent records RolloutComplete on its next pass after the rollout's state is final, which
    // `rollout status` may read first: wait for the event (a few passes at most).
    await until('the RolloutComplete event', () => readEvents(LAB).some((e) => e.object === 'deployment/api' && e.reason === 'RolloutComplete'), 10_000);
    const events = readEvents(LAB).filter((e) => e.object === 'deployment/api');
    expect(events.find((e) => e.reason === 'TemplateChanged')?.message).toBe(`new pod template ${newHash}: rolling update (maxSurge 1, maxUnavailable 0)`);
    expect(events.some((e) => e.reason === 'RolloutComplete')).toBe(true);
    const shown = await kubectl('get', 'deploy', 'api', '-o', 'jsonpath={.spec.strategy.type} {.status.updatedReplicas}/{.spec.replicas}');
    expect(shown.stdout).toBe('RollingUpdate 4/4');
  }, 120_000);

  it('Recreate: every old pod is deleted before the first pod of the new template starts', async () => {
    const before = pods().map((p) => p.name);
    const seen = readEvents(LAB).length;
    const r = await apply('v3.yaml', deployment('v3', '{type: Recreate}'));
    expect({ out: r.stdout.trim(), err: r.stderr }).toEqual({ out: 'deployment.apps/api configured', err: '' });
    const newHash = hashNow();
    let mixed = 0;
    await until('4 pods of the new template serving', () => {
      const now = pods();
      if (now.some((p) => p.hash === newHash) && now.some((p) => before.includes(p.name))) mixed++;
      return now.length === 4 && now.every((p) => p.hash === newHash) && (readState(LAB)!.endpoints?.['default/api'] ?? []).length === 4;
    }, 60_000);
    expect(mixed).toBe(0);
    // SuccessfulDelete / SuccessfulCreate are the ReplicaSets' (old and new), as kube-controller-manager records them.
    const events = readEvents(LAB).slice(seen).filter((e) => e.object === 'deployment/api' || e.object.startsWith('replicaset/api-'));
    const deleted = events.filter((e) => e.reason === 'SuccessfulDelete').map((e) => events.indexOf(e));
    const created = events.filter((e) => e.reason === 'SuccessfulCreate').map((e) => events.indexOf(e));
    expect([deleted.length, created.length]).toEqual([4, 4]);
    expect(Math.max(...deleted)).toBeLessThan(Math.min(...created));
    const shown = await kubectl('get', 'deploy', 'api', '-o', 'jsonpath={.spec.strategy.type}');
    expect(shown.stdout).toBe('Recreate');
  }, 90_000);

  it('kubectl set env and set image change the template as written (a strategic merge patch) and roll each out', async () => {
    const before = hashNow();
    const r = await kubectl('set', 'env', 'deployment/api', 'GREETING=hello');
    expect({ out: r.stdout.trim(), err: r.stderr }).toEqual({ out: 'deployment.apps/api env updated', err: '' });
    const envHash = hashNow();
    expect(envHash).not.toBe(before);
    const st = await kubectl('rollout', 'status', 'deployment/api', '--timeout=60s');
    expect(st.stdout.trim().split('\n').at(-1), st.stderr).toBe('deployment "api" successfully rolled out');
    await until('4 pods of the new template', () => pods().length === 4 && pods().every((p) => p.hash === envHash));
    const s = readState(LAB)!;
    expect(s.plan.pods.filter((p) => p.owner === 'api').every((p) => p.containers.every((c) => c.env.GREETING === 'hello' && c.argv.includes('5678')))).toBe(true);
    // A new image is a new template, rolled out as in Kubernetes (the pods run the same program), and shown on its pods.
    const img = await kubectl('set', 'image', 'deployment/api', 'api=hashicorp/http-echo:1.1');
    expect(img.stdout.trim()).toBe('deployment.apps/api image updated');
    const imageHash = hashNow();
    expect(imageHash).not.toBe(envHash);
    const shown = await kubectl('get', 'deploy', 'api', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].args[0]} {.spec.template.spec.containers[0].env[0].name}');
    expect(shown.stdout).toBe('hashicorp/http-echo:1.1 -listen=:5678 GREETING');
    const rolled = await kubectl('rollout', 'status', 'deployment/api', '--timeout=60s');
    expect(rolled.stdout.trim().split('\n').at(-1), rolled.stderr).toBe('deployment "api" successfully rolled out');
    await until('4 pods of the new image', () => pods().length === 4 && pods().every((p) => p.hash === imageHash));
    const images = await kubectl('get', 'pods', '-l', 'app=api', '-o', 'jsonpath={.items[*].spec.containers[0].image}');
    expect(images.stdout.split(' ')).toEqual(Array(4).fill('hashicorp/http-echo:1.1'));
  }, 150_000);

  it('kubectl rollout history numbers every template rolled out; an old revision shows its own template', async () => {
    // v1, v2, v3, set env, set image: five templates, the last current. The agent numbers a new
    // template on its next round; the Deployment shows the next number at once.
    const revision = await kubectl('get', 'deploy', 'api', '-o', "jsonpath={.metadata.annotations['deployment\\.kubernetes\\.io/revision']}");
    expect(revision.stdout).toBe('5');
    await until('the agent to record revision 5', () => readLoops(LAB)?.revisions?.api?.at(-1)?.revision === 5);
    const history = await kubectl('rollout', 'history', 'deployment/api');
    expect(history.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/))).toEqual([['REVISION', 'CHANGE-CAUSE'], ['1', '<none>'], ['2', '<none>'], ['3', '<none>'], ['4', '<none>'], ['5', '<none>']]);
    const v2 = await kubectl('rollout', 'history', 'deployment/api', '--revision=2');
    expect(v2.stdout).toMatch(/version=v2/);
    expect(v2.stdout).not.toMatch(/GREETING/);
    // Old ReplicaSets stay, scaled to 0, as the deployment controller keeps them.
    const rs = await kubectl('get', 'rs', '-o', "jsonpath={range .items[*]}{.metadata.annotations['deployment\\.kubernetes\\.io/revision']}={.spec.replicas} {end}");
    expect(rs.stdout.trim().split(' ').sort()).toEqual(['1=0', '2=0', '3=0', '4=0', '5=4']);
  }, 60_000);

  it("args podlab does not run (http-echo's -text=) still make a new template, rolled out as in Kubernetes", async () => {
    const before = hashNow();
    const patch = JSON.stringify({ spec: { template: { spec: { containers: [{ name: 'api', args: ['-listen=:5678', '-text=hello'] }] } } } });
    const r = await kubectl('patch', 'deployment', 'api', '-p', patch);
    expect(r.stdout.trim(), r.stderr).toBe('deployment.apps/api patched');
    const after = hashNow();
    expect(after).not.toBe(before);
    const st = await kubectl('rollout', 'status', 'deployment/api', '--timeout=60s');
    expect(st.stdout.trim().split('\n').at(-1), st.stderr).toBe('deployment "api" successfully rolled out');
    await until('4 pods of the new template', () => pods().length === 4 && pods().every((p) => p.hash === after));
    const shown = await kubectl('get', 'deploy', 'api', '-o', 'jsonpath={.spec.template.spec.containers[0].args[1]}');
    expect(shown.stdout).toBe('-text=hello');
  }, 90_000);

  it('kubectl rollout undo --to-revision=2 (a JSON patch of the template) brings revision 2\'s template back, as the next revision', async () => {
    const v2 = readLoops(LAB)!.revisions!.api!.find((r) => r.revision === 2)!.hash;
    const r = await kubectl('rollout', 'undo', 'deployment/api', '--to-revision=2');
    expect(r.stdout.trim(), r.stderr).toBe('deployment.apps/api rolled back');
    // The same template is the same pod-template-hash: its ReplicaSet comes back, numbered next.
    expect(hashNow()).toBe(v2);
    const st = await kubectl('rollout', 'status', 'deployment/api', '--timeout=60s');
    expect(st.stdout.trim().split('\n').at(-1), st.stderr).toBe('deployment "api" successfully rolled out');
    await until('4 pods of revision 2\'s template', () => pods().length === 4 && pods().every((p) => p.hash === v2));
    await until('the agent to number it', () => readLoops(LAB)?.revisions?.api?.at(-1)?.hash === v2);
    const history = await kubectl('rollout', 'history', 'deployment/api');
    expect(history.stdout.trim().split('\n').slice(2).map((l) => l.trim().split(/\s+/)[0])).toEqual(['1', '3', '4', '5', '6', '7']);
  }, 90_000);
});
