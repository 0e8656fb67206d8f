/** The `errors` plugin's Corefile syntax (coredns.io/plugins/errors), with CoreDNS's defaults. */
import type { Directive, ErrorsConfig } from '../../types.ts';
import { arity, durationOf, oneOf, properties, type Scope } from '../../corefile/check.ts';
import { compileGoRegex } from '../../corefile/regex.ts';

/** `errors [stdout] { consolidate DURATION REGEXP [LEVEL] [show_first]; stacktrace }`. */
export function setupErrors(d: Directive, s: Scope): ErrorsConfig {
  if (arity(s, '', d.pos, d.args, 0, 1, 'errors [stdout]') && d.args[0]) oneOf(s, d.args[0], 'the log destination', ['stdout']);
  properties(s, d, {
    handlers: {
      // Accepted: podlab's error log does not consolidate, but the setting changes only how errors are logged.
      consolidate: (p) => {
        if (!arity(s, 'property "consolidate"', p.pos, p.args, 2, 4, 'consolidate DURATION REGEXP [LEVEL] [show_first]')) return;
        durationOf(s, p.args[0]!, 'consolidate DURATION');
        const re = compileGoRegex(p.args[1]!.text);
        if (!re.ok) s.error('PL4017', p.args[1]!.pos, `consolidate regex "${p.args[1]!.text}" does not compile: ${re.reason}`);
        for (const a of p.args.slice(2)) oneOf(s, a, 'consolidate option', ['warning', 'error', 'info', 'debug', 'show_first']);
      },
      stacktrace: (p) => {
        arity(s, 'property "stacktrace"', p.pos, p.args, 0, 0, 'stacktrace');
      },
    },
    repeatable: ['consolidate'],
  });
  return { plugin: 'errors' };
}
