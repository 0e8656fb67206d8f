/**
 * The checks where lab strings are written into configuration files root loads (SECURITY.md,
 * boundary 12): validation refuses such names first (error baselines 384-386, the hostile corpus's
 * birder, nfter and router); these hold even for a value that skipped validation.
 */
import { describe, expect, it } from 'vitest';
import { assertConfigSafe, isDnsSubdomain } from '../../src/lib/object-name.ts';
import { template } from '../../src/lib/templates.ts';
import { policyTable } from '../../src/policy/nft.ts';
import { normalizePolicy } from '../../src/policy/types.ts';
import { policyPod } from './policy-builders.ts';

describe('names and strings written into configuration files', () => {
  it('DNS-1123 subdomains: what the API server accepts as an object name', () => {
    for (const ok of ['web', 'allow-web', 'a.b-c.d', '0', 'x'.repeat(253)]) expect(isDnsSubdomain(ok), ok).toBe(true);
    for (const bad of ['', 'Web', '-a', 'a-', 'a..b', 'a/b', 'a\nb', 'a"b', 'x'.repeat(254), 'a b', '../x']) expect(isDnsSubdomain(bad), bad).toBe(false);
  });

  it('nginx.conf and bird.conf refuse any value with a line break or other control character, however deep', () => {
    expect(() => assertConfigSafe('t', { a: [{ b: 'ok' }, { c: 'x\ny' }] })).toThrow(/a\[1\]\.c "x\\ny": it holds a control character/);
    expect(() => assertConfigSafe('t', { a: ['ok', 1, true, null] })).not.toThrow();
    for (const name of ['nginx.conf', 'bird.conf', 'bird6.conf']) expect(() => template(name)({ banner: 'x\n}\ninclude "/etc/shadow";' }), name).toThrow(/control character/);
  });

  it("an nft comment cannot be closed by a name's quote or line break; a chain name must be a DNS name", () => {
    const pods = [policyPod('x', 'a"\ninclude "/etc/shadow', 'n1', '10.244.0.2', { app: 'web' })];
    const table = (name: string) => policyTable({ policies: [normalizePolicy(name, { namespace: 'x', podSelector: {}, policyTypes: ['Ingress'] })], namespaces: { x: {} }, pods }, 'n1');
    expect(() => table('x"\ninclude "/etc/shadow"')).toThrow(/refusing to write .* into an nft chain name/);
    // The pod's name (validated as a DNS label before it gets here) is written into the comment harmlessly.
    const isolated = table('deny')!.chains.flatMap((c) => c.rules).find((r) => r.includes('isolated for ingress'))!;
    expect(isolated).toContain('comment "x/a??include ?/etc/shadow isolated for ingress by x/deny');
  });
});
