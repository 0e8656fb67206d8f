/**
 * What every command shares and costs nothing to load: the exit codes, the Exit that ends a
 * command once its message is out, and the lab-name prefix. common.ts re-exports them; `podlab
 * down` (src/cli/down-main.ts, a bundle of its own) imports them from here, so that it does not
 * load the compiler to remove a lab named by its name.
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

