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

/** An Endpoints subset as kubectl reads it: ready addresses and the ports each of them serves. */
export interface EndpointSubsetView {
  addresses?: readonly { ip: string }[];
  ports?: readonly { port: number }[];
}

/** `host:port` as Go's net.JoinHostPort writes it: an IPv6 address in brackets. */
const joinHostPort = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

/**
 * The ENDPOINTS cell of `kubectl get endpoints` (formatEndpoints): for each subset, each port, each
 * ready address — one `address:port` per port, so a DNS Service's address shows once for UDP 53,
 * once for TCP 53 and once for 9153 — the first three, then ` + N more...`; a subset without ports
 * (a headless Service's) lists bare addresses. No subsets at all is `<none>`; subsets with only
 * not-ready addresses list nothing (an empty cell), as kubectl prints them.
 */
export function formatEndpoints(subsets: readonly EndpointSubsetView[]): string {
  if (!subsets.length) return '<none>';
  const max = 3;
  const list: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    const ports = ss.ports ?? [];
    if (!ports.length) {
      count += addresses.length;
      for (const a of addresses) if (list.length < max) list.push(a.ip);
      continue;
    }
    for (const p of ports) {
      count += addresses.length;
      for (const a of addresses) if (list.length < max) list.push(joinHostPort(a.ip, p.port));
    }
  }
  return count > max ? `${list.join(',')} + ${count - max} more...` : list.join(',');
}
