/** Writing a file whole or not at all. */
import { renameSync, writeFileSync } from 'node:fs';

/**
 * Writes a file by rename: a reader (a bind-mounted view, a watcher, another podlab reading a
 * cache) never sees half of it, and two writers never mix. `mode` applies to a file it creates.
 */
export function writeFileAtomic(path: string, content: string | Uint8Array, mode?: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, mode === undefined ? undefined : { mode });
  renameSync(tmp, path);
}
