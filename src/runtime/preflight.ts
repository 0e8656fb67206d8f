/**
 * Preflight: what the host must offer before a lab may touch it — root, the tools (iproute2,
 * nsenter, CNI plugins, the pause binary), and the kernel features the plan lists. Kernel
 * features are probed by creating the device in a throw-away namespace of podlab's own, since a
 * module may be built in, loadable, or missing, and only trying tells.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../lib/write-atomic.ts';
import { CNI_PLUGIN_DIRS, KERNEL_PROBE_FILE, NETNS_PREFIX, NETNS_RUN_DIR, NOTHING_CHANGED } from '../constants.ts';
import { cniFeatureHints } from '../cni/registry.ts';
import { netns } from '../plan/names.ts';
import { diag, warning, type Diagnostic } from '../compile/diagnostics.ts';
import { realExecutor, type Executor } from './exec.ts';
import { ensureDnsServer, ensureNative } from './artifacts.ts';
import { CONTAINER_PATH } from '../constants.ts';

const DEBIAN_PACKAGE: Record<string, string> = {
  ip: 'iproute2',
  bridge: 'iproute2',
  nsenter: 'util-linux',
  ping: 'iputils-ping',
  nft: 'nftables',
  iptables: 'iptables',
};

/** True when `path` is a file this process may execute. */
function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** True when `tool` is an executable on `path` (default: podlab's own PATH). */
export function onPath(tool: string, path = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'): boolean {
  return path.split(':').some((d) => d && executable(`${d}/${tool}`));
}

/**
 * Containers whose command is not on this host (an absolute path that is not an executable, or a
 * name on no directory of the container's PATH): they would end at once with exit 127, as a pod
 * whose image lacks the command does in Kubernetes (StartError, then CrashLoopBackOff). Not an
 * error — the lab is built, and such a pod may be the lesson — but said before `up` builds it,
 * as PL3160 warnings, rather than found later in `status`.
 */
export function missingCommands(pods: readonly { namespace: string; name: string; containers: readonly { name: string; argv: readonly string[]; env: Readonly<Record<string, string>> }[] }[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const pod of pods)
    for (const c of pod.containers) {
      const cmd = c.argv[0];
      // podlab's own programs (@workload, @dns, @nginx) and an unshare wrapper are its to start.
      if (!cmd || cmd.startsWith('@') || cmd === 'unshare') continue;
      const found = cmd.includes('/') ? executable(cmd) : onPath(cmd, c.env.PATH ?? CONTAINER_PATH);
      if (!found)
        out.push(warning('PL3160', [], `pod ${pod.namespace}/${pod.name} container ${c.name}: its command "${cmd}" is ${cmd.includes('/') ? 'not an executable on this host' : "on no directory of the container's PATH"}: it will end at once (exit 127), as a container whose image lacks the command`, `The lab is built anyway (podlab status shows the container dead, podlab logs its error). Containers run this host's programs: fix command, or install the program.`));
    }
  return out;
}

let pluginDir: string | undefined;

/** Where the CNI reference plugins are (found once per process: every CNI call asks). */
export function cniPluginDir(): string | undefined {
  return (pluginDir ??= CNI_PLUGIN_DIRS.find((d) => existsSync(`${d}/bridge`) && existsSync(`${d}/host-local`)));
}

/** Root, tools, CNI plugins and the pause binary. */
export async function checkHost(ex: Executor = realExecutor): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  if (process.getuid?.() !== 0) out.push(diag('PL3003', [], 'building a lab needs root (network namespaces, veth pairs, CNI plugins)', `Run it with sudo, or as root. ${NOTHING_CHANGED}`));
  for (const tool of ['ip', 'bridge', 'nsenter', 'nft'])
    if (!onPath(tool)) out.push(diag('PL3002', [], `the "${tool}" command is missing`, `apt-get install ${DEBIAN_PACKAGE[tool]} (or run scripts/setup.sh). ${NOTHING_CHANGED}`));
  if (!cniPluginDir())
    out.push(diag('PL3002', [], `the CNI reference plugins (bridge, host-local) are not in ${CNI_PLUGIN_DIRS.join(' or ')}`, `apt-get install containernetworking-plugins (or run scripts/setup.sh). ${NOTHING_CHANGED}`));
  if (!out.length) {
    const p = await ensureNative(ex);
    if (p) out.push(p);
    const d = await ensureDnsServer();
    if (d) out.push(d);
  }
  return out;
}

