/**
 * Writes src/k8s/api-fields.json: for each Kubernetes type reachable from the kinds podlab reads
 * and writes, the fields the API defines, taken from the declarations kubernetes-models ships
 * (generated from the Kubernetes OpenAPI document, like its validators). The validators check
 * types, required fields and enums but let unknown fields through, as the API server's
 * non-strict decoding does; this index lets podlab reject a misspelt field, as `kubectl
 * --validate=strict` does. Run after updating kubernetes-models:
 *
 *   node --import tsx scripts/k8s-fields.ts            # rewrite the index
 *   node --import tsx scripts/k8s-fields.ts --check    # exit 1 when it is stale (the unit test does this)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { MODELS as KINDS } from '../src/k8s/api-schema.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'src/k8s/api-fields.json');
const require = createRequire(import.meta.url);
const MODELS = dirname(require.resolve('kubernetes-models/package.json'));
const NODE_MODULES = dirname(MODELS);

/** The kinds manifests may hold, and the ones `export` writes (src/k8s/api-schema.ts); the index covers what they reach. */
export const ROOT_KINDS = KINDS;

/** A field's shape: a scalar, another type (by key), a list or a string-keyed map of a shape. */
export type Shape = 's' | { t: string } | { a: Shape } | { m: Shape };

function fileOf(spec: string, from?: string): string {
  const base = spec.startsWith('.') ? resolve(dirname(from!), spec) : join(NODE_MODULES, spec);
  return `${base}.d.ts`;
}

const keyOf = (file: string) => relative(NODE_MODULES, file).replace(/\.d\.ts$/, '');

function build(): Record<string, Record<string, Shape>> {
  const index: Record<string, Record<string, Shape>> = {};
  const queue = Object.values(ROOT_KINDS).map((m) => fileOf(m));
  while (queue.length) {
    const file = queue.shift()!;
    const key = keyOf(file);
    if (index[key]) continue;
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const imports = new Map<string, string>();
    for (const st of sf.statements) {
      if (ts.isImportDeclaration(st) && st.importClause?.namedBindings && ts.isNamedImports(st.importClause.namedBindings)) {
        const spec = (st.moduleSpecifier as ts.StringLiteral).text;
        if (spec === '@kubernetes-models/base') continue;
        for (const el of st.importClause.namedBindings.elements) imports.set(el.name.text, fileOf(spec, file));
      }
    }
    const iface = sf.statements.find((st): st is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(st) && st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) === true);
    const fields: Record<string, Shape> = {};
    index[key] = fields;
    if (!iface) continue; // a type alias (IntOrString, Quantity, Time): a scalar
    const shape = (node: ts.TypeNode): Shape => {
      if (ts.isTypeReferenceNode(node)) {
        const name = node.typeName.getText(sf);
        if (name === 'Array' && node.typeArguments?.[0]) return { a: shape(node.typeArguments[0]) };
        const target = imports.get(name);
        if (!target) return 's';
        if (!index[keyOf(target)]) queue.push(target);
        return { t: keyOf(target) };
      }
      if (ts.isArrayTypeNode(node)) return { a: shape(node.elementType) };
      if (ts.isTypeLiteralNode(node)) {
        const sig = node.members.find(ts.isIndexSignatureDeclaration);
        if (sig) return { m: shape(sig.type) };
      }
      return 's';
    };
    for (const m of iface.members) {
      if (!ts.isPropertySignature(m) || !m.type) continue;
      const name = ts.isStringLiteral(m.name) ? m.name.text : m.name.getText(sf);
      fields[name] = shape(m.type);
    }
  }
  const sorted: Record<string, Record<string, Shape>> = {};
  for (const k of Object.keys(index).sort()) sorted[k] = index[k]!;
  return sorted;
}

const version = (JSON.parse(readFileSync(join(MODELS, 'package.json'), 'utf8')) as { version: string }).version;
const roots = Object.fromEntries(Object.entries(ROOT_KINDS).map(([k, m]) => [k, keyOf(fileOf(m))]));
const text = `${JSON.stringify({ generatedFrom: `kubernetes-models@${version}`, roots, types: build() })}\n`;
if (process.argv.includes('--check')) {
  const current = readFileSync(OUT, 'utf8');
  if (current !== text) {
    process.stderr.write('src/k8s/api-fields.json is stale: run node --import tsx scripts/k8s-fields.ts\n');
    process.exit(1);
  }
} else writeFileSync(OUT, text);
