/**
 * `podlab trace <lab> <from> <to> [--port N] [--proto tcp|udp|icmp] [--family IPv4|IPv6]`: the hops of one connection,
 * each with its Linux fact and the Kubernetes object behind it; predicted (src/trace/trace.ts),
 * and on a lab that is up confirmed by one probe with counters (src/runtime/trace.ts).
 * Exit codes: 0 the trace completed as predicted, 1 it was dropped or refused, or observation differs
 * from the prediction, 2 could not trace (unknown pod or Service, lab not up).
 */
import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { buildPlan, type Plan } from '../plan/plan.ts';
import { bannerOf, liveBannerOf } from '../render/banner.ts';
import { graphToDot } from '../render/graph/dot.ts';
import { buildGraph, type GraphLive } from '../render/graph/model.ts';
import { dotToSvg } from '../render/graph/svg.ts';
import { liveGraphFacts } from '../runtime/live-graph.ts';
import { tracePathMarks } from '../trace/draw.ts';
import { plannedView } from '../plan/nft-tables.ts';
import { realExecutor } from '../runtime/exec.ts';
import { traceLive, type LiveTrace } from '../runtime/trace.ts';
import { formatTrace, predictTrace, type TracePath, type TraceProtocol, type TraceRequest } from '../trace/trace.ts';
import { Exit, EXIT } from './common.ts';
import { compileOrExit, isLabFile, prefixed, writeOutputOrExit } from './basics.ts';
import { liveLabOrExit, parsePortOption, problemExit } from './explain.ts';
import { TraceProblem } from '../trace/ends.ts';
import { dim, green, red } from './terminal.ts';

/** The lab's drawing with the traced path over it (orange: delivered, red: dropped). */
export async function traceSvg(plan: Plan, t: TracePath, banner: string, live?: GraphLive): Promise<string> {
  const g = buildGraph(plan, live);
  return dotToSvg(graphToDot(g, banner, { path: tracePathMarks(g, t) }), banner);
}

