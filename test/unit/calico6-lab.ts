/**
 * The plan set-up shared by the Calico IPv6 tests (calico6.test.ts, calico6-pools.test.ts,
 * calico6-only.test.ts): a small Calico lab compiled from its base spec with a test's changes over
 * it, its plan (no diagnostics expected), a node's Calico data, and the codes of its diagnostics.
 */
import { expect } from 'vitest';
import type { CalicoNode } from '../../src/cni/calico/index.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import type { LabSpec } from '../../src/index.ts';
import { buildPlan, type Plan } from '../../src/plan/plan.ts';

/** The lab every test of a file starts from: no DNS, Calico with its defaults unless `cni` says otherwise. */
export interface CalicoBase {
  name: string;
  ipFamilies: LabSpec['ipFamilies'];
  nodes: LabSpec['nodes'];
  pods: LabSpec['pods'];
  cni?: LabSpec['cni'];
}

export function calicoLab({ name, ipFamilies, nodes, pods, cni = { type: 'calico' } }: CalicoBase) {
  /** The base lab with `spec`'s top-level fields in place of its own, validated as `<name>.lab.ts`. */
  const compile = (spec: Partial<LabSpec>) => validateValue({ name, ipFamilies, nodes, pods, dns: false, cni, ...spec }, `${name}.lab.ts`);
  return {
    compile,
    /** The plan of a lab that must validate without a diagnostic (but PL2189: a hub's one-sided IPv4 sessions are built on purpose). */
    plan(spec: Partial<LabSpec> = {}): Plan {
      const { lab, diagnostics } = compile(spec);
      expect(diagnostics.filter((d) => d.code !== 'PL2189')).toEqual([]);
      return buildPlan(lab!);
    },
    /** The codes of the lab's diagnostics. */
    codes: (spec: Partial<LabSpec>) => compile(spec).diagnostics.map((d) => d.code),
    /** The codes of the lab's diagnostics, each with the path it points at (`PL2183 cni.ipPools`). */
    codesAt: (spec: Partial<LabSpec>) => compile(spec).diagnostics.map((d) => `${d.code} ${d.path.join('.')}`),
  };
}

/** A node's Calico data in a plan. */
export const cniOf = (p: Plan, node: string) => p.nodes.find((n) => n.name === node)!.cni as CalicoNode;
