/**
 * `podlab export <lab> [--out dir] [--check]`: writes the lab for a real cluster — manifests, a
 * kind config and the checks as a Job (src/export/export.ts decides what; this writes it).
 * Exit codes: 0 written (or, with --check, unchanged), 1 the lab is invalid (or the files
 * differ), 2 podlab could not run.
 */
import { writeFileSync } from 'node:fs';
import { makeDirs } from '../lib/make-dirs.ts';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { compileLab } from '../compile/compile.ts';
import { exportLab } from '../export/export.ts';
import { buildPlan } from '../plan/plan.ts';
import { drift } from '../render/files.ts';
import { printDiagnostics, writeOutputOrExit } from './basics.ts';
import { green, red } from './terminal.ts';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('Write the lab for a real cluster: namespaces, pods, Services and the coredns ConfigMap as manifests, a kind cluster config, and the checks as a Job. Touches nothing.')
    .argument('<lab>', 'lab file')
    .option('-o, --out <dir>', 'output directory (default: export/<lab>)')
    .option('--check', 'do not write; exit 1 if the files in <dir> differ from a fresh export')
    .action(async (file: string, opts: { out?: string; check?: boolean }) => {
      const r = await compileLab(file, { typecheck: false });
      printDiagnostics(r);
      if (!r.lab) {
        process.stderr.write(`${red('✗')} ${r.file}: not exported, the lab is invalid\n`);
        process.exitCode = 1;
        return;
      }
      const files = exportLab(r.lab, buildPlan(r.lab));
      const dir = opts.out ?? join('export', r.lab.name);
      if (opts.check) {
        const d = drift(dir, files);
        for (const line of d) process.stderr.write(`${line}\n`);
        process.exitCode = d.length ? 1 : 0;
        return;
      }
      writeOutputOrExit(dir, () => {
        // The directory first: a path that cannot be written fails before any file is.
        makeDirs(dir);
        for (const [rel, text] of files) {
          makeDirs(dirname(join(dir, rel)));
          writeFileSync(join(dir, rel), text);
        }
      });
      process.stderr.write(`${green('✓')} ${r.file} → ${dir}/ (${files.size} files)\n`);
    });
}
