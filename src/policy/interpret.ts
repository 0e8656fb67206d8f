/**
 * What an nftables table of podlab's would do with the first packet of a connection: a small
 * interpreter of the nft rule vocabulary the policy compiler emits (sets, verdict maps,
 * jump/goto/return, ip/port/protocol matches, counters, comments). It reads the rule *text*, so a
 * test that compares it with the reference evaluator checks the rules as nft would load them.
 * Anything outside that vocabulary throws rather than being guessed at. Pure.
 */
import { contains, parseAddr, parsePrefix } from '../net/addr.ts';
import type { NftTable } from '../nft/table.ts';

export interface Packet {
  saddr: string;
  daddr: string;
  /** A ping is `icmp` (`icmpv6` in the ip6 table), with dport 0. */
  protocol: 'tcp' | 'udp' | 'icmp' | 'icmpv6';
  dport: number;
  /** Connection tracking state of the packet: the first packet of a connection is 'new'. */
  ct: 'new' | 'established';
}

export interface Interpretation {
  verdict: 'accept' | 'drop' | 'reject';
  /** Rules that matched with a counter or a verdict, as chain and rule text, in order. */
  trail: { chain: string; rule: string }[];
}

/** Splits a rule into words, keeping `{ … }` and `"…"` as one word each. */
function words(rule: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < rule.length) {
    if (rule[i] === ' ') {
      i++;
      continue;
    }
    const close = rule[i] === '{' ? '}' : rule[i] === '"' ? '"' : undefined;
    const end = close ? rule.indexOf(close, i + 1) + 1 : rule.indexOf(' ', i) === -1 ? rule.length : rule.indexOf(' ', i);
    out.push(rule.slice(i, end));
    i = end;
  }
  return out;
}

function inAddr(value: string, ip: string): boolean {
  const a = parseAddr(ip)!;
  const c = value.includes('/') ? parsePrefix(value, false) : undefined;
  if (c) return contains(c, a);
  const v = parseAddr(value);
  if (v) return v.family === a.family && v.value === a.value;
  throw new Error(`interpret: not an address: ${value}`);
}

const setItems = (w: string) => w.slice(1, -1).split(',').map((s) => s.trim()).filter(Boolean);

type Outcome = { kind: 'continue' } | { kind: 'verdict'; verdict: 'accept' | 'drop' | 'reject' } | { kind: 'jump' | 'goto'; chain: string } | { kind: 'return' };

