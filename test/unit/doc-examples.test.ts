/**
 * The labs the documentation shows, copied as an author copies them: each must validate without a
 * diagnostic. A fragment (the policy page's `pods: { /* … *\/ }`, the Calico page's `cni:` value) is
 * completed the way its text says, and nothing else of it is changed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compileLab } from '../../src/compile/compile.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), 'podlab-doc-examples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The `n`-th ```ts block after `heading` (or from the top) of a doc. */
function block(doc: string, n = 0, heading?: string): string {
  let text = readFileSync(join(ROOT, doc), 'utf8');
  if (heading) text = text.slice(text.indexOf(heading));
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)][n]![1]!;
}

async function diagnostics(name: string, source: string): Promise<string[]> {
  const file = join(dir, `${name}.lab.ts`);
  writeFileSync(file, source);
  const r = await compileLab(file, { typecheck: false });
  return r.diagnostics.map((d) => `${d.code} ${d.path.join('.')}: ${d.message}`);
}

describe('labs shown in the docs validate as copied', () => {
  it("README.md's first lab", async () => {
    expect(await diagnostics('readme', block('README.md'))).toEqual([]);
  }, 60_000);

  it("docs/network-policy.md's lab: its namespaceSelector tier=web selects a namespace (it selected none)", async () => {
    const pods = `pods: {
    api: { node: 'worker-1', namespace: 'frontend', labels: { app: 'api' } },
    db: { node: 'worker-2', namespace: 'backend', labels: { app: 'db' }, containers: [{ name: 'pg', workload: { kind: 'tcp-echo', port: 5432 }, ports: [{ name: 'postgres', containerPort: 5432 }] }] },
  },`;
    const source = block('docs/network-policy.md').replace('pods: { /* … */ },', pods);
    expect(source).toContain("namespace: 'frontend'");
    expect(await diagnostics('np', source)).toEqual([]);
  }, 60_000);

  it("docs/calico.md's BGP peers: every session has both ends (none was Established)", async () => {
    const cni = block('docs/calico.md', 0, '## BGP peers and the mesh').trim();
    const source = `import { defineLab } from 'podlab';
export default defineLab({
  name: 'doc-peers',
  nodes: { 'c1-master1': { role: 'control-plane', ip: '172.16.94.10' }, 'c1-node1': { ip: '172.16.94.11' }, 'c1-node2': { ip: '172.16.94.12' }, 'c1-node3': { ip: '172.16.94.13' } },
  ${cni},
});
`;
    expect(await diagnostics('peers', source)).toEqual([]);
  }, 60_000);
});
