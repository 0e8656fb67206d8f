/** `podlab logs`: a pod's container logs, optionally followed. */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { readState } from '../runtime/state.ts';
import { Exit, EXIT, labName } from './common.ts';
import { dim } from './terminal.ts';

export function registerLogs(program: Command): void {
  program
    .command('logs')
    .description("Print a pod's container logs.")
    .argument('<lab>', 'lab name or file')
    .argument('<pod>', 'pod, namespace/pod, pod/container, namespace/pod/container, or host/<name> (e.g. kube-system/coredns)')
    .option('-n, --namespace <namespace>', "the pod's namespace (as kubectl's -n): the same as namespace/pod")
    .option('-c, --container <container>', 'only this container (the same as pod/container)')
    .option('-f, --follow', 'keep printing what the containers log, until Ctrl-C or the lab goes down')
    .action(async (arg: string, ref0: string, opts: { namespace?: string; container?: string; follow?: boolean }) => {
      let ref = opts.namespace && !ref0.startsWith('host/') ? `${opts.namespace}/${ref0}` : ref0;
      if (opts.container) ref = `${ref}/${opts.container}`;
      const lab = await labName(arg);
      const state = readState(lab);
      const parts = ref.split('/');
      // namespace/pod[/container] when the first part is a namespace holding that pod; else pod[/container].
      const nsPod = parts.length >= 2 && state?.plan.pods.some((p) => p.namespace === parts[0] && p.name === parts[1]);
      // host/<name>[/container]: a host's programs are kept under `host.<name>`.
      const [podName, container] = parts[0] === 'host' ? [`host.${parts[1]}`, parts[2]] : nsPod ? parts.slice(1) : parts;
      const pod = state?.pods[podName!];
      if (!pod) {
        process.stderr.write(`lab "${lab}" has no running pod "${podName}"\n`);
        throw new Exit(EXIT.cannotRun);
      }
      const shown = Object.entries(pod.containers).filter(([name]) => !container || name === container);
      const offsets = new Map<string, number>();
      for (const [name, c] of shown) {
        const text = existsSync(c.log) ? readFileSync(c.log) : Buffer.alloc(0);
        offsets.set(c.log, text.length);
        process.stdout.write(`${dim(`==> ${podName}/${name} <==`)}\n${text.toString('utf8')}`);
      }
      if (!opts.follow) return;
      // Followed by polling (the logs are plain files on the lab's tmpfs): what was appended since, with
      // the container's name before it when there are several; over when the lab is gone.
      await new Promise<void>((done) => {
        const stop = () => {
          clearInterval(timer);
          process.off('SIGINT', stop);
          done();
        };
        process.on('SIGINT', stop);
        const timer = setInterval(() => {
          if (!readState(lab)) return stop();
          for (const [name, c] of shown) {
            let text: Buffer;
            try {
              text = readFileSync(c.log);
            } catch {
              continue;
            }
            const from = offsets.get(c.log) ?? 0;
            if (text.length < from) offsets.set(c.log, 0); // a restarted container's new log
            if (text.length <= from) continue;
            offsets.set(c.log, text.length);
            const added = text.subarray(from).toString('utf8');
            process.stdout.write(shown.length > 1 ? added.replace(/^(?=.)/gm, `${dim(`[${name}]`)} `) : added);
          }
        }, 200);
      });
    });
}
