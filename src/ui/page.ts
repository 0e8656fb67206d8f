/**
 * The `podlab ui` page, the pure part: what the page shows of a live lab (its drawing, pods,
 * Services and endpoints, checks and their last results, the last trace) as one model, and that
 * model as server-rendered HTML. The server (server.ts) reads the live lab and answers requests;
 * the browser's script (app.ts) only asks for check runs and traces and puts their answers in.
 * Every text from the lab is escaped: lab files are not trusted (SECURITY.md).
 */
import type { CheckResult } from '../check/checks.ts';
import type { PlanCheck } from '../plan/plan.ts';
import type { Graph } from '../render/graph/model.ts';
import type { LabStatus } from '../runtime/status.ts';
import { hostPort } from '../net/addr.ts';
import { endNode } from '../trace/draw.ts';
import type { Hop, TracePath } from '../trace/trace.ts';

/** One check row: the plan's check and, once run from the page, its result. */
export interface UiCheck {
  index: number;
  name: string;
  kind: string;
  result?: Pick<CheckResult, 'status' | 'expected' | 'seen' | 'command' | 'ms'>;
}

/** A trace as the page shows it. */
export interface UiTrace {
  request: string;
  outcome: TracePath['outcome'];
  reason: string;
  hops: Pick<Hop, 'kind' | 'at' | 'linux' | 'k8s' | 'status' | 'observed'>[];
}

export interface UiModel {
  lab: string;
  source: string;
  cni: string;
  /** The live drawing (SVG text from Graphviz), with failed checks and the last trace marked. */
  svg: string;
  pods: { namespace: string; name: string; node: string; ips: string[]; state: 'running' | 'down'; why?: string }[];
  services: { namespace: string; name: string; type: string; address: string; ports: string[]; endpoints: string[] }[];
  /** Where a trace may start (pods, nodes, hosts) and end (those and Services), as `podlab trace` names them. */
  ends: { from: string[]; to: string[] };
  /** Nodes that failed (`podlab node fail`): NotReady, drawn red and dashed with their link and tunnels down. */
  failedNodes: string[];
  checks: UiCheck[];
  trace?: UiTrace;
}

/**
 * The graph boxes a check's two ends are drawn as (the pod, node link, host or Service), for
 * marking a failed check. A matrix has no two ends of its own: its cells do (failedMarks marks
 * the failed ones); here it names the ends of every cell.
 */
export function checkBoxes(g: Graph, c: PlanCheck): string[] {
  if (c.kind === 'matrix') return [...new Set(c.matrix.cells.flatMap((cell) => checkBoxes(g, cell)))];
  const ids: string[] = [];
  const from = (c as { from?: { kind: string; name: string } }).from;
  if (from) {
    const n = endNode(g, from.kind === 'pod' ? from.name : `${from.kind}/${from.name}`);
    if (n) ids.push(n.id);
  }
  const to = (c as { to?: { kind: string; name: string; ip: string } }).to;
  if (to) {
    const n = to.kind === 'pod' || to.kind === 'node' || to.kind === 'host' ? endNode(g, to.kind === 'pod' ? to.name : `${to.kind}/${to.name}`) : to.ip ? g.nodes.find((x) => x.ips.includes(to.ip) && (x.kind === 'service' || x.kind === 'pod')) : undefined;
    if (n) ids.push(n.id);
  }
  return ids;
}

/** How many failed cells of a matrix a box lists by name before it counts the rest. */
const CELLS_NAMED = 3;

/**
 * The failed checks by box, for the drawing's marks. A failed matrix marks the two ends of each
 * failed cell, once per box: `<matrix name> (x-a → svc/y/s-y-a:80, …)`, naming that box's failed
 * cells (row → column as the matrix writes them), the first few and how many more.
 */
