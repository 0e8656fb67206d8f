/**
 * Calico's check kinds judged on output recorded from a live Calico lab (cal-probe: cp .10, w1 .11,
 * w2 .12): `bgp` (a session Established or not, blocks learned from a peer, BIRD gone), `block`
 * (the blocks a node holds, a pod's address borrowed or not) and the route kind's `proto` and
 * `type`; and the rules that reject them where they cannot mean anything (PL2156, PL2157).
 */
import { describe, expect, it } from 'vitest';
import { PROBE_KINDS } from '../../src/check/kinds/index.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import type { CheckSpec, LabSpec } from '../../src/index.ts';
import { buildPlan, type Plan } from '../../src/plan/plan.ts';
import { recordOf } from '../../src/runtime/procs.ts';

const out = (stdout: string, exitCode = 0, stderr = '') => ({ stdout, stderr, exitCode });

function labWith(checks: CheckSpec[], cni: LabSpec['cni'] = { type: 'calico' }): LabSpec {
  return {
    name: 'cal-kinds',
    cni,
    nodes: { cp: { role: 'control-plane', ip: '172.16.94.10' }, w1: { ip: '172.16.94.11' }, w2: { ip: '172.16.94.12' } },
    pods: { a: { node: 'w1' }, c: { node: 'w2' } },
    dns: false,
    checks,
  };
}
function planOf(checks: CheckSpec[]): Plan {
  const { lab, diagnostics } = validateValue(labWith(checks), 'cal-kinds.lab.ts');
  expect(diagnostics).toEqual([]);
  return buildPlan(lab!);
}
const codes = (spec: LabSpec) => validateValue(spec, 'cal-kinds.lab.ts').diagnostics.map((d) => `${d.code} ${d.path.join('.')}`);

// birdc -s /run/podlab/cal-probe/bird-cp.ctl show protocols Mesh_172_16_94_11 (and the same moments later, before the peer connected).
const ESTABLISHED = 'BIRD 2.0.12 ready.\nName       Proto      Table      State  Since         Info\nMesh_172_16_94_11 BGP        ---        up     05:19:34.332  Established   \n';
const PASSIVE = 'BIRD 2.0.12 ready.\nName       Proto      Table      State  Since         Info\nMesh_172_16_94_11 BGP        ---        start  05:19:33.462  Passive       \n';
const NO_BIRD = 'Unable to connect to server control socket (/run/podlab/cal-probe/bird-w1.ctl): No such file or directory\n';
// birdc … show route protocol Mesh_172_16_94_11
const LEARNED = 'BIRD 2.0.12 ready.\nTable master4:\n10.244.0.64/26       unicast [Mesh_172_16_94_11 05:19:34.332] * (100) [i]\n\tvia 172.16.94.11 on eth0\n';
const LEARNED_NOTHING = 'BIRD 2.0.12 ready.\n';
// ip -j route show type blackhole (in w1); ip -j route show exact 10.244.0.64/26 (in cp)
const BLACKHOLE_W1 = '[{"type":"blackhole","dst":"10.244.0.64/26","protocol":"bird","metric":32,"flags":[]}]';
const BIRD_ROUTE = '[{"dst":"10.244.0.64/26","gateway":"172.16.94.11","dev":"eth0","protocol":"bird","metric":32,"flags":[]}]';
const BLACKHOLE_CP = '[{"type":"blackhole","dst":"10.244.0.0/26","protocol":"bird","metric":32,"flags":[]}]';

