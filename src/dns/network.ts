/**
 * `-podlab.wait-network`: a pod's DNS server may start before its pod's CNI ADD has finished (up.sh
 * starts it in the background; `up` itself starts it once every pod has its network, from sockets
 * its container bound: activation.ts). It loads its Corefile meanwhile, but opens its ports and
 * sends its first query (the loop plugin's probe) only once the namespace has a default route: the
 * bridge plugin adds it last, after the interface and its address. What the pod shows a learner
 * is what Kubernetes shows: no DNS server answers before the pod has a network.
 */
import { readFileSync } from 'node:fs';

export { WAIT_NETWORK_FLAG } from './marks.ts';

const RTF_REJECT = 0x0200;

/** Whether /proc/net/route (IPv4) or /proc/net/ipv6_route (IPv6) text holds a default route. */
export function hasDefaultRoute(ipv4: string, ipv6: string): boolean {
  // /proc/net/route: a header, then "Iface Destination Gateway Flags RefCnt Use Metric Mask …" in hex.
  const v4 = ipv4
    .split('\n')
    .slice(1)
    .some((line) => {
      const f = line.trim().split(/\s+/);
      return f.length >= 8 && f[1] === '00000000' && f[7] === '00000000';
    });
  // /proc/net/ipv6_route: "dst dst_len src src_len next_hop metric refcnt use flags iface", no header;
  // the kernel's own unreachable default (RTF_REJECT, on lo) is not a route out.
  const v6 = ipv6.split('\n').some((line) => {
    const f = line.trim().split(/\s+/);
    return f.length >= 10 && /^0{32}$/.test(f[0]!) && f[1] === '00' && (Number.parseInt(f[8]!, 16) & RTF_REJECT) === 0 && f[9] !== 'lo';
  });
  return v4 || v6;
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Whether this process's network namespace has a default route now. */
export const namespaceHasDefaultRoute = (): boolean => hasDefaultRoute(read('/proc/net/route'), read('/proc/net/ipv6_route'));

/**
 * Resolves true once `ready()` holds, polling after 1, 2, 4, then every 5 ms; false if it does not
 * within `timeoutMs` (the server then starts anyway, and says so).
 */
export async function waitUntil(ready: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 1; ; wait = Math.min(5, wait * 2)) {
    if (ready()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, wait));
  }
}