export function failedMarks(g: Graph, checks: readonly PlanCheck[], results: readonly CheckResult[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of results) {
    if (r.status !== 'fail') continue;
    const c = checks.find((x) => x.index === r.index);
    if (!c) continue;
    if (c.kind !== 'matrix') {
      for (const id of checkBoxes(g, c)) (out[id] ??= []).push(r.name);
      continue;
    }
    // Cells are row-major in the plan and in the result alike (sources × targets).
    const cols = c.matrix.cols;
    const byBox = new Map<string, string[]>();
    (r.matrix?.cells ?? []).forEach((cell, i) => {
      const planned = c.matrix.cells[i];
      if (cell.status !== 'fail' || !planned) return;
      const what = `${c.matrix.rows[Math.floor(i / cols.length)] ?? '?'} → ${cols[i % cols.length] ?? '?'}`;
      for (const id of new Set(checkBoxes(g, planned))) byBox.set(id, [...(byBox.get(id) ?? []), what]);
    });
    for (const [id, cells] of byBox) {
      const more = cells.length > CELLS_NAMED ? `, ${cells.length - CELLS_NAMED} more` : '';
      (out[id] ??= []).push(`${r.name} (${cells.slice(0, CELLS_NAMED).join(', ')}${more})`);
    }
  }
  return out;
}

