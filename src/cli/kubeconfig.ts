/**
 * `podlab kubeconfig <lab>`: the path of the lab's kubeconfig (0600, context named after the lab),
 * for `kubectl --kubeconfig "$(podlab kubeconfig lab)" get pods -o wide` or `export KUBECONFIG=…`.
 * Exit codes: 0 printed, 1 the lab is up without an API server (`up --no-api`), 2 the lab is not up.
 */
import type { Command } from 'commander';
import { kubeconfigPath, waitApiServer } from '../api/launch.ts';
import { diag, formatDiagnostic } from '../compile/diagnostics.ts';
import { readState } from '../runtime/state.ts';
import { EXIT, Exit, labName } from './common.ts';

export function registerKubeconfig(program: Command): void {
  program
    .command('kubeconfig')
    .description("Print the path of a live lab's kubeconfig, for the real kubectl against the lab's own API server (HTTPS on 127.0.0.1, a token, the lab's CA).")
    .argument('<lab>', 'lab name or file')
    .option('--json', 'print {lab, kubeconfig, server, context} as JSON')
    .addHelpText('after', `
The lab's API server starts with podlab up (unless --no-api) and stops with podlab down. It serves
namespaces, nodes, pods, services, endpoints, endpointslices, configmaps (kube-system/coredns) and
networkpolicies from the live lab; kubectl delete pod re-creates the pod with a new IP; apply of a
Service, a NetworkPolicy or the coredns ConfigMap changes the lab at once. See docs/kubectl.md.
Try:
  export KUBECONFIG=$(podlab kubeconfig services)
  kubectl get pods -o wide
  kubectl get endpointslices -w &   podlab pod recreate services web-1

Exit codes: 0 printed, 1 the lab runs without an API server (up --no-api, or it failed to start), 2 the lab
is not up. Right after up it waits (up to 20 s) until the server, started in the background, answers.`)
    .action(async (arg: string, opts: { json?: boolean }) => {
      const lab = await labName(arg);
      const state = readState(lab);
      if (!state || state.status !== 'up') {
        process.stderr.write(`lab "${lab}" is not up${state ? ` (status: ${state.status})` : ''}; run podlab up first\n`);
        throw new Exit(EXIT.cannotRun);
      }
      const path = kubeconfigPath(lab);
      // `up` returns before its API server is ready: wait for the kubeconfig it writes once it listens.
      const api = await waitApiServer(lab, state.api);
      if (!api.ready) {
        process.stderr.write(
          `${formatDiagnostic(diag('PL3070', [], `lab "${lab}" has no running API server${state.api ? ` (pid ${state.api.pid} ${api.why === 'timeout' ? 'did not answer in time' : 'is gone'}; see ${path.replace(/kubeconfig$/, 'server.log')})` : ' (it was brought up with --no-api)'}`, `Bring it up again without --no-api: podlab down ${lab} && podlab up <lab file>.`))}\n`,
        );
        throw new Exit(EXIT.failed);
      }
      if (opts.json) process.stdout.write(`${JSON.stringify({ lab, kubeconfig: path, server: `https://127.0.0.1:${api.port}`, context: lab }, null, 2)}\n`);
      else process.stdout.write(`${path}\n`);
    });
}
