/**
 * `podlab calicoctl <lab> <command…>`: a live Calico lab as a Calico user sees it with calicoctl,
 * whatever follows the lab being what follows `calicoctl` in a Calico course: `node status` (the
 * node's BGP peers, from its BIRD on its control socket, as `podlab status` asks it), `get ippool
 * [-o wide|yaml|json]` (the IPPools, the same objects the lab's API serves to kubectl),
 * `ipam show [--show-blocks | --show-borrowed | --show-configuration]` (addresses in use per pool
 * and block, from the live state). Output as calicoctl v3.29 prints it (calicoctl-views.ts).
 * `podlab exec <lab> node/<n> -- calicoctl …` runs this on that node (runtime/enter.ts).
 * Exit codes: 0 printed; 1 what calicoctl fails on (no such pool, a node whose Calico is not
 * running); 2 podlab could not run (a usage error, a lab that is not up or not Calico, no such node).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Command, InvalidArgumentError, Option } from 'commander';
import { diag, formatDiagnostic } from '../compile/diagnostics.ts';
import { NETNS_RUN_DIR, NOTHING_CHANGED } from '../constants.ts';
import { borrowedIps, ipamBlocks, poolUsage, type RunningPod } from '../cni/calico/resources.ts';
import type { CalicoNode } from '../cni/calico/index.ts';
import { calicoNodes, ipPoolObjects } from '../api/kinds/calico.ts';
import { birdProtocols } from '../runtime/calico-status.ts';
import { realExecutor } from '../runtime/exec.ts';
import type { LabState } from '../runtime/state.ts';
import { labStatus } from '../runtime/status.ts';
import { tablewriterBox } from '../lib/go-tables.ts';
import { fnv } from '../api/types.ts';
import { asV3, borrowedText, calicoctlPeers, ipamShowText, ipPoolTable, nodeStatusText, v3List, type NodeStatus } from './calicoctl-views.ts';
import { Exit, EXIT, labName, upStateOrExit } from './common.ts';
import { printHostProblems } from './basics.ts';
import { usageError } from './program.ts';
import { color } from './terminal.ts';

/** The yaml package, loaded when `-o yaml` asks for it, not at every start of live.cjs (bin/podlab.js). */
const yaml = () => createRequire(import.meta.url)('yaml') as typeof import('yaml');

/** calicoctl's names of the IPPool resource (resourcemgr/ippool.go). */
const IPPOOL_NAMES = ['ippool', 'ippools', 'ipp', 'ipps', 'pool', 'pools'];

type Request =
  | { what: 'node status'; node?: string }
  | { what: 'get ippool'; name?: string; output?: 'ps' | 'wide' | 'yaml' | 'json' }
  | { what: 'ipam show'; show: 'pools' | 'blocks' | 'borrowed' | 'configuration' };

const HINT = '  hint: See podlab calicoctl --help for the commands and an example of each. Nothing was changed on this host.';

/** What follows `calicoctl`, parsed as calicoctl's commands take it (a usage error, PL3141, otherwise). */
export function parseCalicoctl(args: readonly string[]): Request {
  let req: Request | undefined;
  const c = new Command('calicoctl')
    .usage('<command> [options]')
    .helpOption(false)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(usageError(text)) })
    .showHelpAfterError(HINT);
  c.command('node')
    .description('node status')
    .command('status')
    .option('--node <name>', 'the node (calicoctl runs on one; podlab prints every node without it)')
    .action((o: { node?: string }) => {
      req = { what: 'node status', ...(o.node ? { node: o.node } : {}) };
    });
  c.command('get')
    .argument('<resource>', 'ippool', (r: string) => {
      if (IPPOOL_NAMES.includes(r.toLowerCase())) return 'ippool';
      throw new InvalidArgumentError(`"${r}" is not a resource podlab's calicoctl shows: it shows ippool (${IPPOOL_NAMES.slice(1).join(', ')}); a node's blocks: ipam show --show-blocks, or kubectl get blockaffinities`);
    })
    .argument('[name]', 'one IP pool')
    .addOption(new Option('-o, --output <format>', 'ps (the default), wide, yaml or json').choices(['ps', 'wide', 'yaml', 'json']))
    .action((_r: string, name: string | undefined, o: { output?: 'ps' | 'wide' | 'yaml' | 'json' }) => {
      req = { what: 'get ippool', ...(name ? { name } : {}), ...(o.output ? { output: o.output } : {}) };
    });
  c.command('ipam')
    .description('ipam show')
    .command('show')
    .option('--show-blocks', 'each block after its pool')
    .option('--show-borrowed', 'addresses a node took from another node\'s block')
    .option('--show-configuration', "Calico's IPAM configuration")
    .action((o: { showBlocks?: boolean; showBorrowed?: boolean; showConfiguration?: boolean }) => {
      const shows = (['blocks', 'borrowed', 'configuration'] as const).filter((k) => o[`show${k[0]!.toUpperCase()}${k.slice(1)}` as 'showBlocks']);
      if (shows.length > 1) c.error(`error: --show-${shows.join(' and --show-')} cannot be used together (calicoctl takes one of --show-blocks, --show-borrowed, --show-configuration)`);
      req = { what: 'ipam show', show: shows[0] ?? 'pools' };
    });
  c.parse(args, { from: 'user' });
  // (A command without its subcommand, `node`, has commander print the choices and stop above.)
  return req ?? c.error(`error: "${args.join(' ')}" is not a calicoctl command podlab runs: node status, get ippool, ipam show`);
}

