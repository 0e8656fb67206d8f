/**
 * What every command shares and costs nothing to load: the exit codes, the Exit that ends a
 * command once its message is out, the lab-name prefix, and naming a lab by name or by file.
 * common.ts re-exports them; `podlab down` (src/cli/down-main.ts, a bundle of its own) imports
 * them from here, so that it does not load the compiler to remove a lab named by its name.
 */
import { existsSync } from 'node:fs';
import { diag, formatDiagnostic } from '../compile/diagnostics.ts';
import { NOTHING_CHANGED } from '../constants.ts';

export const EXIT = { ok: 0, failed: 1, cannotRun: 2 } as const;

/** Thrown to end a command with an exit code after its message was printed. */
export class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/**
 * The lab-name prefix (`--prefix`, or PODLAB_PREFIX): prepended to the name of every lab a live
 * command builds or names, so that two users on one host can run the same lab (`alice-` and
 * `bob-` make `alice-services` and `bob-services`, with namespaces of their own). render and
 * validate keep the lab's own name.
 */
export function prefixed(name: string, prefix = process.env.PODLAB_PREFIX ?? ''): string {
  if (!prefix || name.startsWith(prefix)) return name;
  const full = `${prefix}${name}`;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(full) || full.length > 63 || !/^[a-z0-9][-a-z0-9]*$/.test(prefix)) {
    process.stderr.write(`${formatDiagnostic(diag('PL3140', [], `the lab-name prefix "${prefix}" makes "${full}", which is not a lab name`, `A prefix is lower-case letters, digits and '-', and the whole name at most 63 characters, e.g. --prefix alice- (from PODLAB_PREFIX or --prefix). ${NOTHING_CHANGED}`))}\n`);
    throw new Exit(EXIT.cannotRun);
  }
  return full;
}

/** Whether a lab argument names a file (`labs/x.lab.ts`), to be compiled for its name, rather than a lab that is up. */
export function isLabFile(arg: string): boolean {
  return arg.endsWith('.ts') || (existsSync(arg) && !/^[a-z0-9-]+$/.test(arg));
}

/**
 * A reader that closes the pipe early (`podlab status | head -1`) ends the command quietly, as a
 * coreutils program killed by SIGPIPE does: exit status 141 (128 + SIGPIPE), no stack trace.
 */
export function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      process.exit(141);
    });
}

/** How a lab file names its lab (by compiling it): set by the whole CLI (main.ts) only. */
let labOfFile: ((file: string) => Promise<string>) | undefined;

/** The whole CLI says how a lab file is compiled for its name; a bundle of a few commands has no compiler. */
export function nameLabFilesBy(fn: (file: string) => Promise<string>): void {
  labOfFile = fn;
}

/**
 * A lab argument is a file (`labs/x.lab.ts`) or the name of a lab that is up; with the lab-name
 * prefix. A file needs the compiler, which only the whole CLI has: bin/podlab.js runs that for a
 * command line naming a file.
 */
export async function labName(arg: string): Promise<string> {
  if (!isLabFile(arg)) return prefixed(arg);
  if (!labOfFile) throw new Error(`${arg}: a lab file is compiled for its name by the whole CLI, not by this command's bundle`);
  return prefixed(await labOfFile(arg));
}
