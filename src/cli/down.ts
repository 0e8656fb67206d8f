/**
 * `podlab down`: remove everything a lab made, also after a crash. bin/podlab.js runs it from a
 * bundle of its own (down-main.ts), so this module loads only what removing a lab needs. A lab
 * named by its file is compiled for its name by basics.ts's labName, which only the whole CLI can
 * do: bin/podlab.js runs that for a file.
 */
import type { Command } from 'commander';
import { down, labsOnHost } from '../runtime/down.ts';
import { Exit, EXIT, labName, labPrefix, prefixNamed } from './basics.ts';
import { green } from './terminal.ts';

export function registerDown(program: Command): void {
  program
    .command('down')
    .description('Remove everything a lab made: processes (found by namespace), namespaces and the links in them, /etc/netns entries, state and IPAM leases. Works after a crash; a second down is a no-op.')
    .argument('[lab]', 'lab name or file')
    .option('--all', 'every podlab lab on this host (with --prefix, every lab of that prefix), found by name even without state')
    .option('--json', 'print what was removed as JSON')
    .action(async (arg: string | undefined, opts: { all?: boolean; json?: boolean }) => {
      if (!arg && !opts.all) {
        process.stderr.write('name a lab, or use --all\n');
        throw new Exit(EXIT.cannotRun);
      }
      // --all with a lab-name prefix: that user's labs only, never another's.
      const labs = opts.all ? labsOnHost().filter((l) => l.startsWith(labPrefix())) : [await labName(arg!, opts.json)];
      const reports = [];
      for (const lab of labs) {
        const r = await down(lab);
        reports.push(r);
        if (!opts.json && r.stoppedUp !== undefined)
          process.stderr.write(`note PL3005 ${lab}: its up (pid ${r.stoppedUp}) was still running; it was stopped first (as Ctrl-C stops it)\n`);
        if (!opts.json)
          process.stderr.write(r.existed ? `${green('✓')} ${lab}: removed ${r.namespaces.length} namespaces, stopped ${r.processes} processes\n` : `${lab}: nothing to remove\n`);
      }
      if (!opts.json && !labs.length) process.stderr.write(`no podlab lab on this host${prefixNamed()}\n`);
      if (opts.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
    });
}
