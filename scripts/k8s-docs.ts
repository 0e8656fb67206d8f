/**
 * Writes src/api/openapi-docs.json: for each Kubernetes type in src/k8s/api-fields.json (the types
 * reachable from the kinds podlab reads and writes), its description and each field's, its scalar
 * type and whether it is required, taken from the declarations kubernetes-models ships (generated
 * from the Kubernetes OpenAPI document: the same text `kubectl explain` prints against a cluster).
 * The API server's OpenAPI v3 (src/api/openapi.ts) is built from it, so `kubectl explain
 * pod.spec.containers` describes every field. Run after updating kubernetes-models:
 *
 *   node --import tsx scripts/k8s-docs.ts            # rewrite the file
 *   node --import tsx scripts/k8s-docs.ts --check    # exit 1 when it is stale (a unit test does this)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'src/api/openapi-docs.json');
const require = createRequire(import.meta.url);
const NODE_MODULES = dirname(dirname(require.resolve('kubernetes-models/package.json')));
const fields = JSON.parse(readFileSync(join(ROOT, 'src/k8s/api-fields.json'), 'utf8')) as { types: Record<string, Record<string, unknown>> };

/** A field: its description, scalar type (s: string, i: integer, b: boolean; absent for a reference, list or map), required. */
export interface FieldDoc {
  d: string;
  s?: 's' | 'i' | 'b';
  r?: 1;
}

const docOf = (node: ts.Node): string =>
  ts
    .getJSDocCommentsAndTags(node)
    .map((j) => (typeof j.comment === 'string' ? j.comment : (j.comment ?? []).map((c) => c.text).join('')))
    .join('\n')
    .trim();

function scalar(node: ts.TypeNode): FieldDoc['s'] {
  if (node.kind === ts.SyntaxKind.NumberKeyword) return 'i';
  if (node.kind === ts.SyntaxKind.BooleanKeyword) return 'b';
  if (node.kind === ts.SyntaxKind.StringKeyword || ts.isLiteralTypeNode(node) || ts.isUnionTypeNode(node)) return 's';
  return undefined;
}

function build(): Record<string, { d: string; f: Record<string, FieldDoc> }> {
  const out: Record<string, { d: string; f: Record<string, FieldDoc> }> = {};
  for (const key of Object.keys(fields.types).sort()) {
    const file = join(NODE_MODULES, `${key}.d.ts`);
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const iface = sf.statements.find((st): st is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(st) && st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) === true);
    const alias = sf.statements.find((st): st is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(st));
    const f: Record<string, FieldDoc> = {};
    for (const m of iface?.members ?? []) {
      if (!ts.isPropertySignature(m) || !m.type) continue;
      const name = ts.isStringLiteral(m.name) ? m.name.text : m.name.getText(sf);
      const s = scalar(m.type);
      f[name] = { d: docOf(m), ...(s ? { s } : {}), ...(m.questionToken ? {} : { r: 1 as const }) };
    }
    out[key] = { d: docOf(iface ?? alias ?? sf), f };
  }
  return out;
}

const text = `${JSON.stringify(build())}\n`;
if (process.argv.includes('--check')) {
  if (readFileSync(OUT, 'utf8') !== text) {
    process.stderr.write('src/api/openapi-docs.json is stale: run node --import tsx scripts/k8s-docs.ts\n');
    process.exit(1);
  }
} else writeFileSync(OUT, text);
