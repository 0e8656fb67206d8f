/**
 * `podlab kubeconfig <lab>`: the path of the lab's kubeconfig (0600, context named after the lab),
 * for `kubectl --kubeconfig "$(podlab kubeconfig lab)" get pods -o wide` or `export KUBECONFIG=…`.
 * The first one starts the lab's API server (api/launch.ts ensureApiServer), and waits until it answers.
 * Exit codes: 0 printed, 1 the lab is up without an API server (`up --no-api`), 2 the lab is not up.
 */
import type { Command } from 'commander';
import { ensureApiServer, kubeconfigPath, waitApiServer } from '../api/launch.ts';
import { diag, formatDiagnostic } from '../compile/diagnostics.ts';
import { realExecutor } from '../runtime/exec.ts';
import { readState } from '../runtime/state.ts';
import { EXIT, Exit, labName, notUpExit } from './common.ts';

export function registerKubeconfig(program: Command): void {
  program
    .command('kubeconfig')
    .description("Print the path of a live lab's kubeconfig, for the real kubectl against the lab's own API server (HTTPS on 127.0.0.1, a token, the lab's CA).")
    .argument('<lab>', 'lab name or file')
    .option('--json', 'print {lab, kubeconfig, server, context} as JSON')
    .addHelpText('after', `
The lab's API server starts with the lab's first podlab kubeconfig (not after up --no-api), again if
it died, and stops with podlab down. It serves namespaces, nodes, pods, services, endpoints,
endpointslices, configmaps (kube-system/coredns) and networkpolicies from the live lab; kubectl
delete pod re-creates the pod with a new IP; apply of a Service, a NetworkPolicy or the coredns
ConfigMap changes the lab at once. See docs/kubectl.md.
Try:
  export KUBECONFIG=$(podlab kubeconfig services)
  kubectl get pods -o wide
  kubectl get endpointslices -w &   podlab pod recreate services web-1

Exit codes: 0 printed, 1 the lab runs without an API server (up --no-api, or it failed to start), 2 the lab
is not up. When it starts the server it waits (up to 20 s, usually half a second) until it answers.`)
    .action(async (arg: string, opts: { json?: boolean }) => {
      const lab = await labName(arg, opts.json);
      const path = kubeconfigPath(lab);
      let start;
      try {
        start = await ensureApiServer(realExecutor, lab);
      } catch (e) {
        process.stderr.write(`${formatDiagnostic(diag('PL3071', [], `the Kubernetes API server of ${lab} did not start: ${(e as Error).message}`, `The lab itself is up; podlab exec, status and check work. The server's log: ${path.replace(/kubeconfig$/, 'server.log')}.`))}\n`);
        throw new Exit(EXIT.failed);
      }
      if (start.why === 'not up') {
        notUpExit(lab, readState(lab), opts.json);
      }
      // A server just started answers once it has made its certificates: wait for the kubeconfig it writes then.
      const api = await waitApiServer(lab, start.rec);
      if (!api.ready) {
        process.stderr.write(
          `${formatDiagnostic(diag('PL3070', [], `lab "${lab}" has no running API server${start.rec ? ` (pid ${start.rec.pid} ${api.why === 'timeout' ? 'did not answer in time' : 'is gone'}; see ${path.replace(/kubeconfig$/, 'server.log')})` : ' (it was brought up with --no-api)'}`, start.rec ? `Run podlab kubeconfig ${lab} again: it starts a new server.` : `Bring it up again without --no-api: podlab down ${lab} && podlab up <lab file>.`))}\n`,
        );
        throw new Exit(EXIT.failed);
      }
      if (opts.json) process.stdout.write(`${JSON.stringify({ lab, kubeconfig: path, server: `https://127.0.0.1:${api.port}`, context: lab }, null, 2)}\n`);
      else process.stdout.write(`${path}\n`);
    });
}