export function registerTrace(program: Command): void {
  program
    .command('trace')
    .description('Follow one connection hop by hop: DNS, the source route and veth, kube-proxy DNAT, NetworkPolicy, the node route (VXLAN, kubenet, BGP), SNAT, delivery and the reply; each hop with its Linux fact and Kubernetes object, predicted, then confirmed on a live lab by a probe and counters.')
    .argument('<lab>', 'a lab file (predicts from its plan) or the name of a lab that is up (predicts, probes and confirms)')
    .argument('<from>', 'pod, namespace/pod, node/<name>, host/<name> or gateway')
    .argument('<to>', 'pod, namespace/pod, svc/<name>, svc/<namespace>/<name>, lb/<namespace>/<name> (a LoadBalancer Service\'s load-balancer address), a Service DNS name (web.default, web.default.svc.cluster.local), node/<name> (with a NodePort), host/<name> or an address')
    .addOption(new Option('-p, --port <N/proto>', 'destination port, e.g. 80 or 53/udp (a Service port, a NodePort, a pod port)').argParser(parsePortOption))
    .addOption(new Option('--proto <protocol>', 'tcp, udp or icmp (default: tcp, or the Service port\'s)').choices(['tcp', 'udp', 'icmp']))
    .addOption(new Option('--family <family>', "the packets' family for a name in a dual-stack lab (default: an address's own family, else the lab's primary family)").choices(['IPv4', 'IPv6']))
    .option('--no-probe', 'on a live lab, read the facts but send no probe')
    .option('--json', 'print the trace as JSON')
    .option('--svg <file>', "also write the lab's drawing with the path highlighted (orange: delivered, red: dropped)")
    .addHelpText('after', `
Each hop: where it happens (pod, node, fabric), the Linux fact (a route, a veth, an nft rule, a
VXLAN header, a conntrack entry), the Kubernetes object behind it, and a command to see it yourself.
On a live lab each hop is marked ✓ confirmed (the probe's packet was counted there, or the fact was
read live), ≠ differs, ✗ dropped here, · predicted only, or – not reached (after the hop where
a probe that failed stopped, which carries its error). A port nothing listens on is traced
like any other path, to the deliver hop where the kernel refuses it (a TCP reset, or ICMP port
unreachable for UDP); the last line says what the client heard: refused, rejected (a policy that
rejects) or dropped (silence).

Examples:
  podlab trace labs/pod-networking.lab.ts client web-2 --port 8080     planned, no root
  sudo podlab trace pod-networking client web-2 --port 8080           across nodes over VXLAN
  sudo podlab trace services client svc/web                           through kube-proxy's DNAT
  sudo podlab trace services host/internet node/worker-1 --port 30080 a NodePort from outside, SNAT
  sudo podlab trace services host/internet lb/default/web-lb           a load-balancer address, through the gateway
  sudo podlab trace network-policy x-b svc/x/s-x-a --port 80           over VXLAN, dropped by a NetworkPolicy there
  sudo podlab trace services client web-1 --port 9999                 refused: nothing listens on 9999
  podlab trace labs/services.lab.ts client svc/web --svg path.svg      the path drawn on the topology
  sudo podlab trace dual-stack client web-2 --port 8080 --family IPv6 the IPv6 path (ip -6 route, ip6 tables)
  sudo podlab trace ipv6-only client svc/web                          an IPv6-only lab traces IPv6

--port takes N or N/tcp, N/udp (e.g. --port 53/udp, the same as --port 53 --proto udp).

Exit codes: 0 delivered as predicted, 1 dropped, refused or observed otherwise, 2 could not trace
(PL3110 unknown pod/Service/node/host, or an lb/ name without a load-balancer address, PL3111 no
such Service port, PL3113 lab not up, PL3033 pod not running, PL3115 which port, PL3146 a family
the lab lacks, PL3147 an end without an address in the family, PL3148 --family against an
address's family).`)
    .action(async (arg: string, from: string, to: string, opts: { port?: { port: number; protocol?: 'TCP' | 'UDP' }; proto?: TraceProtocol; family?: 'IPv4' | 'IPv6'; probe: boolean; json?: boolean; svg?: string }) => {
      // --port N/proto names the protocol too; --proto must then agree.
      const portProto = opts.port?.protocol?.toLowerCase() as TraceProtocol | undefined;
      if (portProto && opts.proto && portProto !== opts.proto) problemExit(new TraceProblem('PL3115', `--port ${opts.port!.port}/${portProto} and --proto ${opts.proto} disagree`, `Give the protocol once: --port ${opts.port!.port}/${portProto}, or --port ${opts.port!.port} --proto ${opts.proto}.`), opts.json);
      const protocol = opts.proto ?? portProto;
      const req: TraceRequest = { from, to, ...(opts.port !== undefined ? { port: opts.port.port } : {}), ...(protocol ? { protocol } : {}), ...(opts.family ? { family: opts.family } : {}) };
      let t: LiveTrace | ReturnType<typeof predictTrace>;
      let plan: Plan | undefined;
      try {
        if (isLabFile(arg)) {
          const { lab } = await compileOrExit(arg, { json: opts.json });
          plan = buildPlan(lab);
          t = predictTrace(plannedView(plan), req);
        } else t = await traceLive(realExecutor, liveLabOrExit(arg, opts.json, 'trace'), req, { probe: opts.probe });
      } catch (e) {
        problemExit(e, opts.json);
      }
      if (opts.svg) {
        const facts = plan ? undefined : liveGraphFacts(prefixed(arg));
        const drawn = plan ?? facts!.plan;
        const banner = plan ? bannerOf(plan) : liveBannerOf(drawn);
        const svg = await traceSvg(drawn, t, banner, facts?.live);
        const path = opts.svg;
        writeOutputOrExit(path, () => writeFileSync(path, svg), opts.json);
        process.stderr.write(dim(`the path drawn → ${opts.svg}\n`));
      }
      const observed = 'observed' in t ? t.observed : undefined;
      if (opts.json) process.stdout.write(`${JSON.stringify(t, null, 2)}\n`);
      else {
        process.stdout.write(formatTrace(t, { ok: green, bad: red, dim }));
        if (isLabFile(arg)) process.stdout.write(dim('(planned; with the lab up, `podlab trace <name> …` probes and confirms each hop)\n'));
      }
      throw new Exit(t.outcome === 'delivered' && (!observed || (observed.ok && !observed.differences.length)) ? EXIT.ok : EXIT.failed);
    });
}
