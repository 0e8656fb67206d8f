/**
 * Live-test support: root detection (live tests must run in CI, never skip silently there), a
 * snapshot of everything on the host that a lab could leak or change, and lab builders that
 * always tear down.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, expect } from 'vitest';
import { compileLab } from '../../src/compile/compile.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import type { LabSpec } from '../../src/index.ts';
import { buildPlan, type Plan } from '../../src/plan/plan.ts';
import { render } from '../../src/render/render.ts';
import { down } from '../../src/runtime/down.ts';
import { up } from '../../src/runtime/up.ts';
import { readState, type LabState } from '../../src/runtime/state.ts';
import { parseMountinfo } from '../../src/runtime/statefs.ts';

export const isRoot = process.getuid?.() === 0;

/** Live tests need root. In CI a missing root is a failure, not a skip. */
export function liveGuard(): boolean {
  if (isRoot) return true;
  if (process.env.CI) throw new Error('live tests need root, and CI must run them: run the suite as root');
  console.warn('live tests SKIPPED: not root (run `sudo npm test` to include them)');
  return false;
}

async function sh(cmd: string, ...args: string[]): Promise<string> {
  return (await execa(cmd, args, { reject: false })).stdout;
}

export interface HostSnapshot {
  links: string;
  addresses: string;
  routes: string;
  routes6: string;
  rules: string;
  nft: string;
  sysctls: string;
  podlabNetns: string[];
  etcNetns: string[];
  state: string[];
  /** Mounts under /run/podlab (each up lab's state directory is a tmpfs): mount point and source. */
  stateMounts: string[];
  /** Processes whose network namespace is not the root one's (i.e. in some lab namespace). */
  foreignNetnsProcs: string[];
}

export async function hostSnapshot(): Promise<HostSnapshot> {
  const rootNet = readlinkSync('/proc/self/ns/net');
  const procs: string[] = [];
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readlinkSync(`/proc/${p}/ns/net`) !== rootNet) procs.push(p);
    } catch {
      /* gone */
    }
  }
  const ls = (d: string) => (existsSync(d) ? readdirSync(d).filter((n) => n.startsWith('podlab')) : []);
  return {
    links: await sh('ip', '-o', 'link', 'show'),
    addresses: await sh('ip', '-o', 'address', 'show'),
    routes: await sh('ip', 'route', 'show', 'table', 'all'),
    routes6: await sh('ip', '-6', 'route', 'show', 'table', 'all'),
    rules: await sh('ip', 'rule', 'show'),
    nft: await sh('nft', 'list', 'ruleset'),
    sysctls: await sh('sysctl', 'net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding'),
    podlabNetns: ls('/run/netns'),
    etcNetns: ls('/etc/netns'),
    state: existsSync('/run/podlab') ? readdirSync('/run/podlab') : [],
    stateMounts: parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'))
      .filter((m) => m.mountPoint.startsWith('/run/podlab/'))
      .map((m) => `${m.mountPoint} ${m.fsType} ${m.source}`)
      .sort(),
    foreignNetnsProcs: procs,
  };
}

/** Link lines minus counters that change on their own (none in `ip -o link`, but keep the hook). */
export function comparable(s: HostSnapshot): HostSnapshot {
  return { ...s, links: s.links.replace(/\\\s+link\/\S+ [0-9a-f:]+ brd [0-9a-f:]+/g, '') };
}

export function planFrom(spec: LabSpec): Plan {
  const { lab, diagnostics } = validateValue(spec, `${spec.name}.lab.ts`);
  if (!lab) throw new Error(`test lab invalid: ${JSON.stringify(diagnostics)}`);
  return buildPlan(lab);
}

export async function upLab(spec: LabSpec): Promise<LabState> {
  return upPlan(planFrom(spec));
}

/**
 * A lab file compiled (an error diagnostic fails the test), planned and brought up as `upLab` does;
 * with `name`, under that name instead of the file's.
 */
