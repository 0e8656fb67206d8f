/**
 * `podlab policy apply -f`'s reading of the YAML file (policiesOfYaml, src/cli/policy.ts): every
 * problem at its line and column of the file, as a lab file's are; no live lab needed.
 */
import { describe, expect, it } from 'vitest';
import { policiesOfYaml } from '../../src/cli/policy.ts';

const where = async (text: string) => (await policiesOfYaml(text, ['default', 'x'])).problems.map((d) => `${d.line}:${d.column} ${d.code}`);

describe('policy apply -f: positions of the problems in the YAML file', () => {
  it('YAML that does not parse (PL3051), at the spot the parser stopped', async () => {
    expect(await where(['apiVersion: networking.k8s.io/v1', 'kind: NetworkPolicy', 'metadata:', '  name: a', ' spec: x', ''].join('\n'))).toEqual(['5:1 PL3051']);
  });

  it('a document that is not a NetworkPolicy (PL3051), at its kind; the second document counted in its own lines', async () => {
    const text = ['apiVersion: networking.k8s.io/v1', 'kind: NetworkPolicy', 'metadata: { name: a }', 'spec: { podSelector: {} }', '---', 'apiVersion: v1', 'kind: Service', 'metadata: { name: s }', ''].join('\n');
    expect(await where(text)).toEqual(['7:1 PL3051']);
  });

  it('a wrong field (PL3052), at its own line: an invalid value, an unknown field, a label key with dots', async () => {
    const text = [
      'apiVersion: networking.k8s.io/v1',
      'kind: NetworkPolicy',
      'metadata:',
      '  name: a',
      '  namespace: x',
      'spec:',
      '  podSelector:',
      '    matchLabels:',
      '      app.kubernetes.io/name: "-bad-"',
      '  ingress:',
      '    - ports:',
      '        - port: 80',
      '          protocol: TCPX',
      '  egresss: []',
      '',
    ].join('\n');
    const { problems } = await policiesOfYaml(text, ['default', 'x']);
    expect(problems.map((d) => `${d.line}:${d.column} ${d.code} ${d.message.split(': ')[1]}`)).toEqual([
      '13:11 PL3052 spec.ingress[0].ports[0].protocol',
      '14:3 PL3052 spec.egresss',
    ]);
    const rules = ['apiVersion: networking.k8s.io/v1', 'kind: NetworkPolicy', 'metadata: { name: b }', 'spec:', '  podSelector:', '    matchLabels:', '      app.kubernetes.io/name: "-bad-"', ''].join('\n');
    expect(await where(rules)).toEqual(['7:7 PL3052']);
  });

  it('a valid file has no problem', async () => {
    const r = await policiesOfYaml('apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: a }\nspec: { podSelector: {} }\n', ['default']);
    expect(r.problems).toEqual([]);
    expect(r.policies).toHaveLength(1);
  });
});
