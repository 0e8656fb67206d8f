/** How podlab calls a CNI plugin (src/runtime/cni.ts): the spec's variables, and what it adds to the environment. */
import { afterEach, describe, expect, it } from 'vitest';
import { validateValue } from '../../src/compile/validate-value.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { cniAdd } from '../../src/runtime/cni.ts';
import type { Executor, RunOptions } from '../../src/runtime/exec.ts';

const { lab } = validateValue({ name: 'cni-invoke', nodes: { w1: {} }, pods: { a: { node: 'w1' } } } as never, 'cni-invoke.test.ts');
const plan = buildPlan(lab!);
const pod = plan.pods.find((p) => p.name === 'a')!;
const node = plan.nodes.find((n) => n.name === pod.node)!;

/** An executor that records each run's environment and answers as a plugin that made nothing. */
function recording(): { ex: Executor; envs: Record<string, string>[] } {
  const envs: Record<string, string>[] = [];
  const ex: Executor = {
    run: async (_argv, options?: RunOptions) => {
      envs.push({ ...(options?.env ?? {}) });
      return { exitCode: 0, stdout: '{"cniVersion":"1.0.0","interfaces":[],"ips":[]}', stderr: '' };
    },
    spawn: async () => 0,
    signal: () => {},
  };
  return { ex, envs };
}

const saved = process.env.GOMAXPROCS;
afterEach(() => {
  if (saved === undefined) delete process.env.GOMAXPROCS;
  else process.env.GOMAXPROCS = saved;
});

describe('a CNI plugin call', () => {
  it("gives every plugin of the chain the spec's variables and one P for the Go runtime", async () => {
    delete process.env.GOMAXPROCS;
    const { ex, envs } = recording();
    await cniAdd(ex, node, pod);
    expect(envs.length).toBe(node.conflist.plugins.length);
    for (const env of envs) expect(env).toMatchObject({ CNI_COMMAND: 'ADD', CNI_IFNAME: 'eth0', CNI_NETNS: expect.stringContaining(pod.netns), GOMAXPROCS: '1' });
  });

  it("leaves a GOMAXPROCS of the user's own to the plugin", async () => {
    process.env.GOMAXPROCS = '3';
    const { ex, envs } = recording();
    await cniAdd(ex, node, pod);
    for (const env of envs) expect(env.GOMAXPROCS).toBeUndefined();
  });
});
