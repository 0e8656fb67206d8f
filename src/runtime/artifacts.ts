/**
 * What podlab builds for itself before a lab can run, and where it lives: the native programs
 * (pause, probe, workload, spawner, dnslat, contain), the DNS server's bundle and V8 code cache, and
 * podlab's own CNI plugins; each rebuilt only when missing or older than its sources.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { NOTHING_CHANGED, PODLAB_CNI_DIR, PODLAB_CNI_PLUGINS } from '../constants.ts';
import { diag, type Diagnostic } from '../compile/diagnostics.ts';
import { defaultCorefile } from '../dns/corefile/defaults.ts';
import { CODE_CACHE_FLAG } from '../dns/marks.ts';
import { writeFileAtomic } from '../lib/write-atomic.ts';
import { asciiOnly } from '../../bin/code-cache.js';
import { realExecutor, type Executor } from './exec.ts';
import { SPAWNER_BIN } from './spawner.ts';
import { BUILD_DIR, PACKAGE_ROOT } from './build-dir.ts';

export const REPO_ROOT = PACKAGE_ROOT;
export const PAUSE_BIN = `${BUILD_DIR}/native/pause`;
/** The native check client (native/probe.c): TCP, UDP and HTTP probes without a Node start-up each. */
export const PROBE_BIN = `${BUILD_DIR}/native/probe`;
/** The built-in servers (native/workload.c); assets/workload.mjs is their reference in Node, and its clients the probe's. */
export const WORKLOAD_BIN = `${BUILD_DIR}/native/workload`;
/** The DNS benchmark's latency client (native/dnslat.c). */
export const DNSLAT_BIN = `${BUILD_DIR}/native/dnslat`;
/** A container's last step before its program (native/contain.c): read-only mounts, a private /tmp, an unprivileged uid. */
export const CONTAIN_BIN = `${BUILD_DIR}/native/contain`;
/** A program on a pseudo-terminal (native/ptyrun.c): `kubectl exec -t`. */
export const PTYRUN_BIN = `${BUILD_DIR}/native/ptyrun`;
export const WORKLOAD_SCRIPT = `${REPO_ROOT}assets/workload.mjs`;
/**
 * podlab-dns, bundled by esbuild so that the DNS pod starts as plain `node`, without tsx: the
 * server (main.ts) in one file, and the file `node` runs, its launcher (launch.ts), which runs the
 * server from V8's code cache. CommonJS, not ESM: Node 20 reaches the first line of a CommonJS
 * file sooner (no ES module loader to set up, built-ins required directly), 12 ms less CPU from
 * start to serving (measured).
 */
export const DNS_BUNDLE = `${BUILD_DIR}/dns/podlab-dns.cjs`;
export const DNS_SERVER_BUNDLE = `${BUILD_DIR}/dns/server.cjs`;
/** V8's code cache of the server bundle, written when it is bundled (see launch.ts). */
export const DNS_CODE_CACHE = `${BUILD_DIR}/dns/server.cache`;
export const PROGRAMS = { workload: WORKLOAD_BIN, dns: DNS_BUNDLE, node: process.execPath, contain: CONTAIN_BIN };
/** podlab's own CNI plugins (e.g. `calico`), compiled from src/cni/<name>/plugin.c; searched before the reference plugins. */
export const PODLAB_CNI_BIN_DIR = `${BUILD_DIR}/${PODLAB_CNI_DIR.replace(/^build\//, '')}`;

/** Newest modification time of the files below `dir` (0 if none). */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) t = Math.max(t, statSync(`${e.parentPath}/${e.name}`).mtimeMs);
  return t;
}

/** True when any of `outs` is missing or older than any of `sources` (files or directories). */
function stale(outs: string[], sources: string[]): boolean {
  if (!outs.every((o) => existsSync(o))) return true;
  const built = Math.min(...outs.map((o) => statSync(o).mtimeMs));
  return sources.some((s) => (statSync(s).isDirectory() ? newest(s) : statSync(s).mtimeMs) > built);
}

/**
 * Bundles the DNS server and its launcher when missing or older than their sources, then writes
 * the server's code cache: the server serves the kubeadm Corefile until it is ready, in a network
 * namespace of its own (`unshare --net`: only a loopback, which is down, and gone when it exits).
 * Without the cache the server starts all the same, on about 17 ms more CPU, so a failure to
 * write it is not an error.
 */
export async function ensureDnsServer(): Promise<Diagnostic | undefined> {
  if (!stale([DNS_BUNDLE, DNS_SERVER_BUNDLE], [`${REPO_ROOT}src/dns`, `${REPO_ROOT}bin/code-cache.js`])) return undefined;
  try {
    const { build } = await import('esbuild');
    const bundle = (entry: string) =>
      build({ entryPoints: [`${REPO_ROOT}src/dns/${entry}`], write: false, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'silent' });
    const [server, launcher] = await Promise.all([bundle('main.ts'), bundle('launch.ts')]);
    // By rename: a second `up` bundling at the same time never exposes half a file.
    mkdirSync(dirname(DNS_BUNDLE), { recursive: true });
    // All ASCII, which the launcher reads (and V8 compiles) sooner (bin/code-cache.js).
    writeFileAtomic(DNS_SERVER_BUNDLE, asciiOnly(server.outputFiles[0]!.text));
    writeFileAtomic(DNS_BUNDLE, asciiOnly(launcher.outputFiles[0]!.text));
  } catch (e) {
    return diag('PL3002', [], `could not bundle the DNS server: ${(e as Error).message}`, `Run npm ci (esbuild is a dependency). ${NOTHING_CHANGED}`);
  }
  await writeDnsCodeCache();
  return undefined;
}

