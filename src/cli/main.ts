/**
 * The command line: parses arguments (commander), calls the library, prints for people or, with
 * --json, for scripts. Exit codes: 0 success, 1 the lab or its checks failed, 2 podlab could not run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Command, Option } from 'commander';
import { compileLab } from '../compile/compile.ts';
import { diag, formatDiagnostic } from '../compile/diagnostics.ts';
import { buildPlan } from '../plan/plan.ts';
import { render, renderGenerated } from '../render/render.ts';
import { drift, writeRendered } from '../render/files.ts';
import { Interrupted } from '../runtime/up.ts';
import { upExclusive, UpRefused } from '../runtime/up-exclusive.ts';
import { down, labsOnHost } from '../runtime/down.ts';
import { REPO_ROOT } from '../runtime/artifacts.ts';
import { checkHost } from '../runtime/preflight.ts';
import { readState } from '../runtime/state.ts';
import { withLabMutex } from '../runtime/mutex.ts';
import { allStatus, labStatus, type LabStatus } from '../runtime/status.ts';
import { calicoStatus, calicoStatusLines } from '../runtime/calico-status.ts';
import { sourceArgv, TargetError } from '../runtime/enter.ts';
import { createPod, deletePod, PodError, recreatePod } from '../runtime/pods.ts';
import { DnsError, reloadDns } from '../runtime/dns.ts';
import { realExecutor } from '../runtime/exec.ts';
import { runCheck } from '../check/run.ts';
import { runScenarios, type ScenarioResult } from '../check/scenario.ts';
import { formatReport, REPORT_FORMATS, type ReportFormat } from '../check/report.ts';
import { compileOrExit, Exit, EXIT, inNamespace, labName, prefixed, printDiagnostics, printHostProblems, summary, upOrExit } from './common.ts';
import { registerApiServer } from './api-server.ts';
import { registerCapture } from './capture.ts';
import { registerDoctor } from './doctor.ts';
import { registerExport } from './export.ts';
import { registerExplain } from './explain.ts';
import { registerTrace } from './trace.ts';
import { registerGrade } from './grade.ts';
import { registerGraph } from './graph.ts';
import { registerAgent } from './agent.ts';
import { registerEvents } from './events.ts';
import { registerNode } from './node.ts';
import { registerScale } from './scale.ts';
import { registerKubeconfig } from './kubeconfig.ts';
import { startApiServer } from '../api/launch.ts';
import { registerGet } from './get.ts';
import { color, dim, green, red } from './terminal.ts';

interface LiveRun {
  format?: ReportFormat;
  /** Run the lab's checks. @default true */
  checks?: boolean;
  /** Scenarios to run after the checks: names, or 'all'. */
  scenarios?: readonly string[] | 'all';
}

/** Runs a live lab's checks and scenarios and prints the report; progress goes to a terminal's stderr while it runs. */
async function checkLive(lab: string, run: LiveRun = {}): Promise<number> {
  const format = run.format ?? 'text';
  const state = readState(lab);
  if (!state || state.status !== 'up') {
    process.stderr.write(`lab "${lab}" is not up${state ? ` (status: ${state.status})` : ''}; run podlab up first.\n`);
    return EXIT.cannotRun;
  }
  const live = format === 'text' && process.stderr.isTTY;
  const checks = run.checks === false ? [] : state.plan.checks;
  let done = 0;
  let failed = 0;
  const tick = (label: string) => {
    if (live) process.stderr.write(`\r\x1b[K${dim(`  · ${label}`)}`);
  };
  if (checks.length) tick(`checks: 0/${checks.length}`);
  const results = await Promise.all(
    checks.map((c) =>
      runCheck(state, c).then((r) => {
        done++;
        if (r.status === 'fail') failed++;
        tick(`checks: ${done}/${checks.length}${failed ? `, ${failed} failed` : ''}`);
        return r;
      }),
    ),
  );
  let scenarios: ScenarioResult[] = [];
  if (run.scenarios && (run.scenarios === 'all' || run.scenarios.length)) {
    try {
      scenarios = await runScenarios(lab, run.scenarios === 'all' ? [] : run.scenarios, realExecutor, (sc, st) => tick(`scenario ${sc}: step ${st.step} ${st.status === 'fail' ? red('✗') : '✓'} ${st.name}`));
    } catch (e) {
      if (live) process.stderr.write('\r\x1b[K');
      process.stderr.write(`${(e as Error).message}\n`);
      return EXIT.cannotRun;
    }
  }
  if (live) process.stderr.write('\r\x1b[K');
  process.stdout.write(formatReport(format, lab, results, { pass: green, fail: red, dim }, scenarios));
  return results.every((r) => r.status === 'pass') && scenarios.every((s) => s.status === 'pass') ? EXIT.ok : EXIT.failed;
}

