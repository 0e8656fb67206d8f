/**
 * A hostNetwork pod's resolver, as kubelet makes it: dnsPolicy ClusterFirstWithHostNet gives it the
 * cluster DNS resolv.conf (kube-dns's ClusterIP, the namespace's search list, ndots:5) though it
 * lives in its node's network namespace; ClusterFirst stays Default there (the node's resolvers),
 * and the node itself keeps its own. The pod's sandbox is its own pause process in the node's
 * network, with the node's hostname. A dns check and the trace's dns hop from the pod ask what its
 * resolv.conf names. Lab ffhn (an external host, so the nodes have a default route to ClusterIPs).
 */
import { readlinkSync } from 'node:fs';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { LabSpec } from '../../src/index.ts';
import { readState } from '../../src/runtime/state.ts';
import { labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;
const name = 'ffhn';
const sleeper = [{ name: 'main', command: ['sleep', 'infinity'] }];

const lab: LabSpec = {
  name,
  nodes: { w1: {}, w2: {} },
  cni: 'flannel',
  pods: {
    web: { node: 'w2', labels: { app: 'web' }, containers: [{ name: 'http', workload: { kind: 'http-echo', port: 8080 } }] },
    hn: { node: 'w1', hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet', containers: sleeper },
    hd: { node: 'w1', hostNetwork: true, containers: sleeper },
  },
  hosts: { ext: { network: 'external' } },
  services: { web: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
  checks: [{ kind: 'dns', from: 'hn', query: 'web', expectAnswers: ['svc/web'] }],
};

const podlab = (...args: string[]) => execa('node', [BIN, ...args], { reject: false, timeout: 60_000 });
/** A resolv.conf's lines without its banner comment. */
const resolv = async (target: string, ...c: string[]) => {
  const r = await podlab('exec', name, target, ...c, '--', 'cat', '/etc/resolv.conf');
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => l && !l.startsWith('#'));
};
const CLUSTER = ['nameserver 10.96.0.10', 'search default.svc.cluster.local svc.cluster.local cluster.local', 'options ndots:5'];

describe.skipIf(!live)('a hostNetwork pod with dnsPolicy ClusterFirstWithHostNet (lab ffhn)', () => {
  labAroundSuite(lab);

  it("ClusterFirstWithHostNet: the pod and its container see the cluster DNS resolv.conf; ClusterFirst and the node keep the node's", async () => {
    expect(await resolv('hn')).toEqual(CLUSTER);
    expect(await resolv('hn', '-c', 'main')).toEqual(CLUSTER);
    // The lab's nodes have no resolvers of their own (dns.nameservers): nothing but the banner.
    expect(await resolv('hd')).toEqual([]);
    expect(await resolv('node/w1')).toEqual([]);
  });

  it("the pod is in its node's network and has its node's name and /etc/hosts", async () => {
    const state = readState(name)!;
    const c = state.pods.hn!.containers.main!;
    const node = state.nodeSandboxes!.w1!;
    expect(readlinkSync(`/proc/${c.pid}/ns/net`)).toBe(readlinkSync(`/proc/${node.pid}/ns/net`));
    expect((await podlab('exec', name, 'hn', '--', 'hostname')).stdout.trim()).toBe('w1');
    expect((await podlab('exec', name, 'hn', '--', 'getent', 'hosts', 'w2')).stdout.trim()).toMatch(/^172\.16\.94\.11\s+w2$/);
  });

  it('its dig asks kube-dns: the dns check passes, and the trace resolves the Service name at 10.96.0.10 as predicted', async () => {
    const check = await podlab('check', name);
    expect(check.exitCode, check.stdout + check.stderr).toBe(0);
    const t = await podlab('trace', name, 'hn', 'web.default.svc.cluster.local', '--json');
    expect(t.exitCode, t.stderr).toBe(0);
    const trace = JSON.parse(t.stdout) as { hops: { kind: string; status: string; linux: string; k8s: string }[] };
    const dns = trace.hops.find((h) => h.kind === 'dns')!;
    expect(dns.status).toBe('confirmed');
    expect(dns.linux).toContain('from 10.96.0.10');
    expect(dns.k8s).toContain('ClusterFirstWithHostNet');
  });

  it('deleting and creating the pod again gives its new sandbox the same resolv.conf', async () => {
    expect((await podlab('pod', 'recreate', name, 'hn')).exitCode).toBe(0);
    expect(await resolv('hn')).toEqual(CLUSTER);
  });
});
