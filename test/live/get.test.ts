/**
 * kubectl habits on a live lab, through the CLI: `get pods -o wide` shows the pods' live IPs and
 * nodes, `get ep` the Service endpoints, `-n` names a pod's namespace, `logs -f` prints what a
 * container writes after following started, and `pod recreate` and `dns reload` change the lab.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readState } from '../../src/runtime/state.ts';
import { labAroundSuite, liveGuard, twoPodLab } from './host.ts';

const live = liveGuard();
const LAB = 'spd-get';
const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/podlab.js', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PODLAB_PREFIX: '' } });

describe.runIf(live)('kubectl habits (live)', () => {
  const state = labAroundSuite(twoPodLab(LAB)).lab;

  it('the podlab command hands the programs it runs the NODE_EXTRA_CA_CERTS its Node started without', () => {
    const given = '/nonexistent/podlab-test-ca.pem';
    const node = state().plan.nodes[0]!.name;
    const r = spawnSync('bin/podlab.js', ['exec', LAB, `node/${node}`, '--', 'sh', '-c', 'printenv NODE_EXTRA_CA_CERTS; printenv PODLAB_NODE_EXTRA_CA_CERTS || echo none'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, PODLAB_PREFIX: '', NODE_EXTRA_CA_CERTS: given },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${given}\nnone\n`);
    expect(r.stderr).not.toContain('extra certs');
  });

  it('get pods -o wide: every pod of the default namespace, Running, with its live IP and node', () => {
    const r = cli('get', 'pods', LAB, '-o', 'wide');
    expect(r.status, r.stderr).toBe(0);
    for (const p of state().plan.pods.filter((p) => p.namespace === 'default')) expect(r.stdout).toMatch(new RegExp(`^${p.name} +1/1 +Running +0 +\\S+ +${p.ip.replace(/\./g, '\\.')} +${p.node} `, 'm'));
    expect(r.stdout).not.toContain('coredns');
    expect(cli('get', 'po', LAB, '-n', 'kube-system').stdout).toMatch(/^coredns +1\/1 +Running/m);
  });

  it('get ep -A -o json: the kube-dns endpoints at the DNS pod', () => {
    const r = cli('get', 'ep', LAB, '-A', '-o', 'json');
    expect(r.status, r.stderr).toBe(0);
    const dnsPod = state().plan.pods.find((p) => p.namespace === 'kube-system')!;
    const kubeDns = JSON.parse(r.stdout).items.find((i: { metadata: { name: string } }) => i.metadata.name === 'kube-dns');
    expect(kubeDns.subsets[0].addresses[0].ip).toBe(dnsPod.ip);
  });

  it('logs -n default b -f: prints what the container writes after following started', async () => {
    const f = spawn(process.execPath, ['bin/podlab.js', 'logs', LAB, 'b', '-n', 'default', '-f'], { env: { ...process.env, PODLAB_PREFIX: '' } });
    let out = '';
    f.stdout.on('data', (b) => (out += b));
    try {
      for (let i = 0; i < 100 && !out.includes('==> b/'); i++) await new Promise((res) => setTimeout(res, 100));
      expect(out).toContain('==> b/');
      // The container's output goes to this file (its stdout and stderr): a line appended as it would write one.
      const log = Object.values(state().pods.b!.containers)[0]!.log;
      appendFileSync(log, 'spd-followed-line\n');
      for (let i = 0; i < 50 && !out.includes('spd-followed-line'); i++) await new Promise((res) => setTimeout(res, 100));
      expect(out).toContain('spd-followed-line');
      expect(cli('exec', LAB, 'a', '-n', 'default', '--', 'true').status).toBe(0);
      expect(cli('exec', LAB, 'a', '-n', 'kube-system', '--', 'true').status).not.toBe(0);
    } finally {
      f.kill('SIGINT');
    }
  }, 60_000);

  it('pod recreate and dns reload change the live lab from the check bundle, as a scenario step would', () => {
    const traced = (...args: string[]) => spawnSync(process.execPath, ['bin/podlab.js', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PODLAB_PREFIX: '', PODLAB_TRACE: '1' } });
    const before = readState(LAB)!.pods.b!.pause!.pid;
    const r = traced('pod', 'recreate', LAB, 'b', '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('boot: load the CLI bundle (check.cjs)');
    expect(readState(LAB)!.pods.b!.pause!.pid).not.toBe(before);
    expect(cli('get', 'pods', LAB).stdout).toMatch(/^b +1\/1 +Running/m);
    const d = traced('dns', 'reload', LAB);
    expect(d.status, d.stderr).toBe(0);
    expect(d.stderr).toContain('boot: load the CLI bundle (check.cjs)');
  }, 60_000);
});
