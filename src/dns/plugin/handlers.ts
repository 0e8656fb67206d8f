/**
 * The plugin registry: which factory builds each plugin of a server block, and what each is
 * given (the cluster view, file access relative to the Corefile's directory, the log). The
 * operational plugins (health, ready, prometheus, reload) run outside the query path
 * (see ../main.ts); in the chain they only pass queries on.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { ClusterView, DnsRequest, Next, Plugin, PluginConfig, ServerConfig } from '../types.ts';
import { cachePlugin } from './cache/handler.ts';
import { errorsPlugin } from './errors/handler.ts';
import { filePlugin } from './file/handler.ts';
import { forwardPlugin } from './forward/handler.ts';
import { hostsPlugin } from './hosts/handler.ts';
import { kubernetesPlugin } from './kubernetes/handler.ts';
import { loadbalancePlugin } from './loadbalance/handler.ts';
import { logPlugin } from './log/handler.ts';
import { loopPlugin, type LoopPlugin } from './loop/handler.ts';
import { rewritePlugin } from './rewrite/handler.ts';
import { templatePlugin } from './template/handler.ts';
import { whoamiPlugin } from './whoami/handler.ts';

export interface BuildContext {
  /** The Corefile's directory: relative file names in the Corefile are taken from here. */
  dir: string;
  view: () => ClusterView;
  log: (line: string) => void;
}

function reader(dir: string): (path: string) => string | undefined {
  return (path) => {
    try {
      return readFileSync(isAbsolute(path) ? path : join(dir, path), 'utf8');
    } catch {
      return undefined;
    }
  };
}

/** The operational plugins in the chain: they pass queries on, so they never stop a replay. */
const passThrough = (name: Plugin['name']): Plugin => ({ name, serve: (req: DnsRequest, next: Next) => next(req), replayToken: () => 0 });

/** The plugins of one server block, in the (already sorted) order of its config. */
export function buildPlugins(server: ServerConfig, ctx: BuildContext): Plugin[] {
  const read = reader(ctx.dir);
  let loop: LoopPlugin | undefined;
  const one = (c: PluginConfig): Plugin => {
    switch (c.plugin) {
      case 'kubernetes':
        return kubernetesPlugin(c, ctx.view);
      case 'file':
        return filePlugin(c, (f) => read(f) ?? '');
      case 'forward':
        return forwardPlugin(c, { readFile: read, log: ctx.log, loopDetected: () => loop?.detected ?? false });
      case 'hosts':
        return hostsPlugin(c, read);
      case 'cache':
        return cachePlugin(c);
      case 'rewrite':
        return rewritePlugin(c);
      case 'loadbalance':
        return loadbalancePlugin(c);
      case 'template':
        return templatePlugin(c);
      case 'log':
        return logPlugin(c, ctx.log);
      case 'errors':
        return errorsPlugin(c, ctx.log);
      case 'loop':
        return (loop = loopPlugin(server.zones[0] ?? '.', ctx.log));
      case 'whoami':
        return whoamiPlugin();
      case 'health':
      case 'ready':
      case 'prometheus':
      case 'reload':
        return passThrough(c.plugin);
    }
  };
  return server.plugins.map(one);
}
