/**
 * A host snapshot for live tests that share the host with other live labs: the host's root
 * namespace in full (no lab may change it), but of podlab's own objects only those of the labs
 * whose names start with one of `prefixes`. So a test asserts "nothing of mine leaked, and the
 * host is unchanged" while someone else's labs come and go.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { listNetns } from '../../src/runtime/down.ts';
import { pidsInNetns } from '../../src/runtime/procs.ts';
import { comparable, hostSnapshot, type HostSnapshot } from './host.ts';

export interface ScopedSnapshot extends Omit<HostSnapshot, 'foreignNetnsProcs'> {
  /** Processes in one of the labs' namespaces, or whose command line names one (a pause process outliving its namespace's name). */
  procs: string[];
}

export async function scopedSnapshot(prefixes: readonly string[]): Promise<ScopedSnapshot> {
  const netnsPrefixes = prefixes.map((p) => `podlab-${p}`);
  const mineNs = (n: string) => netnsPrefixes.some((p) => n.startsWith(p));
  const { foreignNetnsProcs: _, ...full } = comparable(await hostSnapshot());
  const procs = new Set(pidsInNetns(listNetns().filter(mineNs)).map((p) => `${p.pid} in ${p.netns}`));
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    if (Number(pid) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (netnsPrefixes.some((p) => cmd.includes(`/run/netns/${p}`))) procs.add(`${pid}: ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return {
    ...full,
    podlabNetns: full.podlabNetns.filter(mineNs),
    etcNetns: full.etcNetns.filter(mineNs),
    state: full.state.filter((d) => prefixes.some((p) => d.startsWith(p))),
    stateMounts: full.stateMounts.filter((m) => prefixes.some((p) => m.startsWith(`/run/podlab/${p}`))),
    procs: [...procs].sort(),
  };
}