/**
 * Compiles podlab's own CNI plugins (src/cni/<name>/plugin.c → build/cni/<name>) when missing or
 * older than their source: one static executable each, found by its path as the
 * reference plugins are. C, as the native programs: a plugin runs once per pod, and a Node
 * plugin's start-up cost about 100 ms of CPU per pod (docs/benchmarks.md, Calico).
 */
export async function ensureCniPlugins(names: readonly string[] = PODLAB_CNI_PLUGINS, ex: Executor = realExecutor): Promise<Diagnostic | undefined> {
  for (const name of names) {
    // One build per plugin at a time in this process (grading brings several labs up at once).
    const problem = await (building.get(name) ?? building.set(name, buildCniPlugin(name, ex).finally(() => building.delete(name))).get(name)!);
    if (problem) return problem;
  }
  return undefined;
}

const building = new Map<string, Promise<Diagnostic | undefined>>();
let builds = 0;

async function buildCniPlugin(name: string, ex: Executor): Promise<Diagnostic | undefined> {
  const out = `${PODLAB_CNI_BIN_DIR}/${name}`;
  const source = `${REPO_ROOT}src/cni/${name}/plugin.c`;
  if (!stale([out], [source])) return undefined;
  mkdirSync(PODLAB_CNI_BIN_DIR, { recursive: true });
  // Built beside and renamed into place: another podlab compiling at the same time never runs half a file.
  const tmp = `${out}.tmp.${process.pid}.${++builds}`;
  const cc = process.env.CC ?? 'cc';
  const flags = ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror'];
  // Static first (no libc at run time), as native/build.sh does; dynamic when static libc is missing.
  let r = await ex.run([cc, ...flags, '-static', '-o', tmp, source]);
  if (r.exitCode !== 0) r = await ex.run([cc, ...flags, '-o', tmp, source]);
  if (r.exitCode !== 0 || !existsSync(tmp)) {
    rmSync(tmp, { force: true });
    return diag('PL3002', [], `could not compile podlab's ${name} CNI plugin: ${r.stderr.trim() || r.stdout.trim() || `${cc} exited ${r.exitCode}`}`, `Install a C compiler (apt-get install gcc libc6-dev) or run scripts/setup.sh. ${NOTHING_CHANGED}`);
  }
  renameSync(tmp, out);
  return undefined;
}

/** Runs the server once with the launcher's CODE_CACHE_FLAG, which writes DNS_CODE_CACHE. */
async function writeDnsCodeCache(): Promise<void> {
  // Beside the bundles, not in /tmp: whatever a podlab killed meanwhile leaves stays in build/.
  const dir = mkdtempSync(`${dirname(DNS_BUNDLE)}/warm-up-`);
  try {
    // kubeadm's Corefile, forwarding to a resolv.conf beside it: outside /etc/coredns the server
    // reads only the files beside its Corefile (its Corefile paths are confined), and the warm-up
    // should take the same code paths as the DNS pod.
    writeFileSync(`${dir}/Corefile`, defaultCorefile('cluster.local').replace('/etc/resolv.conf', 'resolv.conf'));
    writeFileSync(`${dir}/resolv.conf`, 'nameserver 127.0.0.1\n');
    writeFileSync(`${dir}/cluster.json`, JSON.stringify({ namespaces: [], services: [], endpoints: [], pods: [] }));
    const { execa } = await import('execa'); // loaded only here (see exec.ts's runReal)
    await execa('unshare', ['--net', '--', process.execPath, DNS_BUNDLE, '-conf', `${dir}/Corefile`, CODE_CACHE_FLAG], {
      reject: false,
      timeout: 15_000,
      stdin: 'ignore',
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      extendEnv: false,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Builds the native programs (pause, probe, workload, spawner, dnslat) from native/ when missing or older than their source (needs a C compiler). */
export async function ensureNative(ex: Executor = realExecutor): Promise<Diagnostic | undefined> {
  const bins = [[PAUSE_BIN, 'pause'], [PROBE_BIN, 'probe'], [WORKLOAD_BIN, 'workload'], [SPAWNER_BIN, 'spawner'], [DNSLAT_BIN, 'dnslat'], [CONTAIN_BIN, 'contain'], [PTYRUN_BIN, 'ptyrun']] as const;
  if (!bins.some(([bin, name]) => stale([bin], [`${REPO_ROOT}native/${name}.c`, `${REPO_ROOT}native/addr.h`, `${REPO_ROOT}native/sha256.h`, `${REPO_ROOT}native/build.sh`]))) return undefined;
  const r = await ex.run(['sh', `${REPO_ROOT}native/build.sh`], { env: { PODLAB_NATIVE_OUT: dirname(PAUSE_BIN) } });
  if (r.exitCode !== 0 || !bins.every(([bin]) => existsSync(bin)))
    return diag('PL3002', [], `could not build the native binaries (pause, probe, workload, spawner, dnslat, contain, ptyrun): ${r.stderr.trim() || r.stdout.trim()}`, `Install a C compiler (apt-get install gcc libc6-dev) or run scripts/setup.sh. ${NOTHING_CHANGED}`);
  return undefined;
}
