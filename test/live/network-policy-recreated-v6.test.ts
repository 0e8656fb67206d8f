/**
 * Live (issue #24): NetworkPolicy follows a pod made at run time over IPv6. A dual-stack kubenet
 * lab (v6n-np): `server` admits only pods labelled role=friend, and `friend` may only reach
 * `server`. Real HTTP over IPv6 before and after friend and then server are re-created at new
 * addresses, and after a scale copy of friend: the verdicts stay what the policies say, and the
 * ip6 policy sets hold the new addresses, not the planned ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabSpec } from '../../src/index.ts';
import { down } from '../../src/runtime/down.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { recreatePod, scalePod } from '../../src/runtime/pods.ts';
import { readState, type LabState } from '../../src/runtime/state.ts';
import { hostSnapshot, inLab, liveGuard, upLab, WORKLOAD } from './host.ts';

const live = liveGuard();
const name = 'v6n-np';
const web = { name: 'web', workload: { kind: 'http-echo' as const }, ports: [{ name: 'http', containerPort: 8080 }] };

const spec: LabSpec = {
  name,
  ipFamilies: ['IPv4', 'IPv6'],
  cni: 'kubenet',
  dns: false,
  nodes: { 'worker-1': {}, 'worker-2': {} },
  pods: {
    server: { node: 'worker-1', labels: { app: 'server' }, containers: [web] },
    friend: { node: 'worker-2', labels: { role: 'friend' }, containers: [web] },
    stranger: { node: 'worker-2', labels: { role: 'stranger' }, containers: [web] },
  },
  networkPolicies: {
    'server-from-friends': { podSelector: { matchLabels: { app: 'server' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'friend' } } }], ports: [{ port: 'http' }] }] },
    'friend-to-server': { podSelector: { matchLabels: { role: 'friend' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'server' } } }] }] },
  },
};

const six = (ips: readonly string[] | undefined) => ips?.find((a) => a.includes(':'));
/** A pod's current IPv6 address (the state's record, else its planned one). */
function v6Of(state: LabState, pod: string): string {
  return six(state.pods[pod]?.ips) ?? six(state.plan.pods.find((p) => p.name === pod)!.ips)!;
}

/** One real HTTP request over IPv6 from a pod to a pod: 'allowed by <pod that answered>' or 'denied'. */
async function verdict(from: string, to: string): Promise<string> {
  const state = readState(name)!;
  const r = await inLab(state, from, ['node', WORKLOAD, 'http-get', '--url', `http://[${v6Of(state, to)}]:8080/`, '--timeout-ms', '1500']);
  const out = JSON.parse(r.stdout) as { ok: boolean; body?: string };
  return out.ok ? `allowed by ${(JSON.parse(out.body!) as { pod: string }).pod}` : 'denied';
}

async function verdicts(pairs: [string, string][]): Promise<string[]> {
  const out: string[] = [];
  for (const [from, to] of pairs) out.push(`${from} → ${to}: ${await verdict(from, to)}`);
  return out;
}

async function ip6Sets(node: string): Promise<string> {
  return (await inLab(readState(name)!, `node/${node}`, ['nft', 'list', 'table', 'ip6', 'podlab-policy'])).stdout;
}

const EXPECTED = ['friend → server: allowed by server', 'stranger → server: denied', 'friend → stranger: denied', 'stranger → friend: allowed by friend'];
const PAIRS: [string, string][] = [['friend', 'server'], ['stranger', 'server'], ['friend', 'stranger'], ['stranger', 'friend']];

describe.skipIf(!live)('live NetworkPolicy over IPv6 follows re-created pods (v6n-np, dual stack)', () => {
  let rootNft = '';
  beforeAll(async () => {
    await down(name);
    rootNft = (await hostSnapshot()).nft;
    await upLab(spec);
  }, 120_000);
  afterAll(async () => {
    await down(name);
    expect((await hostSnapshot()).nft).toBe(rootNft);
  }, 60_000);

  it('before any re-creation: the verdicts over IPv6 are the policies\'', async () => {
    expect(await verdicts(PAIRS)).toEqual(EXPECTED);
  }, 30_000);

  it('friend re-created at a new IPv6 address: still a friend of server (source set), still held by its egress policy (selected pod)', async () => {
    const before = v6Of(readState(name)!, 'friend');
    await recreatePod(realExecutor, readState(name)!, 'friend');
    const now = v6Of(readState(name)!, 'friend');
    expect(now).not.toBe(before);
    expect(await verdicts(PAIRS)).toEqual(EXPECTED);
    const sets = await ip6Sets('worker-1');
    expect(sets).toContain(now);
    expect(sets).not.toContain(before);
  }, 60_000);

  it('server re-created at a new IPv6 address: still isolated, still admits friend only', async () => {
    const before = v6Of(readState(name)!, 'server');
    await recreatePod(realExecutor, readState(name)!, 'server');
    const now = v6Of(readState(name)!, 'server');
    expect(now).not.toBe(before);
    expect(await verdicts(PAIRS)).toEqual(EXPECTED);
    const sets = await ip6Sets('worker-2');
    expect(sets).toContain(now);
    expect(sets).not.toContain(before);
  }, 60_000);

  it('a copy made by scale is a friend at its own IPv6 address, held by the egress policy too', async () => {
    const sc = await scalePod(realExecutor, readState(name)!, 'friend', 2);
    expect(sc.created).toEqual(['friend-r2']);
    expect(await verdicts([['friend-r2', 'server'], ['friend-r2', 'stranger'], ['stranger', 'server']])).toEqual([
      'friend-r2 → server: allowed by server',
      'friend-r2 → stranger: denied',
      'stranger → server: denied',
    ]);
  }, 60_000);
});
