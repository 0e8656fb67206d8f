/**
 * Container logs as kubelet keeps them, on a lab with control loops (labs/self-healing.lab.ts):
 * a container the agent restarted logs afresh and keeps its last instance's log for `podlab logs
 * --previous` and `kubectl logs -p` (through the lab's API server); a container never restarted
 * has none (PL3054; kubectl's BadRequest); a pod deleted and created again starts with empty logs.
 * And `podlab get ep -A` prints the ENDPOINTS kubectl prints through the lab's API server; a
 * replaced pod's SuccessfulCreate is its ReplicaSet's; `pod delete`/`create` record events in a lab
 * without control loops too.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readState } from '../../src/runtime/state.ts';
import { readEvents } from '../../src/runtime/events.ts';
import { labAroundSuite, liveGuard, twoPodLab } from './host.ts';

const live = liveGuard();
const PREFIX = 'c2-logs-';
const LAB = `${PREFIX}self-healing`;
const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/podlab.js', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PODLAB_PREFIX: PREFIX } });
let kubeconfig = '';
const kubectl = (...args: string[]) => spawnSync('kubectl', args, { encoding: 'utf8', timeout: 30_000, env: { ...process.env, KUBECONFIG: kubeconfig } });

describe.runIf(live)('logs of restarted and re-created containers, get ep (live)', () => {
  labAroundSuite({
    name: LAB,
    up: async () => {
      const r = cli('up', 'labs/self-healing.lab.ts');
      expect(r.status, r.stderr + r.stdout).toBe(0);
      const k = cli('kubeconfig', 'self-healing');
      expect(k.status, k.stderr).toBe(0);
      kubeconfig = k.stdout.trim();
    },
  });

  it("get ep -A: every Service's ENDPOINTS as kubectl get ep -A prints them (kube-dns: 53 twice, then 9153)", () => {
    const cells = (out: string) => new Map(out.trim().split('\n').slice(1).map((l) => l.split(/ {2,}/)).map(([ns, name, eps]) => [`${ns}/${name}`, eps]));
    const ours = cli('get', 'ep', 'self-healing', '-A');
    expect(ours.status, ours.stderr).toBe(0);
    const theirs = kubectl('get', 'ep', '-A');
    expect(theirs.status, theirs.stderr).toBe(0);
    expect(cells(ours.stdout)).toEqual(cells(theirs.stdout));
    const dns = readState(LAB)!.pods.coredns!.ip!;
    expect(cells(ours.stdout).get('kube-system/kube-dns')).toBe(`${dns}:53,${dns}:53,${dns}:9153`);
  }, 60_000);

  it('a restarted container: --previous and kubectl logs -p print the last instance; before any restart, none', () => {
    const pod = 'web-22dnp66tqx-n8tqc';
    appendFileSync(readState(LAB)!.pods[pod]!.containers.web!.log, 'c2 first instance\n');
    const none = cli('logs', 'self-healing', pod, '--previous');
    expect(none.status).toBe(2);
    expect(none.stderr).toContain(`error PL3054 previous terminated container "web" in pod "${pod}" not found`);
    const kNone = kubectl('logs', pod, '-p');
    expect(kNone.status).toBe(1);
    expect(kNone.stderr).toContain(`Error from server (BadRequest): previous terminated container "web" in pod "${pod}" not found`);

    expect(cli('scenario', 'self-healing', 'crash').status).toBe(0);
    const previous = cli('logs', 'self-healing', pod, '-p');
    expect(previous.status, previous.stderr).toBe(0);
    expect(previous.stdout).toContain('c2 first instance');
    expect(cli('logs', 'self-healing', pod).stdout).not.toContain('c2 first instance');
    expect(kubectl('logs', pod, '-p').stdout).toContain('c2 first instance');
    const current = kubectl('logs', pod);
    expect(current.status, current.stderr).toBe(0);
    expect(current.stdout).not.toContain('c2 first instance');
  }, 120_000);

  it('a pod deleted and created again starts with empty logs and no previous instance', () => {
    const log = readState(LAB)!.pods.coredns!.containers.coredns!.log;
    appendFileSync(log, 'c2 old pod\n');
    expect(cli('logs', 'self-healing', 'kube-system/coredns').stdout).toContain('c2 old pod');
    const d = cli('pod', 'delete', 'self-healing', 'kube-system/coredns');
    expect(d.status, d.stderr).toBe(0);
    const c = cli('pod', 'create', 'self-healing', 'kube-system/coredns');
    expect(c.status, c.stderr).toBe(0);
    const after = cli('logs', 'self-healing', 'kube-system/coredns');
    expect(after.status, after.stderr).toBe(0);
    expect(after.stdout).not.toContain('c2 old pod');
    expect(cli('logs', 'self-healing', 'kube-system/coredns', '-p').status).toBe(2);
  }, 120_000);

  it("a deleted Deployment pod: SuccessfulCreate is its ReplicaSet's, then the new pod's Scheduled, Pulled, Created, Started", () => {
    const from = readEvents(LAB).length;
    const r = cli('scenario', 'self-healing', 'delete');
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const events = readEvents(LAB).slice(from);
    const created = events.find((e) => e.reason === 'SuccessfulCreate')!;
    expect(created.object).toMatch(/^replicaset\/web-22dnp66tqx$/);
    const pod = /Created pod: (\S+)/.exec(created.message)![1]!;
    expect(events.filter((e) => e.object === `pod/${pod}` && e.reason !== 'Ready').map((e) => e.reason)).toEqual(['Scheduled', 'Pulled', 'Created', 'Started']);
    expect(events.some((e) => e.object === 'deployment/web' && e.reason === 'SuccessfulCreate')).toBe(false);
  }, 120_000);
});

describe.runIf(live)('events of pod delete and create in a lab without control loops (live)', () => {
  const EV = 'c2-ev';
  labAroundSuite(twoPodLab(EV));

  it('pod delete records Killing; pod create Scheduled, then Pulled, Created, Started per container', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, ['bin/podlab.js', ...args], { encoding: 'utf8', timeout: 60_000 });
    expect(run('pod', 'delete', EV, 'b').status).toBe(0);
    expect(run('pod', 'create', EV, 'b').status).toBe(0);
    expect(readEvents(EV).map((e) => `${e.reason} ${e.object}`)).toEqual(['Killing pod/b', 'Scheduled pod/b', 'Pulled pod/b', 'Created pod/b', 'Started pod/b']);
    const shown = run('events', EV);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/Started +pod\/b +Started container web/);
  }, 120_000);
});
