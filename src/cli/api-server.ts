/**
 * `podlab api-server <lab>` (hidden): the lab's API server process itself, started by the lab's
 * first `podlab kubeconfig` (api/launch.ts) and stopped by `down`; not a command for people to
 * run. It makes its certificates and token, listens, then writes the kubeconfig that `podlab
 * kubeconfig` waits for.
 */
import type { Command } from 'commander';
import { prepareApiServer, writeKubeconfig } from '../api/launch.ts';
import { realExecutor } from '../runtime/exec.ts';

export function registerApiServer(program: Command): void {
  program
    .command('api-server', { hidden: true })
    .description("run a lab's Kubernetes API server (started by podlab kubeconfig)")
    .argument('<lab>', 'lab name')
    .action(async (lab: string) => {
      const token = await prepareApiServer(realExecutor, lab);
      // Loaded here, not at the CLI's start: node:https, node:zlib and ws cost every command ~10 ms of CPU.
      const { serve } = await import('../api/server.ts');
      const { port } = await serve({ lab });
      writeKubeconfig(lab, port, token);
      process.stderr.write(`podlab api-server for ${lab} on https://127.0.0.1:${port}\n`);
      process.stdout.write('ready\n');
      process.on('SIGTERM', () => process.exit(0));
      await new Promise(() => {});
    });
}
