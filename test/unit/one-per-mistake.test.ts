/**
 * One diagnostic per mistake (src/compile/one-per-mistake.ts, schema-issues.ts): a type error the
 * schema reports at the same line or property is not reported twice, a misspelt property is not
 * also "missing", and a type error the schema does not see is still reported.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileLab } from '../../src/compile/compile.ts';
import type { Diagnostic } from '../../src/compile/diagnostics.ts';
import { withoutRepeatedTypeErrors } from '../../src/compile/one-per-mistake.ts';
import { ownCacheDir } from './own-cache-dir.ts';

const dir = ownCacheDir('.tmp-opm-');
const BAD = 'test/fixtures/bad-labs';
const brief = (ds: Diagnostic[]) => ds.map((d) => `${d.line}:${d.column} ${d.code}${d.code === 'PL0004' ? ` ${d.message.split(':')[0]}` : ''}`);

describe('one diagnostic per mistake', () => {
  it('a misspelt property: PL1002 with its did-you-mean, no PL1003 and no PL0004', async () => {
    const r = await compileLab(join(BAD, '391-policy-selector-typo.lab.ts'), { typecheck: true });
    expect(brief(r.diagnostics)).toEqual(['10:7 PL1002']);
    expect(r.diagnostics[0]!.hint).toBe('Did you mean "podSelector"?');
  }, 60_000);

  it('a string port: PL1004 alone', async () => {
    const r = await compileLab(join(BAD, '392-check-port-string.lab.ts'), { typecheck: true });
    expect(brief(r.diagnostics)).toEqual(['9:46 PL1004']);
  }, 60_000);

  it('keeps a type error the schema does not see, and drops those inside a check of an unknown kind', async () => {
    const file = join(dir, 'mixed.lab.ts');
    writeFileSync(file, [
      "import { defineLab } from 'podlab';",
      'export default defineLab({',
      "  name: 'mixed',",
      "  nodes: { 'worker-1': {} },",
      "  pods: { db: { node: 'worker-1' }, client: { node: 'worker-1' } },",
      '  checks: [',
      '    {',
      "      kind: 'tcpx',",
      "      from: 'client', to: 'db', port: 5432,",
      '    },',
      '  ],',
      '});',
      "const unused: number = 'a';",
      '',
    ].join('\n'));
    const r = await compileLab(file, { typecheck: true });
    expect(brief(r.diagnostics)).toEqual(['8:7 PL1001', '13:7 PL0004 TS2322']);
  }, 60_000);

  it('drops by line or by property path, never for a warning', () => {
    const ts = (line: number, column: number): Diagnostic => ({ code: 'PL0004', severity: 'error', message: 'TS2322: x', path: [], file: 'a.lab.ts', line, column });
    const schema = (code: string, path: (string | number)[], line: number, severity: 'error' | 'warning' = 'error'): Diagnostic => ({ code, severity, message: 'm', path, file: 'a.lab.ts', line, column: 3 });
    const paths: Record<string, (string | number)[]> = { '4:9': ['pods', 'web', 'node'], '7:5': ['checks', 0, 'to'], '9:5': ['hosts', 'h'] };
    const pathAt = (_f: string, line: number, column: number) => paths[`${line}:${column}`];
    const kept = withoutRepeatedTypeErrors(
      [ts(2, 9), ts(4, 9), ts(7, 5), ts(9, 5), ts(11, 1)],
      [schema('PL1004', ['name'], 2), schema('PL1001', ['pods', 'web', 'node'], 3), schema('PL1001', ['checks', 0, 'kind'], 6), schema('PL2112', ['hosts', 'h'], 9, 'warning')],
      pathAt,
    );
    expect(kept.map((d) => d.line)).toEqual([9, 11]);
  });
});
