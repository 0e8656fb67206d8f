/**
 * Type-checks a lab file with the TypeScript compiler (through ts-morph), reporting only the lab
 * file's own errors as PL0004 with their positions. Slower than the schema (a compiler program),
 * so `up` can skip it; `validate` always runs it.
 */
import { fileURLToPath } from 'node:url';
import { tsMorph } from './ts-morph.ts';
import { diag, type Diagnostic } from './diagnostics.ts';

// From the repository root, so the path holds in the CLI bundle (build/cli/podlab.mjs) too.
const PODLAB_ENTRY = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

export function typecheckLab(file: string): Diagnostic[] {
  const { DiagnosticCategory, Project, ts } = tsMorph();
  const project = new Project({
    skipAddingFilesFromTsConfig: true,
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      allowImportingTsExtensions: true,
      skipLibCheck: true,
      types: [],
      // 'podlab' is this podlab wherever the lab lives, as the loader resolves it (load-worker.ts).
      paths: { podlab: [PODLAB_ENTRY] },
    },
  });
  const sf = project.addSourceFileAtPath(file);
  project.resolveSourceFileDependencies();
  return sf.getPreEmitDiagnostics().filter((d) => d.getCategory() === DiagnosticCategory.Error && d.getSourceFile()?.getFilePath() === sf.getFilePath()).map((d) => {
    const start = d.getStart() ?? 0;
    const { line, column } = sf.getLineAndColumnAtPos(start);
    const text = ts.flattenDiagnosticMessageText(d.compilerObject.messageText, '\n');
    return { ...diag('PL0004', [], `TS${d.getCode()}: ${text.split('\n').at(-1)!.trim()}`, text.includes('\n') ? text.split('\n')[0]!.trim() : undefined), file, line, column };
  });
}
