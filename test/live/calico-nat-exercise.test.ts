/**
 * The NAT outgoing exercise (exercises/calico-nat-outgoing), graded live through the CLI: whole-lab
 * submissions of both variants (which rack's pool must be NATed) that turn natOutgoing on in the
 * right pool, in the wrong one, in both (the `natOutgoing: false` lines deleted), or set the lab's
 * own natOutgoing, which is not taken; each scored item by item, with the address the outside host
 * saw as evidence; then `podlab exercise test` (the solution full marks, each broken answer exactly
 * its items), and nothing left on the host. Labs nat-ex-*.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { liveGuard } from './host.ts';
import { scopedSnapshot, type ScopedSnapshot } from './scoped.ts';

const live = liveGuard();
const SUBMISSIONS = 'test/fixtures/submissions/calico-nat-outgoing';
const podlab = (...args: string[]) => execa('node', ['bin/podlab.js', ...args], { reject: false, env: { CI: '' } });

interface Result { status: string; variant: Record<string, string>; ignored?: string[]; items: { id: string; status: string; evidence: { command: string; seen: string }[] }[] }
const result = (out: string, student: string) => JSON.parse(readFileSync(join(out, `${student}.json`), 'utf8')) as Result;

describe.skipIf(!live)('the calico-nat-outgoing exercise, graded live', () => {
  let out: string;
  let before: ScopedSnapshot;
  let run: Awaited<ReturnType<typeof podlab>>;

  beforeAll(async () => {
    before = await scopedSnapshot(['nat-ex-']);
    out = mkdtempSync(join(tmpdir(), 'podlab-nat-grades-'));
    const files = readdirSync(SUBMISSIONS).map((f) => join(SUBMISSIONS, f));
    run = await podlab('grade', 'exercises/calico-nat-outgoing', ...files, '--out', out, '--jobs', '3', '--lab-prefix', 'nat-ex');
  }, 240_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("scores each submission against its own variant: the right pool NATed passes; the wrong pool, both pools and the lab's own natOutgoing do not", () => {
    expect(run.exitCode, run.stderr).toBe(0);
    const book = JSON.parse(readFileSync(join(out, 'gradebook.json'), 'utf8')) as { students: { student: string; status: string; score: number }[] };
    expect(Object.fromEntries(book.students.map((s) => [s.student, `${s.status} ${s.score}`]))).toEqual({
      alice: 'pass 11', // rack b: rack-b NATed
      bob: 'fail 4', // rack b: rack-a NATed instead
      carol: 'fail 9', // rack b: both pools NATed (natOutgoing left to the lab's default)
      dave: 'pass 11', // rack a: rack-a NATed (alice's answer would be bob's mistake here)
      erin: 'fail 6', // rack a: the lab's natOutgoing, not taken; the pools' own false win anyway
    });
    expect(['alice', 'bob', 'carol', 'dave', 'erin'].map((s) => result(out, s).variant.natRack)).toEqual(['b', 'b', 'b', 'a', 'a']);
    const csv = readFileSync(join(out, 'gradebook.csv'), 'utf8').split('\n');
    expect(csv[0]).toBe('student,status,score,max,nat-source,keep-pod-address,pod-to-pod,pod-to-pod-back,no-route-from-outside,block-still-routed,reason');
    // NATed or not, pods reach each other with their own addresses, and BGP still carries every block.
    for (const row of csv.slice(1).filter(Boolean)) expect(row.split(',').slice(6, 8).concat(row.split(',')[9]!), row).toEqual(['2', '1', '1']);
  });

  it('shows what the outside host saw: the node for a NATed pool, the pod for the other', () => {
    const bob = result(out, 'bob');
    const nat = bob.items.find((i) => i.id === 'nat-source')!;
    expect(nat.status).toBe('fail');
    // The pod of rack-b (app-b, 10.244.16.0) was seen with its own address, not c1-node2's.
    expect(nat.evidence[0]!.seen).toMatch(/server saw client 10\.244\.16\.0, which is not node\/c1-node2/);
    expect(nat.evidence[0]!.command).toBe('podlab exec calico-nat-outgoing app-b -- curl -sS -m 2 http://203.0.113.10:80/');
    const keep = bob.items.find((i) => i.id === 'keep-pod-address')!;
    expect(keep.evidence[0]!.seen).toMatch(/server saw client 172\.16\.94\.11: the source was translated/);
    expect(result(out, 'erin').ignored).toEqual(['natOutgoing']);
  });

  it('exercise test: the solution full marks, each broken answer fails exactly its items', async () => {
    const r = await podlab('exercise', 'test', 'exercises/calico-nat-outgoing', '--json', '--lab-prefix', 'nat-ex');
    const verdicts = JSON.parse(r.stdout || '[]') as { name: string; ok: boolean; failed: string[] }[];
    expect(verdicts.filter((v) => !v.ok), r.stderr).toEqual([]);
    expect(verdicts.map((v) => v.name)).toEqual(['solution', 'broken/starter.lab.ts', 'broken/wrong-pool.lab.ts', 'broken/both-pools.lab.ts', 'broken/lab-wide.lab.ts', 'broken/default-pools.lab.ts']);
    expect(verdicts.find((v) => v.name === 'broken/wrong-pool.lab.ts')!.failed).toEqual(['keep-pod-address', 'nat-source', 'no-route-from-outside']);
    expect(r.exitCode).toBe(0);
  }, 240_000);

  it('leaves no lab, no BIRD and nothing else behind', async () => {
    expect(await scopedSnapshot(['nat-ex-'])).toEqual(before);
    const birds = (await execa('pgrep', ['-a', 'bird'], { reject: false })).stdout.split('\n').filter((l) => l.includes('/nat-ex-'));
    expect(birds).toEqual([]);
  });
});
