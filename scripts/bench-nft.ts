/**
 * What the nft benchmarks (bench-services.ts, bench-policy.ts) share: bare namespaces named as a
 * lab's nodes to load tables into, the cost of an nft process that does nothing (the floor every
 * transaction pays), timing and the median.
 */
import { NETNS_RUN_DIR } from '../src/constants.ts';
import { netns } from '../src/plan/names.ts';
import { down } from '../src/runtime/down.ts';
import { must, realExecutor } from '../src/runtime/exec.ts';

/** `nft -f -` inside namespace `ns`. */
export const nftIn = (ns: string) => ['nsenter', `--net=${NETNS_RUN_DIR}/${ns}`, '--', 'nft', '-f', '-'];

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export interface BareNodes {
  /** One per node, in `nodes` order. */
  namespaces: string[];
  /** Median of `runs` empty nft transactions (process start, netlink), ms. */
  processFloorMs: number;
  /** Ctrl-C or SIGTERM arrived: finish the round in flight, start no other. */
  stopping: () => boolean;
}

/**
 * Runs `fn` with bare namespaces named as lab `lab`'s `nodes` (only nft tables are loaded into
 * them), removed by `down` before and after, also when `fn` fails.
 */
export async function withBareNodes(lab: string, nodes: readonly string[], runs: number, fn: (b: BareNodes) => Promise<void>): Promise<void> {
  const namespaces = nodes.map((n) => netns.node(lab, n));
  let stopping = false;
  const onSignal = () => {
    stopping = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await down(lab);
    await must(realExecutor, ['ip', '-batch', '-'], { input: namespaces.map((n) => `netns add ${n}\n`).join('') });
    const floors: number[] = [];
    for (let r = 0; r < runs; r++) floors.push(await timed(() => must(realExecutor, nftIn(namespaces[0]!), { input: 'list tables\n' })));
    await fn({ namespaces, processFloorMs: median(floors), stopping: () => stopping });
  } finally {
    await down(lab);
  }
}
