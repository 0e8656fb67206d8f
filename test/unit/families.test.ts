/**
 * The plan's per-family address lists: every singular address field is the primary family's
 * entry of its list (as the Kubernetes API keeps podIP beside podIPs), for every example lab.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileLab } from '../../src/compile/compile.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { parseAddr, parsePrefix } from '../../src/net/addr.ts';

const labs = readdirSync('labs').filter((f) => f.endsWith('.lab.ts'));
const familyOf = (text: string) => (parseAddr(text) ?? parsePrefix(text))?.family;

describe('per-family address lists in the plan', () => {
  for (const file of labs) {
    it(`${file}: singular fields are the primary entry; lists follow ipFamilies`, async () => {
      const r = await compileLab(join('labs', file));
      expect(r.diagnostics).toEqual([]);
      const plan = buildPlan(r.lab!);
      const fams = plan.ipFamilies;
      expect(fams.length).toBeGreaterThanOrEqual(1);
      expect(plan.podCidrs.map(familyOf)).toEqual(fams);
      expect(plan.serviceCidrs.map(familyOf)).toEqual(fams);
      expect(plan.podCidrs[0]).toBe(plan.podCidr);
      expect(plan.serviceCidrs[0]).toBe(plan.serviceCidr);
      for (const n of plan.nodes) {
        expect(n.ips[0], n.name).toBe(n.ip);
        expect(n.ips.map(familyOf), n.name).toEqual(fams);
        expect(n.podCidrs[0], n.name).toBe(n.podCidr);
        expect(n.podCidrs.map(familyOf), n.name).toEqual(fams);
      }
      for (const p of plan.pods) {
        expect(p.ips[0], p.name).toBe(p.ip);
        expect(p.ips.map(familyOf), p.name).toEqual(fams);
      }
      for (const s of plan.services) {
        if (!s.clusterIP) continue;
        expect(s.clusterIPs?.[0], s.name).toBe(s.clusterIP);
        expect(s.clusterIPs!.map(familyOf), s.name).toEqual(s.ipFamilies);
      }
    });
  }
});