describe('the bgp check kind', () => {
  const plan = planOf([
    { kind: 'bgp', from: 'node/cp', peer: 'node/w1' },
    { kind: 'bgp', from: 'node/cp', peer: 'node/w1', learned: 'blocks' },
    { kind: 'bgp', from: 'node/cp', peer: 'node/w1', learned: 'blocks', absent: true },
    { kind: 'bgp', from: 'node/cp', peer: 'node/w1', absent: true },
  ]);
  const [session, learned, withdrawn, down] = plan.checks as Extract<Plan['checks'][number], { kind: 'bgp' }>[];
  const judge = (c: typeof session, o: ReturnType<typeof out>) => PROBE_KINDS.bgp.judge(plan, c!, o);

  it("asks the node's BIRD through the lab's socket for the session Calico's template names", () => {
    expect(PROBE_KINDS.bgp.probe(session!, '/probe')).toEqual(['birdc', '-s', '/run/podlab/cal-kinds/bird-cp.ctl', 'show', 'protocols', 'Mesh_172_16_94_11']);
    expect(PROBE_KINDS.bgp.probe(learned!, '/probe')).toEqual(['birdc', '-s', '/run/podlab/cal-kinds/bird-cp.ctl', 'show', 'route', 'protocol', 'Mesh_172_16_94_11']);
    expect(learned!.learned).toEqual(['10.244.0.64/26']);
  });
  it('passes on Established only: Passive (waiting for the peer) and a BIRD that does not answer fail', () => {
    expect(judge(session!, out(ESTABLISHED))).toEqual({ ok: true, expected: 'BGP session Mesh_172_16_94_11 (to w1) Established', seen: 'Mesh_172_16_94_11 up Established' });
    expect(judge(session!, out(PASSIVE))).toMatchObject({ ok: false, seen: 'Mesh_172_16_94_11 start Passive' });
    expect(judge(session!, out('', 1, NO_BIRD))).toMatchObject({ ok: false, seen: expect.stringContaining('BIRD is not answering') });
    // BIRD answers; its session to a peer whose BIRD is gone is refused: the session's state, not "not answering".
    const refused = `${PASSIVE.split('\n').slice(0, 2).join('\n')}\nMesh_172_16_94_11 BGP        ---        start  05:20:00.000  Active        Socket: Connection refused\n`;
    expect(judge(session!, out(refused))).toMatchObject({ ok: false, seen: 'Mesh_172_16_94_11 start Active Socket: Connection refused' });
    expect(judge(down!, out(PASSIVE)).ok).toBe(true);
    expect(judge(down!, out(ESTABLISHED)).ok).toBe(false);
  });
  it("learned: every block of the peer came over the session; absent: none did (the peer's BIRD stopped)", () => {
    expect(judge(learned!, out(LEARNED))).toEqual({ ok: true, expected: 'routes to 10.244.0.64/26 learned from w1 (Mesh_172_16_94_11)', seen: 'learned from w1: 10.244.0.64/26' });
    expect(judge(learned!, out(LEARNED_NOTHING))).toMatchObject({ ok: false, seen: 'nothing learned from w1' });
    expect(judge(withdrawn!, out(LEARNED_NOTHING)).ok).toBe(true);
    expect(judge(withdrawn!, out(LEARNED)).ok).toBe(false);
  });
});