const formatOption = () =>
  new Option('--format <format>', 'report format: text, json (versioned), junit (XML for CI), tap (TAP 13)').choices([...REPORT_FORMATS]).default('text');

function printStatus(s: LabStatus): void {
  process.stdout.write(`lab ${s.lab}: ${s.status}${s.cni ? `, cni ${s.cni}` : ''}, ${s.namespaces} namespaces${s.source ? `, from ${s.source}` : ''}\n`);
  for (const n of s.nodes) process.stdout.write(`  node ${n.name.padEnd(16)} ${n.ips.join(',').padEnd(15)} pods ${n.podCidrs.join(',').padEnd(18)} ${n.present ? '' : red('(namespace missing)')}\n`);
  for (const p of s.pods) {
    const loops = (c: LabStatus['pods'][number]['containers'][number]) => (c.restarts !== undefined ? ` restarts ${c.restarts}${c.lastExitCode !== undefined ? ` (last exit ${c.lastExitCode})` : ''}${c.reason ? ` ${red(c.reason)}` : ''}` : '');
    const procs = [p.pause ? `pause ${p.pause.pid}${p.pause.alive ? '' : red(' dead')}` : p.hostNetwork ? 'hostNetwork' : 'no sandbox', ...p.containers.map((c) => `${c.name} ${c.pid}${c.alive ? '' : red(' dead')}${loops(c)}`), ...(p.ready === undefined ? [] : [p.ready ? green('ready') : red('not ready')])];
    process.stdout.write(`  pod  ${`${p.namespace}/${p.name}`.padEnd(24)} ${(p.running ? p.podIPs.join(',') : '-').padEnd(15)} on ${p.node.padEnd(14)} ${p.running ? procs.join(', ') : dim('deleted')}\n`);
  }
  for (const v of s.services) {
    const addr = v.type === 'ExternalName' ? `→ ${v.externalName}` : `${(v.clusterIPs ?? [v.clusterIP]).join(',')}${v.loadBalancerIP ? `, lb ${(v.loadBalancerIPs ?? [v.loadBalancerIP]).join(',')}` : ''}`;
    const extras = [
      v.sessionAffinity !== 'None' ? `affinity ${v.sessionAffinity}` : '',
      v.externalTrafficPolicy !== 'Cluster' ? `externalTrafficPolicy ${v.externalTrafficPolicy}` : '',
      v.internalTrafficPolicy !== 'Cluster' ? `internalTrafficPolicy ${v.internalTrafficPolicy}` : '',
    ].filter(Boolean);
    process.stdout.write(`  svc  ${`${v.namespace}/${v.name}`.padEnd(24)} ${v.type.padEnd(12)} ${addr}  ${v.ports.join(' ')}${extras.length ? dim(`  (${extras.join(', ')})`) : ''}\n`);
    if (v.type !== 'ExternalName')
      process.stdout.write(`       endpoints: ${v.endpoints.length ? v.endpoints.map((e) => `${e.pod}@${e.ip.includes(':') ? `[${e.ip}]` : e.ip}:${Object.values(e.ports).join(',')} (${e.node})`).join('  ') : red('none')}\n`);
  }
  if (s.agent) process.stdout.write(`  agent pid ${s.agent.pid}${s.agent.alive ? '' : red(' dead')}${s.agent.failedNodes.length ? red(`, failed nodes: ${s.agent.failedNodes.join(', ')}`) : ''}  (podlab events ${s.lab})\n`);
  if (s.gateway) process.stdout.write(`  gateway ${s.gateway.nodeIp}${s.gateway.externalIp ? ` / ${s.gateway.externalIp}` : ''}${s.gateway.loadBalancerIps.length ? `, load-balancer addresses ${s.gateway.loadBalancerIps.join(', ')}` : ''}\n`);
  for (const h of s.hosts) process.stdout.write(`  host ${h.name.padEnd(24)} ${h.ip.padEnd(15)} on the ${h.network === 'external' ? 'external network' : 'node network'}\n`);
  if (s.calico) for (const l of calicoStatusLines(s.calico)) process.stdout.write(`${l}\n`);
}

