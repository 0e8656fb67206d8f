/**
 * Corefile → ServerConfig[]: the "setup" phase, as CoreDNS's plugin setup functions do it, but
 * collecting every problem instead of stopping at the first. For each server block: its zones
 * and ports (a block with keys on several ports becomes one ServerConfig per port), then each
 * directive through its plugin's setup function from the registry below, then the configs in
 * CoreDNS's plugin.cfg order (PLUGIN_ORDER), whatever order the Corefile lists them in.
 *
 * Also checked here, across directives and blocks: a zone and port served by two server blocks
 * (CoreDNS: "zone already defined"), a plugin used twice where CoreDNS allows it once per server
 * block, and plugins podlab does not know or does not implement.
 *
 * Several directives of one plugin: `rewrite` rules are merged into one RewriteConfig in order
 * (CoreDNS builds one rewrite plugin from them); `log`, `template`, `file` and `forward` keep one
 * config each, in Corefile order (stable sort), which is the order CoreDNS evaluates them in.
 */
import type { Corefile, CorefileIssue, Directive, PluginConfig, PluginName, Pos, RewriteConfig, ServerBlock, ServerConfig, ServerKey } from '../types.ts';
import { PLUGIN_ORDER } from '../types.ts';
import { Issues, parseCorefile, sortIssues } from './parse.ts';
import { CLUSTER_DNS_FILES, Scope, type Confinement, type SetupContext } from './check.ts';

export { CLUSTER_DNS_FILES, HOST_DNS_FILES, type Confinement } from './check.ts';
import { ALL_PLUGIN_NAMES, IGNORED_PLUGINS, IMPLEMENTED, REMOVED_PLUGINS, UNSUPPORTED_PLUGINS } from './known.ts';
import { didYouMean } from './names.ts';
import { setupCache } from '../plugin/cache/setup.ts';
import { setupErrors } from '../plugin/errors/setup.ts';
import { setupFile } from '../plugin/file/setup.ts';
import { setupForward } from '../plugin/forward/setup.ts';
import { setupHealth } from '../plugin/health/setup.ts';
import { setupHosts } from '../plugin/hosts/setup.ts';
import { setupKubernetes } from '../plugin/kubernetes/setup.ts';
import { setupLoadbalance } from '../plugin/loadbalance/setup.ts';
import { setupLog } from '../plugin/log/setup.ts';
import { setupLoop } from '../plugin/loop/setup.ts';
import { setupPrometheus } from '../plugin/prometheus/setup.ts';
import { setupReady } from '../plugin/ready/setup.ts';
import { setupReload } from '../plugin/reload/setup.ts';
import { setupRewrite } from '../plugin/rewrite/setup.ts';
import { setupTemplate } from '../plugin/template/setup.ts';
import { setupWhoami } from '../plugin/whoami/setup.ts';

interface PluginEntry {
  /** Checks one directive; returns its config (ignored when the directive reported an error). */
  setup: (d: Directive, s: Scope) => PluginConfig | undefined;
  /** CoreDNS allows this plugin once per server block: a second use is an error ('error') or pointless ('warn'). */
  once?: 'error' | 'warn';
}

/** The registry: every plugin podlab implements, its setup function, and CoreDNS's once-per-block rule. */
const REGISTRY: Readonly<Record<PluginName, PluginEntry>> = {
  reload: { setup: setupReload, once: 'error' },
  ready: { setup: setupReady, once: 'error' },
  health: { setup: setupHealth, once: 'error' },
  prometheus: { setup: setupPrometheus, once: 'error' },
  errors: { setup: setupErrors, once: 'error' },
  log: { setup: setupLog },
  loadbalance: { setup: setupLoadbalance, once: 'error' },
  cache: { setup: setupCache, once: 'error' },
  rewrite: {
    setup: (d, s) => {
      const rule = setupRewrite(d, s);
      return rule && { plugin: 'rewrite', rules: [rule] };
    },
  },
  template: { setup: setupTemplate },
  hosts: { setup: setupHosts, once: 'error' },
  kubernetes: { setup: setupKubernetes, once: 'error' },
  file: { setup: setupFile },
  loop: { setup: setupLoop, once: 'error' },
  forward: { setup: setupForward },
  whoami: { setup: setupWhoami, once: 'warn' },
};

/**
 * Checks each directive of a parsed Corefile and turns it into its plugin's config. `servers`
 * holds what checked cleanly (a directive with an error contributes no config), so run them
 * only when no issue is an error.
 */
export function setupCorefile(corefile: Corefile, ctx: SetupContext = {}): { servers: ServerConfig[]; issues: CorefileIssue[] } {
  const issues = new Issues();
  const servers: ServerConfig[] = [];
  const served = new Map<string, ServerKey>();
  for (const block of corefile.servers) {
    for (const key of block.keys) {
      const id = `${key.zone}:${key.port}`;
      const first = served.get(id);
      if (first) {
        issues.error('PL4006', key.pos, `server "${key.text}": zone "${key.zone}" on port ${key.port} is already served by "${first.text}" at line ${first.pos.line}`, 'CoreDNS refuses to start ("zone already defined"); merge the two server blocks, or give one a different port, e.g. "example.org:1053".');
      } else {
        served.set(id, key);
      }
    }
    if (block.keys.length === 0) continue;
    const plugins = setupBlock(block, issues, ctx);
    for (const port of unique(block.keys.map((k) => k.port))) {
      servers.push({ zones: unique(block.keys.filter((k) => k.port === port).map((k) => k.zone)), port, pos: block.pos, plugins: structuredClone(plugins) });
    }
  }
  return { servers, issues: issues.sorted() };
}

