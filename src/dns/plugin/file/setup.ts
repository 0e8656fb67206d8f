/**
 * `file DBFILE [ZONES…] { reload DURATION }` → FileConfig (coredns.io/plugins/file): an
 * RFC 1035 zone file served authoritatively. Zone transfers are not implemented.
 */
import type { Directive, FileConfig } from '../../types.ts';
import { arity, durationOf, fileOf, properties, type Scope, zonesOrServer } from '../../corefile/check.ts';

export function setupFile(d: Directive, s: Scope): FileConfig | undefined {
  if (!arity(s, '', d.pos, d.args, 1, Infinity, 'file DBFILE [ZONES...]')) return undefined;
  const [fileTok, ...zoneToks] = d.args;
  const file = fileOf(s, fileTok!, 'zone file');
  const config: FileConfig = { plugin: 'file', file: file ?? '', zones: zonesOrServer(s, zoneToks, 'zone'), reloadMs: 60_000 };
  properties(s, d, {
    handlers: {
      reload: (p) => {
        if (arity(s, 'property "reload"', p.pos, p.args, 1, 1, 'reload DURATION (0 to disable)')) config.reloadMs = durationOf(s, p.args[0]!, 'property "reload"') ?? config.reloadMs;
      },
    },
    ignored: { upstream: 'CoreDNS itself no longer uses it (external CNAME targets are not resolved)' },
    unsupported: { transfer: 'zone transfers to secondaries' },
  });
  return config;
}
