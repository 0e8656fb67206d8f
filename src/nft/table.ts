/**
 * An nftables table as data, and the two ways podlab writes it: the whole table as a file that
 * `nft -f` applies atomically (and that a learner can read in generated/), and the difference
 * between two versions as one incremental transaction (added, flushed and deleted chains, added
 * and deleted set elements), which is what makes an endpoint change on a large ruleset cheap.
 * Pure: no nft is run here.
 */

export interface NftSet {
  kind: 'set' | 'map';
  name: string;
  /** Declaration lines: `type …`, `flags …`, `timeout …`. */
  spec: string[];
  /** Elements as [key, value]; value only for maps (e.g. `goto svc.default/web/http`). */
  elements: [string, string?][];
}

export interface NftChain {
  name: string;
  /** For base chains: `type nat hook prerouting priority dstnat; policy accept;`. */
  hook?: string;
  rules: string[];
}

export interface NftTable {
  /** `ip` (IPv4) or `ip6` (IPv6): kube-proxy's nftables mode keeps one table per family; `bridge` filters a bridge's frames (the underlay rule). */
  family: 'ip' | 'ip6' | 'bridge';
  name: string;
  /** In declaration order; the order is kept in the rendered file. */
  sets: NftSet[];
  chains: NftChain[];
}

const element = ([k, v]: [string, string?]) => (v === undefined ? k : `${k} : ${v}`);

/**
 * The whole table as an `nft -f` script. It first creates the table (a no-op if it exists) and
 * deletes it, so applying the file replaces podlab's table in one transaction and touches no other.
 */
export function renderTable(t: NftTable, comments: string[] = [], options: { fresh?: boolean } = {}): string {
  // `table X` then `delete table X` replaces whatever table X holds, in one transaction; into a
  // namespace known to hold none (`fresh`: just created) the table alone is added. Deleting a
  // table makes the commit wait for the kernel (measured: 16 ms against 5 ms wall for a node's
  // kube-proxy table into a new namespace, the same CPU).
  const replace = options.fresh ? [] : [`table ${t.family} ${t.name}`, `delete table ${t.family} ${t.name}`];
  const out: string[] = ['#!/usr/sbin/nft -f', ...comments.map((c) => `# ${c}`), ...replace, `table ${t.family} ${t.name} {`];
  for (const s of t.sets) {
    out.push(`\t${s.kind} ${s.name} {`, ...s.spec.map((l) => `\t\t${l}`));
    if (s.elements.length) out.push('\t\telements = {', ...s.elements.map((e, i) => `\t\t\t${element(e)}${i < s.elements.length - 1 ? ',' : ''}`), '\t\t}');
    out.push('\t}');
  }
  for (const c of t.chains) {
    out.push(`\tchain ${c.name} {`);
    if (c.hook) out.push(`\t\t${c.hook}`);
    out.push(...c.rules.map((r) => `\t\t${r}`), '\t}');
  }
  out.push('}', '');
  return out.join('\n');
}

/**
 * The transaction that turns table `from` into table `to`, or '' when they are equal. Order
 * matters within the transaction: new sets and chains exist before anything refers to them, and
 * chains and sets are deleted only after every rule and element that referred to them is gone.
 */
export function diffTable(from: NftTable, to: NftTable): string {
  const T = `${to.family} ${to.name}`;
  const lines: string[] = [];
  const fromSets = new Map(from.sets.map((s) => [s.name, s]));
  const toSets = new Map(to.sets.map((s) => [s.name, s]));
  const fromChains = new Map(from.chains.map((c) => [c.name, c]));
  const toChains = new Map(to.chains.map((c) => [c.name, c]));

  for (const s of to.sets) if (!fromSets.has(s.name)) lines.push(`add ${s.kind} ${T} ${s.name} { ${s.spec.join('; ')}; }`);
  for (const c of to.chains) if (!fromChains.has(c.name)) lines.push(`add chain ${T} ${c.name}${c.hook ? ` { ${c.hook} }` : ''}`);

  for (const c of to.chains) {
    const old = fromChains.get(c.name);
    if (old && sameList(old.rules, c.rules)) continue;
    if (old) lines.push(`flush chain ${T} ${c.name}`);
    for (const r of c.rules) lines.push(`add rule ${T} ${c.name} ${r}`);
  }

  for (const s of to.sets) {
    const old = fromSets.get(s.name);
    if (!old) {
      if (s.elements.length) lines.push(`add element ${T} ${s.name} { ${s.elements.map(element).join(', ')} }`);
      continue;
    }
    const before = new Map(old.elements.map(([k, v]) => [k, v]));
    const after = new Map(s.elements.map(([k, v]) => [k, v]));
    const gone = old.elements.filter(([k, v]) => !after.has(k) || after.get(k) !== v).map(([k]) => k);
    const added = s.elements.filter(([k, v]) => !before.has(k) || before.get(k) !== v);
    if (gone.length) lines.push(`delete element ${T} ${s.name} { ${gone.join(', ')} }`);
    if (added.length) lines.push(`add element ${T} ${s.name} { ${added.map(element).join(', ')} }`);
  }

  for (const c of from.chains) if (!toChains.has(c.name)) lines.push(`flush chain ${T} ${c.name}`);
  for (const c of from.chains) if (!toChains.has(c.name)) lines.push(`delete chain ${T} ${c.name}`);
  for (const s of from.sets) if (!toSets.has(s.name)) lines.push(`delete ${s.kind} ${T} ${s.name}`);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
