/** `podlab render`: what `up` would run, written to generated/<lab>/ (or checked for drift). */
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildPlan } from '../plan/plan.ts';
import { renderGenerated } from '../render/render.ts';
import { drift, writeRendered } from '../render/files.ts';
import { Exit, EXIT } from './common.ts';
import { compileOrExit, writeOutputOrExit } from './basics.ts';
import { green, red } from './terminal.ts';

export function registerRender(program: Command): void {
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
            process.stderr.write(`${red('✗')} ${dir} is out of date with ${r.file}:\n${d.map((x) => `    ${x}`).join('\n')}\n  run: podlab render ${r.file}${opts.out === 'generated' ? '' : ` -o ${opts.out}`}\n`);
          } else process.stderr.write(`${green('✓')} ${dir} is up to date\n`);
        } else {
          writeOutputOrExit(dir, () => writeRendered(dir, files));
          process.stderr.write(`${green('✓')} ${r.file} → ${dir}/ (${files.size} files)\n`);
        }
      }
      if (drifted) throw new Exit(EXIT.failed);
    });
}