describe('the block check kind and route proto/type', () => {
  const plan = planOf([
    { kind: 'block', from: 'node/w1', holds: ['10.244.0.64/26'] },
    { kind: 'block', from: 'node/w1', pod: 'a' },
    { kind: 'route', from: 'node/cp', to: 'node/w1', proto: 'bird' },
    { kind: 'route', from: 'node/cp', to: '10.244.0.0/26', type: 'blackhole' },
  ]);
  const [holds, borrowed, bird, blackhole] = plan.checks;

  it('holds: exactly the blocks whose blackhole routes the node has', () => {
    expect(PROBE_KINDS.block.probe(holds as never, '/probe')).toEqual(['ip', '-j', 'route', 'show', 'type', 'blackhole']);
    expect(PROBE_KINDS.block.judge(plan, holds as never, out(BLACKHOLE_W1))).toEqual({ ok: true, expected: 'w1 holds exactly 10.244.0.64/26', seen: 'w1 holds 10.244.0.64/26' });
    expect(PROBE_KINDS.block.judge(plan, holds as never, out('[]')).ok).toBe(false);
  });
  it("borrowed: the pod's current address is in no block of its node, and the report names the lender", () => {
    // Planned, a is 10.244.0.64, inside w1's block: not borrowed.
    expect(PROBE_KINDS.block.judge(plan, borrowed as never, out(BLACKHOLE_W1))).toMatchObject({ ok: false, seen: 'w1 holds 10.244.0.64/26; 10.244.0.64 is in 10.244.0.64/26' });
    // At its live address in cp's block (borrowed there), it is.
    const live = { ...(borrowed as object), to: { kind: 'pod', name: 'a', ip: '10.244.0.5' } };
    expect(PROBE_KINDS.block.judge(plan, live as never, out(BLACKHOLE_W1))).toEqual({ ok: true, expected: 'a (10.244.0.5) in no block of w1', seen: 'w1 holds 10.244.0.64/26; 10.244.0.5 is in none of them (a block of cp)' });
  });
  it('route: proto bird and type blackhole must match what the kernel says', () => {
    expect(PROBE_KINDS.route.judge(plan, bird as never, out(BIRD_ROUTE))).toEqual({ ok: true, expected: 'route to 10.244.0.64/26 proto bird', seen: '10.244.0.64/26 via 172.16.94.11 dev eth0 proto bird' });
    expect(PROBE_KINDS.route.judge(plan, bird as never, out(BIRD_ROUTE.replace('"bird"', '"static"'))).ok).toBe(false);
    expect(PROBE_KINDS.route.judge(plan, blackhole as never, out(BLACKHOLE_CP))).toEqual({ ok: true, expected: 'blackhole route to 10.244.0.0/26', seen: 'blackhole 10.244.0.0/26' });
    expect(PROBE_KINDS.route.judge(plan, blackhole as never, out(BIRD_ROUTE)).ok).toBe(false);
  });
});

describe('rules of the Calico check kinds', () => {
  it('PL2156: a bgp check needs Calico with BGP, a block check Calico', () => {
    expect(codes(labWith([{ kind: 'bgp', from: 'node/cp', peer: 'node/w1' }], 'flannel'))).toEqual(['PL2156 checks.0.kind']);
    expect(codes(labWith([{ kind: 'bgp', from: 'node/cp', peer: 'node/w1' }], { type: 'calico', encapsulation: 'VXLAN' }))).toEqual(['PL2156 checks.0.kind']);
    expect(codes(labWith([{ kind: 'block', from: 'node/cp', holds: [] }], 'kubenet'))).toEqual(['PL2156 checks.0.kind']);
    expect(codes(labWith([{ kind: 'block', from: 'node/cp', holds: [] }], { type: 'calico', encapsulation: 'VXLAN' }))).toEqual([]);
  });
  it('PL2157: nodes that are nodes, a peer that is another node, CIDRs, one of holds and pod, a pod on that node', () => {
    expect(codes(labWith([{ kind: 'bgp', from: 'a', peer: 'node/w1' }]))).toEqual(['PL2012 checks.0.from']) // node/a: judged once, as every check's from;
    expect(codes(labWith([{ kind: 'bgp', from: 'node/cp', peer: 'node/cp' }]))).toEqual(['PL2157 checks.0.peer']);
    expect(codes(labWith([{ kind: 'bgp', from: 'node/cp', peer: 'node/w9' }]))).toEqual(['PL2157 checks.0.peer']);
    expect(codes(labWith([{ kind: 'bgp', from: 'node/cp', peer: 'node/w1', learned: '10.244.0.64' }]))).toEqual(['PL2157 checks.0.learned']);
    expect(codes(labWith([{ kind: 'block', from: 'node/w1' }]))).toEqual(['PL2157 checks.0.kind']);
    expect(codes(labWith([{ kind: 'block', from: 'node/w1', holds: ['10.244.0.64/33'] }]))).toEqual(['PL2157 checks.0.holds.0']);
    expect(codes(labWith([{ kind: 'block', from: 'node/w1', pod: 'c' }]))).toEqual(['PL2157 checks.0.pod']);
  });
});

