/**
 * Label and field selectors as the API server reads them from `?labelSelector=` and
 * `?fieldSelector=`: `a=b,c!=d,e in (x,y),f notin (z),g,!h` for labels, `path=value` and
 * `path!=value` for fields (any dotted path of the object: metadata.name, spec.nodeName,
 * status.phase, status.podIP, …). A malformed selector is a 400 Status.
 */
import { ApiError, type K8sObject } from './types.ts';

export type Requirement = { key: string; op: 'in' | 'notin' | 'exists' | '!exists' | '=' | '!='; values: string[] };

/** Splits at commas outside parentheses. */
function terms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of text) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

export function parseLabelSelector(text: string): Requirement[] {
  return terms(text).map((t) => {
    let m = /^([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(t);
    if (m) return { key: m[1]!, op: m[2] as 'in' | 'notin', values: m[3]!.split(',').map((v) => v.trim()).filter(Boolean) };
    m = /^([^\s!=()]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/.exec(t);
    if (m) return { key: m[1]!, op: m[2] === '!=' ? '!=' : '=', values: [m[3]!] };
    m = /^(!?)([^\s!=(),]+)$/.exec(t);
    if (m) return { key: m[2]!, op: m[1] ? '!exists' : 'exists', values: [] };
    throw new ApiError(400, 'BadRequest', `unable to parse requirement: "${t}": a label selector is a list of key=value, key!=value, key in (a,b), key notin (a), key or !key`);
  });
}

export function labelsMatch(reqs: readonly Requirement[], labels: Record<string, string>): boolean {
  return reqs.every((r) => {
    const has = r.key in labels;
    const v = labels[r.key];
    switch (r.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case '=':
        return v === r.values[0];
      case '!=':
        return v !== r.values[0];
      case 'in':
        return has && r.values.includes(v!);
      case 'notin':
        return !has || !r.values.includes(v!);
    }
  });
}

export function parseFieldSelector(text: string): { path: string; op: '=' | '!='; value: string }[] {
  return terms(text).map((t) => {
    const m = /^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$/.exec(t);
    if (!m) throw new ApiError(400, 'BadRequest', `invalid field selector: "${t}": use path=value or path!=value, e.g. spec.nodeName=worker-1`);
    return { path: m[1]!, op: m[2] === '!=' ? '!=' : '=', value: m[3]! };
  });
}

function at(obj: unknown, path: string): string {
  let cur = obj;
  for (const k of path.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[k] : undefined;
  return cur === undefined || cur === null ? '' : String(cur);
}

export function fieldsMatch(reqs: ReturnType<typeof parseFieldSelector>, obj: K8sObject): boolean {
  return reqs.every((r) => (at(obj, r.path) === r.value) === (r.op === '='));
}
