/**
 * One diagnostic per mistake. The type check (PL0004) and the schema see many of the same
 * mistakes: a misspelt property is TS2561 and PL1002, a string port TS2322 and PL1004. The
 * schema's diagnostic is the more precise (a code of its kind, the property path, a "did you
 * mean" from the lab language), so a type error that a schema or rule error already reports at
 * the same place is dropped: on the same line, or at the same property path. A check or action
 * whose `kind` (`action`) is none of the known ones has no type to check its other properties
 * against: TypeScript then complains of them against a variant the author did not mean, so its
 * errors inside that object go too. Every other type error is kept: the schema does not see it.
 */
import type { Diagnostic, Path } from './diagnostics.ts';

/** Discriminators of the lab language's unions (lab-schema.ts: workloads and checks by kind, scenario steps by action). */
const DISCRIMINATORS = new Set(['kind', 'action']);

/**
 * `typeErrors` without the PL0004 type errors `others` already report. `pathAt` gives the property
 * path at a type error's position (positions.ts), asked only when some error has a path to compare.
 */
export function withoutRepeatedTypeErrors(
  typeErrors: readonly Diagnostic[],
  others: readonly Diagnostic[],
  pathAt: (file: string, line: number, column: number) => Path | undefined,
): Diagnostic[] {
  const errors = others.filter((d) => d.severity === 'error' && d.code !== 'PL0004' && d.line !== undefined);
  if (!errors.length) return [...typeErrors];
  const lines = new Set(errors.map((d) => place(d.file, d.line!)));
  const paths = new Set(errors.filter((d) => d.path.length).map((d) => key(d.file, d.path)));
  const unions = errors.filter((d) => d.code === 'PL1001' && DISCRIMINATORS.has(String(d.path.at(-1)))).map((d) => ({ file: d.file, object: d.path.slice(0, -1) }));
  return typeErrors.filter((d) => {
    if (d.code !== 'PL0004' || d.line === undefined || d.file === undefined) return true;
    if (lines.has(place(d.file, d.line))) return false;
    const path = pathAt(d.file, d.line, d.column ?? 1);
    if (!path) return true;
    if (paths.has(key(d.file, path))) return false;
    return !unions.some((u) => u.file === d.file && u.object.length <= path.length && u.object.every((seg, i) => seg === path[i]));
  });
}

function place(file: string | undefined, line: number): string {
  return `${file ?? ''}\0${line}`;
}

function key(file: string | undefined, path: Path): string {
  return `${file ?? ''}\0${JSON.stringify(path)}`;
}