/** How to create a throw-away device of each kernel feature, inside the probe namespace. */
const PROBES: Record<string, string[]> = {
  veth: ['link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1'],
  bridge: ['link', 'add', 'p2', 'type', 'bridge'],
  vxlan: ['link', 'add', 'p3', 'type', 'vxlan', 'id', '42', 'dstport', '4789'],
  ipip: ['link', 'add', 'p4', 'type', 'ipip', 'local', '192.0.2.1', 'remote', '192.0.2.2'],
  vrf: ['link', 'add', 'p5', 'type', 'vrf', 'table', '10'],
  ipvlan: ['link', 'add', 'p6', 'link', 'p2', 'type', 'ipvlan'],
};

const FEATURE_HINT: Record<string, string> = {
  ...cniFeatureHints(),
  ipip: 'Calico IPIP mode needs CONFIG_NET_IPIP; use VXLAN encapsulation or no encapsulation.',
};

/** A tiny table using what podlab's kube-proxy needs: NAT, numgen, fib, concatenations, a dynamic set with timeouts. */
const NFT_PROBE = `table ip probe {
  set s {
    type ipv4_addr
    flags dynamic,timeout
    timeout 10s
  }
  chain c {
    type nat hook prerouting priority dstnat; policy accept;
    fib daddr type local ip daddr . meta l4proto . th dport { 10.0.0.1 . tcp . 80 } update @s { ip saddr }
    meta l4proto tcp dnat to numgen random mod 2 map { 0 : 10.0.0.2 . 80, 1 : 10.0.0.3 . 80 }
  }
}
`;

const NFT_BRIDGE_PROBE = `table bridge podlab_probe {
  chain f {
    type filter hook forward priority filter; policy accept;
    ip saddr 10.0.0.0/8 counter drop
  }
}
`;

/** What the NetworkPolicy tables use (src/policy/nft.ts): conntrack state, concatenated sets, verdict maps, reject. */
const NFT_POLICY_PROBE = `table ip podlab_probe_policy {
  set p {
    type ipv4_addr . inet_proto . inet_service
  }
  map m {
    type ipv4_addr : verdict
  }
  chain c {
  }
  chain f {
    type filter hook forward priority filter; policy accept;
    ct state established,related accept
    ip daddr . meta l4proto . th dport @p counter accept
    ip saddr vmap @m
    counter reject
  }
}
`;

