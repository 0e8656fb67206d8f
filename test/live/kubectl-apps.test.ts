/**
 * The machine's kubectl (v1.32) against a live lab with a Deployment and an Ingress
 * (test/fixtures/labs/k8s-apps.lab.ts): `kubectl get deployments|replicasets|ingresses|ingressclasses`
 * print kubectl's own columns with the live counts, `kubectl scale` goes through the scale
 * subresource to the agent (new pods run), and `kubectl get -w` watches from its list's
 * resourceVersion without replaying the list. The lab comes up and goes down by podlab's CLI.
 */
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { readState } from '../../src/runtime/state.ts';
import { labStatus } from '../../src/runtime/status.ts';
import { liveGuard } from './host.ts';
import { kubectlLab } from './kubectl-cli.ts';

const live = liveGuard();
const LAB = 'k8s-apps';
const LAB_FILE = 'test/fixtures/labs/k8s-apps.lab.ts';

const K = kubectlLab(LAB);
const { podlab, kubectl } = K;
/** The Deployment's pods that run now, by the live status. */
const webPods = () => labStatus(LAB)!.pods.filter((p) => p.owner === 'web' && p.running).map((p) => p.name).sort();

async function until(what: string, ok: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!live)('kubectl: deployments, replicasets, ingresses, scale, watch from a resourceVersion', () => {
  K.aroundSuite(LAB_FILE);
  beforeAll(async () => {
    await until('both replicas ready', async () => (await kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.status.readyReplicas}')).stdout === '2');
  }, 120_000);

  it('kubectl get deployments and replicasets print READY, UP-TO-DATE, AVAILABLE and the ReplicaSet of the pods', async () => {
    const d = await kubectl('get', 'deployments');
    expect(d.exitCode).toBe(0);
    const [header, row] = d.stdout.split('\n');
    expect(header!.split(/\s+/)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(row!.split(/\s+/).slice(0, 4)).toEqual(['web', '2/2', '2', '2']);
    const hash = readState(LAB)!.plan.loops!.deployments[0]!.hash;
    const rs = await kubectl('get', 'rs', '--no-headers');
    expect(rs.stdout.split(/\s+/).slice(0, 4)).toEqual([`web-${hash}`, '2', '2', '2']);
    const pod = webPods()[0]!;
    const describe = await kubectl('describe', 'pod', pod);
    expect(describe.stdout).toMatch(new RegExp(`Controlled By:\\s+ReplicaSet/web-${hash}`));
    const wide = await kubectl('get', 'deploy', 'web', '-o', 'wide', '--no-headers');
    expect(wide.stdout).toMatch(/\sapp=web$/);
  });

  it('kubectl get ingress and ingressclass show the class, hosts, the controller address and ports', async () => {
    const svc = labStatus(LAB)!.services.find((s) => s.name === 'ingress-nginx-controller')!;
    const i = await kubectl('get', 'ingress', '--no-headers');
    expect(i.exitCode).toBe(0);
    expect(i.stdout.split(/\s+/).slice(0, 5)).toEqual(['web', 'nginx', 'web.example.com', svc.clusterIP, '80']);
    const c = await kubectl('get', 'ingressclass', '--no-headers');
    expect(c.stdout.split(/\s+/).slice(0, 3)).toEqual(['nginx', 'k8s.io/ingress-nginx', '<none>']);
  });

  it('kubectl get -w lists once and then shows only what changes; kubectl scale makes the agent start new pods', async () => {
    const before = webPods();
    expect(before).toHaveLength(2);
    const watch = spawn('kubectl', ['get', 'pods', '-l', 'app=web', '-w', '--output-watch-events', '--no-headers'], { env: { ...process.env, KUBECONFIG: K.kubeconfig } });
    let out = '';
    watch.stdout.on('data', (d) => (out += d));
    try {
      await until('the watch to print the list', () => before.every((p) => out.includes(p)));
      const s = await kubectl('scale', 'deployment/web', '--replicas=3');
      expect(s.stderr).toBe('');
      expect(s.stdout.trim()).toBe('deployment.apps/web scaled');
      await until('a third pod', () => webPods().length === 3);
      const added = webPods().find((p) => !before.includes(p))!;
      await until('the watch to show the new pod', () => out.includes(added));
      // Each pod of the list once (ADDED), never replayed from the start: kubectl watched from the list's resourceVersion.
      for (const p of before) expect(out.split('\n').filter((l) => l.startsWith('ADDED') && l.includes(p)), out).toHaveLength(1);
      expect(out.split('\n').some((l) => l.startsWith('ADDED') && l.includes(added))).toBe(true);
      await until('3 ready', async () => (await kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.status.readyReplicas}/{.spec.replicas}')).stdout === '3/3');
    } finally {
      watch.kill();
    }
    const down1 = await kubectl('scale', 'deployment', 'web', '--replicas=1');
    expect(down1.exitCode).toBe(0);
    await until('one pod', () => webPods().length === 1);
    expect((await kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).stdout).toBe('1');
    const bad = await kubectl('scale', 'deployment/nope', '--replicas=2');
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toContain('deployments.apps "nope" not found');
  }, 90_000);

  it("podlab set env writes the template kubectl reads: kubectl set env keeps its variables, and rollout undo brings back the ReplicaSet of the same template, renumbered", async () => {
    const hashNow = () => readState(LAB)!.plan.loops!.deployments.find((d) => d.name === 'web')!.hash;
    const rolled = async () => {
      const st = await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s');
      expect(st.stdout.trim().split('\n').at(-1), st.stderr).toBe('deployment "web" successfully rolled out');
    };
    const envOf = async (what: string) => (await kubectl('get', what, '-o', 'jsonpath={.spec.template.spec.containers[0].env[*].name}')).stdout;
    const first = hashNow();
    const p = await podlab('set', 'env', LAB, 'deployment/web', 'FOO=bar', '--wait');
    expect(p.exitCode, p.stderr).toBe(0);
    const withFoo = hashNow();
    expect(withFoo).not.toBe(first);
    // The API serves the template podlab wrote: the Deployment and its new ReplicaSet have FOO, as its pods do.
    expect(await envOf('deployment/web')).toBe('FOO');
    expect(await envOf(`rs/web-${withFoo}`)).toBe('FOO');
    expect(await envOf(`rs/web-${first}`)).toBe('');
    // kubectl set env starts from that template: FOO stays.
    expect((await kubectl('set', 'env', 'deployment/web', 'BAR=1')).stdout.trim()).toBe('deployment.apps/web env updated');
    await rolled();
    expect(await envOf('deployment/web')).toBe('FOO BAR');
    const both = hashNow();
    await until('the pods of FOO and BAR', () => readState(LAB)!.plan.pods.filter((q) => q.owner === 'web').every((q) => q.labels['pod-template-hash'] === both && q.containers[0]!.env.FOO === 'bar' && q.containers[0]!.env.BAR === '1'));
    // Undo: the previous template (FOO alone) is revision 2's ReplicaSet, which comes back as revision 4 (Kubernetes reuses it).
    const undo = await kubectl('rollout', 'undo', 'deployment/web');
    expect(undo.stdout.trim(), undo.stderr).toBe('deployment.apps/web rolled back');
    expect(hashNow()).toBe(withFoo);
    await rolled();
    const rs = async () => (await kubectl('get', 'rs', '-o', "jsonpath={range .items[*]}{.metadata.name}={.metadata.annotations['deployment\\.kubernetes\\.io/revision']}/{.metadata.annotations['deployment\\.kubernetes\\.io/revision-history']} {end}")).stdout.trim().split(' ').sort();
    await until('the agent to number it', async () => (await rs()).includes(`web-${withFoo}=4/2`));
    expect(await rs()).toEqual([`web-${both}=3/`, `web-${first}=1/`, `web-${withFoo}=4/2`].sort());
    expect((await kubectl('rollout', 'history', 'deployment/web')).stdout.trim().split('\n').slice(2).map((l) => l.trim().split(/\s+/)[0])).toEqual(['1', '3', '4']);
    // And to revision 1, the lab file's template: its own ReplicaSet again.
    expect((await kubectl('rollout', 'undo', 'deployment/web', '--to-revision=1')).stdout.trim()).toBe('deployment.apps/web rolled back');
    expect(hashNow()).toBe(first);
    await rolled();
    expect(await envOf('deployment/web')).toBe('');
  }, 120_000);

  it('a watch from a resourceVersion this server never listed is 410 Gone (kubectl lists again)', async () => {
    const r = await kubectl('get', '--raw', '/api/v1/namespaces/default/pods?watch=1&resourceVersion=123&timeoutSeconds=2');
    expect(r.stdout).toContain('"type":"ERROR"');
    expect(r.stdout).toContain('too old resource version: 123');
    expect(r.stdout).toContain('"code":410');
  });
});
