/**
 * `podlab label` and `podlab policy apply|delete` on a live lab (labs/network-policy.lab.ts built
 * as pc-network-policy): a policy applied from YAML admits exactly the pods it names, a relabel
 * moves a pod in and out of it, a delete takes it away; bad YAML and bad labels change nothing.
 * Reachability is a real TCP connection from y-a to x-b on port 80 (x is default-deny ingress).
 * And `explain`, `trace` and `graph` find the lab by its name with the prefix, as the others do.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down } from '../../src/runtime/down.ts';
import { PROBE_BIN } from '../../src/runtime/artifacts.ts';
import { readState } from '../../src/runtime/state.ts';
import { inLab, liveGuard } from './host.ts';
import { scopedSnapshot } from './scoped.ts';

const live = liveGuard();
const PREFIX = 'pc-';
const LAB = `${PREFIX}network-policy`;
const podlab = (...args: string[]) => execa('node', ['bin/podlab.js', '--prefix', PREFIX, ...args], { reject: false });

async function connects(from: string, to: string): Promise<boolean> {
  const state = readState(LAB)!;
  const r = await inLab(state, from, [PROBE_BIN, 'tcp-connect', '--host', state.pods[to]!.ip!, '--port', '80', '--timeout-ms', '1000']);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!).ok === true;
}

const ALLOW = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-clients, namespace: x }
spec:
  podSelector: {}
  ingress:
    - from:
        - namespaceSelector: {}
          podSelector: { matchLabels: { role: client } }
      ports: [{ port: 80, protocol: TCP }]
`;

describe.skipIf(!live)('podlab label and podlab policy on a live lab', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podlab-policy-cli-'));
  let before: Awaited<ReturnType<typeof scopedSnapshot>>;
  beforeAll(async () => {
    before = await scopedSnapshot([PREFIX]);
    const r = await podlab('up', 'labs/network-policy.lab.ts', '--no-api');
    expect(r.exitCode, r.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await down(LAB);
    rmSync(dir, { recursive: true, force: true });
    expect(await scopedSnapshot([PREFIX])).toEqual(before);
  }, 60_000);

  it('explain, trace and graph name the lab as every live command does: with the lab-name prefix', async () => {
    // The user types the lab's own name; --prefix (or PODLAB_PREFIX) makes it pc-network-policy.
    const x = await podlab('explain', 'network-policy', 'y-a', 'x-b', '--port', '80');
    expect(x.exitCode, x.stderr).toBe(1); // denied: x is default-deny ingress
    expect(x.stdout).toContain('x/x-b isolated for ingress by x/default-deny-ingress');
    expect(x.stdout).toContain('live probe');
    const t = await podlab('trace', 'network-policy', 'y-a', 'x-b', '--port', '80', '--json');
    expect(t.exitCode, t.stderr).toBe(1);
    expect(JSON.parse(t.stdout)).toMatchObject({ lab: LAB, outcome: 'dropped' });
    const g = await podlab('graph', 'network-policy', '--format', 'json');
    expect(g.exitCode, g.stderr).toBe(0);
    expect(JSON.parse(g.stdout)).toMatchObject({ lab: LAB, live: true });
    // Drawing the file says the prefixed lab is up; a lab that is not up is named with its prefix.
    expect((await podlab('graph', 'labs/network-policy.lab.ts', '--format', 'json')).stderr).toContain(`lab ${LAB} is up`);
    const none = await podlab('explain', 'nope', 'y-a', 'x-b');
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain(`lab "${PREFIX}nope" is not up`);
    // Its hint names the file by the lab's own name, also when the user typed the prefix (a file
    // that exists: labs/kubenet.lab.ts, whose lab is not up under this prefix); no file, no guess.
    for (const name of ['kubenet', `${PREFIX}kubenet`]) {
      expect((await podlab('explain', name, 'y-a', 'x-b')).stderr).toContain('podlab up labs/kubenet.lab.ts');
      expect((await podlab('graph', name)).stderr).toContain('podlab graph labs/kubenet.lab.ts');
      expect((await podlab('ui', name)).stderr).toContain('podlab up labs/kubenet.lab.ts');
    }
    expect(none.stderr).toContain('podlab up <its lab file>');
  });

  it('policy apply -f admits the pods it names; label moves a pod in and out; delete takes it away', async () => {
    expect(await connects('y-a', 'x-b')).toBe(false); // x is default-deny ingress
    writeFileSync(join(dir, 'allow.yaml'), ALLOW);
    const a = await podlab('policy', 'apply', LAB, '-f', join(dir, 'allow.yaml'));
    expect(a.exitCode, a.stderr).toBe(0);
    expect(a.stdout).toContain('networkpolicy x/allow-clients created');
    expect(await connects('y-a', 'x-b')).toBe(false); // y-a has no role=client yet

    const l = await podlab('label', LAB, 'y/y-a', 'role=client', '--json');
    expect(l.exitCode, l.stderr).toBe(0);
    const lj = JSON.parse(l.stdout) as { after: Record<string, string>; rulesApplied: { target: string; lines: number }[] };
    expect(lj.after).toMatchObject({ pod: 'a', role: 'client' });
    expect(lj.rulesApplied.length).toBeGreaterThan(0);
    expect(lj.rulesApplied.every((x) => x.lines < 20)).toBe(true); // a diff, not the whole table
    expect(await connects('y-a', 'x-b')).toBe(true);
    expect(await connects('y-b', 'x-b')).toBe(false); // not labelled

    expect((await podlab('label', LAB, 'y-a', 'role-')).exitCode).toBe(0);
    expect(await connects('y-a', 'x-b')).toBe(false);

    expect((await podlab('label', LAB, 'y-a', 'role=client')).exitCode).toBe(0);
    const d = await podlab('policy', 'delete', LAB, 'x/allow-clients');
    expect(d.exitCode, d.stderr).toBe(0);
    expect(await connects('y-a', 'x-b')).toBe(false);
    expect(readState(LAB)!.policies?.map((p) => `${p.namespace}/${p.name}`)).not.toContain('x/allow-clients');
  });

  it('a file that is not a NetworkPolicy, an invalid policy, a bad label or an unknown name: coded, nothing changed', async () => {
    const policies = () => JSON.stringify(readState(LAB)!.policies ?? readState(LAB)!.plan.networkPolicy?.policies);
    const labels = () => JSON.stringify(readState(LAB)!.plan.pods.map((p) => p.labels));
    const [p0, l0] = [policies(), labels()];
    writeFileSync(join(dir, 'svc.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: { name: web }\n');
    const s = await podlab('policy', 'apply', LAB, '-f', join(dir, 'svc.yaml'));
    expect(s.exitCode).toBe(1);
    expect(s.stderr).toContain('PL3051');
    // Two documents, the second invalid: the first is not applied either.
    writeFileSync(join(dir, 'two.yaml'), `${ALLOW}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: bad, namespace: x }\nspec: { podSelector: {}, policyTypes: [Sideways] }\n`);
    const t = await podlab('policy', 'apply', LAB, '-f', join(dir, 'two.yaml'), '--json');
    expect(t.exitCode).toBe(1);
    expect(JSON.parse(t.stdout)).toMatchObject({ ok: false, diagnostics: [{ code: 'PL3052', message: expect.stringContaining('document 2, NetworkPolicy x/bad') }] });
    const b = await podlab('label', LAB, 'y-a', 'Bad Key=1', 'tier=');
    expect(b.exitCode).toBe(1);
    expect(b.stderr).toContain('error PL2111 label key "Bad Key" is invalid');
    const n = await podlab('policy', 'delete', LAB, 'x/nope');
    expect(n.exitCode).toBe(2);
    expect(n.stderr).toContain('error PL3044');
    const q = await podlab('label', LAB, 'z/y-a', 'role=client');
    expect(q.exitCode).toBe(2);
    expect(q.stderr).toContain('error PL3030');
    expect([policies(), labels()]).toEqual([p0, l0]);
  });
});
