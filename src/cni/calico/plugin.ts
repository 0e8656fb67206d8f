/**
 * podlab's `calico` CNI plugin: the pod wiring of Calico's CNI plugin (cni-plugin/pkg/dataplane/
 * linux/dataplane_linux.go), speaking the CNI protocol (CNI_COMMAND ADD/DEL/CHECK/VERSION in the
 * environment, the network configuration on stdin, the result or error JSON on stdout). IPAM is
 * delegated to the plugin named in `ipam` (host-local, with the node's blocks as ranges), as
 * Calico's own plugin delegates to calico-ipam or host-local.
 *
 * ADD makes a veth whose host side is `cali` + sha1("<namespace>.<pod>")[:11], MAC
 * ee:ee:ee:ee:ee:ee, no address, proxy ARP on (so it answers ARP for 169.254.1.1), with a /32
 * route to the pod; in the pod, eth0 holds the IP as a /32 with a route to 169.254.1.1 (scope
 * link) and the default route via it. Why not the reference `ptp` plugin: it gives the host side
 * the gateway address, names it veth<random>, keeps the pool's prefix length on the pod's address
 * and routes the subnet via the gateway — a different data plane from Calico's.
 *
 * Runs inside the node's network namespace (as the runtime calls every plugin); reaches the pod's
 * namespace by its path. Every command is an argv (no shell). Bundled by esbuild into build/cni/calico.
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hostVethName } from './veth.ts';

const GATEWAY = '169.254.1.1';
const HOST_MAC = 'ee:ee:ee:ee:ee:ee';
const SUPPORTED = ['0.3.1', '0.4.0', '1.0.0'];

interface NetConf {
  cniVersion: string;
  name: string;
  type: string;
  mtu?: number;
  ipam: { type: string };
}

class CniError extends Error {
  constructor(
    readonly code: number,
    msg: string,
    readonly details = '',
  ) {
    super(msg);
  }
}

function env(name: string, required = true): string {
  const v = process.env[name];
  if (required && !v) throw new CniError(4, `missing ${name}`, `the runtime must set ${name} (CNI spec, "Parameters")`);
  return v ?? '';
}

/** CNI_ARGS: `K=V;K=V`. */
function cniArgs(): Record<string, string> {
  return Object.fromEntries(
    env('CNI_ARGS', false)
      .split(';')
      .filter((kv) => kv.includes('='))
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

function run(argv: string[], input?: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { input, encoding: 'utf8', env: process.env });
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error) : '') };
}

