/**
 * `podlab explain <lab> <from> <to> [--port N/proto]`: why a connection is allowed or denied by
 * NetworkPolicy — the policies selecting each side, the rule that matched or "isolated, no rule
 * matched", the verdict per direction (after Service DNAT), the nft rules that count it; on a lab
 * that is up, one real probe and the policy counters that fired. The reasoning is
 * src/trace/explain.ts, the live part src/runtime/explain.ts.
 * Exit codes: 0 allowed, 1 denied (or the probe disagreed), 2 could not explain (bad input, lab not up).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { diag, type Code } from '../compile/diagnostics.ts';
import { NOTHING_CHANGED } from '../constants.ts';
import { buildPlan } from '../plan/plan.ts';
import { plannedView } from '../plan/nft-tables.ts';
import { realExecutor } from '../runtime/exec.ts';
import { explainLive, type ExplainObservation } from '../runtime/explain.ts';
import type { LabState } from '../runtime/state.ts';
import { parsePort, TraceProblem } from '../trace/ends.ts';
import { explain, formatExplanation, type ExplainRequest, type Explanation } from '../trace/explain.ts';
import { explainHttp, formatHttpExplanation, parseHttpTarget } from '../ingress/explain.ts';
import { Exit, EXIT, upStateOrExit } from './common.ts';
import { compileOrExit, isLabFile, prefixed, printHostProblems } from './basics.ts';
import { dim, green, red } from './terminal.ts';

/** The lab named `arg` (with the lab-name prefix, as every live command names it) if it is up, or a coded problem (PL3113). */
export function liveLabOrExit(arg: string, json?: boolean, command = 'explain'): LabState {
  return upStateOrExit(prefixed(arg), json, `, or pass the lab file to ${command} its plan`);
}

/** Prints a TraceProblem as a coded diagnostic and exits 2; rethrows anything else. */
export function problemExit(e: unknown, json?: boolean): never {
  if (e instanceof TraceProblem) printHostProblems([diag(e.code as Code, [], e.message, e.hint)], json);
  throw e;
}

export function parsePortOption(v: string): { port: number; protocol?: 'TCP' | 'UDP' } {
  const p = parsePort(v);
  if (!p) throw new InvalidArgumentError('It takes N or N/tcp or N/udp, N from 1 to 65535.');
  return p;
}

