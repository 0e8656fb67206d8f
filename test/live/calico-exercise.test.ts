/**
 * The Calico BGP exercise (exercises/calico-bgp), graded live through the CLI: submissions that
 * fix the peers, turn the mesh back on, add c1-node2 in the wrong AS, peer it with one node only,
 * or name a peer outside the node network; each scored item by item, with BIRD's own words as
 * evidence; then `podlab exercise test` (the solution full marks, each broken answer exactly its
 * items), and nothing left on the host. Labs cal-ex-*.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { liveGuard } from './host.ts';
import { scopedSnapshot, type ScopedSnapshot } from './scoped.ts';

const live = liveGuard();
const SUBMISSIONS = 'test/fixtures/submissions/calico-bgp';
const podlab = (...args: string[]) => execa('node', ['bin/podlab.js', ...args], { reject: false, env: { CI: '' } });

describe.skipIf(!live)('the calico-bgp exercise, graded live', () => {
  let out: string;
  let before: ScopedSnapshot;
  let run: Awaited<ReturnType<typeof podlab>>;

  beforeAll(async () => {
    before = await scopedSnapshot(['cal-ex-']);
    out = mkdtempSync(join(tmpdir(), 'podlab-cal-grades-'));
    const files = readdirSync(SUBMISSIONS).map((f) => join(SUBMISSIONS, f));
    run = await podlab('grade', 'exercises/calico-bgp', ...files, '--out', out, '--jobs', '3', '--lab-prefix', 'cal-ex');
  }, 240_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('scores each submission item by item: a fixed peer list and the mesh back on pass; wrong AS, one node only and an outside peer do not', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    const book = JSON.parse(readFileSync(join(out, 'gradebook.json'), 'utf8')) as { students: { student: string; status: string; score: number; reason?: string; items: Record<string, number> }[] };
    const rows = Object.fromEntries(book.students.map((s) => [s.student, `${s.status} ${s.score}${s.reason ? ` ${s.reason}` : ''}`]));
    expect(rows).toEqual({
      alice: 'pass 10', // the missing global BGPPeer added
      bob: 'pass 10', // nodeToNodeMesh back on
      carol: 'fail 0', // c1-node2 in AS 65000
      dave: 'fail 6', // c1-node2 a peer of c1-master1 only
      erin: 'error 0 invalid-lab', // a peer outside the node network: PL2172, nothing built
    });
    const csv = readFileSync(join(out, 'gradebook.csv'), 'utf8').split('\n');
    expect(csv[0]).toBe('student,status,score,max,session-master,session-node1,block-route,reach-from-master,reach-from-node1,reason');
    expect(csv).toContain('dave,fail,6,10,2,0,2,2,0,');
  });

  it("shows BIRD's view as evidence: the wrong AS refused, the missing session not Established", () => {
    const carol = JSON.parse(readFileSync(join(out, 'carol.json'), 'utf8')) as { items: { id: string; status: string; evidence: { command: string; seen: string }[] }[] };
    const session = carol.items.find((i) => i.id === 'session-master')!;
    expect(session.status).toBe('fail');
    // The command to paste names the student's lab and its socket, not the grading lab's.
    expect(session.evidence[0]!.command).toBe('podlab exec calico-bgp node/c1-master1 -- birdc -s /run/podlab/calico-bgp/bird-c1-master1.ctl show protocols Global_172_16_94_12');
    expect(session.evidence[0]!.seen).toMatch(/^Global_172_16_94_12 \S+ .*Bad peer AS/);
    const dave = JSON.parse(readFileSync(join(out, 'dave.json'), 'utf8')) as { items: { id: string; status: string; evidence: { seen: string }[] }[] };
    expect(dave.items.find((i) => i.id === 'session-node1')!.status).toBe('fail');
    expect(dave.items.find((i) => i.id === 'session-master')!.status).toBe('pass');
    const erin = JSON.parse(readFileSync(join(out, 'erin.json'), 'utf8')) as { message?: string };
    expect(JSON.stringify(erin)).toContain('PL2172');
  });

  it('exercise test: the solution full marks, each broken answer fails exactly its items', async () => {
    const r = await podlab('exercise', 'test', 'exercises/calico-bgp', '--json');
    const verdicts = JSON.parse(r.stdout || '[]') as { name: string; ok: boolean; failed: string[] }[];
    expect(verdicts.filter((v) => !v.ok), r.stderr).toEqual([]);
    expect(verdicts.map((v) => v.name)).toEqual(['solution', 'broken/starter.lab.ts', 'broken/wrong-as.lab.ts', 'broken/master-only.lab.ts', 'broken/no-peers.lab.ts']);
    expect(verdicts.find((v) => v.name === 'broken/master-only.lab.ts')!.failed.sort()).toEqual(['reach-from-node1', 'session-node1']);
    expect(r.exitCode).toBe(0);
  }, 240_000);

  it('leaves no lab, no BIRD and nothing else behind', async () => {
    expect(await scopedSnapshot(['cal-ex-'])).toEqual(before);
    const birds = (await execa('pgrep', ['-a', 'bird'], { reject: false })).stdout.split('\n').filter((l) => l.includes('/cal-ex-'));
    expect(birds).toEqual([]);
  });
});
