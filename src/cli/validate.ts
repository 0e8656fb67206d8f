/** `podlab validate`: schema, semantic rules and types of lab files, each problem at its line. */
import type { Command } from 'commander';
import { compileLab } from '../compile/compile.ts';
import { Exit, EXIT } from './common.ts';
import { printDiagnostics, summary } from './basics.ts';
import { green, red } from './terminal.ts';

export function registerValidate(program: Command): void {
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
}