/** `--http host/path`: the Ingress rule a request meets, from the lab file's plan or the live lab's. */
async function explainHttpRequest(arg: string, target: string, json?: boolean): Promise<number> {
  const plan = isLabFile(arg) ? buildPlan((await compileOrExit(arg, { json })).lab) : liveLabOrExit(arg, json).plan;
  const req = parseHttpTarget(target);
  if (!req) printHostProblems([diag('PL3116', [], `--http takes host/path (e.g. shop.example.com/api), not "${target}"`, NOTHING_CHANGED)], json);
  if (!plan.ingress) printHostProblems([diag('PL3117', [], `lab "${plan.lab}" has no Ingress controller (no ingresses)`, `Declare ingresses in the lab (docs/ingress.md). ${NOTHING_CHANGED}`)], json);
  const x = explainHttp(plan.ingress.ingresses, req.host, req.path, req.scheme);
  process.stdout.write(json ? `${JSON.stringify(x, null, 2)}\n` : formatHttpExplanation(x, { ok: green, bad: red, dim }));
  return x.decision === 'not-found' ? EXIT.failed : EXIT.ok;
}

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description('Explain by NetworkPolicy why a connection is allowed or denied: the policies selecting each side, the rule that matched, the verdict per direction after Service DNAT, and on a live lab the nft rule that fired.')
    .argument('<lab>', 'a lab file (explains its plan) or the name of a lab that is up (explains it live, with a probe)')
    .argument('[from]', 'pod, namespace/pod, node/<name> or host/<name>')
    .argument('[to]', 'pod, namespace/pod, svc/<name>, svc/<namespace>/<name>, lb/<namespace>/<name> (a LoadBalancer Service\'s load-balancer address), a Service name, node/<name>, host/<name> or an address')
    .option('--http <host/path>', 'instead: which Ingress rule an HTTP request for host/path meets (https://host/path over HTTPS), why every other rule lost, and whether plain HTTP is redirected')
    .option('-p, --port <N/proto>', 'destination port, e.g. 80 or 53/udp (default: the only port of the Service or pod)', parsePortOption)
    .addOption(new Option('--proto <protocol>', "tcp, udp or icmp (a ping: no port; only rules without ports admit it) (default: tcp, or the port's)").choices(['tcp', 'udp', 'icmp']))
    .option('--no-probe', 'on a live lab, do not send a probe (prediction only)')
    .option('--json', 'print the explanation as JSON')
    .addHelpText('after', `
How to read it:
  A pod is isolated for a direction when some NetworkPolicy selects it for that direction; then only
  the rules of those policies allow. A connection needs egress allowed at the source pod AND
  ingress allowed at the destination pod. Through a Service, the destination is the endpoint
  kube-proxy picked (policies see the pod address after DNAT), so each endpoint is explained.
  The nft lines are the rules of table ip podlab-policy (on the node named) that count the first
  packet: see them with  podlab exec <lab> node/<node> -- nft list table ip podlab-policy

Examples:
  podlab explain labs/network-policy.lab.ts x-b svc/x/s-x-a --port 80      the plan, no root
  sudo podlab explain network-policy y/y-a x/x-c --port 81/udp             live: probe + counters
  sudo podlab explain network-policy x-a svc/s-y-b -p 80 --json
  sudo podlab explain network-policy x-b x-a --proto icmp                   a ping: denied where a rule lists ports
  podlab explain labs/ingress.lab.ts --http shop.example.com/api/v1      the Ingress rule that wins
  podlab explain labs/ingress.lab.ts --http secure.example.com/          308 to https://: the host has TLS

Exit codes: 0 allowed (and, live, the probe agreed), 1 denied or the probe disagreed with the
prediction, 2 could not explain (unknown pod or Service, no such port, lab not up). With --http:
0 a rule or the default backend answers, 1 the controller's 404, 2 the lab has no Ingress.`)
    .action(async (arg: string, from: string | undefined, to: string | undefined, opts: { port?: { port: number; protocol?: 'TCP' | 'UDP' }; proto?: 'tcp' | 'udp' | 'icmp'; probe: boolean; json?: boolean; http?: string }) => {
      if (opts.http !== undefined) throw new Exit(await explainHttpRequest(arg, opts.http, opts.json));
      if (!from || !to) printHostProblems([diag('PL3116', [], 'explain needs <from> and <to> (or --http host/path)', `e.g. podlab explain ${arg} x/x-a svc/x/s-x-b --port 80. ${NOTHING_CHANGED}`)], opts.json);
      if (opts.proto === 'icmp' && opts.port) printHostProblems([diag('PL3116', [], 'a ping has no port: give --proto icmp or --port, not both', NOTHING_CHANGED)], opts.json);
      const protocol = opts.port?.protocol ?? (opts.proto ? (opts.proto.toUpperCase() as 'TCP' | 'UDP' | 'ICMP') : undefined);
      const req: ExplainRequest = { from, to, ...(opts.port ? { port: opts.port.port } : {}), ...(protocol ? { protocol } : {}) };
      let x: Explanation & { observed?: ExplainObservation };
      try {
        if (isLabFile(arg)) {
          const { lab } = await compileOrExit(arg, { json: opts.json });
          x = explain(plannedView(buildPlan(lab)), req);
        } else x = await explainLive(realExecutor, liveLabOrExit(arg, opts.json), req, { probe: opts.probe });
      } catch (e) {
        problemExit(e, opts.json);
      }
      const observed = x.observed;
      if (opts.json) process.stdout.write(`${JSON.stringify(x, null, 2)}\n`);
      else {
        process.stdout.write(formatExplanation(x, { ok: green, bad: red, dim }));
        if (observed) {
          process.stdout.write(`live probe ${observed.probe.to}: ${observed.probe.ok ? green(x.protocol === 'ICMP' ? 'echo reply' : 'connected') : red(observed.probe.detail)} (${observed.probe.ms} ms)\n`);
          for (const [node, rules] of Object.entries(observed.fired)) for (const r of rules) process.stdout.write(`  fired on ${node}: chain ${r.chain} "${r.comment}" (+${r.delta} packet${r.delta === 1 ? '' : 's'})\n`);
          process.stdout.write(observed.agrees ? `${green('✓')} observed as predicted${observed.note ? `; ${observed.note}` : ''}\n` : `${red('✗')} prediction and observation differ:\n${observed.differences.map((d) => `  - ${d}\n`).join('')}`);
        } else if (isLabFile(arg)) process.stdout.write(dim(`(planned; with the lab up, \`podlab explain <name> …\` also probes and reads the counters)\n`));
      }
      throw new Exit(x.allowed && (!observed || observed.agrees) ? EXIT.ok : EXIT.failed);
    });
}