const program = new Command();
program
  .name('podlab')
  .version((JSON.parse(readFileSync(`${REPO_ROOT}package.json`, 'utf8')) as { version: string }).version, '-V, --version', 'print the version')
  .description('Kubernetes networking labs as code: validate a typed lab, render it, build it from network namespaces and real CNI plugins, check it, tear it down.')
  .option('--prefix <prefix>', 'lab-name prefix for up, down, status, check, …: two users run the same lab side by side (default: $PODLAB_PREFIX)')
  .hook('preAction', (cmd) => {
    const prefix = cmd.opts<{ prefix?: string }>().prefix;
    if (prefix !== undefined) process.env.PODLAB_PREFIX = prefix;
  })
  .showHelpAfterError()
  .addHelpText('after', `
Typical session:
  podlab validate labs/pod-networking.lab.ts   check the lab, nothing touches the kernel
  podlab render labs/pod-networking.lab.ts     write generated/pod-networking/ (no root needed)
  sudo podlab up labs/pod-networking.lab.ts --check
  sudo podlab exec pod-networking client -- ping -c1 10.244.2.2
  sudo podlab down pod-networking

Exit codes: 0 success, 1 the lab or its checks failed, 2 podlab could not run.`);

program
  .command('validate')
  .description('Check labs (schema, semantic rules, TypeScript types) and report every problem at its source line. Touches nothing.')
  .argument('<labs...>', 'lab files, e.g. labs/*.lab.ts')
  .option('--json', 'print diagnostics as JSON')
  .option('--no-typecheck', 'skip the TypeScript type check (faster)')
  .action(async (labs: string[], opts: { json?: boolean; typecheck: boolean }) => {
    const results = [];
    for (const file of labs) {
      const r = await compileLab(file, { typecheck: opts.typecheck });
      results.push({ file: r.file, valid: !!r.lab, diagnostics: r.diagnostics });
      if (!opts.json) {
        printDiagnostics(r);
        process.stderr.write(r.lab ? `${green('✓')} ${r.file}: lab "${r.lab.name}" is valid${r.diagnostics.length ? ` (${summary(r.diagnostics)})` : ''}\n` : `${red('✗')} ${r.file}: ${summary(r.diagnostics)}\n`);
      }
    }
    if (opts.json) process.stdout.write(`${JSON.stringify(results.length === 1 ? results[0] : results, null, 2)}\n`);
    if (results.some((r) => !r.valid)) throw new Exit(EXIT.failed);
  });

program
  .command('render')
  .description('Write what `up` would run to <out>/<lab>/: ip batch files, CNI configs, up.sh/down.sh, topology, plan.json. Needs no root.')
  .argument('<labs...>', 'lab files')
  .option('-o, --out <dir>', 'output directory', 'generated')
  .option('--check', 'do not write; exit 1 if the files on disk differ from a fresh render (for CI)')
  .action(async (labs: string[], opts: { out: string; check?: boolean }) => {
    let drifted = false;
    for (const file of labs) {
      const r = await compileOrExit(file, {});
      const files = await renderGenerated(buildPlan(r.lab));
      const dir = join(opts.out, r.lab.name);
      if (opts.check) {
        const d = drift(dir, files);
        if (d.length) {
          drifted = true;
          process.stderr.write(`${red('✗')} ${dir} is out of date with ${r.file}:\n${d.map((x) => `    ${x}`).join('\n')}\n  run: podlab render ${r.file}\n`);
        } else process.stderr.write(`${green('✓')} ${dir} is up to date\n`);
      } else {
        writeRendered(dir, files);
        process.stderr.write(`${green('✓')} ${r.file} → ${dir}/ (${files.size} files)\n`);
      }
    }
    if (drifted) throw new Exit(EXIT.failed);
  });