export async function upLabFile(file: string, opts: { name?: string } = {}): Promise<LabState> {
  const { lab, diagnostics } = await compileLab(file);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!lab || errors.length) throw new Error(`test lab ${file} invalid: ${JSON.stringify(errors)}`);
  return upPlan(buildPlan(opts.name ? { ...lab, name: opts.name } : lab));
}

async function upPlan(plan: Plan): Promise<LabState> {
  try {
    return await up(plan, render(plan));
  } catch (e) {
    // Whatever the failed `up` left (and a test's afterAll may never run) goes before the error does.
    await down(plan.lab);
    throw e;
  }
}

/**
 * A suite's lab that the test brings up its own way rather than from a spec: from a lab file, with
 * podlab's CLI, by a rendered up.sh. `up` returns the lab's state, or nothing: then `lab()` reads
 * the state the lab saved.
 */
export interface SuiteLab {
  name: string;
  up: () => Promise<LabState | void>;
}

export interface SuiteOptions {
  /** Print how long `up` took (`<name>: up in N ms`), for the figures a suite reports. @default false */
  timed?: boolean;
  /**
   * Run after the `down` of any leftover and before `up`: where a suite that ends by tearing the
   * lab down itself takes its own snapshot of the host to compare with. @default none
   */
  beforeUp?: () => Promise<void> | void;
}

/**
 * A describe block's lab: brought up once before its tests (after a `down` of any leftover), torn
 * down after them: then none of its namespaces is left and the host's own nft ruleset is exactly
 * as it was before. `lab()` is its state from `up`.
 *
 * vitest runs a block's afterAll hooks last-registered first: an afterAll the block registers
 * after this call runs while the lab is still up, one registered before it runs after `down`.
 */
export function labAroundSuite(spec: LabSpec | SuiteLab, opts: SuiteOptions = {}): { lab: () => LabState } {
  const name = spec.name;
  const bringUp = 'up' in spec && typeof spec.up === 'function' ? spec.up : () => upLab(spec as LabSpec);
  let state: LabState | undefined;
  let rootNft = '';
  beforeAll(async () => {
    await down(name);
    rootNft = (await hostSnapshot()).nft;
    await opts.beforeUp?.();
    const t = performance.now();
    state = (await bringUp()) ?? undefined;
    if (opts.timed) console.log(`${name}: up in ${Math.round(performance.now() - t)} ms`);
  }, 180_000);
  afterAll(async () => {
    await down(name);
    expect((await hostSnapshot()).nft).toBe(rootNft);
    expect(await labNetnsOnHost(name)).toEqual([]);
  }, 60_000);
  return { lab: () => state ?? readState(name)! };
}

/** Runs argv inside a pod's sandbox or a node namespace of a live lab. */
export async function inLab(state: LabState, target: string, argv: string[]) {
  const { sourceArgv } = await import('../../src/runtime/enter.ts');
  const prefix = sourceArgv(state, target);
  return execa(prefix[0]!, [...prefix.slice(1), ...argv], { reject: false, timeout: 10_000 });
}

/**
 * A TCP connect from `from` in the lab, with podlab's own probe (no interpreter the host may lack):
 * 'connected', 'timeout' (2 s without an answer: a drop), or the error's code (ECONNREFUSED,
 * ENETUNREACH, …).
 */
export async function connectFrom(state: LabState, from: string, host: string, port: number): Promise<string> {
  const { PROBE_BIN } = await import('../../src/runtime/artifacts.ts');
  const r = await inLab(state, from, [PROBE_BIN, 'tcp-connect', '--host', host, '--port', String(port), '--timeout-ms', '2000']);
  try {
    const o = JSON.parse(r.stdout) as { ok: boolean; code?: string; error?: string };
    return o.ok ? 'connected' : o.code === 'ETIMEDOUT' || /timed? ?out/i.test(o.error ?? '') ? 'timeout' : (o.code ?? o.error ?? '');
  } catch {
    return r.stdout.trim() || r.stderr.trim();
  }
}