describe('podlab status for a Calico lab', () => {
  it('shows the pool, the blocks each node holds (live) and each BGP session as BIRD reports it', async () => {
    const plan = planOf([]);
    const { calicoStatus, calicoStatusLines } = await import('../../src/runtime/calico-status.ts');
    const asked: string[] = [];
    const ex = {
      async run(argv: readonly string[]) {
        asked.push(argv.join(' '));
        if (argv[0] === 'ip') return out(argv[2]!.endsWith('.w1') ? BLACKHOLE_W1 : argv[2]!.endsWith('.cp') ? BLACKHOLE_CP : '[]');
        // w2's BIRD is stopped; cp sees w1 Established and w2 gone to Active.
        if (argv[2]!.endsWith('bird-w2.ctl')) return out('', 1, NO_BIRD);
        return out(`${ESTABLISHED}Mesh_172_16_94_12 BGP        ---        start  05:20:00.000  Active        Socket: Connection refused\n`.replace(/Mesh_172_16_94_11/, argv[2]!.endsWith('bird-w1.ctl') ? 'Mesh_172_16_94_10' : 'Mesh_172_16_94_11'));
      },
      spawn: async () => 0,
      signal: () => {},
    };
    const s = await calicoStatus(ex, { plan } as never);
    expect(asked).toContain('birdc -s /run/podlab/cal-kinds/bird-cp.ctl show protocols');
    expect(calicoStatusLines(s!)).toEqual([
      '  pool default-ipv4-ippool 10.244.0.0/16 (/26 blocks, natOutgoing true, encapsulation None)',
      '  blocks cp             10.244.0.0/26',
      '  bgp    cp             w1 Established, w2 start Active Socket: Connection refused',
      '  blocks w1             10.244.0.64/26',
      '  bgp    w1             cp Established, w2 start Active Socket: Connection refused',
      '  blocks w2             (none)  (planned 10.244.0.128/26)',
      '  bgp    w2             BIRD is not answering on its control socket: its sessions are unknown',
    ]);
  });

  it("a node whose BIRD process has exited says so once, not 'not answering' for each peer", async () => {
    const plan = planOf([]);
    const { calicoStatus, calicoStatusLines } = await import('../../src/runtime/calico-status.ts');
    const ex = {
      async run(argv: readonly string[]) {
        if (argv[0] === 'ip') return out('[]');
        if (argv[2]!.endsWith('bird-w1.ctl') || argv[2]!.endsWith('bird-w2.ctl')) return out('', 1, NO_BIRD);
        return out(ESTABLISHED);
      },
      spawn: async () => 0,
      signal: () => {},
    };
    const me = recordOf(process.pid);
    const record = (pid: number, startTime: number) => ({ pid, startTime, argv: ['bird'], log: '/dev/null' });
    // w2's BIRD was killed (no pid above the kernel's pid_max exists); w1's was stopped (stop-bird drops its record).
    const daemons = { 'cp/bird': record(me.pid, me.startTime), 'w2/bird': record(4_194_305, 1) };
    const lines = calicoStatusLines((await calicoStatus(ex, { plan, daemons } as never))!);
    expect(lines.filter((l) => l.startsWith('  bgp    w'))).toEqual([
      '  bgp    w1             BIRD is not running (stopped): no BGP sessions, and nothing announced to its peers',
      '  bgp    w2             BIRD is not running (pid 4194305 has exited): no BGP sessions, and nothing announced to its peers',
    ]);
    expect(lines.join('\n')).not.toContain('not answering');
  });
});