program
  .command('up')
  .description('Build a lab: namespaces, node network, CNI-wired pods with their containers. On failure everything built is removed again.')
  .argument('<lab>', 'lab file')
  .option('--check', "run the lab's checks once it is up")
  .option('--typecheck', 'also run the TypeScript type check first (slower)')
  .option('--json', 'print the result as JSON')
  .option('--no-api', "do not start the lab's Kubernetes API server (see podlab kubeconfig)")
  .addOption(formatOption())
  .addOption(new Option('--crash-after-step <n>', 'testing: SIGKILL podlab itself after n journaled steps').hideHelp().argParser(Number))
  .action(async (file: string, opts: { check?: boolean; typecheck?: boolean; json?: boolean; api: boolean; format: ReportFormat; crashAfterStep?: number }) => {
    const t0 = Date.now();
    const r = await compileOrExit(file, opts);
    const plan = buildPlan({ ...r.lab, name: prefixed(r.lab.name) });
    const files = render(plan);
    const host = await checkHost();
    if (host.length) printHostProblems(host, opts.json);
    // Ctrl-C (SIGINT), or SIGTERM (what `podlab down` sends an `up` of its lab): up finishes what
    // is in flight and starts nothing new; then everything is removed. (A listener stays installed
    // until up is over: with none left, tsx's own SIGINT relay re-raises the signal and the process
    // dies half-way.)
    const interrupt = new AbortController();
    let by: NodeJS.Signals | undefined;
    const abort = (signal: NodeJS.Signals) => {
      if (interrupt.signal.aborted) return;
      by = signal;
      process.stderr.write(`\ninterrupted (${signal}${signal === 'SIGTERM' ? ', e.g. by podlab down' : ''}): finishing the step in flight, then removing what was built of ${plan.lab}…\n`);
      interrupt.abort();
    };
    process.on('SIGINT', abort);
    process.on('SIGTERM', abort);
    let started = false;
    const progress = (step: string) => {
      if (opts.json) return;
      if (!started) process.stderr.write(`bringing up ${plan.lab} (${plan.nodes.length} nodes, ${plan.pods.length} pods, ${plan.cni.type})\n`);
      started = true;
      process.stderr.write(dim(`  · ${step}\n`));
    };
    try {
      // Under the lab's lock, taken before anything is created (runtime/up-exclusive.ts): a second
      // `up` of this lab is refused here with PL3004, having changed nothing.
      await upExclusive(plan, files, { onStep: progress, crashAfterStep: opts.crashAfterStep, signal: interrupt.signal });
    } catch (e) {
      if (e instanceof UpRefused) printHostProblems(e.diagnostics.map((d) => (d.code === 'PL3001' ? { ...d, file: r.file } : d)), opts.json);
      if (e instanceof Interrupted) {
        const d = by === 'SIGTERM'
          ? diag('PL3005', [], `up of ${plan.lab} was stopped (SIGTERM, as podlab down ${plan.lab} sends) and removed what it had built`, 'Nothing of the lab is left: the host is as it was before.')
          : diag('PL3006', [], `up of ${plan.lab} was interrupted (${by ?? 'SIGINT'}) and removed what it had built`, 'Nothing of the lab is left: the host is as it was before.');
        if (opts.json) process.stdout.write(`${JSON.stringify({ ok: false, diagnostics: [d] }, null, 2)}\n`);
        else process.stderr.write(`${formatDiagnostic(d)}\n`);
        throw new Exit(130);
      }
      process.stderr.write(`${red('✗')} up failed: ${(e as Error).message}\n  what was built was removed: the host is as it was before.\n`);
      throw new Exit(EXIT.cannotRun);
    } finally {
      process.off('SIGINT', abort);
      process.off('SIGTERM', abort);
    }
    // The lab's Kubernetes API server (src/api/): a lab without one still works, so a failure is reported, not fatal.
    if (opts.api) {
      try {
        const a = await startApiServer(realExecutor, plan.lab);
        if (!opts.json) process.stderr.write(dim(`  · api server on https://127.0.0.1:${a.port} (kubectl: export KUBECONFIG=$(podlab kubeconfig ${plan.lab}))\n`));
      } catch (e) {
        process.stderr.write(`${formatDiagnostic(diag('PL3071', [], `the Kubernetes API server of ${plan.lab} did not start: ${(e as Error).message}`, 'The lab itself is up; podlab exec, status and check work. Its log: /run/podlab/<lab>/api/server.log.'))}\n`);
      }
    }
    const ms = Date.now() - t0;
    if (opts.json && !opts.check) process.stdout.write(`${JSON.stringify({ lab: plan.lab, up: true, ms, status: labStatus(plan.lab) }, null, 2)}\n`);
    if (!opts.json) process.stderr.write(`${green('✓')} ${plan.lab} is up in ${ms} ms — try: podlab status ${plan.lab}\n`);
    if (opts.check) throw new Exit(await checkLive(plan.lab, { format: opts.json ? 'json' : opts.format }));
  });

