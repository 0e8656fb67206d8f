/**
 * A process by identity: its pid and its start time (field 22 of /proc/<pid>/stat), so that a
 * recycled pid is never taken for the process it replaced. Read-only; stopping processes is
 * src/runtime/procs.ts's.
 */
import { readFileSync } from 'node:fs';
import { isoSeconds } from './time.ts';

/** A process as recorded: `ProcessRecord` of the runtime's state has this shape. */
export interface ProcessRef {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. */
  startTime: number;
}

/** Start time (field 22 of /proc/<pid>/stat) of a running process; undefined when gone or a zombie. */
export function startTimeOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses; fields after the last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie has exited; only its parent's wait() is missing, which is not ours to do.
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    // So has an exiting process (PF_EXITING, field 9): it has left its namespaces and runs no more
    // code. A PID namespace's init stays so until whoever reaps outside has reaped its children.
    if (Number(fields[6]) & PF_EXITING) return undefined;
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

/** include/linux/sched.h: the task is getting shut down. */
const PF_EXITING = 0x4;

/** Clock ticks per second of /proc's start times (USER_HZ: 100 on Linux, whatever the kernel's HZ). */
const USER_HZ = 100;

/** How long ago (ms) the recorded process started, from /proc/uptime; undefined when unknown. */
export function processAgeMs(rec: ProcessRef): number | undefined {
  try {
    const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    return rec.startTime > 0 && Number.isFinite(uptime) ? Math.max(0, uptime * 1000 - (rec.startTime * 1000) / USER_HZ) : undefined;
  } catch {
    return undefined;
  }
}

export function recordOf(pid: number): ProcessRef {
  return { pid, startTime: startTimeOf(pid) ?? 0 };
}

/** True when the recorded process still exists and is the same process (not a recycled pid). */
export function isAlive(rec: ProcessRef): boolean {
  return startTimeOf(rec.pid) === rec.startTime;
}

let boot: number | undefined;

/** /proc/stat's btime, in ms since the epoch (a process's start time counts clock ticks from it); read once. */
export function bootTimeMs(): number | undefined {
  if (boot !== undefined) return boot;
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    return (boot = m ? Number(m[1]) * 1000 : undefined);
  } catch {
    return undefined;
  }
}

/** When a process started (its start time in clock ticks since boot, 1/100 s: USER_HZ), as an ISO time to the second. */
export function startedAtIso(ticks: number, bootMs = bootTimeMs()): string | undefined {
  return bootMs === undefined ? undefined : isoSeconds(bootMs + ticks * 10);
}