/** The pods, Services and trace ends of a lab's status. */
export function statusParts(s: LabStatus, graph: Graph): Pick<UiModel, 'pods' | 'services' | 'ends' | 'failedNodes'> {
  const down = new Map(graph.nodes.filter((n) => n.kind === 'pod' && n.state === 'down').map((n) => [n.id, n.label.find((l) => l.startsWith('not running'))]));
  const pods = s.pods.map((p) => {
    const why = down.get(`pod/${p.namespace}/${p.name}`);
    return { namespace: p.namespace, name: p.name, node: p.node, ips: p.running ? p.podIPs : [], state: down.has(`pod/${p.namespace}/${p.name}`) ? ('down' as const) : ('running' as const), ...(why ? { why } : {}) };
  });
  const services = s.services.map((v) => ({
    namespace: v.namespace,
    name: v.name,
    type: v.type,
    address: v.type === 'ExternalName' ? `→ ${v.externalName}` : `${(v.clusterIPs ?? [v.clusterIP]).join(', ')}${v.loadBalancerIP ? `, lb ${(v.loadBalancerIPs ?? [v.loadBalancerIP]).join(', ')}` : ''}`,
    ports: v.ports,
    // Those kube-proxy sends to (a pod the control loops hold not ready is out of its tables); an IPv6
    // endpoint bracketed before its ports, as everywhere else ([fd00:10:244:1::2]:8080).
    endpoints: v.endpoints.filter((e) => !e.notProgrammed).map((e) => `${e.pod} ${hostPort(e.ip, Object.values(e.ports).join(','))} (${e.node})`),
  }));
  const podRefs = s.pods.filter((p) => p.running && p.namespace !== 'kube-system').map((p) => `${p.namespace}/${p.name}`);
  const from = [...podRefs, ...s.nodes.map((n) => `node/${n.name}`), ...s.hosts.map((h) => `host/${h.name}`)];
  const to = [...podRefs, ...s.services.filter((v) => v.type !== 'ExternalName' && v.clusterIP && v.clusterIP !== 'None').map((v) => `svc/${v.namespace}/${v.name}`), ...s.nodes.map((n) => `node/${n.name}`), ...s.hosts.map((h) => `host/${h.name}`)];
  const failedNodes = graph.clusters.filter((c) => c.kind === 'node' && c.state === 'failed').map((c) => c.id.replace(/^node\//, ''));
  return { pods, services, ends: { from, to }, failedNodes };
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
const e = escapeHtml;

function checkRow(c: UiCheck): string {
  const st = c.result?.status ?? 'not-run';
  const seen = c.result ? (c.result.status === 'pass' ? c.result.seen : `${c.result.seen} · try: ${c.result.command}`) : '';
  return `<tr class="check" data-index="${c.index}" data-status="${st}"><td>${e(c.name)}</td><td>${e(c.kind)}</td><td class="status">${st === 'not-run' ? '–' : st === 'pass' ? '✓ pass' : '✗ fail'}</td><td class="seen">${e(seen)}</td></tr>`;
}

/** The hops of a trace as list items (the script builds the same from JSON). */
export function traceHtml(t: UiTrace | undefined): string {
  if (!t) return '';
  const hops = t.hops.map((h) => `<li class="hop" data-kind="${e(h.kind)}" data-status="${e(h.status)}"><b>${e(h.kind)}</b> <span class="at">${e(h.at)}</span> <span class="mark">${e(h.status)}</span><div class="linux">${e(h.linux)}</div><div class="k8s">${e(h.k8s)}</div>${h.observed ? `<div class="observed">${e(h.observed)}</div>` : ''}</li>`);
  return `<p class="outcome" data-outcome="${t.outcome}">${e(t.request)}: <b>${e(t.outcome)}</b> — ${e(t.reason)}</p><ol id="hops">${hops.join('')}</ol>`;
}

const STYLE = `
body{font-family:system-ui,sans-serif;margin:0;color:#0f172a;background:#f8fafc}
header{background:#0f172a;color:#f8fafc;padding:.6rem 1rem}#changes{margin:.3rem 0 0;padding-left:1rem;font-size:.8rem;color:#fde68a}header h1{font-size:1.1rem;margin:0}header span{opacity:.7;font-size:.85rem}
main{padding:1rem}.cols{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1rem}
section{background:#fff;border:1px solid #e2e8f0;border-radius:6px;padding:.6rem .8rem;margin-bottom:1rem}
h2{font-size:1rem;margin:.2rem 0 .5rem}table{border-collapse:collapse;width:100%;font-size:.8rem}
td,th{border-bottom:1px solid #e2e8f0;padding:.2rem .3rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
td.seen{font-size:.75rem;max-width:30rem}.nb{white-space:nowrap}th{white-space:nowrap}
#topology{overflow:auto}#topology svg{max-width:none;height:auto}#topology g.node{cursor:pointer}
tr[data-status=pass] .status{color:#15803d}tr[data-status=fail] .status{color:#dc2626;font-weight:bold}
tr.down td{color:#dc2626}.hop{margin-bottom:.3rem;font-size:.8rem}.hop .linux{font-family:monospace}.hop .k8s{color:#475569}
.hop .observed{color:#0369a1}.hop[data-status=dropped]{color:#dc2626}.mark{font-size:.7rem;color:#64748b}
button{padding:.3rem .8rem}select,input{font-size:.85rem;max-width:12rem}#trace-error,#checks-error{color:#dc2626}
`;

/**
 * Text that must not break inside a word: names, types, addresses, ports (`10.96.0.1` over `0`
 * reads as another address). Each word whole (`.nb`); lines break between them.
 */
const whole = (text: string): string => text.split(/( |, )/).map((w) => (w === ' ' || w === ', ' || !w ? e(w) : `<span class="nb">${e(w)}</span>`)).join('');

/** The rows of the Pods table. */
export function podRows(m: Pick<UiModel, 'pods'>): string {
  return m.pods.map((p) => `<tr class="pod ${p.state}" data-pod="${e(`${p.namespace}/${p.name}`)}"><td>${whole(`${p.namespace}/${p.name}`)}</td><td>${whole(p.ips.join(', ') || '-')}</td><td>${whole(p.node)}</td><td>${e(p.state === 'down' ? (p.why ?? 'not running') : 'running')}</td></tr>`).join('');
}

/** The rows of the Services table. */
export function serviceRows(m: Pick<UiModel, 'services'>): string {
  return m.services.map((s) => `<tr class="service" data-service="${e(`${s.namespace}/${s.name}`)}"><td>${whole(`${s.namespace}/${s.name}`)}</td><td>${whole(s.type)}</td><td>${whole(s.address)}</td><td>${whole(s.ports.join(' '))}</td><td class="endpoints">${s.type === 'ExternalName' ? '' : s.endpoints.length ? s.endpoints.map(whole).join('<br>') : '<b style="color:#dc2626">none</b>'}</td></tr>`).join('');
}

/**
 * What the page's live updates carry (server-sent events, `GET /api/events`): the parts of the
 * page that follow the lab, as HTML rendered here (escaped as the page is) and the check rows.
 */
export interface UiUpdate {
  svg: string;
  pods: string;
  services: string;
  checks: string;
  /** What changed, in words, for the page's status line: "pod default/web-2 down (deleted)". */
  changes: string[];
}

export function pageUpdate(m: UiModel, before: UiModel | undefined): UiUpdate {
  return { svg: m.svg, pods: podRows(m), services: serviceRows(m), checks: m.checks.map(checkRow).join(''), changes: before ? changesOf(before, m) : [] };
}

/** The changes a learner cares about between two views of the lab: nodes failed or restored, pods down or back, endpoints, check results. */
export function changesOf(a: Pick<UiModel, 'pods' | 'services' | 'checks'> & Partial<Pick<UiModel, 'failedNodes'>>, b: Pick<UiModel, 'pods' | 'services' | 'checks'> & Partial<Pick<UiModel, 'failedNodes'>>): string[] {
  const out: string[] = [];
  const failedA = new Set(a.failedNodes ?? []);
  const failedB = new Set(b.failedNodes ?? []);
  for (const n of failedB) if (!failedA.has(n)) out.push(`node ${n} failed (NotReady, link down)`);
  for (const n of failedA) if (!failedB.has(n)) out.push(`node ${n} restored`);
  const podsA = new Map(a.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  for (const p of b.pods) {
    const was = podsA.get(`${p.namespace}/${p.name}`);
    if (was && (was.state !== p.state || (p.state === 'down' && was.why !== p.why))) out.push(`pod ${p.namespace}/${p.name} ${p.state === 'down' ? `down (${(p.why ?? 'not running').replace(/^not running: /, '')})` : `running again${p.ips.length ? ` at ${p.ips.join(', ')}` : ''}`}`);
    else if (was && was.ips.join() !== p.ips.join() && p.ips.length) out.push(`pod ${p.namespace}/${p.name} now at ${p.ips.join(', ')}`);
  }
  const svcA = new Map(a.services.map((s) => [`${s.namespace}/${s.name}`, s]));
  for (const s of b.services) {
    const was = svcA.get(`${s.namespace}/${s.name}`);
    if (was && was.endpoints.join() !== s.endpoints.join()) out.push(`Service ${s.namespace}/${s.name}: ${s.endpoints.length} endpoint${s.endpoints.length === 1 ? '' : 's'}${s.endpoints.length ? ` (${s.endpoints.map((x) => x.split(' ')[0]).join(', ')})` : ''}`);
  }
  const checksA = new Map(a.checks.map((c) => [c.index, c.result?.status]));
  const ran = b.checks.filter((c) => c.result && checksA.get(c.index) !== c.result.status);
  if (ran.length) out.push(`checks: ${b.checks.filter((c) => c.result?.status === 'pass').length} passed, ${b.checks.filter((c) => c.result?.status === 'fail').length} failed`);
  return out;
}

/** The whole page; `token` (which the page's own URL carries) goes into the script's URL. */
export function renderPage(m: UiModel, token: string): string {
  const pods = podRows(m);
  const svcs = serviceRows(m);
  const options = (list: string[], selected?: string) => list.map((x) => `<option value="${e(x)}"${x === selected ? ' selected' : ''}>${e(x)}</option>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>podlab ui · ${e(m.lab)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head>
<body><header><h1>podlab · lab ${e(m.lab)}</h1><span>${e(m.cni)} · from ${e(m.source)} · <span id="live">live</span></span><ul id="changes"></ul></header>
<main>
<section><h2>Topology</h2><p style="font-size:.8rem;color:#475569;margin:0">Click a pod to trace from it, then another to trace to it.</p><div id="topology">${m.svg}</div></section>
<div class="cols"><div>
<section><h2>Checks</h2><button id="run-checks" type="button">Run checks</button> <span id="checks-summary"></span><span id="checks-error"></span>
<table id="checks"><thead><tr><th>check</th><th>kind</th><th>result</th><th>seen</th></tr></thead><tbody>${m.checks.map(checkRow).join('')}</tbody></table></section>
<section><h2>Trace</h2><form id="trace-form">from <select id="trace-from">${options(m.ends.from, m.ends.from[0])}</select>
to <select id="trace-to">${options(m.ends.to, m.ends.to[1])}</select>
port <input id="trace-port" type="number" min="1" max="65535" placeholder="auto" style="width:5rem">
<select id="trace-proto"><option value="">proto</option><option>tcp</option><option>udp</option><option>icmp</option></select>
<button id="trace-go" type="submit">Trace</button></form><div id="trace-error"></div><div id="trace">${traceHtml(m.trace)}</div></section>
</div><div>
<section><h2>Pods</h2><table id="pods"><thead><tr><th>pod</th><th>IP</th><th>node</th><th>state</th></tr></thead><tbody>${pods}</tbody></table></section>
<section><h2>Services</h2><table id="services"><thead><tr><th>Service</th><th>type</th><th>address</th><th>ports</th><th>endpoints</th></tr></thead><tbody>${svcs}</tbody></table></section>
</div></div></main><script src="/app.js?token=${encodeURIComponent(token)}"></script></body></html>
`;
}
