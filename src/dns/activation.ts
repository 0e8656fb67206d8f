/**
 * Sockets handed to the server at its start, as systemd's socket activation hands them: the
 * cluster DNS pod's container binds its DNS ports before Node starts (native/contain.c --listen),
 * so that `up` need not wait for Node's start-up (about 60 ms of CPU here) and nothing sent in the
 * meantime is refused: it waits in the socket. The protocol is sd_listen_fds(3)'s: fds from 3,
 * LISTEN_FDS of them, LISTEN_FDNAMES their names (`udp4-53`, `tcp6-53`, …), for the process whose
 * pid is LISTEN_PID only. The variables are removed once read, as sd_listen_fds(1) does.
 */
import { closeSync } from 'node:fs';

/** The first fd passed (SD_LISTEN_FDS_START). */
const FIRST_FD = 3;

/** Name → fd of the sockets passed to this process; empty when none were (or they were for another pid). */
export function inheritedSockets(env: NodeJS.ProcessEnv, pid: number): Map<string, number> {
  const out = new Map<string, number>();
  const count = Number(env.LISTEN_FDS);
  const forUs = env.LISTEN_PID === String(pid);
  const names = (env.LISTEN_FDNAMES ?? '').split(':');
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  delete env.LISTEN_PID;
  if (!forUs || !Number.isInteger(count) || count < 1) return out;
  for (let i = 0; i < count; i++) if (names[i]) out.set(names[i]!, FIRST_FD + i);
  return out;
}

/** The name of the socket a server takes for a port: `udp4-53`, `tcp6-53`. */
export const socketName = (transport: 'udp' | 'tcp', family: 4 | 6, port: number): string => `${transport}${family}-${port}`;

/** Closes the passed sockets the server did not take (its Corefile serves other ports), saying so. */
export function closeUnused(inherited: Map<string, number>, log: (line: string) => void): void {
  for (const [name, fd] of inherited) {
    log(`[INFO] podlab-dns: closing passed socket ${name}: no server block serves it`);
    closeSync(fd);
  }
  inherited.clear();
}
