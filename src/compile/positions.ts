/**
 * Maps a property path (['pods', 'web', 'node']) to a position in the lab's source, with ts-morph:
 * find the object literal given to `defineLab` (or default-exported), then walk property names
 * and array indices as deep as the literal goes. A value built by a helper call stops the walk
 * at the deepest literal property, which still points the author at the right line.
 */
import { existsSync } from 'node:fs';
import type { Node, Project, SourceFile } from 'ts-morph';
import { tsMorph } from './ts-morph.ts';
import type { Diagnostic, Path } from './diagnostics.ts';

let project: Project | undefined;
/** ts-morph's node type guards. */
const is = () => tsMorph().Node;

function sourceOf(file: string, text?: string): SourceFile {
  project ??= new (tsMorph().Project)({ useInMemoryFileSystem: false, skipAddingFilesFromTsConfig: true, compilerOptions: { allowJs: true } });
  const existing = project.getSourceFile(file);
  if (existing) project.removeSourceFile(existing);
  return text === undefined ? project.addSourceFileAtPath(file) : project.createSourceFile(file, text, { overwrite: true });
}

function unwrap(node: Node | undefined): Node | undefined {
  let n = node;
  for (let i = 0; n && i < 10; i++) {
    if (is().isAsExpression(n) || is().isSatisfiesExpression(n) || is().isParenthesizedExpression(n)) n = n.getExpression();
    else if (is().isCallExpression(n)) n = n.getArguments()[0];
    // An exercise with variants exports a function of the variant: the object it returns.
    else if (is().isArrowFunction(n) || is().isFunctionExpression(n)) {
      const body = n.getBody();
      const ret = is().isBlock(body) ? body.getStatements().filter((st) => is().isReturnStatement(st)).at(-1) : undefined;
      n = !is().isBlock(body) ? body : ret && is().isReturnStatement(ret) ? ret.getExpression() : undefined;
    }
    else if (is().isIdentifier(n)) {
      const decl = n.getDefinitionNodes().find((d) => is().isVariableDeclaration(d));
      n = decl && is().isVariableDeclaration(decl) ? decl.getInitializer() : undefined;
    } else break;
  }
  return n;
}

function labRoot(sf: SourceFile): Node | undefined {
  const exp = sf.getFirstDescendantByKind(tsMorph().SyntaxKind.ExportAssignment);
  if (exp) return unwrap(exp.getExpression());
  const named = sf.getVariableDeclaration('lab');
  return named ? unwrap(named.getInitializer()) : undefined;
}

function propertyName(p: Node): string | undefined {
  if (is().isPropertyAssignment(p) || is().isShorthandPropertyAssignment(p) || is().isMethodDeclaration(p)) {
    const nameNode = p.getNameNode();
    if (is().isStringLiteral(nameNode) || is().isNoSubstitutionTemplateLiteral(nameNode)) return nameNode.getLiteralText();
    return nameNode.getText();
  }
  return undefined;
}

/** The node the path leads to: the property's name for a property, the element for an array item. */
function walk(root: Node, path: Path): Node {
  return walkTo(root, path).anchor;
}

/** The string literal the whole path leads to, if the source holds one there (for positions inside its text). */
function literalAt(root: Node, path: Path): Node | undefined {
  const { value, complete } = walkTo(root, path);
  const v = complete ? unwrap(value) : undefined;
  return v && (is().isStringLiteral(v) || is().isNoSubstitutionTemplateLiteral(v) || is().isTemplateExpression(v)) ? v : undefined;
}

function walkTo(root: Node, path: Path): { anchor: Node; value: Node; complete: boolean } {
  let at: Node = root;
  let anchor: Node = root;
  const partial = () => ({ anchor, value: at, complete: false });
  for (const seg of path) {
    const value = unwrap(at) ?? at;
    if (typeof seg === 'number' && is().isArrayLiteralExpression(value)) {
      const el = value.getElements()[seg];
      if (!el) return partial();
      at = el;
      anchor = el;
    } else if (typeof seg === 'string' && is().isObjectLiteralExpression(value)) {
      const prop = value.getProperties().find((p) => propertyName(p) === seg);
      if (!prop) return partial();
      anchor = is().isPropertyAssignment(prop) || is().isShorthandPropertyAssignment(prop) ? prop.getNameNode() : prop;
      at = is().isPropertyAssignment(prop) ? (prop.getInitializer() ?? prop) : is().isShorthandPropertyAssignment(prop) ? prop.getNameNode() : prop;
    } else return partial();
  }
  return { anchor, value: at, complete: true };
}

/** Fills in line and column of each diagnostic that has a path and a file. `text` overrides the file's contents. */
export function positionDiagnostics(file: string, diagnostics: Diagnostic[], text?: string): Diagnostic[] {
  const need = diagnostics.filter((d) => d.line === undefined);
  const settled = ({ otherwise: _, ...d }: Diagnostic): Diagnostic => d;
  if (!need.length || (text === undefined && !existsSync(file))) return diagnostics.map(settled);
  const sf = sourceOf(file, text);
  const root = labRoot(sf);
  return diagnostics.map((given) => {
    if (given.line !== undefined) return settled(given);
    // Told from the other property when this one is not in the source but that one is.
    const o = given.otherwise;
    const d = settled(o && root && !walkTo(root, given.path).complete && walkTo(root, o.path).complete ? { ...given, path: o.path, message: o.message } : given);
    const literal = d.within && root ? literalAt(root, d.path) : undefined;
    if (literal && d.within) {
      // Line L, column C of the string's text: the literal's first line is its opening quote's.
      const start = sf.getLineAndColumnAtPos(literal.getStart());
      const line = start.line + d.within.line - 1;
      return { ...d, file, line, column: d.within.line === 1 ? start.column + d.within.col : d.within.col };
    }
    const node = root ? walk(root, d.path) : sf;
    const { line, column } = sf.getLineAndColumnAtPos(node.getStart());
    return { ...d, file, line, column };
  });
}

/**
 * The property path of the lab literal at `line`:`column` of `file` (1-based; the reverse of
 * positionDiagnostics): the property names and array indices from the lab's root down to the
 * deepest one the position is in. Undefined outside the lab literal.
 */
export function pathAt(file: string, line: number, column: number, text?: string): Path | undefined {
  if (text === undefined && !existsSync(file)) return undefined;
  const sf = sourceOf(file, text);
  const root = labRoot(sf);
  if (!root) return undefined;
  let pos: number;
  try {
    pos = sf.compilerNode.getPositionOfLineAndCharacter(line - 1, column - 1);
  } catch {
    return undefined;
  }
  const path: Array<string | number> = [];
  let at: Node = root;
  for (;;) {
    const value = unwrap(at) ?? at;
    if (is().isArrayLiteralExpression(value)) {
      const i = value.getElements().findIndex(inside);
      if (i < 0) break;
      path.push(i);
      at = value.getElements()[i]!;
    } else if (is().isObjectLiteralExpression(value)) {
      const prop = value.getProperties().find(inside);
      const name = prop && propertyName(prop);
      if (!prop || name === undefined) break;
      path.push(name);
      if (!is().isPropertyAssignment(prop)) break;
      at = prop.getInitializer() ?? prop;
    } else break;
  }
  return inside(root) ? path : undefined;

  function inside(n: Node): boolean {
    return n.getStart() <= pos && pos < n.getEnd();
  }
}
