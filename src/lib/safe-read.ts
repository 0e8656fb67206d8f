/**
 * Reading a file someone else controls (a student's submission, a lab file from elsewhere) as
 * root, without letting its name or type make root read something else: opened without following
 * a final symlink (O_NOFOLLOW), without waiting for a writer (O_NONBLOCK: a FIFO would otherwise
 * hang the open), then required to be a regular file by fstat on the very descriptor that is read
 * (so no check-then-open race), and read to at most `limit` + 1 bytes whatever its size claims
 * (/proc files report 0, /dev/zero never ends). Every refusal is a coded diagnostic.
 *
 * No link is followed on the way there either: the path is opened one component at a time, each
 * directory with O_DIRECTORY | O_NOFOLLOW relative to the descriptor of the one before (through
 * /proc/self/fd/N/<name>, Node's stand-in for openat(2)), so a submission folder that is a link to
 * a root-only folder, or a link in the middle of the path, is refused (PL0016) before anything is
 * read, and nothing can swap a component for a link between a check and the open. `beneath`: the
 * walk starts at that folder (opened as given: the author's choice, e.g. an exercise's folder) and
 * only the components below it must not be links.
 */
import { closeSync, constants, fstatSync, readSync } from 'node:fs';
import { LinkOnPathError, openWithoutLinks, type WalkOptions } from './open-beneath.ts';

export type { WalkOptions };
import { diag, type Code, type Diagnostic } from '../compile/diagnostics.ts';

/** What the grader reads of a text submission at most by default: no honest Corefile is near it. */
export const TEXT_LIMIT = 256 * 1024;

export class SafeReadError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

function refuse(code: Code, message: string, hint: string): never {
  throw new SafeReadError(diag(code, [], message, hint));
}

function kindOf(mode: number): string {
  switch (mode & constants.S_IFMT) {
    case constants.S_IFIFO:
      return 'a FIFO';
    case constants.S_IFCHR:
      return 'a character device';
    case constants.S_IFBLK:
      return 'a block device';
    case constants.S_IFSOCK:
      return 'a socket';
    case constants.S_IFDIR:
      return 'a directory';
    case constants.S_IFLNK:
      return 'a symbolic link';
    default:
      return 'not a regular file';
  }
}

/**
 * The bytes of `file`, a regular file of at most `limit` bytes that is not a symlink. Throws
 * SafeReadError (PL0005 not a regular file, PL0006 too large, PL0008 cannot be read).
 */
export function readUntrusted(file: string, limit: number, options: WalkOptions = {}): Buffer {
  let fd: number;
  try {
    fd = openWithoutLinks(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY, options);
  } catch (e) {
    if (e instanceof LinkOnPathError) refuse('PL0016', `${file}: ${e.link} is a symbolic link; links on the path are not followed`, 'Name the file by a path of real folders, not through a link.');
    if (e instanceof RangeError) refuse('PL0008', e.message, 'Name a file inside its folder.');
    const code = (e as NodeJS.ErrnoException).code;
    // O_NOFOLLOW on a symlink fails with ELOOP: the link is refused, not followed.
    if (code === 'ELOOP') refuse('PL0005', `${file} is a symbolic link; links are not followed`, 'Submit the file itself, not a link to it.');
    // open(2) of a Unix socket fails with ENXIO: it is not a file either.
    if (code === 'ENXIO') refuse('PL0005', `${file} is a socket or device without a reader, not a regular file`, 'Submit a regular file.');
    refuse('PL0008', `${file} cannot be read (${code ?? (e as Error).message})`, 'Check that the file exists and is readable.');
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) refuse('PL0005', `${file} is ${kindOf(st.mode)}, not a regular file`, 'Submit a regular file.');
    // Read at most limit + 1 bytes, whatever st.size says: one byte more tells "too large" without reading the rest.
    const buf = Buffer.alloc(limit + 1);
    let n = 0;
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
    if (n > limit) refuse('PL0006', `${file} is larger than ${limit} bytes, the most that is read`, `Submit at most ${limit} bytes.`);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** `readUntrusted` for text: also refuses NUL bytes and invalid UTF-8 (PL0007). */
export function readUntrustedText(file: string, limit = TEXT_LIMIT, options: WalkOptions = {}): string {
  const buf = readUntrusted(file, limit, options);
  if (buf.includes(0)) refuse('PL0007', `${file} is not text (it holds NUL bytes)`, 'Submit a text file.');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    refuse('PL0007', `${file} is not text (it is not valid UTF-8)`, 'Submit a UTF-8 text file.');
  }
}

/** `readUntrustedText`, or undefined when it is refused (for code frames, which are optional). */
export function tryReadUntrustedText(file: string, limit = TEXT_LIMIT * 4): string | undefined {
  try {
    return readUntrustedText(file, limit);
  } catch {
    return undefined;
  }
}
