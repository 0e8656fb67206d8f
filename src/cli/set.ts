/**
 * `podlab set env <lab> deployment/<name> KEY=VALUE…`: kubectl's `set env` on a live lab's
 * Deployment, through the same door: the Deployment's template as the lab's API serves it, every
 * container's variables set, written back through the Deployment kind (api/live.ts
 * setTemplateEnv). So `kubectl get deploy -o yaml` shows the variables, the next `kubectl set
 * env` keeps them, and `kubectl rollout undo` finds the template in its ReplicaSet. The template
 * changes, so the lab's agent rolls it out: new pods (a new pod-template-hash, new names, new IPs)
 * replace the old ones by the Deployment's strategy (maxSurge and maxUnavailable 25 % unless it
 * says otherwise), an old pod leaving only as new ones pass their readiness probes.
 */
import type { Command } from 'commander';
import { ApiError } from '../api/types.ts';
import { setTemplateEnv } from '../api/live.ts';
import { readEvents } from '../runtime/events.ts';
import { realExecutor } from '../runtime/exec.ts';
import { PodError } from '../runtime/pods.ts';
import { readState } from '../runtime/state.ts';
import { Exit, EXIT, labName, upOrExit, refused, usageExit } from './common.ts';
import { deploymentName } from './scale.ts';

/** Kubernetes' rule for an environment variable's name (C_IDENTIFIER with `-` and `.`). */
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export function registerSet(program: Command): void {
  const set = program.command('set').description("Change a live lab's Deployment template, as kubectl set does; the change is rolled out.");
  set
    .command('env')
    .description("Set environment variables on a Deployment's pod template; its agent rolls the new template out (maxSurge and maxUnavailable 25 %, readiness-gated).")
    .argument('<lab>', 'lab name or file')
    .argument('<deployment>', 'deployment/<name> or <name>')
    .argument('<env...>', 'KEY=VALUE pairs')
    .option('--wait', 'wait (up to 60 s) until the rollout is complete')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
Examples:
  podlab set env self-healing deployment/web VERSION=v2 --wait
  podlab events self-healing        ScalingReplicaSet, SuccessfulCreate, SuccessfulDelete, RolloutComplete

It changes the template kubectl reads (kubectl get deploy -o yaml shows the variables, the next
kubectl set env keeps them, kubectl rollout undo goes back), as kubectl set env would. Every pod
is replaced (a pod's environment is fixed when it starts): new names with the new
pod-template-hash, new IPs. A Service in front keeps at least replicas - maxUnavailable ready
endpoints throughout. The same values again change nothing. Exit codes: 0 done; 1 --wait timed out; 2 the lab is not up, has no such
Deployment, or a pair is not KEY=VALUE.`)
    .action(async (arg: string, target: string, pairs: string[], opts: { wait?: boolean; json?: boolean }) => {
      const deployment = deploymentName(target);
      const env: Record<string, string> = {};
      for (const p of pairs) {
        const eq = p.indexOf('=');
        if (eq <= 0 || !ENV_NAME.test(p.slice(0, eq))) {
          usageExit(`set env: "${p}" is not KEY=VALUE with a valid variable name (letters, digits, _, -, .; not starting with a digit)`, `Write each variable as NAME=value, e.g. podlab set env ${arg} ${target} GREETING=hello (NAME= sets it empty).`, opts.json);
        }
        env[p.slice(0, eq)] = p.slice(eq + 1);
      }
      const lab = await labName(arg, opts.json);
      upOrExit(lab, opts.json);
      const seen = readEvents(lab).length;
      let rolling = true;
      try {
        const r = await setTemplateEnv(realExecutor, lab, deployment, env);
        rolling = r.rolling;
        if (!opts.json) for (const w of r.warnings) process.stderr.write(`Warning: ${w}\n`);
      } catch (e) {
        if (e instanceof PodError) refused(e, { json: opts.json, exit: EXIT.cannotRun });
        // What the API would refuse of the template (422) or a lab that went down meanwhile: as kubectl says it.
        if (e instanceof ApiError) {
          process.stderr.write(`set env: ${e.message}\n`);
          throw new Exit(EXIT.cannotRun);
        }
        throw e;
      }
      const done = () => readEvents(lab).slice(seen).some((e) => e.reason === 'RolloutComplete' && e.object === `deployment/${deployment}`);
      // The same values again are the same template: nothing rolls, so there is nothing to wait for.
      if (opts.wait && rolling) {
        const deadline = Date.now() + 60_000;
        while (!done()) {
          if (Date.now() > deadline) {
            process.stderr.write(`Deployment "${deployment}" has not rolled out after 60 s: see podlab events ${lab}\n`);
            throw new Exit(EXIT.failed);
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const s = readState(lab);
      const pods = s ? s.plan.pods.filter((p) => p.owner === deployment && s.pods[p.name]).map((p) => p.name) : [];
      if (opts.json) process.stdout.write(`${JSON.stringify({ lab, deployment, env, rolledOut: opts.wait && rolling ? true : undefined, unchanged: rolling ? undefined : true, pods })}\n`);
      else process.stdout.write(`deployment ${deployment}: env ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')}${!rolling ? ' — unchanged: the template already has it' : opts.wait ? ` rolled out (${pods.join(', ')})` : ' — rolling out (podlab events to follow)'}\n`);
    });
}
