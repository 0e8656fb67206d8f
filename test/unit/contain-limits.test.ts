/**
 * What a graded container may see and start. With a root of its own (--only), its /proc is a
 * procfs of its own with hidepid=invisible: no process of another uid is there (a student's pod
 * read the grader's command line, the class's file names, and another student's pod command).
 * contain --max-procs: a graded container's uid may have at most that many processes and threads
 * (RLIMIT_NPROC, set before the drop), so a fork bomb in a student's pod stops there; without it a
 * graded container had no limit (a hostile-student audit started 400 processes and 2 GB in one).
 * Real contain as root with a uid of its own; no namespace needed.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { CONTAIN_BIN } from '../../src/runtime/artifacts.ts';
import { PODLAB_UIDS } from '../../src/constants.ts';
import { containedProgram, GRADED_MAX_PROCS } from '../../src/render/render.ts';

const isRoot = process.getuid?.() === 0;
const UID = PODLAB_UIDS.container.first + PODLAB_UIDS.container.count - 3;

describe.skipIf(!isRoot)('contain --max-procs', () => {
  it("stops the uid's processes at the limit: the shell's fork fails, and /proc/self/limits says it", async () => {
    const script = 'grep "Max processes" /proc/self/limits; for i in 1 2 3 4 5 6; do sleep 1 & done; wait';
    const r = await execa(CONTAIN_BIN, ['--uid', String(UID), '--gid', String(UID), '--no-tmp', '--max-procs', '4', '--', '/bin/sh', '-c', script], { reject: false });
    expect(r.stdout).toMatch(/^Max processes +4 +4 +processes\s*$/m);
    expect(r.stderr).toMatch(/fork|Resource temporarily unavailable|Cannot/i);
  }, 20_000);

  it('with --only, /proc holds only its own uid\'s processes: not pid 1, not the test runner', async () => {
    const script = `ls /proc | grep -c '^[0-9]'; test -e /proc/1 && echo sees-1; test -e /proc/${process.pid} && echo sees-runner; true`;
    const own = UID - 1; // no other test's processes run as it
    const r = await execa(CONTAIN_BIN, ['--uid', String(own), '--gid', String(own), '--only', '/usr', '--only', '/lib', '--only', '/lib64', '--only', '/bin', '--', '/bin/sh', '-c', script], { reject: false });
    expect(r.stderr).toBe('');
    const [count, ...rest] = r.stdout.trim().split('\n');
    expect(Number(count)).toBeLessThanOrEqual(4); // sh, ls, grep (and a test)
    expect(rest).toEqual([]);
  }, 20_000);

  it('is given to a graded container: containedProgram with maxProcs', () => {
    expect(containedProgram(['sleep', '1'], UID, '/c', { maxProcs: GRADED_MAX_PROCS })).toEqual(['/c', '--uid', String(UID), '--gid', String(UID), '--max-procs', '256', '--', 'sleep', '1']);
  });
});
