/**
 * A lab's state directory is a tmpfs of its own, mounted by `up` and unmounted by `down`: state
 * that lives exactly as long as the lab's namespaces and processes (a reboot takes all of them),
 * with no disk under it. `/run` is not always a tmpfs (on this project's CI machine it is the
 * root ext4, mounted with `discard`), and there removing a lab's state directory (the journal,
 * the rendered files, a lease file per pod from host-local) took 40 ms for 100 pods and grew with
 * them; unmounting a tmpfs frees it all at once. The mount source is `podlab-<lab>`, so a leftover
 * one names its lab in /proc/self/mountinfo.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { must, type Executor } from './exec.ts';
import { stateDir } from './state.ts';

/** mountinfo escapes space, tab, newline and backslash in paths as \ooo. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

/** The mounts in this process's mount namespace: mount point and source, from /proc/self/mountinfo text. */
export function parseMountinfo(text: string): { mountPoint: string; fsType: string; source: string }[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const f = line.split(' ');
      const sep = f.indexOf('-');
      return { mountPoint: unescape(f[4] ?? ''), fsType: f[sep + 1] ?? '', source: unescape(f[sep + 2] ?? '') };
    });
}

const mounts = () => parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));

/** How many mounts sit on `dir` (0: none; more than 1 only after an `up` mounted over an earlier one). */
export function mountsAt(dir: string): number {
  return mounts().filter((m) => m.mountPoint === dir).length;
}

/** The tmpfs source name of a lab's state directory. */
export const stateSource = (lab: string) => `podlab-${lab}`;

/** Mounts a lab's state directory as a tmpfs, unless something is mounted there already. */
export async function mountStateDir(ex: Executor, lab: string): Promise<void> {
  const dir = stateDir(lab);
  mkdirSync(dir, { recursive: true });
  if (mountsAt(dir) > 0) return;
  await must(ex, ['mount', '-t', 'tmpfs', '-o', 'mode=0755,nosuid,nodev', stateSource(lab), dir]);
}

/** Unmounts every mount on a lab's state directory (lazily: a process that still holds one cannot stop `down`). */
export async function unmountStateDir(ex: Executor, lab: string): Promise<void> {
  const dir = stateDir(lab);
  for (let n = mountsAt(dir); n > 0; n--) await must(ex, ['umount', '-l', dir]);
}
