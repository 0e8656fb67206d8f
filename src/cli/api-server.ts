/**
 * `podlab api-server <lab>` (hidden): the lab's API server process itself, started by `up`
 * (api/launch.ts) and stopped by `down`; not a command for people to run.
 */
import type { Command } from 'commander';
import { serve } from '../api/server.ts';

export function registerApiServer(program: Command): void {
  program
    .command('api-server', { hidden: true })
    .description("run a lab's Kubernetes API server (started by podlab up)")
    .argument('<lab>', 'lab name')
    .action(async (lab: string) => {
      const { port } = await serve({ lab });
      process.stderr.write(`podlab api-server for ${lab} on https://127.0.0.1:${port}\n`);
      process.stdout.write('ready\n');
      process.on('SIGTERM', () => process.exit(0));
      await new Promise(() => {});
    });
}
