/**
 * A graded container's root of its own (plan.ownRoots, contain --only): what render's containerOnly
 * lists for each kind of container. The live proof that nothing else is reachable and that the lab
 * still works is test/live/graded-view.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { compileLab } from '../../src/compile/compile.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { containerOnly, sandboxFiles, SYSTEM_TREES } from '../../src/render/render.ts';

const WORKLOAD = { workload: '/repo/build/native/workload' };
const FORBIDDEN = ['/', '/etc', '/home', '/root', '/srv', '/var', '/var/tmp', '/opt', '/run', '/run/podlab', '/tmp', '/repo', '/repo/build', '/repo/build/native'];

describe('a graded container’s root (containerOnly)', async () => {
  const ingress = buildPlan((await compileLab('labs/ingress.lab.ts')).lab!);

  it('holds the system trees, podlab’s workload and the pod’s own files — nothing the submission names', () => {
    // A submission's command naming host paths, as a program or as arguments: none enters the view.
    const only = containerOnly({ argv: ['/etc/shadow', '/home', '/srv/x', '/repo/secret'] }, ingress, WORKLOAD, SYSTEM_TREES, sandboxFiles(true));
    expect(only).toEqual(['/usr', '/bin', '/sbin', '/lib', '/lib64', '/etc/ld.so.cache', '/repo/build/native/workload', '/etc/resolv.conf', '/etc/hosts']);
    for (const p of FORBIDDEN) expect(only, p).not.toContain(p);
  });

  it('the ingress controller also gets its config, run and TLS folders (below the lab’s state), not the state directory', () => {
    const only = containerOnly({ argv: ['@nginx', ingress.ingress!.confFile] }, ingress, WORKLOAD, SYSTEM_TREES, sandboxFiles(true));
    const state = ingress.stateDir;
    expect(only.filter((p) => p.startsWith(`${state}/`))).toEqual([`${state}/rendered/ingress`, `${state}/ingress/run`, `${state}/ingress/tls`]);
    expect(only).not.toContain(state);
    for (const p of FORBIDDEN) expect(only, p).not.toContain(p);
  });

  it('pod files come only from a sandbox (a hostNetwork pod has one too), a host’s programs none (the host’s own files)', () => {
    expect(sandboxFiles(true)).toEqual(['/etc/resolv.conf', '/etc/hosts']);
    expect(sandboxFiles(false)).toEqual([]);
  });

  it('only the given trees are listed (the runtime passes those that exist here), and each path once', () => {
    const only = containerOnly({ argv: ['sh'] }, ingress, WORKLOAD, ['/usr', '/usr'], []);
    expect(only).toEqual(['/usr', '/repo/build/native/workload']);
  });

  it('a plan `up` builds has no own roots: only grade sets them', () => {
    expect(ingress.ownRoots).toBeUndefined();
  });
});