/**
 * parseCorefile then setupCorefile, stopping after parsing when it found errors (servers empty).
 * `files` may be a record (name → content: what `import` pastes, and also the names the lab
 * ships for file/hosts/forward) or a Set of names only. `confine` defaults to the cluster DNS
 * server's files (CLUSTER_DNS_FILES).
 */
export function loadCorefile(
  text: string,
  opts: { env?: Record<string, string | undefined>; files?: Record<string, string>; confine?: Confinement } = {},
): { servers: ServerConfig[]; issues: CorefileIssue[] } {
  // The files beside the Corefile (name → content): what `import` pastes, and the names that
  // `file`, `hosts` and `forward` may refer to.
  const contents = opts.files;
  const shipped = contents ? new Set(Object.keys(contents)) : undefined;
  const parsed = parseCorefile(text, { env: opts.env, files: contents });
  if (parsed.issues.some((i) => i.severity === 'error')) return { servers: [], issues: parsed.issues };
  const set = setupCorefile(parsed.corefile, { files: shipped, confine: opts.confine ?? CLUSTER_DNS_FILES });
  return { servers: set.servers, issues: sortIssues([...parsed.issues, ...set.issues]) };
}

/** One server block's directives → its plugin configs, in PLUGIN_ORDER. */
function setupBlock(block: ServerBlock, issues: Issues, ctx: SetupContext): PluginConfig[] {
  const serverZones = unique(block.keys.map((k) => k.zone));
  const made: { config: PluginConfig; seq: number }[] = [];
  const firstUse = new Map<string, Pos>();
  const forwardFrom = new Map<string, Pos>();
  block.directives.forEach((d, seq) => {
    const entry = Object.hasOwn(REGISTRY, d.name) ? REGISTRY[d.name as PluginName] : undefined;
    if (!entry) return unknownPlugin(d, issues);
    const first = firstUse.get(d.name);
    if (first && entry.once) {
      const message = `plugin "${d.name}" is used twice in this server block (first at line ${first.line})`;
      if (entry.once === 'error') {
        issues.error('PL4007', d.pos, `${message}; CoreDNS allows it once per server block`, 'Merge the two into one directive.');
        return;
      }
      issues.warn('PL4007', d.pos, `${message}; the second does nothing`, 'Remove one of them.');
      return;
    }
    if (!first) firstUse.set(d.name, d.pos);
    const scope = new Scope(d.name, issues, serverZones, ctx);
    const mark = scope.mark();
    const config = entry.setup(d, scope);
    if (!config || scope.failedSince(mark)) return;
    if (config.plugin === 'forward') {
      const earlier = forwardFrom.get(config.from);
      if (earlier) {
        issues.warn('PL4007', d.pos, `plugin "forward": a second forward for "${config.from}" (first at line ${earlier.line}) is never reached, as the first takes every query for that zone`, 'Merge the upstreams into the first forward, or forward a narrower zone.');
      }
      forwardFrom.set(config.from, d.pos);
    }
    made.push({ config, seq });
  });
  // CoreDNS builds one rewrite plugin from all rewrite directives, rules in Corefile order.
  const rewrites = made.filter((m) => m.config.plugin === 'rewrite');
  if (rewrites.length > 1) {
    (rewrites[0]!.config as RewriteConfig).rules = rewrites.flatMap((m) => (m.config as RewriteConfig).rules);
    for (const m of rewrites.slice(1)) made.splice(made.indexOf(m), 1);
  }
  return made
    .sort((a, b) => PLUGIN_ORDER.indexOf(a.config.plugin) - PLUGIN_ORDER.indexOf(b.config.plugin) || a.seq - b.seq)
    .map((m) => m.config);
}

function unknownPlugin(d: Directive, issues: Issues): void {
  if (Object.hasOwn(IGNORED_PLUGINS, d.name)) {
    issues.warn('PL4016', d.pos, `plugin "${d.name}" is accepted but ignored by podlab: ${IGNORED_PLUGINS[d.name]}`);
    return;
  }
  if (Object.hasOwn(UNSUPPORTED_PLUGINS, d.name)) {
    issues.error('PL4003', d.pos, `plugin "${d.name}" (${UNSUPPORTED_PLUGINS[d.name]}) is a CoreDNS plugin that podlab does not support`, `Remove it; podlab implements ${IMPLEMENTED.join(', ')}.`);
    return;
  }
  if (Object.hasOwn(REMOVED_PLUGINS, d.name)) {
    issues.error('PL4002', d.pos, `unknown plugin "${d.name}"`, `${REMOVED_PLUGINS[d.name]}.`);
    return;
  }
  const looksLikeServer = d.block !== undefined && /[.:/]/.test(d.name);
  const hint = looksLikeServer
    ? `"${d.name}" looks like a server block's zone: close the server block above with "}" before starting another.`
    : (didYouMean(d.name, ALL_PLUGIN_NAMES) ?? `podlab implements ${IMPLEMENTED.join(', ')}.`);
  issues.error('PL4002', d.pos, `unknown plugin "${d.name}"`, hint);
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}