/** Features probed other than by creating a device: nftables NAT, br_netfilter, the iptables tool (portmap). */
async function probeSpecial(feature: string, ns: string, ex: Executor): Promise<Diagnostic | undefined> {
  const inNs = ['nsenter', `--net=${NETNS_RUN_DIR}/${ns}`, '--'];
  if (feature === 'nftables') {
    const r = await ex.run([...inNs, 'nft', '-f', '-'], { input: NFT_PROBE });
    if (r.exitCode !== 0)
      return diag('PL3001', [], `this kernel cannot load podlab's kube-proxy rules (nftables with NAT, numgen, fib and dynamic sets): ${r.stderr.trim().split('\n')[0]}`, `Enable CONFIG_NF_TABLES, CONFIG_NFT_NAT, CONFIG_NFT_NUMGEN, CONFIG_NFT_FIB_IPV4. ${NOTHING_CHANGED}`);
  } else if (feature === 'nft-bridge') {
    const r = await ex.run([...inNs, 'nft', '-f', '-'], { input: NFT_BRIDGE_PROBE });
    if (r.exitCode !== 0)
      return diag('PL3001', ['nodeNetwork', 'podTraffic'], `this kernel has no nftables bridge family (nft_chain_filter for bridges), which nodeNetwork.podTraffic 'drop' needs to filter the node network: ${r.stderr.trim().split('\n')[0]}`, `Enable CONFIG_NF_TABLES_BRIDGE, or leave nodeNetwork.podTraffic at 'deliver'. ${NOTHING_CHANGED}`);
  } else if (feature === 'nft-policy') {
    const r = await ex.run([...inNs, 'nft', '-f', '-'], { input: NFT_POLICY_PROBE });
    if (r.exitCode !== 0)
      return diag('PL3001', ['networkPolicies'], `this kernel cannot load podlab's NetworkPolicy rules (nftables with conntrack, concatenated sets, verdict maps and reject): ${r.stderr.trim().split('\n')[0]}`, `Enable CONFIG_NFT_CT, CONFIG_NFT_REJECT and CONFIG_NFT_REJECT_IPV4. ${NOTHING_CHANGED}`);
  } else if (feature === 'br_netfilter') {
    const r = await ex.run([...inNs, 'sysctl', '-n', 'net.bridge.bridge-nf-call-iptables']);
    if (r.exitCode !== 0)
      return diag('PL3001', [], 'this kernel has no br_netfilter (net.bridge.bridge-nf-call-iptables), which Services need for pods on one node reaching each other through a Service', `Load it (modprobe br_netfilter) or build CONFIG_BRIDGE_NETFILTER. ${NOTHING_CHANGED}`);
  } else if (feature === 'bird') {
    // Not a kernel feature: the BIRD 2 daemon (Debian bird2), which Calico's BGP mode runs in every node.
    for (const tool of ['bird', 'birdc'])
      if (!onPath(tool)) return diag('PL3002', ['cni'], `the "${tool}" command is missing; Calico's BGP routing runs BIRD 2 in every node`, `apt-get install bird2 (or run scripts/setup.sh), or use encapsulation: 'VXLAN', which needs no BGP. ${NOTHING_CHANGED}`);
  } else if (feature === 'ingress') {
    // Not a kernel feature: the ingress controller runs Debian's nginx (contained like any container), with certificates from openssl.
    for (const [tool, pkg] of [['nginx', 'nginx'], ['openssl', 'openssl']])
      if (!onPath(tool!)) return diag('PL3002', ['ingresses'], `the "${tool}" command is missing; the lab's ingress controller needs it`, `apt-get install ${pkg} (or run scripts/setup.sh). ${NOTHING_CHANGED}`);
  } else if (feature === 'iptables') {
    if (!onPath('iptables')) return diag('PL3002', [], 'the "iptables" command is missing; the CNI portmap plugin (hostPort) needs it', `apt-get install iptables (or run scripts/setup.sh). ${NOTHING_CHANGED}`);
  }
  return undefined;
}

/** What this process already knows of the kernel (real probes only), and the probe in flight: one at a time, as they share a namespace name. */
const known = new Map<string, Diagnostic | undefined>();
let queue: Promise<unknown> = Promise.resolve();

/** Features probed by making something in the probe namespace: what the kernel has stays for the boot. */
const KERNEL_FEATURES = new Set([...Object.keys(PROBES), 'nftables', 'nft-bridge', 'nft-policy', 'br_netfilter']);

function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Kernel features found present earlier in this boot (KERNEL_PROBE_FILE): each probe costs a
 * namespace and a few processes, 20-80 ms of an `up`. Only presence is kept (a feature found
 * missing is probed again, as the hint says to load a module), and only for this boot's id.
 */
