/**
 * The small plugins: log, errors, health, ready, prometheus, reload, loop, loadbalance, whoami
 * (coredns.io/plugins/<name>). Each is a few lines of argument checking; their defaults are
 * CoreDNS's.
 */
import type {
  Directive, ErrorsConfig, HealthConfig, LoadbalanceConfig, LogClass, LogConfig, LoopConfig, PrometheusConfig, ReadyConfig,
  ReloadConfig, Token, WhoamiConfig,
} from '../../types.ts';
import { arity, durationOf, noBlock, oneOf, properties, type Scope, zones } from './check.ts';
import { formatDuration, hostPort } from './names.ts';
import { compileGoRegex } from './regex.ts';

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

/** A listen address `[HOST]:PORT`. */
function address(s: Scope, t: Token | undefined, fallback: string): { address: string; port: number } | undefined {
  const text = t?.text ?? fallback;
  const hp = hostPort(text);
  if (!hp.ok) {
    s.error('PL4004', t!.pos, `address "${text}" is not HOST:PORT: ${hp.reason}`, `Write HOST:PORT or :PORT (every address), e.g. "${fallback}".`);
    return undefined;
  }
  return { address: text, port: hp.value.port };
}

/** `health [ADDRESS] { lameduck DURATION }`. */
export function setupHealth(d: Directive, s: Scope): HealthConfig | undefined {
  if (!arity(s, '', d.pos, d.args, 0, 1, 'health [ADDRESS]')) return undefined;
  const a = address(s, d.args[0], ':8080');
  const config: HealthConfig = { plugin: 'health', address: a?.address ?? ':8080', port: a?.port ?? 8080, lameduckMs: 0 };
  properties(s, d, {
    handlers: {
      lameduck: (p) => {
        if (arity(s, 'property "lameduck"', p.pos, p.args, 1, 1, 'lameduck DURATION')) config.lameduckMs = durationOf(s, p.args[0]!, 'property "lameduck"') ?? 0;
      },
    },
  });
  return config;
}

/** `ready [ADDRESS]`. */
export function setupReady(d: Directive, s: Scope): ReadyConfig | undefined {
  noBlock(s, d);
  if (!arity(s, '', d.pos, d.args, 0, 1, 'ready [ADDRESS]')) return undefined;
  const a = address(s, d.args[0], ':8181');
  return a && { plugin: 'ready', address: a.address, port: a.port };
}

/** `prometheus [ADDRESS]`. */
export function setupPrometheus(d: Directive, s: Scope): PrometheusConfig | undefined {
  noBlock(s, d);
  if (!arity(s, '', d.pos, d.args, 0, 1, 'prometheus [ADDRESS]')) return undefined;
  const a = address(s, d.args[0], 'localhost:9153');
  return a && { plugin: 'prometheus', address: a.address, port: a.port };
}

/** CoreDNS's reload limits (plugin/reload/setup.go). */
const RELOAD = { minIntervalMs: 2000, minJitterMs: 1000, intervalMs: 30_000, jitterMs: 15_000 };

/** `reload [INTERVAL [JITTER]]`: interval ≥ 2s, jitter ≥ 1s; a jitter above interval/2 becomes interval/2. */
export function setupReload(d: Directive, s: Scope): ReloadConfig | undefined {
  noBlock(s, d);
  if (!arity(s, '', d.pos, d.args, 0, 2, 'reload [INTERVAL [JITTER]]')) return undefined;
  const intervalMs = d.args[0] ? durationOf(s, d.args[0], 'INTERVAL', RELOAD.minIntervalMs) : RELOAD.intervalMs;
  let jitterMs = d.args[1] ? durationOf(s, d.args[1], 'JITTER', RELOAD.minJitterMs) : RELOAD.jitterMs;
  if (intervalMs === undefined || jitterMs === undefined) return undefined;
  if (jitterMs > intervalMs / 2) {
    if (d.args[1]) s.warn('PL4022', d.args[1].pos, `JITTER ${d.args[1].text} is more than half the interval, so CoreDNS uses ${formatDuration(intervalMs / 2)}`, `Write a jitter of at most ${formatDuration(intervalMs / 2)}.`);
    jitterMs = intervalMs / 2;
  }
  return { plugin: 'reload', intervalMs, jitterMs };
}

/** `loop`. */
export function setupLoop(d: Directive, s: Scope): LoopConfig {
  noBlock(s, d);
  arity(s, '', d.pos, d.args, 0, 0, 'loop');
  return { plugin: 'loop' };
}

/** `loadbalance [round_robin]`; the weighted policy is not implemented. */
export function setupLoadbalance(d: Directive, s: Scope): LoadbalanceConfig | undefined {
  const policy = d.args[0];
  if (policy?.text === 'weighted') {
    s.error('PL4015', policy.pos, 'the "weighted" policy (weights from a file) is not supported by podlab', 'Use "loadbalance" or "loadbalance round_robin".');
    return undefined;
  }
  noBlock(s, d);
  if (!arity(s, '', d.pos, d.args, 0, 1, 'loadbalance [round_robin]')) return undefined;
  if (policy && !oneOf(s, policy, 'the policy', ['round_robin', 'weighted'])) return undefined;
  return { plugin: 'loadbalance', policy: 'round_robin' };
}

/** `whoami`. */
export function setupWhoami(d: Directive, s: Scope): WhoamiConfig {
  noBlock(s, d);
  arity(s, '', d.pos, d.args, 0, 0, 'whoami');
  return { plugin: 'whoami' };
}
