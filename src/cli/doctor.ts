/**
 * `podlab doctor [--fix] [--json] [--lab <name>]`: reports what podlab left on this host and which
 * lab it belonged to, and with --fix removes it (src/runtime/doctor.ts decides; this prints), of
 * the labs of the lab-name prefix only when one is set.
 * Exit codes: 0 nothing left (or all of it removed), 1 leftovers found (or some could not be
 * removed), 2 the doctor could not run.
 */
import type { Command } from 'commander';
import { diagnose, fix, type DoctorReport, type FixReport, type Leak } from '../runtime/doctor.ts';
import { realExecutor } from '../runtime/exec.ts';
import { tableDrift } from '../runtime/nft-sync.ts';
import { readState } from '../runtime/state.ts';
import { labPrefix, prefixed, prefixNamed } from './basics.ts';
import { dim, green, red } from './terminal.ts';

const EXIT = { ok: 0, leaks: 1, cannotRun: 2 } as const;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function leakLine(l: Leak): string {
  return `    ${l.kind.padEnd(11)} ${l.name}${l.detail ? dim(`  (${l.detail})`) : ''}`;
}

function printReport(r: DoctorReport): void {
  for (const f of r.labs) {
    if (f.verdict === 'healthy' || f.verdict === 'busy') {
      process.stdout.write(`${green('✓')} lab ${f.lab}: ${f.reason}, not a leak\n`);
    } else {
      process.stdout.write(`${red('✗')} lab ${f.lab}: ${f.reason}\n`);
      for (const l of f.leaks) process.stdout.write(`${leakLine(l)}\n`);
    }
    for (const n of f.notes) process.stdout.write(`    note: ${n}\n`);
  }
  if (r.probes.length) {
    process.stdout.write(`${red('✗')} kernel-probe namespaces whose process is gone:\n`);
    for (const l of r.probes) process.stdout.write(`${leakLine(l)}\n`);
  }
  if (r.strays?.length) {
    process.stdout.write(`${red('✗')} processes of containers that are gone (a podlab uid no live process holds):\n`);
    for (const l of r.strays) process.stdout.write(`${leakLine(l)}\n`);
  }
}

function summary(r: DoctorReport): string {
  const labs = [...new Set(r.leaks.map((l) => l.lab ?? (l.kind === 'process' ? 'gone containers' : l.kind === 'cgroup' ? 'evaluations' : 'kernel probe')))];
  return `${r.leaks.length} leftover${r.leaks.length === 1 ? '' : 's'} of ${labs.join(', ')}`;
}

/**
 * With a lab-name prefix (--prefix, PODLAB_PREFIX), what the doctor lists and fixes is the labs
 * whose names start with it: another user's labs are neither reported nor removed, and no kernel
 * probe (which belongs to no lab). Pure.
 */
export function keepToPrefix(r: DoctorReport, prefix: string): DoctorReport {
  if (!prefix) return r;
  const labs = r.labs.filter((f) => f.lab.startsWith(prefix));
  return { labs, probes: [], strays: [], leaks: labs.flatMap((f) => f.leaks) };
}

/**
 * A note for each kube-proxy table of an up lab that is not what podlab last wrote (a learner
 * flushed or edited it): the next sync that changes it rewrites it whole (runtime/nft-sync.ts).
 */
async function noteTableDrift(r: DoctorReport): Promise<void> {
  for (const f of r.labs) {
    if (f.verdict !== 'healthy' && f.verdict !== 'strays') continue;
    const state = readState(f.lab);
    if (!state) continue;
    for (const d of await tableDrift(realExecutor, state)) {
      const table = d.table.includes(' ') ? d.table : `ip ${d.table}`;
      const shown = d.differences.slice(0, 3).join('; ') + (d.differences.length > 3 ? `; and ${d.differences.length - 3} more` : '');
      f.notes.push(`${d.target}: table ${table} is not what podlab last wrote (${shown}); the next change of its Services or endpoints rewrites it whole`);
    }
  }
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description("Find what podlab left on this host (namespaces, processes, /etc/netns entries, state and IPAM directories) and say which lab it belonged to. Labs that are up, or being built, are not leaks. --fix removes the leftovers, and nothing podlab did not make. With a lab-name prefix (--prefix, PODLAB_PREFIX), only labs named with it are looked at.")
    .option('--fix', 'remove what was found (leftover labs with down, strays of up labs one by one)')
    .option('--json', 'print the findings as JSON')
    .option('--lab <name>', 'look at (and fix) this lab only (with the lab-name prefix, as every lab name)')
    .action(async (opts: { fix?: boolean; json?: boolean; lab?: string }) => {
      if (process.getuid?.() !== 0) {
        process.stderr.write("podlab doctor needs root: it reads every process's network namespace and removes namespaces.\n");
        process.exitCode = EXIT.cannotRun;
        return;
      }
      if (opts.lab !== undefined && !DNS1123_LABEL.test(opts.lab)) {
        process.stderr.write(`--lab "${opts.lab}" is not a lab name (a DNS-1123 label)\n`);
        process.exitCode = EXIT.cannotRun;
        return;
      }
      // A lab named as every command names one: with the lab-name prefix.
      if (opts.lab !== undefined) opts.lab = prefixed(opts.lab);
      const found = keepToPrefix(diagnose({ lab: opts.lab }), labPrefix());
      await noteTableDrift(found);
      let fixed: FixReport | undefined;
      let after = found;
      if (opts.fix && found.leaks.length) {
        fixed = await fix(found);
        after = keepToPrefix(diagnose({ lab: opts.lab }), labPrefix());
      }
      const code = after.leaks.length ? EXIT.leaks : EXIT.ok;
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ clean: !found.leaks.length, found, ...(fixed ? { fixed, remaining: after.leaks } : {}) }, null, 2)}\n`);
      } else {
        printReport(found);
        if (!found.leaks.length) process.stdout.write(`${green('✓')} nothing of podlab's is left on this host${opts.lab ? ` for lab ${opts.lab}` : labPrefix() ? ` for labs${prefixNamed()}` : ''}\n`);
        else if (!fixed) process.stdout.write(`${red('✗')} ${summary(found)}. Run podlab doctor --fix${opts.lab ? ` --lab ${opts.lab}` : ''} to remove them.\n`);
        else {
          const what = [
            fixed.labsDown.length ? `took down ${fixed.labsDown.join(', ')}` : '',
            fixed.namespacesDeleted.length ? `deleted ${fixed.namespacesDeleted.length} stray namespace(s)` : '',
            fixed.processesStopped?.length ? `stopped ${fixed.processesStopped.length} process(es) of containers that are gone (${fixed.processesStopped.join(', ')})` : '',
            fixed.cgroupsRemoved?.length ? `removed ${fixed.cgroupsRemoved.length} cgroup(s) of evaluations that were killed` : '',
          ].filter(Boolean);
          process.stdout.write(`${what.length ? `${green('✓')} ${what.join('; ')}\n` : ''}`);
          for (const e of fixed.errors) process.stdout.write(`${red('✗')} ${e}\n`);
          if (after.leaks.length) {
            process.stdout.write(`${red('✗')} still left: ${summary(after)}\n`);
            for (const l of after.leaks) process.stdout.write(`${leakLine(l)}\n`);
          } else process.stdout.write(`${green('✓')} nothing of podlab's is left on this host${opts.lab ? ` for lab ${opts.lab}` : labPrefix() ? ` for labs${prefixNamed()}` : ''}\n`);
        }
      }
      process.exitCode = code;
    });
}
