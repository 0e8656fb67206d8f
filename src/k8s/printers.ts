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

/**
 * kubectl's AGE and "ago" cells (apimachinery's duration.HumanDuration): 45s, 3m12s, 42m, 5h3m,
 * 20h, 3d4h, 12d, 1y40d.
 */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return `${d}d${h % 24 ? `${h % 24}h` : ''}`;
  if (h < 24 * 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  if (h < 24 * 365 * 8) return `${y}y${d % 365 ? `${d % 365}d` : ''}`;
  return `${y}y`;
}

/** A container status as kubectl's pod printer reads it. */
export interface ContainerStatusView {
  ready: boolean;
  restartCount: number;
  state?: { waiting?: { reason?: string }; terminated?: { reason?: string; exitCode: number; signal?: number }; running?: object };
  lastState?: { terminated?: { finishedAt?: string } };
}

/**
 * The STATUS column as kubectl's pod printer reads it (printPod): the phase, unless a container
 * says more, the last one written first: a waiting container's reason (CrashLoopBackOff,
 * ContainerCreating), a terminated one's reason (`Error`, `Completed`), or `Signal:N` /
 * `ExitCode:N` without one. A pod whose container completed while another still runs ready shows
 * Running, or NotReady when the pod is not ready. Pure.
 */
export function podStatusColumn(phase: string, statuses: readonly ContainerStatusView[], podReady: boolean): string {
  let reason = phase;
  let hasRunning = false;
  for (const c of [...statuses].reverse()) {
    const s = c.state ?? {};
    if (s.waiting?.reason) reason = s.waiting.reason;
    else if (s.terminated?.reason) reason = s.terminated.reason;
    else if (s.terminated) reason = s.terminated.signal ? `Signal:${s.terminated.signal}` : `ExitCode:${s.terminated.exitCode}`;
    else if (c.ready && s.running) hasRunning = true;
  }
  return reason === 'Completed' && hasRunning ? (podReady ? 'Running' : 'NotReady') : reason;
}

/**
 * The RESTARTS column (printPod): the restarts of every container, and once there are any, how long
 * ago the latest of their last terminations finished: `3 (42s ago)`.
 */
export function restartsColumn(statuses: readonly ContainerStatusView[], now: number): string {
  const restarts = statuses.reduce((n, c) => n + c.restartCount, 0);
  const last = Math.max(...statuses.map((c) => (c.lastState?.terminated?.finishedAt ? Date.parse(c.lastState.terminated.finishedAt) : Number.NaN)).filter((t) => !Number.isNaN(t)));
  return restarts !== 0 && Number.isFinite(last) ? `${restarts} (${humanDuration(now - last)} ago)` : String(restarts);
}
