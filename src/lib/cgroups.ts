/**
 * Memory and pids cgroups for code podlab does not trust: a graded lab's containers (one cgroup
 * for the whole lab) and each evaluation sandbox (one while it runs). podlab makes the cgroup and
 * writes its limits; `contain --cgroup DIR` moves itself in before it starts anything, so every
 * process of the container or the sandbox is in it, and the kernel holds them to its limits: past
 * the memory limit it OOM-kills inside the cgroup (the largest process there), never elsewhere on
 * the host; past the pids limit fork fails.
 *
 * Where: cgroup v1 (a hierarchy per controller, as on this project's machines) under podlab's own
 * cgroup of each hierarchy, `<memory mount><own path>/podlab/<name>` and the same for pids, so a
 * limit the machine set on podlab's own cgroup still holds for what podlab starts. cgroup v2 (one
 * hierarchy): `<mount>/podlab/<name>`, where the root delegates memory and pids (its
 * cgroup.subtree_control lists them, as systemd's does); v2's "no internal processes" rule forbids
 * enabling controllers below podlab's own cgroup, which holds podlab. Neither: `cgroupHost()`
 * says what is missing, and the caller decides (grade warns: its containers run without a memory
 * limit, as before).
 *
 * A cgroup is removed (rmdir) once its processes are gone: `down` after it has ended the lab's
 * processes, the evaluator after the sandbox's PID namespace is gone. `unheldEvalCgroups` lists the
 * evaluations' cgroups no sandbox holds: the next evaluation removes the empty ones
 * (`sweepEvalCgroups`), doctor reports those a process is still in.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** podlab's directory in each hierarchy, below which every cgroup of its own is made. */
const PODLAB_DIR = 'podlab';

export interface CgroupLimits {
  /** The most memory (bytes) the cgroup's processes hold together: page cache and kernel memory counted, as the kernel counts. */
  memoryBytes: number;
  /** The most processes and threads in the cgroup. */
  pids: number;
}

/** Where podlab makes its cgroups on this host. */
export interface CgroupHost {
  version: 1 | 2;
  /** podlab's directory in the memory hierarchy (v2: the one hierarchy). */
  memory: string;
  /** podlab's directory in the pids hierarchy (v2: the same as memory). */
  pids: string;
}

export type CgroupFinding = CgroupHost | { missing: string };

interface Mount {
  /** The mount's root within its hierarchy (`/` unless a container's view shows only part). */
  root: string;
  point: string;
  fstype: string;
  options: string[];
}

/** The cgroup mounts of /proc/self/mountinfo (fields: id parent dev root point options … - fstype source superoptions). */
export function cgroupMounts(mountinfo: string): Mount[] {
  const out: Mount[] = [];
  for (const line of mountinfo.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const left = line.slice(0, dash).split(' ');
    const [fstype, , superOptions = ''] = line.slice(dash + 3).split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    out.push({ root: unescape(left[3] ?? '/'), point: unescape(left[4] ?? ''), fstype, options: superOptions.split(',') });
  }
  return out;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** /proc/self/cgroup: `hierarchy-id:controllers:path`, by controller (v2's line, `0::path`, under ''). */
export function ownCgroups(procCgroup: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of procCgroup.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    for (const c of m[1]!.split(',')) out.set(c, m[2]!);
  }
  return out;
}

/**
 * Where podlab's cgroups go, from the mount table, podlab's own cgroups and (v2) the controllers
 * the root delegates: pure, for tests; `cgroupHost()` reads the three from this machine.
 */
export function findCgroupHost(mountinfo: string, procCgroup: string, v2RootControllers: (point: string) => string[] | undefined): CgroupFinding {
  const mounts = cgroupMounts(mountinfo);
  const own = ownCgroups(procCgroup);
  const v1 = (controller: string): string | undefined => {
    const m = mounts.find((x) => x.fstype === 'cgroup' && x.options.includes(controller));
    const path = own.get(controller);
    if (!m || path === undefined) return undefined;
    // In a container's view the mount may show only part of the hierarchy (its root is not `/`): podlab's path is below that root.
    const rel = m.root === '/' ? path : path === m.root || path.startsWith(`${m.root}/`) ? path.slice(m.root.length) : undefined;
    return rel === undefined ? undefined : join(m.point, rel, PODLAB_DIR);
  };
  const memory = v1('memory');
  const pids = v1('pids');
  if (memory && pids) return { version: 1, memory, pids };
  const unified = mounts.find((x) => x.fstype === 'cgroup2');
  if (unified) {
    const delegated = v2RootControllers(unified.point) ?? [];
    if (delegated.includes('memory') && delegated.includes('pids')) return { version: 2, memory: join(unified.point, PODLAB_DIR), pids: join(unified.point, PODLAB_DIR) };
  }
  const lacking = [memory ? '' : 'memory', pids ? '' : 'pids'].filter(Boolean).join(' and ');
  return { missing: `no ${lacking} cgroup controller podlab can use (cgroup v1 ${lacking} hierarchy, or cgroup v2 with ${lacking} in the root's cgroup.subtree_control)` };
}

let found: CgroupFinding | undefined;

/** This host's place for podlab's cgroups (read once per process), or what is missing. */
export function cgroupHost(): CgroupFinding {
  if (found) return found;
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return '';
    }
  };
  return (found = findCgroupHost(read('/proc/self/mountinfo'), read('/proc/self/cgroup'), (point) => {
    const text = read(join(point, 'cgroup.subtree_control'));
    return text ? text.trim().split(/\s+/) : undefined;
  }));
}

