/**
 * Launching one container: the step every container of a lab goes through (a pod's `command:`,
 * the built-in workloads, the DNS server, an outside host's programs), and the one module that
 * knows how. Given where the container joins (the pause process's namespaces, or a node's or
 * host's network namespace) and the program, it
 *   1. lets unprivileged processes bind low ports in that network namespace
 *      (net.ipv4.ip_unprivileged_port_start=0, a per-namespace sysctl, written through the
 *      spawner in the named namespace podlab made: never the host's), unless it was already (a
 *      pod's own sandbox writes it as it starts: pause --low-ports),
 *   2. takes a uid of its own for the container (PODLAB_UIDS.container, src/runtime/uids.ts),
 *   3. hands the container's own paths to uid U (`owns`: chown, before it starts: a restarted
 *      container has a new uid) and starts
 *      `nsenter … -- contain --uid U --gid U [--key-file FILE] [--only PATH]… [--writable DIR]… -- program`
 *      (native/contain.c: the key file opened as root and kept for the program, a mount namespace
 *      of its own with every mount read-only and nosuid, a private tmpfs on /tmp and /dev/shm, the
 *      `writable` directories bound read-write, then uid U with no_new_privs and no capabilities,
 *      exec in place, the key on descriptor IDENTITY.keyFd),
 *   4. hands the uid's lock to the container's process, so the uid is free once it ends.
 * The recorded pid is the program's own (nsenter, contain and the program exec one another), or,
 * with an exit file, contain's: then it is the program's parent and outlives it by the write.
 */
import { lchownSync, lstatSync, readdirSync } from 'node:fs';
import { NETNS_RUN_DIR } from '../constants.ts';
import { must, type Executor } from './exec.ts';
import { CONTAIN_BIN } from './artifacts.ts';
import { containedProgram } from '../render/render.ts';
import { recordOf } from './procs.ts';
import type { ProcessRecord } from './state.ts';
import { startAsUid } from './uids.ts';

export interface ContainerLaunch {
  /** The named network namespace (under /run/netns) the container's network is: a pod's, a node's or a host's. */
  netns: string;
  /** nsenter's options to join the container's namespaces (e.g. `-t PID --net --uts --ipc --mount`, or `--net=FILE`). */
  join: readonly string[];
  /** The program and its arguments. A leading `unshare … --` (a PID namespace of its own) stays outside: contain runs inside it. */
  argv: readonly string[];
  env: Record<string, string>;
  log: string;
  /** When given, the container's root holds only these paths (read-only), as the DNS server's does. */
  only?: readonly string[];
  /**
   * Directories that stay writable in the otherwise read-only view (absolute, no link on the way):
   * the ingress controller's run directory. Each is also in `owns`.
   */
  writable?: readonly string[];
  /** Paths handed to the container's uid (chown; a directory with what it holds) before it starts: its run directory, its private keys. */
  owns?: readonly string[];
  /** contain stays the program's parent and writes how it ended to this file (runtime/exits.ts); the recorded pid is then contain's. */
  exitFile?: string;
  /** Low ports were allowed in `netns` already (by allowLowPorts: once per pod, not per container). */
  lowPortsAllowed?: boolean;
  /** The PID namespace the program joins (contain --pid-ns): a shareProcessNamespace pod's. */
  pidNs?: string;
  /** Sockets contain binds as root and passes on (contain --listen, render's dnsListeners): the DNS server's. */
  listen?: readonly string[];
  /**
   * A root-only file handed to the program as descriptor IDENTITY.keyFd (contain --key-file), never
   * to its uid: an http-echo's key (runtime/identity.ts). Not with `listen` (its sockets come first).
   */
  keyFile?: string;
}

export interface LaunchedContainer extends ProcessRecord {
  /** The full command line started, for the state and `podlab status`. */
  argv: string[];
  /** The uid the program runs as. */
  uid: number;
}

export const LOW_PORTS_SYSCTL = 'net.ipv4.ip_unprivileged_port_start=0';

/** The command line that starts a contained program as `uid` (the program part is render's containedProgram, which up.sh shows too). */
export function containedArgv(launch: Pick<ContainerLaunch, 'join' | 'argv' | 'only' | 'writable' | 'pidNs' | 'exitFile' | 'listen' | 'keyFile'>, uid: number | string, contain = CONTAIN_BIN): string[] {
  return ['nsenter', ...launch.join, '--', ...containedProgram(launch.argv, uid, contain, launch)];
}

/** Step 1 of the module's comment: lets unprivileged processes bind low ports in the named network namespace. */
export async function allowLowPorts(ex: Executor, netns: string): Promise<void> {
  await must(ex, ['nsenter', `--net=${NETNS_RUN_DIR}/${netns}`, '--', 'sysctl', '-qw', LOW_PORTS_SYSCTL]);
}

/** Starts one container (see the module's comment); the uid is released again if it does not start. */
export async function launchContainer(ex: Executor, launch: ContainerLaunch): Promise<LaunchedContainer> {
  if (launch.keyFile && launch.listen?.length) throw new Error('a container gets a key file or sockets, not both: the key is on descriptor 3');
  if (!launch.lowPortsAllowed) await allowLowPorts(ex, launch.netns);
  return startAsUid('container', async (uid) => {
    const argv = containedArgv(launch, uid);
    for (const p of launch.owns ?? []) chownTree(p, uid);
    return { ...recordOf(await ex.spawn(argv, { logFile: launch.log, env: launch.env, cleanEnv: true })), argv };
  });
}

/** `path` and, for a directory, everything below it (links themselves, never followed) given to uid:uid. */
function chownTree(path: string, uid: number): void {
  lchownSync(path, uid, uid);
  if (!lstatSync(path).isDirectory()) return;
  for (const e of readdirSync(path, { withFileTypes: true })) chownTree(`${path}/${e.name}`, uid);
}
