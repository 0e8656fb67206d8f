/**
 * The order podlab sorts names, keys and paths in: by UTF-16 code unit, as Array.prototype.sort
 * does without a comparator. It is the same on every machine, whatever its locale and ICU data, so
 * what podlab renders and prints sorts the same everywhere; and it loads no ICU collator, whose
 * first use (any localeCompare) costs a process about 6 ms of CPU.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
