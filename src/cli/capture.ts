/**
 * `podlab capture <lab> <target> [-i iface] [-c N] [-w file.pcap] [-- filter…]`: tcpdump inside a
 * live lab (src/runtime/capture.ts decides where and how). Exit codes: tcpdump's own when it ran;
 * 2 when it could not (lab not up, no such target or interface, tcpdump missing).
 */
import { spawnSync } from 'node:child_process';
import { Option, type Command } from 'commander';
import { NOTHING_CHANGED } from '../constants.ts';
import { diag } from '../compile/diagnostics.ts';
import { captureArgv, captureTarget } from '../runtime/capture.ts';
import { realExecutor } from '../runtime/exec.ts';
import { onPath } from '../runtime/preflight.ts';
import { Exit, EXIT, inNamespace, labName, upOrExit } from './common.ts';
import { printHostProblems, wholeNumber } from './basics.ts';

export function registerCapture(program: Command): void {
  program
    .command('capture')
    .description('Capture packets with tcpdump on an interface of a pod, node, outside host or the gateway of a live lab.')
    .argument('<lab>', 'lab name or file')
    .argument('<target>', 'pod, namespace/pod, node/<name>, host/<name> or gateway')
    .argument('[filter...]', 'a tcpdump filter, after -- (e.g. -- icmp, -- tcp port 8080)')
    .option('-n, --namespace <namespace>', "the pod's namespace (as kubectl's -n): the same as namespace/pod")
    .option('-i, --iface <name>', 'the interface (default: eth0 in a pod or host, any in a node or the gateway)')
    .addOption(new Option('-c, --count <n>', 'stop after n packets').argParser(wholeNumber(1, 999_999_999)))
    .option('-w, --write <file>', 'write a pcap file (open it in Wireshark) instead of printing')
    .addHelpText('after', `
Examples:
  podlab capture pod-networking client -c 4 -- icmp          a pod's eth0: the ping requests and replies
  podlab capture pod-networking node/worker-1 -- -T vxlan udp port 8472
                                                             a node: flannel's VXLAN packets, outer and inner
                                                             headers with the VNI (-T vxlan: tcpdump would read
                                                             port 8472 as OTV; Calico's VXLAN is port 4789)
  podlab capture pod-networking node/worker-1 -i cni0        the pods' bridge on a node (kubenet: cbr0)
  podlab capture services web-1 -w web.pcap                  to a file, for Wireshark

Exit codes: tcpdump's own once it ran; 2 podlab could not start it (lab not up, unknown target or interface).`)
    .action(async (arg: string, target: string, filter: string[], opts: { namespace?: string; iface?: string; count?: number; write?: string }) => {
      target = inNamespace(target, opts.namespace);
      const lab = await labName(arg);
      const state = upOrExit(lab);
      if (!onPath('tcpdump')) printHostProblems([diag('PL3002', [], 'the "tcpdump" command is missing', `apt-get install tcpdump (or run scripts/setup.sh). ${NOTHING_CHANGED}`)]);
      const t = captureTarget(state, target);
      if ('code' in t) printHostProblems([t]);
      const argv = await captureArgv(realExecutor, t, { ...opts, filter });
      if (!Array.isArray(argv)) printHostProblems([argv]);
      process.stderr.write(`capturing on ${t.what}, ${opts.iface ?? t.defaultIface} (Ctrl-C to stop)\n`);
      const r = spawnSync(argv[0]!, argv.slice(1), { stdio: 'inherit' });
      throw new Exit(r.status ?? EXIT.cannotRun);
    });
}