/** The lab's running pods with their addresses, as Calico's IPAM holds them allocated. */
function runningPods(state: LabState): RunningPod[] {
  return (labStatus(state.lab, state)?.pods ?? []).filter((p) => p.running && !p.hostNetwork).map((p) => ({ name: p.name, namespace: p.namespace, node: p.node, ips: p.podIPs }));
}

/** Each node's `calicoctl node status`: its namespace there (calico-node "running"), then what its BIRD says. */
async function nodeStatuses(state: LabState, only?: string): Promise<NodeStatus[]> {
  const nodes = state.plan.nodes.filter((n) => n.cni.type === 'calico' && (!only || n.name === only));
  return Promise.all(
    nodes.map(async (n) => {
      const bgp = (n.cni as unknown as CalicoNode).routing.kind === 'bgp';
      const bird = bgp ? await birdProtocols(realExecutor, state.plan.stateDir, n.name) : { answered: false, stdout: '' };
      return { node: n.name, ip: n.ip, calicoRunning: existsSync(`${NETNS_RUN_DIR}/${n.netns}`), birdRunning: bird.answered, ...calicoctlPeers(bird.answered ? bird.stdout : '') };
    }),
  );
}

async function run(req: Request, state: LabState, json: boolean): Promise<number> {
  const out = (text: string) => process.stdout.write(text);
  if (req.what === 'node status') {
    if (req.node && !state.plan.nodes.some((n) => n.name === req.node))
      printHostProblems([diag('PL3030', [], `lab "${state.lab}" has no node "${req.node}"; nodes: ${state.plan.nodes.map((n) => n.name).join(', ')}`, NOTHING_CHANGED)], json);
    const statuses = await nodeStatuses(state, req.node);
    if (json) out(`${JSON.stringify({ lab: state.lab, nodes: statuses }, null, 2)}\n`);
    // One node: calicoctl's output as on that node; every node: each under a line naming it.
    else out(statuses.map((s) => `${req.node ? '' : `# node ${s.node} (${s.ip})\n`}${nodeStatusText(s)}`).join(''));
    return statuses.every((s) => s.calicoRunning) ? EXIT.ok : EXIT.failed;
  }
  const view = { plan: state.plan, lab: state.lab, createdAt: state.createdAt, kept: {} };
  if (req.what === 'get ippool') {
    const pools = ipPoolObjects(view).filter((o) => !req.name || o.metadata.name === req.name);
    if (req.name && !pools.length) {
      const names = ipPoolObjects(view).map((o) => o.metadata.name);
      // calicoctl's own failure (exit 1): the pool is not there.
      const d = diag('PL3171', [], `resource does not exist: IPPool(${req.name}): lab "${state.lab}" has no IP pool "${req.name}"`, `Its IP pools: ${names.join(', ')} (podlab calicoctl ${state.lab} get ippool lists them). ${NOTHING_CHANGED}`);
      if (json) out(`${JSON.stringify({ ok: false, diagnostics: [d] }, null, 2)}\n`);
      else process.stderr.write(`${formatDiagnostic(d, undefined, color)}\n`);
      return EXIT.failed;
    }
    const output = json ? 'json' : req.output;
    if (output === 'yaml' || output === 'json') {
      const items = pools.map(asV3);
      const doc = req.name ? items[0]! : v3List('IPPool', items, String(fnv(items.map((o) => o.metadata.resourceVersion).join())));
      // calicoctl: JSON in the Go structs' order, indented by two; YAML through JSON, so keys sorted (go-yaml-wrapper), lists not indented.
      out(output === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : new (yaml().Document)(doc, { sortMapEntries: true, version: '1.1' }).toString({ indentSeq: false }));
    } else out(ipPoolTable(pools, output === 'wide'));
    return EXIT.ok;
  }
  const nodes = calicoNodes(state.plan);
  const blocks = ipamBlocks(nodes, runningPods(state));
  if (req.show === 'configuration') {
    // libcalico-go's IPAMConfig, field by field (%#v); podlab allocates blocks automatically and sets no maximum.
    const config = { StrictAffinity: !!nodes[0]?.cni.strictAffinity, AutoAllocateBlocks: true, MaxBlocksPerHost: 0 };
    out(json ? `${JSON.stringify({ lab: state.lab, configuration: config }, null, 2)}\n` : tablewriterBox(['PROPERTY', 'VALUE'], Object.entries(config).map(([k, v]) => [k, String(v)])));
  } else if (req.show === 'borrowed') {
    const borrowed = borrowedIps(blocks);
    out(json ? `${JSON.stringify({ lab: state.lab, borrowed }, null, 2)}\n` : borrowedText(borrowed));
  } else {
    const usage = poolUsage(nodes, blocks);
    out(json ? `${JSON.stringify({ lab: state.lab, pools: usage }, null, 2)}\n` : ipamShowText(usage, req.show === 'blocks'));
  }
  return EXIT.ok;
}

export function registerCalicoctl(program: Command): void {
  program
    .command('calicoctl')
    .description("Show a live Calico lab as calicoctl does: node status (each node's BGP peers, from its BIRD), get ippool, ipam show (addresses in use per pool and block).")
    .argument('<lab>', 'lab name or file (a lab with cni: calico, up)')
    .argument('<command...>', 'what follows `calicoctl`: node status, get ippool, ipam show, with their options')
    .allowUnknownOption()
    .option('--json', "print podlab's data as JSON (get ippool: as -o json)")
    .usage('<lab> <command...> [--json]')
    .addHelpText(
      'after',
      `
What follows the lab is what follows \`calicoctl\` (Calico v3.29's commands, and its output):
  node status [--node <n>]
      The node's BGP peers, from its BIRD: PEER ADDRESS, PEER TYPE (node-to-node mesh, global,
      node specific), STATE, SINCE, INFO. Without --node, every node in turn.
      e.g. podlab calicoctl calico node status --node c1-master1
  get ippool [name] [-o wide|yaml|json]
      The IP pools: NAME, CIDR, SELECTOR; -o wide adds NAT, IPIPMODE, VXLANMODE, DISABLED and
      DISABLEBGPEXPORT. kubectl get ippools shows the same objects.
      e.g. podlab calicoctl calico get ippool -o wide
  ipam show [--show-blocks | --show-borrowed | --show-configuration]
      Addresses in use and free per IP pool; --show-blocks adds the blocks the nodes claimed,
      --show-borrowed the addresses taken from another node's block, --show-configuration
      Calico's IPAM settings (StrictAffinity).
      e.g. podlab calicoctl calico ipam show --show-blocks
On a node, as a Calico course runs it:
  podlab exec calico node/c1-node1 -- calicoctl node status

Exit codes: 0 printed; 1 no such IP pool, or a node's Calico is not running; 2 podlab could not
run (a usage error, the lab is not up or not Calico (PL3170), no such node).`,
    )
    .action(async (arg: string, command: string[], opts: { json?: boolean }) => {
      const req = parseCalicoctl(command);
      const lab = await labName(arg, opts.json);
      const state = upStateOrExit(lab, opts.json);
      if (!state.plan.nodes.some((n) => n.cni.type === 'calico'))
        printHostProblems([diag('PL3170', [], `lab "${lab}" uses cni '${state.plan.cni.type}', not Calico: it has no IP pools, blocks or BIRD for calicoctl to show`, `podlab calicoctl shows labs with cni: 'calico' (e.g. labs/calico.lab.ts); podlab status and podlab get show any lab. ${NOTHING_CHANGED}`)], opts.json);
      const code = await run(req, state, !!opts.json);
      if (code !== EXIT.ok) throw new Exit(code);
    });
}
