/** The vxlan kind: a VXLAN device on a node (`ip -j -d link`), with its VNI, UDP port and name. */
import { diag } from '../../compile/diagnostics.ts';
import { resolveSource } from './targets.ts';
import { checkAt, clip, parseJsonArray, type Check, type ProbeKind, type Stage, type Stages } from './kind.ts';

export type VxlanCheck<S extends Stage> = Check<S, 'vxlan', { from: Stages[S]['source']; vxlan: { vni: number; port?: number; dev?: string } }>;

interface IpLink {
  ifname: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; port?: number } };
}

export const vxlan: ProbeKind<'vxlan', VxlanCheck<'lab'>, VxlanCheck<'plan'>> = {
  kind: 'vxlan',
  normalize: (c, index, at) => ({
    index,
    at,
    kind: 'vxlan',
    timeoutMs: c.timeoutMs ?? 5000,
    from: c.from,
    vxlan: { vni: c.vni, port: c.port, dev: c.dev },
    name: c.name ?? `${c.from} has a VXLAN device with VNI ${c.vni}${c.port ? ` on UDP ${c.port}` : ''}`,
  }),
  /** VXLAN devices live on nodes. */
  validate(lab, c, out) {
    if (!(c.from.startsWith('node/') && lab.nodes.some((n) => `node/${n.name}` === c.from)))
      out.push(diag('PL2014', checkAt(c)('from'), `check "${c.name}" looks for a VXLAN device on "${c.from}"; VXLAN devices live on nodes`, 'Write from: "node/<name>".'));
  },
  plan: (c, peers) => ({ index: c.index, name: c.name, kind: 'vxlan', from: resolveSource(peers, c.from), timeoutMs: c.timeoutMs, vxlan: c.vxlan }),
  probe: () => ['ip', '-j', '-d', 'link', 'show', 'type', 'vxlan'],
  judge(_plan, check, r) {
    const want = check.vxlan;
    const expected = `a VXLAN device${want.dev ? ` ${want.dev}` : ''} with VNI ${want.vni}${want.port ? ` on UDP ${want.port}` : ''}`;
    const links = parseJsonArray<IpLink>(r.stdout);
    if (!links) return { ok: false, expected, seen: `unreadable ip output: ${clip(r.stdout || r.stderr)}` };
    const vx = links.filter((l) => l.linkinfo?.info_kind === 'vxlan');
    const seen = vx.length ? vx.map((l) => `${l.ifname} VNI ${l.linkinfo?.info_data?.id} port ${l.linkinfo?.info_data?.port}`).join('; ') : 'no VXLAN device';
    const ok = vx.some((l) => l.linkinfo?.info_data?.id === want.vni && (!want.port || l.linkinfo?.info_data?.port === want.port) && (!want.dev || l.ifname === want.dev));
    return { ok, expected, seen };
  },
};