export function presentThisBoot(file = KERNEL_PROBE_FILE, boot = bootId()): Set<string> {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as { boot?: unknown; present?: unknown };
    if (boot && j.boot === boot && Array.isArray(j.present)) return new Set(j.present.filter((f): f is string => typeof f === 'string' && KERNEL_FEATURES.has(f)));
  } catch {
    /* none yet, or unreadable: probe */
  }
  return new Set();
}

export function rememberPresent(features: Iterable<string>, file = KERNEL_PROBE_FILE, boot = bootId()): void {
  if (!boot) return;
  const present = [...new Set([...presentThisBoot(file, boot), ...[...features].filter((f) => KERNEL_FEATURES.has(f))])].sort();
  try {
    writeFileAtomic(file, `${JSON.stringify({ boot, present })}\n`, 0o644);
  } catch {
    /* costs only the speed */
  }
}

/**
 * Returns a PL3001 diagnostic per feature the kernel lacks. Needs root. A process (the grader)
 * probes each feature once. With `lab`, the probe's namespace is that lab's (`podlab-<lab>.probe`):
 * an `up` killed while probing leaves it where `down <lab>` and `doctor --lab <lab>` find it.
 */
export function probeKernel(features: readonly string[], ex: Executor = realExecutor, lab?: string): Promise<Diagnostic[]> {
  const run = queue.then(async () => {
    const memo = ex === realExecutor;
    if (memo && features.some((f) => !known.has(f) && KERNEL_FEATURES.has(f))) for (const f of presentThisBoot()) known.set(f, undefined);
    const todo = memo ? features.filter((f) => !known.has(f)) : features;
    const found = todo.length || !memo ? await probeOnce(todo, ex, lab) : new Map<string, Diagnostic | undefined>();
    if (found instanceof Array) return found; // no namespaces at all: nothing is remembered
    if (memo) for (const [f, d] of found) known.set(f, d);
    if (memo && [...found.keys()].some((f) => KERNEL_FEATURES.has(f))) rememberPresent([...found].filter(([, d]) => !d).map(([f]) => f));
    return features.flatMap((f) => {
      const d = memo ? known.get(f) : found.get(f);
      return d ? [d] : [];
    });
  });
  queue = run.catch(() => undefined);
  return run;
}

/** Probes each feature in a throw-away namespace: feature → its diagnostic (undefined: present); an array when namespaces themselves fail. */
async function probeOnce(features: readonly string[], ex: Executor, lab?: string): Promise<Map<string, Diagnostic | undefined> | Diagnostic[]> {
  const ns = lab ? netns.probe(lab) : `${NETNS_PREFIX}probe.${process.pid}`;
  const out = new Map<string, Diagnostic | undefined>();
  // Tools on the PATH need no namespace: none is made when nothing else is left to probe.
  if (!features.some((f) => KERNEL_FEATURES.has(f))) {
    for (const f of features) out.set(f, await probeSpecial(f, ns, ex));
    return out;
  }
  const add = await ex.run(['ip', 'netns', 'add', ns]);
  if (add.exitCode !== 0) return [diag('PL3001', [], `network namespaces are not available: ${add.stderr.trim()}`, NOTHING_CHANGED)];
  try {
    for (const f of features) {
      const special = await probeSpecial(f, ns, ex);
      if (special) {
        out.set(f, special);
        continue;
      }
      const probe = PROBES[f];
      if (!probe) {
        out.set(f, undefined);
        continue;
      }
      const r = await ex.run(['ip', '-n', ns, ...probe]);
      out.set(f, r.exitCode !== 0 ? diag('PL3001', ['cni'], `this kernel cannot create ${f} devices (${r.stderr.trim()}), which the lab needs`, `${FEATURE_HINT[f] ?? `Load or build the ${f} kernel module.`} ${NOTHING_CHANGED}`) : undefined);
    }
  } finally {
    await ex.run(['ip', 'netns', 'del', ns]);
  }
  return out;
}