export const WORKLOAD = new URL('../../assets/workload.mjs', import.meta.url).pathname;

/** GET via the http-echo workload from inside `target`; returns the echo reply. */
export async function httpFrom(state: LabState, target: string, url: string): Promise<{ pod: string; podIP: string; client: string; hostname: string }> {
  const r = await inLab(state, target, ['node', WORKLOAD, 'http-get', '--url', url, '--timeout-ms', '2000']);
  const out = JSON.parse(r.stdout) as { ok: boolean; body?: string; error?: string };
  if (!out.ok) throw new Error(`GET ${url} from ${target} failed: ${out.error}`);
  return JSON.parse(out.body!);
}

/**
 * The small lab most lifecycle tests need: nodes w1 and w2, pod a on w1 and pod b on w2 serving
 * http-echo. With `fixedIps` every lab of this shape has the same plan, whatever its name.
 */
export function twoPodLab(name: string, opts: { fixedIps?: boolean; checks?: LabSpec['checks'] } = {}): LabSpec {
  return {
    name,
    nodes: opts.fixedIps ? { w1: { ip: '172.16.94.11' }, w2: { ip: '172.16.94.12' } } : { w1: {}, w2: {} },
    pods: {
      a: { node: 'w1', containers: [{ name: 'web', workload: { kind: 'http-echo' } }] },
      b: { node: 'w2', containers: [{ name: 'web', workload: { kind: 'http-echo' } }] },
    },
    checks: opts.checks ?? [
      { kind: 'http', from: 'a', to: 'b', port: 8080, expectPod: 'b', expectNoNat: true },
      { kind: 'ping', from: 'node/w1', to: 'b' },
    ],
  };
}

/** Writes a lab as a file for the CLI, inside the repository so that `import 'podlab'` resolves. */
export function writeLabFile(dir: string, file: string, spec: unknown): string {
  mkdirSync(dir, { recursive: true });
  const path = `${dir}/${file}.lab.ts`;
  writeFileSync(path, `import { defineLab } from 'podlab';\nexport default defineLab(${JSON.stringify(spec, null, 2)});\n`);
  return path;
}

/** The network namespaces of lab `name` on the host now (`podlab-<name>.*`, as `ip netns list` shows them). */
export async function labNetnsOnHost(name: string): Promise<string[]> {
  return (await sh('ip', 'netns', 'list')).split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`podlab-${name}.`));
}

/**
 * What of IPv4 namespace `ns` holds: its addresses beyond loopback, its IPv4 routes and, with
 * `tables`, its nft tables of family `ip`. An IPv6-only lab's namespaces hold none of them.
 */
export async function ipv4In(ns: string, opts: { tables?: boolean } = {}): Promise<{ addresses: string[]; routes: string; tables?: string[] }> {
  const addresses = (await sh('ip', '-n', ns, '-4', '-o', 'addr', 'show')).split('\n').filter((l) => l && !/\blo\b/.test(l));
  const routes = await sh('ip', '-n', ns, '-4', 'route', 'show');
  if (!opts.tables) return { addresses, routes };
  const tables = (await sh('ip', 'netns', 'exec', ns, 'nft', 'list', 'tables')).split('\n').filter((l) => /^table ip /.test(l));
  return { addresses, routes, tables };
}

/** The processes running as `uid` (a zombie, ended and waiting to be reaped, runs nothing). */
export const uidProcesses = (uid: number) =>
  readdirSync('/proc').filter((d) => {
    if (!/^\d+$/.test(d)) return false;
    try {
      return statSync(`/proc/${d}`).uid === uid && !/^State:\s+[ZX]/m.test(readFileSync(`/proc/${d}/status`, 'utf8'));
    } catch {
      return false;
    }
  });
