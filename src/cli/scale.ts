/**
 * `podlab scale <lab> <deployment> <replicas>`: a Deployment's desired replicas; the lab's agent
 * (its ReplicaSet loop) creates or deletes pods to match, `--wait` waits until it has.
 */
import type { Command } from 'commander';
import { scaleDeployment } from '../runtime/faults.ts';
import { PodError } from '../runtime/pods.ts';
import { readState } from '../runtime/state.ts';
import { Exit, EXIT, labName, upOrExit, refused, usageExit } from './common.ts';

/** A Deployment as kubectl names it, `deployment/web` (or `deploy/`, `deployments/`), or just `web`: its name. */
export function deploymentName(target: string): string {
  return target.replace(/^(deployment|deploy|deployments)\//, '');
}

export function registerScale(program: Command): void {
  program
    .command('scale')
    .description("Set a Deployment's replicas in a live lab; its control loop creates or deletes pods (new names, new IPs) to match.")
    .argument('<lab>', 'lab name or file')
    .argument('<deployment>', 'deployment/<name> or <name>')
    .argument('<replicas>', 'desired number of pods (0-500)')
    .option('--wait', 'wait (up to 30 s) until that many pods of it run')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
Examples:
  podlab scale self-healing web 5 --wait
  podlab scale self-healing deployment/web 3
  podlab events self-healing        SuccessfulCreate / Scheduled, one per new pod

Exit codes: 0 done; 1 --wait timed out; 2 the lab is not up or has no such Deployment.`)
    .action(async (arg: string, target: string, count: string, opts: { wait?: boolean; json?: boolean }) => {
      if (!/^\d{1,3}$/.test(count) || Number(count) > 500) {
        usageExit(`scale: replicas must be a whole number from 0 to 500, not "${count}"`, `Give the number of replicas, e.g. podlab scale ${arg} ${target} 3.`, opts.json);
      }
      const replicas = Number(count);
      const deployment = deploymentName(target);
      const lab = await labName(arg, opts.json);
      const state = upOrExit(lab, opts.json);
      let from: number;
      try {
        ({ from } = scaleDeployment(state, deployment, replicas));
      } catch (e) {
        if (!(e instanceof PodError)) throw e;
        refused(e, { json: opts.json, exit: EXIT.cannotRun });
      }
      const running = () => {
        const s = readState(lab);
        return s ? s.plan.pods.filter((p) => p.owner === deployment && s.pods[p.name]).map((p) => p.name) : [];
      };
      if (opts.wait) {
        const deadline = Date.now() + 30_000;
        while (running().length !== replicas) {
          if (Date.now() > deadline) {
            process.stderr.write(`Deployment "${deployment}" runs ${running().length} pods, not ${replicas}, after 30 s\n`);
            throw new Exit(EXIT.failed);
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      if (opts.json) process.stdout.write(`${JSON.stringify({ lab, deployment, from, replicas, pods: opts.wait ? running() : undefined })}\n`);
      else process.stdout.write(`deployment ${deployment}: ${from} → ${replicas}${opts.wait ? ` (${running().join(', ') || 'no pods'})` : ''}\n`);
    });
}