describe('calico IPAM: borrowing and strictAffinity', () => {
  // Pool 10.244.0.0/28 in /30 blocks: four blocks, claimed by the four nodes as they join.
  const spec = (strictAffinity?: boolean): LabSpec => ({
    name: 'cal-borrow',
    cni: { type: 'calico', ipPool: { cidr: '10.244.0.0/28', blockSize: 30, ...(strictAffinity !== undefined ? { strictAffinity } : {}) } },
    nodes: { cp: { role: 'control-plane', ip: '172.16.94.10' }, w1: { ip: '172.16.94.11' }, w2: { ip: '172.16.94.12' }, w3: { ip: '172.16.94.13' } },
    pods: { ...Object.fromEntries(['p1', 'p2', 'p3', 'p4', 'p5'].map((p) => [p, { node: 'w1' }])), q: { node: 'w2' } },
    dns: false,
  });

  it("a node whose block is full, with no free block left in the pool, borrows the next free address of another node's block", async () => {
    const { assignBlocks } = await import('../../src/cni/calico/ipam.ts');
    const ip = await import('../../src/net/ipv4.ts');
    const r = assignBlocks({ pools: [{ cidr: ip.parseCidr('10.244.0.0/28')!, blockSize: 30, disabled: false, selects: [true, true, true, true] }], nodes: 4, pods: [1, 1, 1, 1, 1, 2, 0].map((node) => ({ node })), tunnel: false });
    expect(r.pods).toEqual(['10.244.0.4', '10.244.0.5', '10.244.0.6', '10.244.0.7', '10.244.0.0', '10.244.0.8', '10.244.0.1']);
    expect(r.borrowed.map((b) => [b.pod, ip.formatCidr(b.block), b.from])).toEqual([[4, '10.244.0.0/30', 0]]);
    // cp's own pod takes the address after the one lent away.
    const strict = assignBlocks({ pools: [{ cidr: ip.parseCidr('10.244.0.0/28')!, blockSize: 30, disabled: false, selects: [true, true, true, true] }], nodes: 4, pods: [1, 1, 1, 1, 1].map((node) => ({ node })), tunnel: false, strictAffinity: true });
    expect(strict.pods.at(-1)).toBeUndefined();
  });

  it('the plan: the borrower lists the borrowed address, its conflist a range for it inside the lender\'s block; the lender keeps its block', () => {
    const { lab, diagnostics } = validateValue(spec(), 'cal-borrow.lab.ts');
    expect(diagnostics).toEqual([]);
    const plan = buildPlan(lab!);
    const w1 = plan.nodes.find((n) => n.name === 'w1')!;
    const data = w1.cni as unknown as { blocks: string[]; borrowed: unknown[] };
    expect(data.blocks).toEqual(['10.244.0.4/30']);
    expect(data.borrowed).toEqual([{ pod: 'p5', ip: '10.244.0.0', block: '10.244.0.0/30', from: 'cp' }]);
    const ranges = (w1.conflist.plugins[0] as { ipam: { ranges: { subnet: string; rangeStart: string; rangeEnd: string }[][] } }).ipam.ranges;
    expect(ranges[0]!.map((r) => `${r.subnet} ${r.rangeStart}-${r.rangeEnd}`)).toEqual(['10.244.0.4/30 10.244.0.4-10.244.0.7', '10.244.0.0/30 10.244.0.0-10.244.0.0']);
    expect((plan.nodes.find((n) => n.name === 'cp')!.cni as unknown as { blocks: string[] }).blocks).toEqual(['10.244.0.0/30']);
  });

  it('strictAffinity forbids it: the same lab is PL2153, naming strictAffinity', () => {
    const d = validateValue(spec(true), 'cal-borrow.lab.ts').diagnostics;
    expect(d.map((x) => x.code)).toEqual(['PL2153']);
    expect(d[0]!.message).toMatch(/strictAffinity forbids borrowing/);
    expect(validateValue(spec(false), 'cal-borrow.lab.ts').diagnostics).toEqual([]);
  });
});
