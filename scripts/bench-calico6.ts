/**
 * Calico in IPv6 alone (`npm run bench:calico6`): a script that prints figures, not a timed test.
 * Convergence of a 4-node full mesh (one pod per node), from the start of `up` until every BGP
 * session of every node is Established and every node has a `proto bird` route to every peer's
 * block, for the IPv6-only lab (BIRD's IPv6 mesh, hashed router ids) against the same lab in IPv4
 * (the baseline, measured in the same run); and `up` of the IPv6-only VXLAN lab (vxlan-v6.calico)
 * against IPv4 VXLAN (vxlan.calico). Ratios are IPv6 over IPv4; medians of --runs.
 *
 *   node --import tsx scripts/bench-calico6.ts [--runs N (3)] [--nodes N (4)]
 *
 * Everything it builds is removed in `finally` (labs c6o-bench-*).
 */
import { execa } from 'execa';
import { birdSocket, type CalicoNode } from '../src/cni/calico/index.ts';
import { parseBirdProtocols } from '../src/check/kinds/bgp.ts';
import { validateValue } from '../src/compile/validate-value.ts';
import type { LabSpec } from '../src/index.ts';
import { buildPlan, type Plan } from '../src/plan/plan.ts';
import { render } from '../src/render/render.ts';
import { down } from '../src/runtime/down.ts';
import { stateDir } from '../src/runtime/state.ts';
import { up } from '../src/runtime/up.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const runs = arg('--runs', 3);
const n = arg('--nodes', 4);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function planOf(name: string, families: LabSpec['ipFamilies'], cni: LabSpec['cni']): Plan {
  const nodes = Object.fromEntries(Array.from({ length: n }, (_, i) => [`n${i + 1}`, {}]));
  const pods = Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i + 1}`, { node: `n${i + 1}` }]));
  const { lab, diagnostics } = validateValue({ name, ipFamilies: families, cni, nodes, pods, dns: false }, `${name}.lab.ts`);
  if (!lab) throw new Error(`bench lab invalid: ${JSON.stringify(diagnostics)}`);
  return buildPlan(lab);
}

/** Every session Established and every peer's block (of the lab's family) a `proto bird` route. */
async function converged(plan: Plan): Promise<boolean> {
  const ok = await Promise.all(
    plan.nodes.map(async (node) => {
      const c = node.cni as unknown as CalicoNode;
      if (c.routing.kind !== 'bgp') return true;
      const v6 = c.ipv6?.only === true;
      const sessions = v6 ? (c.routing.peers6 ?? []) : c.routing.peers;
      const [b, r] = await Promise.all([
        execa('birdc', ['-s', birdSocket(stateDir(plan.lab), node.name), 'show', 'protocols'], { reject: false }),
        execa('ip', ['-n', node.netns, ...(v6 ? ['-6'] : []), 'route', 'show', 'proto', 'bird'], { reject: false }),
      ]);
      const rows = parseBirdProtocols(b.stdout);
      const up = sessions.every((p) => rows.some((x) => x.name === p.protocol && x.state === 'up' && x.info.startsWith('Established')));
      const blocks = plan.nodes.filter((o) => o !== node).flatMap((o) => (v6 ? ((o.cni as unknown as CalicoNode).ipv6?.blocks ?? []) : (o.cni as unknown as CalicoNode).blocks));
      return up && blocks.every((blk) => r.stdout.includes(`${blk} via`));
    }),
  );
  return ok.every(Boolean);
}

async function timeUp(plan: Plan, converge: boolean): Promise<number> {
  try {
    const t = performance.now();
    await up(plan, render(plan));
    while (converge && !(await converged(plan))) {
      if (performance.now() - t > 60_000) throw new Error(`${plan.lab} did not converge in 60 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return performance.now() - t;
  } finally {
    await down(plan.lab);
  }
}

async function main() {
  const cases = [
    ['BGP convergence', planOf('c6o-bench-b4', ['IPv4'], { type: 'calico' }), planOf('c6o-bench-b6', ['IPv6'], { type: 'calico' }), true],
    ['VXLAN up', planOf('c6o-bench-v4', ['IPv4'], { type: 'calico', encapsulation: 'VXLAN' }), planOf('c6o-bench-v6', ['IPv6'], { type: 'calico', encapsulation: 'VXLAN' }), false],
  ] as const;
  try {
    for (const [what, v4, v6, converge] of cases) {
      const a: number[] = [];
      const b: number[] = [];
      // Interleaved, so the host's load weighs on both alike.
      for (let i = 0; i < runs; i++) {
        a.push(await timeUp(v4, converge));
        b.push(await timeUp(v6, converge));
      }
      const [m4, m6] = [median(a), median(b)];
      process.stdout.write(`${what}, ${n} nodes: IPv4 ${m4.toFixed(0)} ms, IPv6-only ${m6.toFixed(0)} ms, ratio ${(m6 / m4).toFixed(2)} (median of ${runs}; runs ${a.map((x) => x.toFixed(0)).join('/')} vs ${b.map((x) => x.toFixed(0)).join('/')})\n`);
    }
  } finally {
    for (const [, v4, v6] of cases) {
      await down(v4.lab).catch(() => undefined);
      await down(v6.lab).catch(() => undefined);
    }
  }
}

await main();