/** The directories of cgroup `name` (one per hierarchy: v1 memory and pids, v2 one), as contain's --cgroup takes them. */
export function cgroupDirs(host: CgroupHost, name: string): string[] {
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(name)) throw new Error(`cgroup name ${JSON.stringify(name)}: lowercase letters, digits, '.' and '-' only`);
  return host.version === 2 ? [join(host.memory, name)] : [join(host.memory, name), join(host.pids, name)];
}

/**
 * Makes cgroup `name` with its limits (again, if a killed podlab left it: limits rewritten) and
 * returns its directories. v2: podlab's directory first delegates memory and pids to its children.
 */
export function makeCgroup(host: CgroupHost, name: string, limits: CgroupLimits): string[] {
  const dirs = cgroupDirs(host, name);
  if (host.version === 2) {
    mkdirSync(host.memory, { recursive: true });
    writeFileSync(join(host.memory, 'cgroup.subtree_control'), '+memory +pids');
    mkdirSync(dirs[0]!, { recursive: true });
    writeFileSync(join(dirs[0]!, 'memory.max'), String(limits.memoryBytes));
    writeFileSync(join(dirs[0]!, 'memory.swap.max'), '0');
    writeFileSync(join(dirs[0]!, 'pids.max'), String(limits.pids));
    return dirs;
  }
  const [memory, pids] = dirs as [string, string];
  mkdirSync(memory, { recursive: true });
  mkdirSync(pids, { recursive: true });
  writeFileSync(join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
  // With swap, v1 counts it apart: memory+swap capped at the same figure, so nothing spills to swap.
  if (existsSync(join(memory, 'memory.memsw.limit_in_bytes'))) writeFileSync(join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
  writeFileSync(join(pids, 'pids.max'), String(limits.pids));
  return dirs;
}

/** The pids in a cgroup's directories (none when it is gone). */
export function cgroupPids(dirs: readonly string[]): number[] {
  const pids = new Set<number>();
  for (const d of dirs) {
    try {
      for (const l of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (l) pids.add(Number(l));
    } catch {
      /* gone */
    }
  }
  return [...pids];
}

/** How many processes the kernel OOM-killed in the cgroup (v1 memory.oom_control, v2 memory.events: `oom_kill N`). */
export function oomKills(dirs: readonly string[]): number {
  for (const d of dirs) {
    for (const f of ['memory.events', 'memory.oom_control']) {
      try {
        const m = /^oom_kill (\d+)$/m.exec(readFileSync(join(d, f), 'utf8'));
        if (m) return Number(m[1]);
      } catch {
        /* not this version's file */
      }
    }
  }
  return 0;
}

/**
 * Removes a cgroup's directories once its processes are gone, waiting up to `waitMs` for the
 * last to leave (a killed process leaves its cgroup as it exits). Returns the directories that
 * stay (a process still in them); a directory already gone is removed.
 */
export async function removeCgroup(dirs: readonly string[], waitMs = 2000): Promise<string[]> {
  const deadline = Date.now() + waitMs;
  let left = [...dirs];
  for (;;) {
    left = left.filter((d) => {
      try {
        rmdirSync(d);
        return false;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code !== 'ENOENT';
      }
    });
    if (!left.length || Date.now() >= deadline) return left;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The names of podlab's cgroups on this host (each hierarchy's), for doctor: those no lab or sandbox holds are strays. */
export function podlabCgroups(host: CgroupHost): string[] {
  const names = new Set<string>();
  for (const dir of new Set([host.memory, host.pids])) {
    try {
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) names.add(e.name);
    } catch {
      /* none yet */
    }
  }
  return [...names].sort();
}

/** The evaluation cgroups (`eval-<uid>`) of this host whose uid no live sandbox holds (`held(uid)` false), each with its directories and the pids in them. */
export function unheldEvalCgroups(held: (uid: number) => boolean): { uid: number; dirs: string[]; pids: number[] }[] {
  const host = cgroupHost();
  if ('missing' in host) return [];
  return podlabCgroups(host).flatMap((name) => {
    const m = EVAL_CGROUP.exec(name);
    if (!m || held(Number(m[1]))) return [];
    const dirs = cgroupDirs(host, name).filter((d) => existsSync(d));
    return [{ uid: Number(m[1]), dirs, pids: cgroupPids(dirs) }];
  });
}

/** A lab's cgroup (`lab-<lab>`): found by the lab's name alone, as `down` finds everything of a lab. */
export const labCgroupName = (lab: string) => `lab-${lab}`;

/** An evaluation sandbox's cgroup, by its uid (held by one sandbox at a time: lib/uids.ts). */
export const evalCgroupName = (uid: number) => `eval-${uid}`;
const EVAL_CGROUP = /^eval-(\d+)$/;

/** The directories of a cgroup of this host's that exist (none: it was never made, or is gone; or no cgroups here). */
export function existingCgroup(name: string): string[] {
  const host = cgroupHost();
  return 'missing' in host ? [] : cgroupDirs(host, name).filter((d) => existsSync(d));
}

/**
 * Removes the evaluation cgroups (`eval-<uid>`) no live sandbox holds (`held(uid)` false) and that
 * nothing is in: those of an evaluation whose result nobody awaited (the process exited first) or of
 * a killed podlab. Returns how many went. Cheap: one listing of podlab's directory.
 */
export function sweepEvalCgroups(held: (uid: number) => boolean): number {
  let n = 0;
  for (const { dirs, pids } of unheldEvalCgroups(held)) {
    if (pids.length) continue;
    for (const d of dirs) {
      try {
        rmdirSync(d);
        n++;
      } catch {
        /* a process came, or another podlab removed it */
      }
    }
  }
  return n;
}
