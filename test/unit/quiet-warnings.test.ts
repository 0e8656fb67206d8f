/**
 * A lab's `quietWarnings`: the warnings of those codes are not reported (an exercise's starter whose
 * mistake is the learner's to find, as calico-bgp's one-sided BGP peers, which PL2189 would name
 * with its fix). Other warnings and every error still are; a code podlab does not have is refused.
 */
import { describe, expect, it } from 'vitest';
import { validateValue } from '../../src/compile/validate-value.ts';

const oneSided = (extra: Record<string, unknown> = {}) => ({
  name: 'quiet',
  nodes: { a: { ip: '172.16.94.10' }, b: { ip: '172.16.94.11' }, c: { ip: '172.16.94.12' } },
  cni: { type: 'calico', nodeToNodeMesh: false, peers: [{ peerIP: '172.16.94.10', asNumber: 64512 }] },
  services: { nothing: { selector: { app: 'none' }, ports: [{ port: 80 }] } },
  ...extra,
});
const codes = (v: unknown) => validateValue(v, 'quiet.lab.ts').diagnostics.map((d) => `${d.severity} ${d.code}`);

describe('quietWarnings', () => {
  it('without it, the one-sided peers are PL2189 warnings beside the selector that selects no pod', () => {
    expect(codes(oneSided())).toEqual(expect.arrayContaining(['warning PL2189', 'warning PL2020']));
  });

  it('quiets only the codes it lists: PL2189 gone, PL2020 still said, and the lab valid', () => {
    const r = validateValue(oneSided({ quietWarnings: ['PL2189'] }), 'quiet.lab.ts');
    expect(r.diagnostics.map((d) => d.code)).not.toContain('PL2189');
    expect(r.diagnostics.map((d) => d.code)).toContain('PL2020');
    expect(r.lab?.quietWarnings).toEqual(['PL2189']);
  });

  it('never quiets an error (a lab with no node but a BGP peer: PL2013, where validation used to throw), and refuses a code podlab does not have', () => {
    expect(codes(oneSided({ quietWarnings: ['PL2013'], nodes: {} }))).toContain('error PL2013');
    const bad = validateValue(oneSided({ quietWarnings: ['PL9999'] }), 'quiet.lab.ts').diagnostics;
    expect(bad.map((d) => [d.severity, d.path.join('.'), d.message])).toEqual([['error', 'quietWarnings.0', expect.stringContaining('not a podlab diagnostic code')]]);
  });
});