function must(argv: string[], what: string, input?: string): string {
  const r = run(argv, input);
  if (r.status !== 0) throw new CniError(11, `${what} failed`, `${argv.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** The IPAM plugin, found in CNI_PATH as the spec says. */
function ipamPlugin(type: string): string {
  for (const dir of env('CNI_PATH').split(':')) {
    try {
      accessSync(`${dir}/${type}`, constants.X_OK);
      return `${dir}/${type}`;
    } catch {
      /* next directory */
    }
  }
  throw new CniError(5, `IPAM plugin "${type}" not found`, `searched CNI_PATH=${env('CNI_PATH')}`);
}

/** Delegates to the IPAM plugin with the same environment and configuration (CNI spec, "Delegated plugins"). */
function ipam(command: 'ADD' | 'DEL' | 'CHECK', conf: NetConf, raw: string): Record<string, unknown> | undefined {
  const r = spawnSync(ipamPlugin(conf.ipam.type), [], { input: raw, encoding: 'utf8', env: { ...process.env, CNI_COMMAND: command } });
  if (r.status !== 0) {
    let err: { code?: number; msg?: string; details?: string } = {};
    try {
      err = JSON.parse(r.stdout) as typeof err;
    } catch {
      /* not JSON */
    }
    throw new CniError(err.code ?? 11, `IPAM ${command}: ${err.msg ?? 'failed'}`, err.details ?? r.stderr?.trim() ?? '');
  }
  return r.stdout.trim() ? (JSON.parse(r.stdout) as Record<string, unknown>) : undefined;
}

function setSysctl(path: string, value: string): void {
  writeFileSync(`/proc/sys/${path}`, value);
}

function add(conf: NetConf, raw: string): Record<string, unknown> {
  const netns = env('CNI_NETNS');
  const ifname = env('CNI_IFNAME');
  const args = cniArgs();
  const veth = args.K8S_POD_NAME ? hostVethName(args.K8S_POD_NAMESPACE ?? 'default', args.K8S_POD_NAME) : `cali${createHash('sha1').update(env('CNI_CONTAINERID')).digest('hex').slice(0, 11)}`;
  const allocated = ipam('ADD', conf, raw)!;
  const ips = (allocated.ips as { address: string }[] | undefined) ?? [];
  const v4 = ips.find((i) => !i.address.includes(':'));
  try {
    if (!v4) throw new CniError(11, 'IPAM returned no IPv4 address', JSON.stringify(allocated));
    const address = v4.address.split('/')[0]!;
    const mtu = conf.mtu ?? 1500;
    // The node side: the veth pair (its pod end created straight in the pod's namespace), the host end up with Calico's MAC, a /32 route to the pod.
    must(
      ['ip', '-batch', '-'],
      'creating the veth',
      [
        `link add name ${veth} address ${HOST_MAC} mtu ${mtu} type veth peer name ${ifname} mtu ${mtu} netns ${netns}`,
        `link set dev ${veth} up`,
        `route replace ${address}/32 dev ${veth} scope link`,
        '',
      ].join('\n'),
    );
    // Proxy ARP: the host end answers the pod's ARP for 169.254.1.1 with its own MAC, at once.
    setSysctl(`net/ipv4/conf/${veth}/proxy_arp`, '1');
    setSysctl(`net/ipv4/neigh/${veth}/proxy_delay`, '0');
    setSysctl(`net/ipv4/conf/${veth}/forwarding`, '1');
    // The pod side: the address as a /32, the gateway reachable on the link, the default route via it.
    must(
      ['nsenter', `--net=${netns}`, '--', 'ip', '-batch', '-'],
      'configuring the pod side',
      [`link set dev ${ifname} up`, `address add ${address}/32 dev ${ifname}`, `route add ${GATEWAY} dev ${ifname} scope link`, `route add default via ${GATEWAY} dev ${ifname}`, ''].join('\n'),
    );
    const link = JSON.parse(must(['nsenter', `--net=${netns}`, '--', 'ip', '-j', 'link', 'show', 'dev', ifname], 'reading the pod side')) as { address?: string }[];
    return {
      cniVersion: conf.cniVersion,
      interfaces: [{ name: veth, mac: HOST_MAC }, { name: ifname, mac: link[0]?.address ?? '', sandbox: netns }],
      ips: [{ address: `${address}/32`, gateway: GATEWAY, interface: 1 }],
      routes: [{ dst: '0.0.0.0/0', gw: GATEWAY }],
      dns: {},
    };
  } catch (e) {
    // Nothing half-made stays: the veth (with the pod end) and the address go.
    run(['ip', 'link', 'del', veth]);
    try {
      ipam('DEL', conf, raw);
    } catch {
      /* the ADD's error is the one to report */
    }
    throw e;
  }
}

function del(conf: NetConf, raw: string): void {
  const args = cniArgs();
  if (args.K8S_POD_NAME) run(['ip', 'link', 'del', hostVethName(args.K8S_POD_NAMESPACE ?? 'default', args.K8S_POD_NAME)]); // gone already is fine
  ipam('DEL', conf, raw);
}

function check(conf: NetConf, raw: string): void {
  const args = cniArgs();
  if (!args.K8S_POD_NAME) return;
  const veth = hostVethName(args.K8S_POD_NAMESPACE ?? 'default', args.K8S_POD_NAME);
  const r = run(['ip', '-j', 'link', 'show', 'dev', veth]);
  if (r.status !== 0) throw new CniError(11, `host veth ${veth} is missing`);
  const mac = (JSON.parse(r.stdout) as { address?: string }[])[0]?.address;
  if (mac !== HOST_MAC) throw new CniError(11, `host veth ${veth} has MAC ${mac}, not ${HOST_MAC}`);
  ipam('CHECK', conf, raw);
}

function main(): number {
  const command = process.env.CNI_COMMAND;
  if (command === 'VERSION') {
    process.stdout.write(JSON.stringify({ cniVersion: '1.0.0', supportedVersions: SUPPORTED }));
    return 0;
  }
  let conf: NetConf | undefined;
  try {
    const raw = readFileSync(0, 'utf8');
    conf = JSON.parse(raw) as NetConf;
    if (!SUPPORTED.includes(conf.cniVersion)) throw new CniError(1, `incompatible CNI version ${conf.cniVersion}`, `supported: ${SUPPORTED.join(', ')}`);
    if (!conf.ipam?.type) throw new CniError(7, 'no IPAM plugin in the network configuration', 'set ipam.type, e.g. "host-local"');
    if (command === 'ADD') process.stdout.write(JSON.stringify(add(conf, raw)));
    else if (command === 'DEL') del(conf, raw);
    else if (command === 'CHECK') check(conf, raw);
    else throw new CniError(4, `unknown CNI_COMMAND "${command ?? ''}"`);
    return 0;
  } catch (e) {
    const err = e instanceof CniError ? e : new CniError(999, (e as Error).message);
    process.stdout.write(JSON.stringify({ cniVersion: conf?.cniVersion ?? '1.0.0', code: err.code, msg: err.message, details: err.details }));
    return 1;
  }
}

process.exitCode = main();
