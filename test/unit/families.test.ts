/**
 * The plan's per-family address lists, for every example lab: each list follows ipFamilies
 * (primary first); a Service's clusterIP is the first of its clusterIPs (as the Kubernetes API
 * keeps it); a node's and a pod's `ip` and `podCidr` are the IPv4 entry podlab wires with, which
 * is the first one unless IPv6 is primary (labs/dual-stack-ipv6.lab.ts); an IPv6-only lab's are IPv6.
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
    it(`${file}: lists follow ipFamilies; singular fields are the IPv4 (nodes, pods; IPv6 when the only one) or primary (Services) entry`, async () => {
      const r = await compileLab(join('labs', file));
      expect(r.diagnostics).toEqual([]);
      const plan = buildPlan(r.lab!);
      const fams = plan.ipFamilies;
      expect(fams.length).toBeGreaterThanOrEqual(1);
      expect(plan.podCidrs.map(familyOf)).toEqual(fams);
      expect(plan.serviceCidrs.map(familyOf)).toEqual(fams);
      // The IPv4 entry; in an IPv6-only lab (labs/ipv6-only.lab.ts) the one entry there is, IPv6.
      const v4 = (list: readonly string[]) => (fams.includes('IPv4') ? list.find((x) => familyOf(x) === 'IPv4') : list[0]);
      expect(v4(plan.podCidrs)).toBe(plan.podCidr);
      expect(v4(plan.serviceCidrs)).toBe(plan.serviceCidr);
      for (const n of plan.nodes) {
        expect(v4(n.ips), n.name).toBe(n.ip);
        expect(n.ips.map(familyOf), n.name).toEqual(fams);
        expect(v4(n.podCidrs), n.name).toBe(n.podCidr);
        expect(n.podCidrs.map(familyOf), n.name).toEqual(fams);
      }
      for (const p of plan.pods) {
        expect(v4(p.ips), p.name).toBe(p.ip);
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
