/**
 * Check kinds about facts rather than packets: a custom command (its exit code and output), a
 * route in a routing table (`ip -j route`), a VXLAN device (`ip -j -d link`). Each is a command
 * builder plus a pure judge of what the command printed.
 */
import type { PlanCheck } from '../plan/plan.ts';
import type { RunResult } from '../runtime/exec.ts';
import type { Verdict } from './checks.ts';

export function factProbeArgv(check: PlanCheck): string[] {
  switch (check.kind) {
    case 'command':
      return [...check.command!.argv];
    case 'route':
      // A CIDR names an exact route; an address asks the kernel which route it would take.
      return check.to.ip.includes('/') ? ['ip', '-j', 'route', 'show', 'exact', check.to.ip] : ['ip', '-j', 'route', 'get', check.to.ip];
    case 'vxlan':
      return ['ip', '-j', '-d', 'link', 'show', 'type', 'vxlan'];
    default:
      throw new Error(`not a fact check: ${check.kind}`);
  }
}

const clip = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}…` : s);

export function judgeCommand(check: PlanCheck, r: RunResult): Verdict {
  const c = check.command!;
  const output = `${r.stdout}${r.stderr ? `\n${r.stderr}` : ''}`.trim();
  const wants = [`exit ${c.expectExit}`];
  const problems: string[] = [];
  if (r.exitCode !== c.expectExit) problems.push(`exit ${r.exitCode}`);
  if (c.expectOutput !== undefined) {
    wants.push(`output contains "${c.expectOutput}"`);
    if (!output.includes(c.expectOutput)) problems.push(`output lacks "${c.expectOutput}"`);
  }
  if (c.expectMatch !== undefined) {
    wants.push(`output matches /${c.expectMatch}/`);
    if (!new RegExp(c.expectMatch, 'm').test(output)) problems.push(`output does not match /${c.expectMatch}/`);
  }
  const seen = `exit ${r.exitCode}${output ? `: ${clip(output.replace(/\s+/g, ' '))}` : ', no output'}`;
  return { ok: problems.length === 0, expected: wants.join(', '), seen: problems.length ? `${seen} — ${problems.join(', ')}` : seen };
}

interface IpRoute {
  dst?: string;
  gateway?: string;
  dev?: string;
}

function parseJson<T>(text: string): T[] | undefined {
  try {
    const v = JSON.parse(text || '[]');
    return Array.isArray(v) ? (v as T[]) : undefined;
  } catch {
    return undefined;
  }
}

export function judgeRoute(check: PlanCheck, r: RunResult): Verdict {
  const want = check.route!;
  const dst = check.to.ip;
  const expected = `${want.absent ? 'no ' : ''}route to ${dst}${want.via ? ` via ${want.via}` : ''}${want.dev ? ` dev ${want.dev}` : ''}`;
  // `ip route get` to an unreachable address exits non-zero: that is "no route", not a broken probe.
  const routes = r.exitCode === 0 ? parseJson<IpRoute>(r.stdout) : [];
  if (!routes) return { ok: false, expected, seen: `unreadable ip output: ${clip(r.stdout || r.stderr)}` };
  const show = (x: IpRoute) => `${x.dst ?? dst}${x.gateway ? ` via ${x.gateway}` : ''}${x.dev ? ` dev ${x.dev}` : ''}`;
  const matching = routes.filter((x) => (!want.via || x.gateway === want.via) && (!want.dev || x.dev === want.dev));
  const seen = routes.length ? routes.map(show).join('; ') : `no route${r.exitCode ? ` (${clip(r.stderr.trim())})` : ''}`;
  return { ok: want.absent ? matching.length === 0 : matching.length > 0, expected, seen };
}

interface IpLink {
  ifname: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; port?: number } };
}

export function judgeVxlan(check: PlanCheck, r: RunResult): Verdict {
  const want = check.vxlan!;
  const expected = `a VXLAN device${want.dev ? ` ${want.dev}` : ''} with VNI ${want.vni}${want.port ? ` on UDP ${want.port}` : ''}`;
  const links = parseJson<IpLink>(r.stdout);
  if (!links) return { ok: false, expected, seen: `unreadable ip output: ${clip(r.stdout || r.stderr)}` };
  const vx = links.filter((l) => l.linkinfo?.info_kind === 'vxlan');
  const seen = vx.length ? vx.map((l) => `${l.ifname} VNI ${l.linkinfo?.info_data?.id} port ${l.linkinfo?.info_data?.port}`).join('; ') : 'no VXLAN device';
  const ok = vx.some((l) => l.linkinfo?.info_data?.id === want.vni && (!want.port || l.linkinfo?.info_data?.port === want.port) && (!want.dev || l.ifname === want.dev));
  return { ok, expected, seen };
}
