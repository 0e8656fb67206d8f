/**
 * A Corefile checked as podlab-dns will load it, its issues turned into the lab's diagnostics:
 * each one at the lab property holding the Corefile, pointing inside it at the Corefile's own line
 * and column. Used by validation and by `dns reload`, which checks a new Corefile the same way.
 */
import type { Code, Diagnostic, Path } from '../../compile/diagnostics.ts';
import type { CorefileIssue, ServerConfig } from '../types.ts';
import { CLUSTER_DNS_FILES, loadCorefile, type Confinement } from './setup.ts';

function corefileDiagnostics(issues: CorefileIssue[], path: Path, what: string): Diagnostic[] {
  return issues.map((i) => ({
    code: i.code as Code,
    severity: i.severity,
    message: `${what} ${i.pos.line}:${i.pos.col}: ${i.message}`,
    ...(i.hint ? { hint: i.hint } : {}),
    path,
    within: i.pos,
  }));
}

/**
 * Loads a Corefile as the server will, with the files beside it and confined to the files that
 * server may read (the cluster DNS pod's by default); diagnostics at `path`.
 */
export function checkCorefile(text: string, files: Record<string, string>, path: Path, what: string, confine: Confinement = CLUSTER_DNS_FILES): { servers: ServerConfig[]; diagnostics: Diagnostic[] } {
  const { servers, issues } = loadCorefile(text, { files, confine });
  return { servers, diagnostics: corefileDiagnostics(issues, path, what) };
}
