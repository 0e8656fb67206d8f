/** `podlab dns reload`: make the DNS server re-read its (new) Corefile. */
import type { Command } from 'commander';
import { formatDiagnostic, type Diagnostic } from '../compile/diagnostics.ts';
import { DnsError, reloadDns } from '../runtime/dns.ts';
import { realExecutor } from '../runtime/exec.ts';
import { Exit, EXIT, labName, readInputOrExit, refused, upStateOrExit } from './common.ts';
import { color, green } from './terminal.ts';

export function registerDns(program: Command): void {
  program
    .command('dns')
    .description('Cluster DNS of a live lab.')
    .command('reload')
    .description("Make the DNS server re-read its Corefile (SIGUSR1, as CoreDNS takes it); with --corefile, install that Corefile first.")
    .argument('<lab>', 'lab name or file')
    .option('--corefile <file>', 'a new Corefile; it is checked first, and one that does not load changes nothing')
    .option('--json', 'print the result as JSON: the lab, the Corefile installed and its warnings; or the diagnostics')
    .addHelpText('after', `
What editing the coredns ConfigMap does in a cluster. Try the course's custom forwarder:
  podlab dns reload dns --corefile my.Corefile && podlab exec dns client -- dig +search www.example.org

Exit codes: 0 reloading; 1 the Corefile does not load or the DNS server did not take it (nothing
changed); 2 the lab is not up or the file does not exist.`)
    .action(async (arg: string, opts: { corefile?: string; json?: boolean }) => {
      // The file first, as a usage error is found before anything else.
      const text = opts.corefile === undefined ? undefined : readInputOrExit(opts.corefile, '--corefile', opts.json);
      const lab = await labName(arg, opts.json);
      const state = upStateOrExit(lab, opts.json);
      // A Corefile's diagnostics at their place in the file (line and column inside it).
      const placed = (ds: readonly Diagnostic[]) => ds.map((d) => ({ ...d, file: opts.corefile, line: d.within?.line, column: d.within?.col }));
      try {
        const warnings = placed(reloadDns(realExecutor, state, text));
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ lab, reloaded: true, corefile: opts.corefile ?? null, warnings }, null, 2)}\n`);
          return;
        }
        for (const d of warnings) process.stderr.write(`${formatDiagnostic(d, text, color)}\n`);
        process.stdout.write(`${green('✓')} ${lab}: the DNS server is re-reading its Corefile${text ? ` (now ${opts.corefile})` : ''}\n`);
      } catch (e) {
        if (!(e instanceof DnsError)) throw e;
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ ok: false, diagnostics: [e.diagnostic, ...placed(e.diagnostics)] }, null, 2)}\n`);
          throw new Exit(EXIT.failed);
        }
        for (const d of placed(e.diagnostics)) process.stderr.write(`${formatDiagnostic(d, text, color)}\n`);
        refused(e);
      }
    });
}
