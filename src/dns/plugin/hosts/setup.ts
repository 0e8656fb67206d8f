/**
 * `hosts [FILE [ZONES…]] { … }` → HostsConfig (coredns.io/plugins/hosts). Like CoreDNS, the
 * file defaults to /etc/hosts (the DNS server's own), and lines of the block that are not
 * properties are inline hosts(5) entries, `IP NAME…`, checked here one by one.
 */
import type { Directive, HostsConfig, HostsEntry } from '../../types.ts';
import { arity, durationOf, fallthrough, fileOf, intOf, pathAllowed, properties, type Scope, shown, zonesOrServer } from '../../corefile/check.ts';
import { didYouMean, domainProblem, fqdn, isInZone, isIpAddress } from '../../corefile/names.ts';

const PROPERTIES = ['ttl', 'no_reverse', 'reload', 'fallthrough'];

export function setupHosts(d: Directive, s: Scope): HostsConfig {
  const [fileTok, ...zoneToks] = d.args;
  const config: HostsConfig = {
    plugin: 'hosts',
    // Without a file, /etc/hosts: the cluster DNS pod's own, but the machine's for a host's server.
    file: fileTok ? fileOf(s, fileTok, 'hosts file') : pathAllowed(s, d.pos, 'hosts file (the default)', '/etc/hosts') ? '/etc/hosts' : undefined,
    zones: zonesOrServer(s, zoneToks, 'zone'),
    inline: [],
    ttl: 3600,
    noReverse: false,
    fallthrough: undefined,
    reloadMs: 5000,
  };
  let fallthroughAt: Directive | undefined;
  properties(s, d, {
    handlers: {
      ttl: (p) => {
        if (arity(s, 'property "ttl"', p.pos, p.args, 1, 1, 'ttl SECONDS (1-65535)')) config.ttl = intOf(s, p.args[0]!, 'property "ttl"', 1, 65535) ?? config.ttl;
      },
      no_reverse: (p) => {
        arity(s, 'property "no_reverse"', p.pos, p.args, 0, 0, 'no_reverse');
        config.noReverse = true;
      },
      reload: (p) => {
        if (arity(s, 'property "reload"', p.pos, p.args, 1, 1, 'reload DURATION (0 to disable)')) config.reloadMs = durationOf(s, p.args[0]!, 'property "reload"') ?? config.reloadMs;
      },
      fallthrough: (p) => {
        config.fallthrough = fallthrough(s, p);
        fallthroughAt = p;
      },
    },
    other: (p) => {
      if (fallthroughAt) {
        // CoreDNS's hosts setup reads inline entries only until it has seen fallthrough.
        s.error('PL4005', p.pos, `"${p.name}" after fallthrough is an unknown property: CoreDNS reads inline entries only before "fallthrough" (line ${fallthroughAt.pos.line})`, 'Move the inline entries above "fallthrough".');
        return true;
      }
      const entry = inline(s, p);
      if (entry) {
        config.inline.push(entry);
        // The hosts plugin answers only inside its zones (CoreDNS: h.Origins).
        for (const name of entry.names.filter((n) => !config.zones.some((z) => isInZone(n, z)))) {
          s.warn('PL4011', p.pos, `inline name "${name}" is outside the plugin's zones (${config.zones.join(', ')}), so it is never answered`, 'Write the full name, e.g. "db.lab.local", or add its zone to the hosts directive.');
        }
      }
      return true;
    },
  });
  return config;
}

/** An inline hosts(5) line: `IP NAME…`. */
function inline(s: Scope, p: Directive): HostsEntry | undefined {
  if (!isIpAddress(p.name)) {
    const looksLikeProperty = /^[a-z_]+$/.test(p.name);
    s.error(looksLikeProperty ? 'PL4005' : 'PL4004', p.pos, looksLikeProperty ? `unknown property "${p.name}"` : `inline entry "${p.name}" does not start with an IP address`, looksLikeProperty ? (didYouMean(p.name, PROPERTIES) ?? 'The properties of "hosts" are ttl, no_reverse, reload and fallthrough; other lines are inline entries "IP NAME...".') : 'An inline entry is "IP NAME...", e.g. "10.0.0.5 db.example.org".');
    return undefined;
  }
  if (p.args.length === 0) {
    s.error('PL4008', p.pos, `inline entry "${p.name}" has no name`, 'An inline entry is "IP NAME...", e.g. "10.0.0.5 db.example.org".');
    return undefined;
  }
  const names: string[] = [];
  for (const a of p.args) {
    const problem = domainProblem(a.text);
    if (problem || a.text.includes('*')) s.error('PL4004', a.pos, `inline entry for ${p.name}: ${shown(a)} is not a host name: ${problem ?? 'wildcards are not allowed in hosts entries'}`);
    else names.push(fqdn(a.text));
  }
  return names.length ? { ip: p.name, names, pos: p.pos } : undefined;
}
