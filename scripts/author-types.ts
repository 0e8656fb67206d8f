/**
 * Writes podlab's authoring API types as they come with podlab (assets/author-types/: the
 * declaration file and its record), from the sources as they are now. Run after changing anything
 * src/index.ts reaches; test/unit/author-types.test.ts fails until they match.
 *
 *   npm run author-types
 */
import { relative } from 'node:path';
import { writePodlabTypes } from '../src/compile/typecheck.ts';

const file = writePodlabTypes();
if (!file) {
  process.stderr.write("author-types: podlab's types could not be written out whole (an export with no plain type?)\n");
  process.exit(1);
}
process.stdout.write(`✓ ${relative(process.cwd(), file)}\n`);