program
  .command('down')
  .description('Remove everything a lab made: processes (found by namespace), namespaces and the links in them, /etc/netns entries, state and IPAM leases. Works after a crash; a second down is a no-op.')
  .argument('[lab]', 'lab name or file')
  .option('--all', 'every podlab lab on this host, found by name prefix even without state')
  .option('--json', 'print what was removed as JSON')
  .action(async (arg: string | undefined, opts: { all?: boolean; json?: boolean }) => {
    if (!arg && !opts.all) {
      process.stderr.write('name a lab, or use --all\n');
      throw new Exit(EXIT.cannotRun);
    }
    const labs = opts.all ? labsOnHost() : [await labName(arg!)];
    const reports = [];
    for (const lab of labs) {
      const r = await down(lab);
      reports.push(r);
      if (!opts.json && r.stoppedUp !== undefined)
        process.stderr.write(`note PL3005 ${lab}: its up (pid ${r.stoppedUp}) was still running; it was stopped first (as Ctrl-C stops it)\n`);
      if (!opts.json)
        process.stderr.write(r.existed ? `${green('✓')} ${lab}: removed ${r.namespaces.length} namespaces, stopped ${r.processes} processes\n` : `${lab}: nothing to remove\n`);
    }
    if (!opts.json && !labs.length) process.stderr.write('no podlab lab on this host\n');
    if (opts.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  });

program
  .command('status')
  .description('List live labs, or show one lab: nodes, pods with IPs, and their processes; for Calico its pool, the blocks each node holds and its BGP sessions.')
  .argument('[lab]', 'lab name or file')
  .option('--json', 'print as JSON')
  .action(async (arg: string | undefined, opts: { json?: boolean }) => {
    const list = arg ? [labStatus(await labName(arg))].filter((s): s is LabStatus => !!s) : allStatus();
    // One lab: Calico's pools, blocks and BGP sessions, asked of the live nodes.
    const state = arg && list[0] ? readState(list[0].lab) : undefined;
    const calico = state && state.status === 'up' ? await calicoStatus(realExecutor, state) : undefined;
    if (calico) list[0]!.calico = calico;
    if (opts.json) process.stdout.write(`${JSON.stringify(arg ? (list[0] ?? null) : list, null, 2)}\n`);
    else if (!list.length) process.stdout.write(arg ? `lab "${arg}" is not up\n` : 'no podlab lab is up\n');
    else list.forEach(printStatus);
    if (arg && !list.length) throw new Exit(EXIT.failed);
  });

program
  .command('exec')
  .description('Run a command inside a pod (its network, UTS, IPC and mount namespaces: its own resolv.conf and hosts), a node (node/<name>), an outside host (host/<name>) or the gateway.')
  .argument('<lab>', 'lab name or file')
  .argument('<target>', 'pod, namespace/pod, node/<name>, host/<name> or gateway')
  .argument('<command...>', 'the command, after --')
  .option('-n, --namespace <namespace>', "the pod's namespace (as kubectl's -n): the same as namespace/pod")
  .usage('[-n namespace] <lab> <target> -- <command...>')
  .action(async (arg: string, target: string, command: string[], opts: { namespace?: string }) => {
    target = inNamespace(target, opts.namespace);
    const lab = await labName(arg);
    const state = upOrExit(lab);
    let prefix: string[];
    try {
      prefix = sourceArgv(state, target);
    } catch (e) {
      if (e instanceof TargetError) {
        process.stderr.write(`${e.message}\n`);
        throw new Exit(EXIT.cannotRun);
      }
      throw e;
    }
    const r = spawnSync(prefix[0]!, [...prefix.slice(1), ...command], { stdio: 'inherit' });
    throw new Exit(r.status ?? 2);
  });

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

program
  .command('check')
  .description("Run the lab's checks against the live lab; each retries until it passes or times out.")
  .argument('<lab>', 'lab name or file')
  .addOption(formatOption())
  .option('--json', 'the same as --format json')
  .option('--scenarios', "then run the lab's scenarios too, in the order written (they change the lab)")
  .addHelpText('after', `
Exit codes: 0 every check passed, 1 some check failed, 2 the checks could not run (the lab is not up).
Each failed check shows what was expected, what was seen, and the command to try it by hand.
A matrix check prints its grid: sources down, targets across.`)
  .action(async (arg: string, opts: { json?: boolean; format: ReportFormat; scenarios?: boolean }) => {
    throw new Exit(await checkLive(await labName(arg), { format: opts.json ? 'json' : opts.format, scenarios: opts.scenarios ? 'all' : [] }));
  });

program
  .command('scenario')
  .description("Run a live lab's scenarios: steps that change the lab (re-create a pod, scale, restart a container, reload DNS, unplug a node) mixed with checks.")
  .argument('<lab>', 'lab name or file')
  .argument('[names...]', 'scenarios to run, in this order (default: all, in the order written)')
  .addOption(formatOption())
  .option('--json', 'the same as --format json')
  .addHelpText('after', `
A failed check does not stop a scenario; a failed action does (the steps after it are skipped).
Scenarios change the live lab and do not undo what they did: run podlab down and up for a fresh one.
Exit codes: 0 every step passed, 1 some step failed, 2 it could not run (the lab is not up, no such scenario).
Example:
  podlab scenario services pod-ip-changes`)
  .action(async (arg: string, names: string[], opts: { json?: boolean; format: ReportFormat }) => {
    throw new Exit(await checkLive(await labName(arg), { format: opts.json ? 'json' : opts.format, checks: false, scenarios: names.length ? names : 'all' }));
  });

const pod = program
  .command('pod')
  .description('Delete, create or re-create a pod of a live lab, as a ReplicaSet would; Services follow its new IP.')
  .addHelpText('after', `
A deleted pod leaves its Services' endpoints at once; a created pod gets a new sandbox and a new IP
(the next free address of its node's pod CIDR) and joins them again. Only the changed rules are sent
to each node's nftables table. Try:
  podlab pod recreate services web-1 && podlab status services`);

async function podAction(action: 'delete' | 'create' | 'recreate', arg: string, ref: string, opts: { json?: boolean; namespace?: string }): Promise<void> {
  const lab = await labName(arg);
  const state = readState(lab);
  if (!state || state.status !== 'up') {
    process.stderr.write(`lab "${lab}" is not up${state ? ` (status: ${state.status})` : ''}\n`);
    throw new Exit(EXIT.cannotRun);
  }
  // namespace/pod, or -n namespace: the pod must be in that namespace (pod names are unique in a lab).
  const [ns, name] = ref.includes('/') ? (ref.split('/', 2) as [string, string]) : [opts.namespace, ref];
  if (ns !== undefined && !state.plan.pods.some((p) => p.name === name && p.namespace === ns)) {
    process.stderr.write(`lab "${lab}" has no pod "${name}" in namespace "${ns}"\n`);
    throw new Exit(EXIT.cannotRun);
  }
  try {
    const before = state.pods[name]?.ip;
    const act = async (st: typeof state) => (action === 'delete' ? { sync: await deletePod(realExecutor, st, name) } : action === 'create' ? await createPod(realExecutor, st, name) : await recreatePod(realExecutor, st, name));
    // With control loops, the lab's agent changes it too: one writer at a time (runtime/mutex.ts).
    const r = state.plan.loops ? await withLabMutex(lab, () => act(readState(lab) ?? state)) : await act(state);
    const ip = 'ip' in r ? r.ip : undefined;
    const applied = r.sync?.applied ?? [];
    if (opts.json) process.stdout.write(`${JSON.stringify({ lab, pod: name, action, oldIp: before ?? null, ip: ip ?? null, rulesApplied: applied }, null, 2)}\n`);
    else {
      const what = action === 'delete' ? `deleted (was ${before})` : action === 'create' ? `created at ${ip}` : `re-created: ${before} → ${ip}`;
      process.stdout.write(`${green('✓')} pod ${name} ${what}\n`);
      for (const a of applied) process.stdout.write(dim(`  ${a.target}: ${a.lines} rule change(s) in ${a.ms} ms\n`));
    }
  } catch (e) {
    if (e instanceof PodError) {
      process.stderr.write(`${e.message}\n`);
      throw new Exit(EXIT.failed);
    }
    throw e;
  }
}

for (const [action, description] of [
  ['delete', 'Stop the pod, release its IP (CNI DEL) and remove it from its Services.'],
  ['create', 'Create a deleted pod again: a new sandbox and a new IP.'],
  ['recreate', 'Delete, then create (what `kubectl delete pod` looks like under a ReplicaSet).'],
] as const)
  pod
    .command(action)
    .description(description)
    .argument('<lab>', 'lab name or file')
    .argument('<pod>', 'pod name, or namespace/pod')
    .option('-n, --namespace <namespace>', "the pod's namespace (as kubectl's -n)")
    .option('--json', 'print the result as JSON')
    .action((arg: string, name: string, opts: { json?: boolean; namespace?: string }) => podAction(action, arg, name, opts));

program
  .command('dns')
  .description('Cluster DNS of a live lab.')
  .command('reload')
  .description("Make the DNS server re-read its Corefile (SIGUSR1, as CoreDNS takes it); with --corefile, install that Corefile first.")
  .argument('<lab>', 'lab name or file')
  .option('--corefile <file>', 'a new Corefile; it is checked first, and one that does not load changes nothing')
  .addHelpText('after', `
What editing the coredns ConfigMap does in a cluster. Try the course's custom forwarder:
  podlab dns reload dns --corefile my.Corefile && podlab exec dns client -- dig +search www.example.org`)
  .action(async (arg: string, opts: { corefile?: string }) => {
    const lab = await labName(arg);
    const state = readState(lab);
    if (!state || state.status !== 'up') {
      process.stderr.write(`lab "${lab}" is not up${state ? ` (status: ${state.status})` : ''}\n`);
      throw new Exit(EXIT.cannotRun);
    }
    let text: string | undefined;
    if (opts.corefile) {
      if (!existsSync(opts.corefile)) {
        process.stderr.write(`no such file: ${opts.corefile}\n`);
        throw new Exit(EXIT.cannotRun);
      }
      text = readFileSync(opts.corefile, 'utf8');
    }
    try {
      const warnings = reloadDns(realExecutor, state, text);
      for (const d of warnings) process.stderr.write(`${formatDiagnostic({ ...d, file: opts.corefile, line: d.within?.line, column: d.within?.col }, text, color)}\n`);
      process.stdout.write(`${green('✓')} ${lab}: the DNS server is re-reading its Corefile${text ? ` (now ${opts.corefile})` : ''}\n`);
    } catch (e) {
      if (!(e instanceof DnsError)) throw e;
      for (const d of e.diagnostics) process.stderr.write(`${formatDiagnostic({ ...d, file: opts.corefile, line: d.within?.line, column: d.within?.col }, text, color)}\n`);
      process.stderr.write(`${e.message}\n`);
      throw new Exit(EXIT.failed);
    }
  });

registerCapture(program);
registerDoctor(program);
registerGrade(program);
registerExport(program);
registerGraph(program);
registerAgent(program);
registerEvents(program);
registerNode(program);
registerScale(program);
registerKubeconfig(program);
registerApiServer(program);
registerExplain(program);
registerTrace(program);
registerGet(program);

// Not a top-level await: bin/podlab.js runs this bundled as CommonJS, from V8's code cache.
program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof Exit) process.exitCode = e.code;
  else {
    process.stderr.write(`podlab: internal error: ${(e as Error).stack ?? e}\n`);
    process.exitCode = EXIT.cannotRun;
  }
});
