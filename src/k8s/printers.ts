/**
 * kubectl's cell formatters (kubernetes pkg/printers/internalversion/printers.go and
 * apimachinery's labels.FormatLabels), shared by `podlab get` and the lab API server's Table rows
 * so that the two print a lab alike, and both as kubectl prints a cluster. Pure.
 */

/** A label map as kubectl prints it (LABELS, SELECTOR): `key=value` sorted, comma-separated; `<none>` when empty. */
export function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  const pairs = Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`);
  // labels.Set.String sorts the pairs for determinism (byte order, as Go's sort.Strings).
  return pairs.length ? pairs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join(',') : '<none>';
}
