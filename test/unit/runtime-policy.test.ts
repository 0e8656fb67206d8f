/**
 * NetworkPolicy through the one door, without root: `up` of a lab with a policy loads each node's
 * policy table (with policyDenyAction 'Reject', after the sysctl that lets rejects through) in the same nft transaction as
 * kube-proxy's; apply-policy, label-pod and delete-policy each send one nft transaction per node
 * that names only the policy table, and deleting the last policy deletes the table.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const root = vi.hoisted(() => {
  // The state root is read when constants.ts is first imported: set it before any import.
  const { mkdtempSync } = require('node:fs') as typeof import('node:fs');
  const dir = mkdtempSync(`${require('node:os').tmpdir()}/podlab-policy-`);
  process.env.PODLAB_STATE_ROOT = dir;
  return dir;
});

import { validateValue } from '../../src/compile/validate-value.ts';
import type { LabSpec } from '../../src/index.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { normalizePolicy } from '../../src/policy/types.ts';
import { render } from '../../src/render/render.ts';
import { down } from '../../src/runtime/down.ts';
import { applyPolicy, deletePolicy, labelPod, PolicyError } from '../../src/runtime/policies.ts';
import { readState } from '../../src/runtime/state.ts';
import { up } from '../../src/runtime/up.ts';
import { recordingExecutor, type Call } from './recorder.ts';

const spec: LabSpec = {
  name: 'pol',
  nodes: { a: {}, b: {} },
  dns: false,
  namespaces: [{ name: 'shop', labels: { team: 'red' } }],
  pods: {
    web: { namespace: 'shop', node: 'a', labels: { app: 'web' }, containers: [{ name: 'web', workload: { kind: 'http-echo' } }] },
    client: { node: 'b', containers: [{ name: 'sh', command: ['sleep', 'infinity'] }] },
  },
  networkPolicies: { 'deny-all': { namespace: 'shop', podSelector: {} } },
};

const ex = recordingExecutor();
const nftCalls = (calls: Call[]) => calls.filter((c): c is Extract<Call, { op: 'run' }> => c.op === 'run' && c.argv.includes('nft'));

afterAll(async () => {
  await down('pol', ex).catch(() => undefined);
  ex.close();
  rmSync(root, { recursive: true, force: true });
});

describe('policies of a live lab, through the executor', () => {
  beforeAll(async () => {
    const { lab } = validateValue(spec, 'pol.lab.ts');
    const plan = buildPlan(lab!);
    await up(plan, render(plan), { ex });
  });

  it('up: each node gets, in its first nft transaction, both tables whole; denials drop, so no ICMP sysctl', () => {
    const lines = ex.lines();
    for (const n of ['a', 'b']) expect(lines.some((l) => l.startsWith(`nsenter --net=/run/netns/podlab-pol.node.${n} -- sysctl -qw`) && l.includes('net.ipv4.icmp_ratelimit=0'))).toBe(false);
    const first = nftCalls(ex.calls).find((c) => c.argv.includes('--net=/run/netns/podlab-pol.node.a'))!;
    expect(first.input).toContain('table ip podlab {');
    expect(first.input).toContain('table ip podlab-policy {');
    expect(first.input).toContain('chain ingress.shop/web {');
    expect(first.input).toMatch(/counter drop comment "shop\/web isolated for ingress/);
  });

  it("up with policyDenyAction 'Reject': each node's ICMP errors are not rate-limited, and its denials reject", async () => {
    const { lab } = validateValue({ ...spec, name: 'polr', policyDenyAction: 'Reject' }, 'polr.lab.ts');
    const plan = buildPlan(lab!);
    const before = ex.calls.length;
    try {
      await up(plan, render(plan), { ex });
      const lines = ex.lines().slice(before);
      for (const n of ['a', 'b']) expect(lines.some((l) => l.startsWith(`nsenter --net=/run/netns/podlab-polr.node.${n} -- sysctl -qw`) && l.endsWith('net.ipv4.icmp_ratelimit=0'))).toBe(true);
      const first = nftCalls(ex.calls.slice(before)).find((c) => c.argv.includes('--net=/run/netns/podlab-polr.node.a'))!;
      expect(first.input).toMatch(/counter reject comment "shop\/web isolated for ingress/);
    } finally {
      await down('polr', ex).catch(() => undefined);
    }
  });

  it('apply-policy: one transaction per node, naming only the policy table', async () => {
    const before = ex.calls.length;
    const r = await applyPolicy(ex, readState('pol')!, normalizePolicy('from-red', { namespace: 'shop', podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'red' } } }] }] }));
    const calls = nftCalls(ex.calls.slice(before));
    expect(calls.length).toBe(2);
    for (const c of calls) expect(c.input!.split('\n').filter(Boolean).every((l) => l.includes(' ip podlab-policy '))).toBe(true);
    expect(r.sync.applied.map((a) => a.target).sort()).toEqual(['a', 'b']);
    expect(readState('pol')!.policies!.map((p) => p.name)).toEqual(['deny-all', 'from-red']);
  });

  it('label-pod: the pod joins a peer set; only set elements change', async () => {
    const before = ex.calls.length;
    // A policy admitting app=client pods of any namespace, then the client gets that label.
    await applyPolicy(ex, readState('pol')!, normalizePolicy('from-clients', { namespace: 'shop', podSelector: {}, ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'client' } } }] }] }));
    const mid = ex.calls.length;
    const r = await labelPod(ex, readState('pol')!, 'client', { app: 'client' });
    expect(r.after).toEqual({ app: 'client' });
    const calls = nftCalls(ex.calls.slice(mid));
    expect(calls.length).toBe(2);
    for (const c of calls) expect(c.input).toBe(`add element ip podlab-policy np.shop/from-clients.ingress.0.peer.0 { ${readState('pol')!.pods.client!.ip} }\n`);
    expect(before).toBeLessThan(mid);
  });

  it('delete-policy: an unknown one is an error; the last one deletes the table', async () => {
    await expect(deletePolicy(ex, readState('pol')!, 'shop', 'nope')).rejects.toBeInstanceOf(PolicyError);
    await expect(deletePolicy(ex, readState('pol')!, 'shop', 'nope')).rejects.toMatchObject({ code: 'PL3044', message: expect.stringContaining('has no NetworkPolicy') });
    await expect(deletePolicy(ex, readState('pol')!, 'shop', 'nope')).rejects.toMatchObject({ code: 'PL3044', message: expect.stringContaining('has no NetworkPolicy') });
    for (const name of ['deny-all', 'from-red']) await deletePolicy(ex, readState('pol')!, 'shop', name);
    const before = ex.calls.length;
    await deletePolicy(ex, readState('pol')!, 'shop', 'from-clients');
    const calls = nftCalls(ex.calls.slice(before));
    expect(calls.map((c) => c.input)).toEqual(['delete table ip podlab-policy\n', 'delete table ip podlab-policy\n']);
  });
});
