/** The `log` plugin's Corefile syntax (coredns.io/plugins/log), with CoreDNS's defaults. */
import type { Directive, LogClass, LogConfig, Token } from '../../types.ts';
import { arity, oneOf, properties, zones, type Scope } from '../../corefile/check.ts';

const LOG_CLASSES: readonly LogClass[] = ['all', 'success', 'denial', 'error'];

/** `log [NAMES…] [FORMAT] { class CLASS… }`: with two or more arguments, a last one containing `{` is the format. */
export function setupLog(d: Directive, s: Scope): LogConfig {
  let nameToks: readonly Token[] = d.args;
  const last = d.args.at(-1);
  if (d.args.length > 1 && last && last.text.includes('{')) {
    nameToks = d.args.slice(0, -1);
    if (last.text !== '{common}' && last.text !== '{combined}') {
      s.warn('PL4016', last.pos, `the custom log format "${last.text}" is accepted but ignored by podlab, which logs in CoreDNS's common format`);
    }
  }
  const config: LogConfig = { plugin: 'log', names: nameToks.length ? zones(s, nameToks, 'name', 'overlap') : ['.'], classes: [] };
  properties(s, d, {
    handlers: {
      class: (p) => {
        if (!arity(s, 'property "class"', p.pos, p.args, 1, Infinity, 'class all|success|denial|error...')) return;
        for (const a of p.args) {
          const c = oneOf(s, a, 'log class', LOG_CLASSES);
          if (c && !config.classes.includes(c)) config.classes.push(c);
        }
      },
    },
    repeatable: ['class'],
  });
  if (config.classes.length === 0) config.classes.push('all');
  return config;
}
