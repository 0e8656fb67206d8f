/**
 * How a pod's DNS server is started: before its network (it waits for the pod's default route,
 * read from /proc/net), with a container's environment rather than podlab's.
 */
import { describe, expect, it } from 'vitest';
import { hasDefaultRoute, waitUntil } from '../../src/dns/network.ts';
import { WAIT_NETWORK_FLAG } from '../../src/dns/marks.ts';
import { containerArgv, containerEnv, CONTAINER_PATH, hostSandbox, REPO_PROGRAMS } from '../../src/render/render.ts';
import { startsEarly } from '../../src/runtime/sandbox.ts';
import type { PlanHost, PlanPod } from '../../src/plan/plan.ts';

const V4_HEADER = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT';
const v4 = (...rows: string[]) => [V4_HEADER, ...rows].join('\n') + '\n';
// A pod's table once the bridge plugin is done: its subnet, then the default route via cni0.
const POD_SUBNET = 'eth0\t0000F40A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0';
const POD_DEFAULT = 'eth0\t00000000\t0100F40A\t0003\t0\t0\t0\t00000000\t0\t0\t0';
const ZERO = '0'.repeat(32);
// A fresh namespace's IPv6 table: the kernel's unreachable default on lo, and ::1.
const V6_FRESH = [`${ZERO} 00 ${ZERO} 00 ${ZERO} ffffffff 00000001 00000000 00200200       lo`, `${ZERO.slice(0, 31)}1 80 ${ZERO} 00 ${ZERO} 00000000 00000002 00000000 80200001       lo`].join('\n');
const V6_DEFAULT = `${ZERO} 00 ${ZERO} 00 fd000000000000000000000000000001 00000400 00000003 00000000 00000003     eth0`;

describe('hasDefaultRoute', () => {
  it('is false in a fresh namespace: no IPv4 routes, and the kernel’s IPv6 unreachable default does not count', () => {
    expect(hasDefaultRoute(v4(), V6_FRESH)).toBe(false);
  });
  it('is false while the pod has its address and subnet route but not yet its default route', () => {
    expect(hasDefaultRoute(v4(POD_SUBNET), V6_FRESH)).toBe(false);
  });
  it('is true once the IPv4 default route is there', () => {
    expect(hasDefaultRoute(v4(POD_SUBNET, POD_DEFAULT), V6_FRESH)).toBe(true);
  });
  it('is true with an IPv6 default route out of a real interface', () => {
    expect(hasDefaultRoute(v4(), `${V6_FRESH}\n${V6_DEFAULT}`)).toBe(true);
  });
  it('a route to 0.0.0.0 with a narrower mask is not a default route; unreadable files count as none', () => {
    expect(hasDefaultRoute(v4('eth0\t00000000\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0'), '')).toBe(false);
    expect(hasDefaultRoute('', '')).toBe(false);
  });
});

describe('waitUntil', () => {
  it('resolves true as soon as the condition holds', async () => {
    let calls = 0;
    expect(await waitUntil(() => ++calls >= 4, 5000)).toBe(true);
    expect(calls).toBe(4);
  });
  it('resolves false once the time is up', async () => {
    const t0 = Date.now();
    expect(await waitUntil(() => false, 30)).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(30);
  });
});

const pod = (over: Partial<PlanPod> = {}): PlanPod =>
  ({ name: 'coredns', namespace: 'kube-system', node: 'control-plane', hostNetwork: false, netns: 'x', hostname: 'coredns', ip: '10.244.0.2', labels: {}, containerId: 'c', containers: [{ name: 'coredns', argv: ['@dns', '-conf', '/etc/coredns/Corefile'], ports: [], env: {} }], dnsPolicy: 'Default', resolv: { nameservers: [], searches: [], options: [] }, ...over }) as PlanPod;

describe('starting a pod’s DNS server', () => {
  it('a pod with a network of its own runs podlab-dns with the wait flag, and starts early', () => {
    expect(containerArgv(['@dns', '-conf', 'C'], REPO_PROGRAMS, pod())).toEqual(['node', REPO_PROGRAMS.dns, '-conf', 'C', WAIT_NETWORK_FLAG]);
    expect(startsEarly(pod())).toBe(true);
  });
  it('a hostNetwork pod and a host outside the cluster have their network already: no flag, no early start', () => {
    expect(containerArgv(['@dns', '-conf', 'C'], REPO_PROGRAMS, pod({ hostNetwork: true }))).not.toContain(WAIT_NETWORK_FLAG);
    expect(startsEarly(pod({ hostNetwork: true }))).toBe(false);
    expect(containerArgv(['@dns', '-conf', 'C'], REPO_PROGRAMS)).not.toContain(WAIT_NETWORK_FLAG);
  });
  it('a pod without podlab-dns waits for its network before its containers start', () => {
    expect(startsEarly(pod({ containers: [{ name: 'web', argv: ['@workload', 'http-echo'], ports: [], env: {} }] as PlanPod['containers'] }))).toBe(false);
  });
});

describe('containerEnv', () => {
  it('is a container’s environment: standard PATH, HOME, HOSTNAME and the pod’s variables, none of podlab’s', () => {
    process.env.PODLAB_TEST_LEAK = 'yes';
    try {
      const env = containerEnv(pod());
      expect(env).toEqual({ PATH: CONTAINER_PATH, HOME: '/root', HOSTNAME: 'coredns', POD_NAME: 'coredns', POD_NAMESPACE: 'kube-system', POD_IP: '10.244.0.2', NODE_NAME: 'control-plane' });
      expect(Object.values(env)).not.toContain('yes');
    } finally {
      delete process.env.PODLAB_TEST_LEAK;
    }
  });
  it('the container’s own variables come last and win', () => {
    expect(containerEnv(pod(), { PATH: '/opt/bin', GREETING: 'hi' })).toMatchObject({ PATH: '/opt/bin', GREETING: 'hi', POD_NAME: 'coredns' });
  });
  it('a host’s programs see the host’s name and address', () => {
    const h = { name: 'upstream', netns: 'podlab-x.host.upstream', ip: '203.0.113.53', containers: [] } as unknown as PlanHost;
    expect(containerEnv(hostSandbox(h))).toMatchObject({ HOSTNAME: 'upstream', POD_IP: '203.0.113.53' });
  });
});
