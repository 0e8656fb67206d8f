import { describe, expect, it } from 'vitest';
import { parseExit } from '../../src/runtime/exits.ts';
import { containedProgram, exitFileOf } from '../../src/render/render.ts';

describe('exit files (contain --exit-file, read by the agent)', () => {
  it('reads the code of an exit and 128 + the signal of a kill, as Kubernetes shows them', () => {
    expect(parseExit('4242 exited 3\n', 4242)).toEqual({ code: 3, reason: 'Error' });
    expect(parseExit('4242 exited 0\n', 4242)).toEqual({ code: 0, reason: 'Completed' });
    expect(parseExit('4242 signaled 15\n', 4242)).toEqual({ code: 143, signal: 15, reason: 'Error' });
  });
  it('ignores a line of another run (another shim pid), an empty file (a shim killed outright) and garbage', () => {
    expect(parseExit('4242 exited 3\n', 4243)).toBeUndefined();
    expect(parseExit('', 4242)).toBeUndefined();
    expect(parseExit('4242 exited\n', 4242)).toBeUndefined();
  });
  it('only labs with control loops get one, and not the DNS server (its own PID namespace)', () => {
    const pod = { namespace: 'default', name: 'web' };
    expect(exitFileOf({ loops: undefined }, '/run/podlab/x', pod, { name: 'c', argv: ['@workload'] })).toBeUndefined();
    const loops = { loops: {} } as unknown as Parameters<typeof exitFileOf>[0];
    expect(exitFileOf(loops, '/run/podlab/x', pod, { name: 'c', argv: ['@workload'] })).toBe('/run/podlab/x/exits/default_web_c');
    expect(exitFileOf(loops, '/run/podlab/x', pod, { name: 'dns', argv: ['@dns'] })).toBeUndefined();
    expect(containedProgram(['sleep', '1'], 5, 'contain', { exitFile: '/f' })).toEqual(['contain', '--uid', '5', '--gid', '5', '--exit-file', '/f', '--', 'sleep', '1']);
  });
});
