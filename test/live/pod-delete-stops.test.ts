/**
 * Deleting a pod stops every process of it, also the cluster DNS server, which runs as PID 1 of a
 * PID namespace of its own under `unshare --kill-child` and as an unprivileged uid: the uid change
 * cleared the parent-death signal, so the server outlived its pod (and its lab) until contain
 * learnt to set it again (native/contain.c, drop_privileges). labs/services.lab.ts as pds.
 */
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import servicesLab from '../../labs/services.lab.ts';
import type { LabSpec } from '../../src/index.ts';
import { labAroundSuite, liveGuard } from './host.ts';

const live = liveGuard();
const BIN = new URL('../../bin/podlab.js', import.meta.url).pathname;
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!live)('pod delete stops the whole pod (labs/services.lab.ts as pds)', () => {
  const name = 'pds';
  const { lab } = labAroundSuite({ ...(servicesLab as LabSpec), name, scenarios: {}, checks: [] });

  it("deleting kube-system/coredns stops its container and the server it runs, not only the recorded pid", async () => {
    const pid = lab().pods.coredns!.containers.coredns!.pid;
    const server = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    expect(server.length).toBe(1);
    expect(readFileSync(`/proc/${server[0]}/cmdline`, 'utf8')).toContain('podlab-dns');
    const del = await execa('node', [BIN, 'pod', 'delete', name, 'kube-system/coredns'], { reject: false });
    expect(del.exitCode, del.stderr).toBe(0);
    const deadline = Date.now() + 3000;
    while ((alive(pid) || alive(server[0]!)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect({ container: alive(pid), server: alive(server[0]!) }).toEqual({ container: false, server: false });
  }, 60_000);
});