export function interpret(table: NftTable, pkt: Packet): Interpretation {
  const chains = new Map(table.chains.map((c) => [c.name, c]));
  const sets = new Map(table.sets.map((s) => [s.name, s]));
  const trail: Interpretation['trail'] = [];
  const field = (name: string): string => {
    switch (name) {
      case 'ip saddr':
      case 'ip6 saddr':
        return pkt.saddr;
      case 'ip daddr':
      case 'ip6 daddr':
        return pkt.daddr;
      case 'meta l4proto':
        return pkt.protocol;
      case 'th dport':
        return String(pkt.dport);
    }
    throw new Error(`interpret: unknown field ${name}`);
  };
  const setOf = (ref: string) => {
    const s = sets.get(ref.slice(1));
    if (!s) throw new Error(`interpret: no set ${ref}`);
    return s;
  };

  /** Evaluates one rule: whether all matches hold, and its verdict. */
  function rule(text: string): Outcome {
    const w = words(text);
    let i = 0;
    const verdictOf = (): Outcome => {
      const v = w[i++];
      let o: Outcome;
      if (v === 'reject' && w[i] === 'with') {
        if (w.slice(i, i + 3).join(' ') !== 'with tcp reset') throw new Error(`interpret: unknown reject in: ${text}`);
        i += 3;
      }
      if (v === 'accept' || v === 'drop' || v === 'reject') o = { kind: 'verdict', verdict: v };
      else if (v === 'return') o = { kind: 'return' };
      else if (v === 'jump' || v === 'goto') o = { kind: v, chain: w[i++]! };
      else throw new Error(`interpret: unknown word "${v}" in: ${text}`);
      if (i < w.length && w[i] !== 'comment') throw new Error(`interpret: words after the verdict in: ${text}`);
      return o;
    };
    while (i < w.length) {
      const t = w[i]!;
      if (t === 'counter') {
        i++;
        continue;
      }
      if (t === 'comment') {
        i += 2;
        continue;
      }
      if (t === 'ct' && w[i + 1] === 'state') {
        const states = w[i + 2]!.split(',');
        i += 3;
        if (!states.includes(pkt.ct)) return { kind: 'continue' };
        continue;
      }
      if (t === 'ip' || t === 'ip6' || t === 'meta' || t === 'th') {
        // A field, or a concatenation `a . b . c`, then a relation.
        const names: string[] = [];
        for (;;) {
          names.push(`${w[i]} ${w[i + 1]}`);
          i += 2;
          if (w[i] !== '.') break;
          i++;
        }
        const value = names.map(field).join(' . ');
        const op = w[i];
        if (op === 'vmap') {
          const m = setOf(w[i + 1]!);
          i += 2;
          const hit = m.elements.find(([k]) => k === value);
          if (!hit) return { kind: 'continue' };
          const [kind, chain] = hit[1]!.split(' ');
          return { kind: kind as 'jump' | 'goto', chain: chain! };
        }
        if (op === '!=') {
          const v = w[i + 1]!;
          i += 2;
          const items = v.startsWith('{') ? setItems(v) : [v];
          if (items.some((x) => inAddr(x, value))) return { kind: 'continue' };
          continue;
        }
        if (op!.startsWith('@')) {
          i++;
          const s = setOf(op!);
          if (names.length > 1) {
            if (!s.elements.some(([k]) => k === value)) return { kind: 'continue' };
          } else if (!s.elements.some(([k]) => inAddr(k, value))) return { kind: 'continue' };
          continue;
        }
        if (op!.startsWith('{')) {
          i++;
          if (!setItems(op!).some((x) => inAddr(x, value))) return { kind: 'continue' };
          continue;
        }
        i++;
        if (names[0] === 'meta l4proto') {
          if (op !== value) return { kind: 'continue' };
        } else if (!inAddr(op!, value)) return { kind: 'continue' };
        continue;
      }
      // Neighbour discovery (the ip6 table lets it through): never the packet judged here (a connection's first, or an echo request).
      if (t === 'icmpv6' && w[i + 1] === 'type') return { kind: 'continue' };
      if ((t === 'tcp' || t === 'udp') && w[i + 1] === 'dport') {
        const [lo, hi] = w[i + 2]!.split('-').map(Number);
        i += 3;
        if (pkt.protocol !== t || pkt.dport < lo! || pkt.dport > (hi ?? lo)!) return { kind: 'continue' };
        continue;
      }
      const v = verdictOf();
      trail.push({ chain: '', rule: text });
      return v;
    }
    return { kind: 'continue' };
  }

  const base = table.chains.find((c) => c.hook);
  if (!base) throw new Error('interpret: the table has no base chain');
  const policy = /policy (accept|drop);/.exec(base.hook!)?.[1] as 'accept' | 'drop';
  // The call stack: [chain, next rule index]; goto replaces the top, jump pushes.
  const stack: [string, number][] = [[base.name, 0]];
  for (let steps = 0; steps < 10_000; steps++) {
    const top = stack.at(-1);
    if (!top) return { verdict: policy, trail };
    const [name, at] = top;
    const chain = chains.get(name);
    if (!chain) throw new Error(`interpret: no chain ${name}`);
    if (at >= chain.rules.length) {
      stack.pop();
      continue;
    }
    top[1]++;
    const text = chain.rules[at]!;
    const before = trail.length;
    const o = rule(text);
    if (trail.length > before) trail[trail.length - 1]!.chain = name;
    if (o.kind === 'continue') continue;
    if (o.kind === 'verdict') return { verdict: o.verdict, trail };
    if (o.kind === 'return') stack.pop();
    else if (o.kind === 'jump') stack.push([o.chain, 0]);
    else stack[stack.length - 1] = [o.chain, 0];
  }
  throw new Error('interpret: too many steps (a loop?)');
}
