/**
 * The nftables table model (src/nft/table.ts): the whole-table file, and the incremental
 * transaction diffTable writes. The transaction is checked by a small interpreter that applies it
 * the way the kernel would, strictly: a rule or element may only name chains and sets that exist
 * at that point of the transaction, a chain or set may only be deleted once nothing refers to it,
 * and a map key may not be re-added with another value before it is deleted.
 */
import { describe, expect, it } from 'vitest';
import { gatewayTable, nodeTable } from '../../src/plan/kube-proxy.ts';
import { computeEndpoints, type EndpointSource, type PlanService } from '../../src/plan/services.ts';
import { diffTable, renderTable, type NftChain, type NftSet, type NftTable } from '../../src/nft/table.ts';
import { context, labPort, labService, NODES, planned, prng } from './service-builders.ts';
import type { LabService } from '../../src/compile/lab.ts';

const table = (sets: NftSet[], chains: NftChain[]): NftTable => ({ family: 'ip', name: 'podlab', sets, chains });
const clone = <T>(x: T): T => structuredClone(x);
const lines = (script: string) => script.split('\n').filter(Boolean);

// ---------------------------------------------------------------- the interpreter

const T = 'ip podlab';
const refsOf = (text: string) => ({
  chains: [...text.matchAll(/(?:goto|jump) ([^\s,}]+)/g)].map((m) => m[1]!),
  sets: [...text.matchAll(/@([^\s,}]+)/g)].map((m) => m[1]!),
});

/** Applies a diffTable script to `t` (mutated), throwing where nft would refuse the transaction. */
function apply(t: NftTable, script: string): NftTable {
  const chainOf = (name: string) => {
    const c = t.chains.find((x) => x.name === name);
    if (!c) throw new Error(`no chain ${name}`);
    return c;
  };
  const setOf = (name: string) => {
    const s = t.sets.find((x) => x.name === name);
    if (!s) throw new Error(`no set ${name}`);
    return s;
  };
  const mustExist = (text: string, where: string) => {
    const r = refsOf(text);
    for (const c of r.chains) if (!t.chains.some((x) => x.name === c)) throw new Error(`${where} refers to chain ${c}, which does not exist (yet)`);
    for (const s of r.sets) if (!t.sets.some((x) => x.name === s)) throw new Error(`${where} refers to set ${s}, which does not exist (yet)`);
  };
  const referrers = (name: string, kind: 'chains' | 'sets') => [
    ...t.chains.flatMap((c) => c.rules.filter((r) => refsOf(r)[kind].includes(name)).map((r) => `rule in ${c.name}: ${r}`)),
    ...t.sets.flatMap((s) => s.elements.filter(([, v]) => v !== undefined && refsOf(v)[kind].includes(name)).map(([k]) => `element ${k} of ${s.name}`)),
  ];
  const parseElements = (text: string, isMap: boolean): [string, string?][] =>
    text.split(', ').map((e) => {
      if (!isMap) return [e];
      const i = e.indexOf(' : ');
      if (i < 0) throw new Error(`map element without a value: ${e}`);
      return [e.slice(0, i), e.slice(i + 3)];
    });

  for (const line of lines(script)) {
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^add (set|map) ${T} (\\S+) \\{ (.*); \\}$`).exec(line))) {
      if (t.sets.some((s) => s.name === m![2])) throw new Error(`set ${m[2]} exists already: ${line}`);
      t.sets.push({ kind: m[1] as 'set' | 'map', name: m[2]!, spec: m[3]!.split('; '), elements: [] });
    } else if ((m = new RegExp(`^add chain ${T} (\\S+)(?: \\{ (.*) \\})?$`).exec(line))) {
      if (t.chains.some((c) => c.name === m![1])) throw new Error(`chain ${m[1]} exists already: ${line}`);
      t.chains.push({ name: m[1]!, ...(m[2] ? { hook: m[2] } : {}), rules: [] });
    } else if ((m = new RegExp(`^flush chain ${T} (\\S+)$`).exec(line))) {
      chainOf(m[1]!).rules = [];
    } else if ((m = new RegExp(`^delete chain ${T} (\\S+)$`).exec(line))) {
      const c = chainOf(m[1]!);
      if (c.rules.length) throw new Error(`chain ${c.name} still has rules: ${line}`);
      const users = referrers(c.name, 'chains');
      if (users.length) throw new Error(`chain ${c.name} is still in use (${users.join('; ')}): ${line}`);
      t.chains = t.chains.filter((x) => x !== c);
    } else if ((m = new RegExp(`^delete (set|map) ${T} (\\S+)$`).exec(line))) {
      const s = setOf(m[2]!);
      if (s.kind !== m[1]) throw new Error(`${s.name} is a ${s.kind}: ${line}`);
      const users = referrers(s.name, 'sets');
      if (users.length) throw new Error(`set ${s.name} is still in use (${users.join('; ')}): ${line}`);
      t.sets = t.sets.filter((x) => x !== s);
    } else if ((m = new RegExp(`^add rule ${T} (\\S+) (.*)$`).exec(line))) {
      const c = chainOf(m[1]!);
      mustExist(m[2]!, line);
      c.rules.push(m[2]!);
    } else if ((m = new RegExp(`^add element ${T} (\\S+) \\{ (.*) \\}$`).exec(line))) {
      const s = setOf(m[1]!);
      for (const [k, v] of parseElements(m[2]!, s.kind === 'map')) {
        if (v !== undefined) mustExist(v, line);
        const old = s.elements.find(([ok]) => ok === k);
        if (old && old[1] !== v) throw new Error(`element ${k} of ${s.name} exists with another value (${old[1]}): ${line}`);
        if (!old) s.elements.push(v === undefined ? [k] : [k, v]);
      }
    } else if ((m = new RegExp(`^delete element ${T} (\\S+) \\{ (.*) \\}$`).exec(line))) {
      const s = setOf(m[1]!);
      for (const k of m[2]!.split(', ')) {
        if (!s.elements.some(([ok]) => ok === k)) throw new Error(`no element ${k} in ${s.name}: ${line}`);
        s.elements = s.elements.filter(([ok]) => ok !== k);
      }
    } else throw new Error(`the interpreter does not know this line: ${line}`);
  }
  return t;
}

/** A table with its sets, chains and set elements in a canonical order (their order means nothing to nft); rule order is kept. */
function canonical(t: NftTable) {
  const byName = <X extends { name: string }>(xs: X[]) => [...xs].sort((a, b) => a.name.localeCompare(b.name));
  return {
    family: t.family,
    name: t.name,
    sets: byName(t.sets).map((s) => ({ ...s, elements: [...s.elements].map((e) => (e[1] === undefined ? [e[0]] : e)).sort((a, b) => a[0]!.localeCompare(b[0]!)) })),
    chains: byName(t.chains).map((c) => ({ name: c.name, hook: c.hook, rules: c.rules })),
  };
}

const EMPTY = table([], []);

// ---------------------------------------------------------------- renderTable

describe('renderTable', () => {
  it('writes a file that replaces the table in one transaction: create, delete, then the whole table', () => {
    const t = table(
      [
        { kind: 'set', name: 'clients', spec: ['type ipv4_addr', 'flags dynamic,timeout', 'timeout 10800s'], elements: [] },
        { kind: 'map', name: 'ports', spec: ['type inet_proto . inet_service : verdict'], elements: [['tcp . 30000', 'goto a'], ['udp . 30001', 'goto b']] },
        { kind: 'set', name: 'pairs', spec: ['type ipv4_addr . ipv4_addr'], elements: [['10.0.0.1 . 10.0.0.1']] },
      ],
      [
        { name: 'a', rules: ['meta l4proto tcp dnat to 10.0.0.1:80'] },
        { name: 'b', rules: [] },
        { name: 'pre', hook: 'type nat hook prerouting priority dstnat; policy accept;', rules: ['meta l4proto . th dport vmap @ports'] },
      ],
    );
    expect(renderTable(t, ['Generated by a test.', 'Second line.'])).toBe(
      [
        '#!/usr/sbin/nft -f',
        '# Generated by a test.',
        '# Second line.',
        'table ip podlab',
        'delete table ip podlab',
        'table ip podlab {',
        '\tset clients {',
        '\t\ttype ipv4_addr',
        '\t\tflags dynamic,timeout',
        '\t\ttimeout 10800s',
        '\t}',
        '\tmap ports {',
        '\t\ttype inet_proto . inet_service : verdict',
        '\t\telements = {',
        '\t\t\ttcp . 30000 : goto a,',
        '\t\t\tudp . 30001 : goto b',
        '\t\t}',
        '\t}',
        '\tset pairs {',
        '\t\ttype ipv4_addr . ipv4_addr',
        '\t\telements = {',
        '\t\t\t10.0.0.1 . 10.0.0.1',
        '\t\t}',
        '\t}',
        '\tchain a {',
        '\t\tmeta l4proto tcp dnat to 10.0.0.1:80',
        '\t}',
        '\tchain b {',
        '\t}',
        '\tchain pre {',
        '\t\ttype nat hook prerouting priority dstnat; policy accept;',
        '\t\tmeta l4proto . th dport vmap @ports',
        '\t}',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('without comments starts with the shebang and the table', () => {
    expect(renderTable(EMPTY)).toBe('#!/usr/sbin/nft -f\ntable ip podlab\ndelete table ip podlab\ntable ip podlab {\n}\n');
  });

  it('keeps declaration order of sets and chains', () => {
    const out = renderTable(table([{ kind: 'set', name: 'z', spec: ['type ipv4_addr'], elements: [] }, { kind: 'set', name: 'a', spec: ['type ipv4_addr'], elements: [] }], [{ name: 'z', rules: [] }, { name: 'a', rules: [] }]));
    expect(out.indexOf('set z')).toBeLessThan(out.indexOf('set a'));
    expect(out.indexOf('chain z')).toBeLessThan(out.indexOf('chain a'));
  });
});

// ---------------------------------------------------------------- diffTable on hand-made tables

describe('diffTable', () => {
  const m = (elements: [string, string?][]): NftSet => ({ kind: 'map', name: 'm', spec: ['type ipv4_addr : verdict'], elements });

  it('is empty for equal tables', () => {
    const t = table([m([['10.0.0.1', 'goto a']])], [{ name: 'a', rules: ['drop'] }, { name: 'pre', hook: 'type nat hook prerouting priority dstnat; policy accept;', rules: ['ip daddr vmap @m'] }]);
    expect(diffTable(t, clone(t))).toBe('');
    expect(diffTable(EMPTY, EMPTY)).toBe('');
  });

  it('is empty when only the order of sets, chains or set elements differs', () => {
    const a = table([m([['10.0.0.1', 'goto a'], ['10.0.0.2', 'goto b']]), { kind: 'set', name: 's', spec: ['type ipv4_addr'], elements: [] }], [{ name: 'a', rules: ['drop'] }, { name: 'b', rules: ['drop'] }]);
    const b = table([a.sets[1]!, m([['10.0.0.2', 'goto b'], ['10.0.0.1', 'goto a']])], [a.chains[1]!, a.chains[0]!]);
    expect(diffTable(a, b)).toBe('');
  });

  it('replaces a map element whose value changed: delete, then add', () => {
    const a = table([m([['10.0.0.1', 'goto a'], ['10.0.0.2', 'goto a']])], [{ name: 'a', rules: ['drop'] }, { name: 'b', rules: ['accept'] }]);
    const b = table([m([['10.0.0.1', 'goto b'], ['10.0.0.2', 'goto a']])], [{ name: 'a', rules: ['drop'] }, { name: 'b', rules: ['accept'] }]);
    expect(diffTable(a, b)).toBe('delete element ip podlab m { 10.0.0.1 }\nadd element ip podlab m { 10.0.0.1 : goto b }\n');
    expect(canonical(apply(clone(a), diffTable(a, b)))).toEqual(canonical(b));
  });

  it('rewrites a chain whose rules changed (flush, then every rule), and leaves the others alone', () => {
    const a = table([], [{ name: 'x', rules: ['drop'] }, { name: 'y', rules: ['accept', 'drop'] }]);
    const b = table([], [{ name: 'x', rules: ['drop'] }, { name: 'y', rules: ['drop', 'accept'] }]);
    expect(diffTable(a, b)).toBe('flush chain ip podlab y\nadd rule ip podlab y drop\nadd rule ip podlab y accept\n');
  });

  it('adds new sets and chains before the rules and elements that refer to them', () => {
    const a = table([m([])], [{ name: 'pre', rules: ['ip daddr vmap @m'] }]);
    const b = table(
      [m([['10.0.0.1', 'goto new']]), { kind: 'set', name: 'fresh', spec: ['type ipv4_addr', 'flags dynamic'], elements: [] }],
      [{ name: 'pre', rules: ['ip saddr @fresh jump new', 'ip daddr vmap @m'] }, { name: 'new', rules: ['update @fresh { ip saddr }', 'drop'] }],
    );
    const s = lines(diffTable(a, b));
    const at = (prefix: string) => s.findIndex((l) => l.startsWith(prefix));
    expect(at('add set ip podlab fresh')).toBeGreaterThanOrEqual(0);
    expect(at('add chain ip podlab new')).toBeGreaterThanOrEqual(0);
    expect(at('add set ip podlab fresh')).toBeLessThan(at('add rule ip podlab pre ip saddr @fresh'));
    expect(at('add set ip podlab fresh')).toBeLessThan(at('add rule ip podlab new update @fresh'));
    expect(at('add chain ip podlab new')).toBeLessThan(at('add rule ip podlab pre ip saddr @fresh jump new'));
    expect(at('add chain ip podlab new')).toBeLessThan(at('add element ip podlab m { 10.0.0.1 : goto new }'));
    expect(s).toContain('add set ip podlab fresh { type ipv4_addr; flags dynamic; }');
    expect(canonical(apply(clone(a), diffTable(a, b)))).toEqual(canonical(b));
  });

  it('creates a base chain with its hook', () => {
    const b = table([], [{ name: 'pre', hook: 'type nat hook prerouting priority dstnat; policy accept;', rules: ['jump x'] }, { name: 'x', rules: [] }]);
    expect(lines(diffTable(EMPTY, b))).toEqual([
      'add chain ip podlab pre { type nat hook prerouting priority dstnat; policy accept; }',
      'add chain ip podlab x',
      'add rule ip podlab pre jump x',
    ]);
  });

  it('deletes chains only after the elements and rules that refer to them are gone, flushing them first; sets last', () => {
    const a = table(
      [m([['10.0.0.1', 'goto old'], ['10.0.0.2', 'goto keep']]), { kind: 'set', name: 'seen', spec: ['type ipv4_addr'], elements: [] }],
      [
        { name: 'keep', rules: ['jump helper', 'drop'] },
        { name: 'old', rules: ['update @seen { ip saddr }', 'jump helper'] },
        { name: 'helper', rules: ['ip saddr @seen accept'] },
      ],
    );
    const b = table([m([['10.0.0.2', 'goto keep']])], [{ name: 'keep', rules: ['drop'] }]);
    const s = lines(diffTable(a, b));
    const at = (l: string) => {
      const i = s.indexOf(l);
      expect(i, `${l} in\n${s.join('\n')}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    expect(at('delete element ip podlab m { 10.0.0.1 }')).toBeLessThan(at('delete chain ip podlab old'));
    expect(at('flush chain ip podlab keep')).toBeLessThan(at('delete chain ip podlab helper'));
    expect(at('flush chain ip podlab old')).toBeLessThan(at('delete chain ip podlab old'));
    expect(at('flush chain ip podlab old')).toBeLessThan(at('delete chain ip podlab helper'));
    expect(at('flush chain ip podlab helper')).toBeLessThan(at('delete set ip podlab seen'));
    expect(at('delete chain ip podlab old')).toBeLessThan(at('delete set ip podlab seen'));
    expect(canonical(apply(clone(a), diffTable(a, b)))).toEqual(canonical(b));
  });
});

// ---------------------------------------------------------------- diffTable on kube-proxy tables

/** 1000 Services × 3 endpoints on 3 nodes, the benchmark's shape; `sticky` makes every 10th Service sticky. */
function bigLab(sticky: boolean) {
  const labServices: LabService[] = Array.from({ length: 1000 }, (_, i) =>
    labService(`svc-${i}`, {
      ...(i % 10 === 7 && sticky ? { sessionAffinity: 'ClientIP' as const } : {}),
      ...(i % 10 === 3 ? { type: 'NodePort' as const, externalTrafficPolicy: 'Local' as const } : {}),
    }),
  );
  const services = planned(labServices);
  const pods = (move?: { service: number; replica: number; ip: string }): EndpointSource[] =>
    labServices.flatMap((s, i) =>
      [0, 1, 2].map((r) => ({
        name: `${s.name}-${r}`,
        namespace: 'default',
        node: NODES[r]!.name,
        ip: move && move.service === i && move.replica === r ? move.ip : `10.${244 + r}.${Math.floor(i / 250)}.${(i % 250) + 2}`,
        labels: { app: s.name },
        containers: [{ ports: [] }],
      })),
    );
  return { services, endpoints: (move?: { service: number; replica: number; ip: string }) => computeEndpoints(services, pods(move)) };
}

describe('diffTable on kube-proxy tables at 1000 Services', () => {
  const plain = bigLab(false);
  const before = context(plain.services, plain.endpoints());

  it('is empty when nothing changed', () => {
    expect(diffTable(nodeTable(before, 'w1'), nodeTable(before, 'w1'))).toBe('');
  });

  it('one endpoint of one Service gets a new IP: a handful of lines, naming only that Service and the two addresses', () => {
    const after = context(plain.services, plain.endpoints({ service: 417, replica: 1, ip: '10.245.9.9' }));
    for (const node of ['w1', 'w2', 'w3']) {
      const [from, to] = [nodeTable(before, node), nodeTable(after, node)];
      const script = diffTable(from, to);
      const s = lines(script);
      expect(s.length).toBeGreaterThan(0);
      expect(s.length).toBeLessThan(20);
      for (const l of s) expect(l.includes('/svc-417/') || /hairpin \{ (10\.245\.1\.169 \. 10\.245\.1\.169|10\.245\.9\.9 \. 10\.245\.9\.9) \}$/.test(l), l).toBe(true);
      expect(canonical(apply(from, script))).toEqual(canonical(to));
    }
  });

  it('the same for a sticky Service (its endpoint chain and affinity set are replaced) and a NodePort Service with externalTrafficPolicy Local', () => {
    const sticky = bigLab(true);
    const b = context(sticky.services, sticky.endpoints());
    for (const [service, replica, newIp] of [[417, 2, '10.246.9.9'], [413, 1, '10.245.9.9']] as const) {
      const a = context(sticky.services, sticky.endpoints({ service, replica, ip: newIp }));
      for (const node of ['w1', 'w2', 'w3']) {
        const [from, to] = [nodeTable(b, node), nodeTable(a, node)];
        const script = diffTable(from, to);
        const s = lines(script);
        expect(s.length).toBeLessThan(20);
        for (const l of s) expect(l.includes(`/svc-${service}/`) || l.includes(' hairpin '), l).toBe(true);
        expect(canonical(apply(from, script))).toEqual(canonical(to));
      }
    }
  });

  it('the gateway has nothing to do when the endpoint stays on its node, and little when a Local Service gains a node', () => {
    const lbs = planned(Array.from({ length: 1000 }, (_, i) => labService(`lb-${i}`, { type: 'LoadBalancer', externalTrafficPolicy: 'Local' }))).map((s, i) => ({
      ...s,
      loadBalancerIP: `198.51.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    }));
    const eps = (node: string) =>
      Object.fromEntries(lbs.map((s, i) => [`default/${s.name}`, [{ pod: `p${i}`, namespace: 'default', node: i === 500 ? node : 'w1', ip: `10.244.${Math.floor(i / 250)}.${(i % 250) + 2}`, ports: { 'tcp-80': 8080 } }]]));
    const a = gatewayTable(context(lbs, eps('w1')));
    expect(diffTable(a, gatewayTable(context(lbs, eps('w1'))))).toBe('');
    const b = gatewayTable(context(lbs, eps('w2')));
    const s = lines(diffTable(a, b));
    expect(s.length).toBeLessThan(20);
    for (const l of s) expect(l).toContain('/lb-500/');
    expect(canonical(apply(clone(a), diffTable(a, b)))).toEqual(canonical(b));
  });
});

// ---------------------------------------------------------------- property: applying diff(A, B) to A yields B

describe('diffTable, property: applying diff(A, B) to A gives B', () => {
  const SERVICES: LabService[] = [
    labService('plain'),
    labService('sticky', { sessionAffinity: 'ClientIP' }),
    labService('np-local', { type: 'NodePort', externalTrafficPolicy: 'Local' }),
    labService('lb', { type: 'LoadBalancer' }),
    labService('lb-local-sticky', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', sessionAffinity: 'ClientIP', selector: { app: 'sticky' } }),
    labService('internal-local', { internalTrafficPolicy: 'Local', selector: { app: 'plain' } }),
    labService('named', {
      type: 'NodePort',
      selector: { app: 'named' },
      ports: [labPort({ name: 'http', port: 80, targetPort: 'http' }), labPort({ name: 'metrics', port: 9100, targetPort: 'metrics' }), labPort({ name: 'dns', protocol: 'UDP', port: 53, targetPort: 5353 })],
    }),
    labService('headless', { clusterIP: 'None', selector: { app: 'plain' } }),
  ];
  const APPS = ['plain', 'sticky', 'np-local', 'lb', 'named'];

  function randomTables(rand: () => number) {
    const pick = <X>(xs: readonly X[]) => xs[Math.floor(rand() * xs.length)]!;
    // A random subset of the Services (so whole Services, their chains, sets and map elements come and go).
    const services: PlanService[] = planned(SERVICES.filter(() => rand() < 0.8));
    // Random ready pods at distinct addresses drawn from a small range, so addresses get reused across versions.
    const addresses = Array.from({ length: 3 }, (_, n) => Array.from({ length: 6 }, (_, h) => `10.244.${n + 1}.${h + 2}`)).flat();
    for (let i = addresses.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [addresses[i], addresses[j]] = [addresses[j]!, addresses[i]!];
    }
    const pods: EndpointSource[] = [];
    const count = Math.floor(rand() * 10);
    for (let i = 0; i < count; i++) {
      const ip = addresses[i]!;
      const node = `w${ip.split('.')[2]}`;
      const app = pick(APPS);
      const ports: EndpointSource['containers'][number]['ports'] = [{ name: 'http', containerPort: rand() < 0.5 ? 8080 : 8081, protocol: 'TCP' }];
      if (rand() < 0.5) ports.push({ name: 'metrics', containerPort: 9100, protocol: 'TCP' });
      if (rand() < 0.5) ports.push({ name: 'dns', containerPort: 5353, protocol: 'UDP' });
      pods.push({ name: `p${i}-${Math.floor(rand() * 3)}`, namespace: 'default', node, ip, labels: { app }, containers: [{ ports }] });
    }
    const ctx = context(services, computeEndpoints(services, pods), rand() < 0.5);
    return { nodes: NODES.map((n) => nodeTable(ctx, n.name)), gateway: gatewayTable(ctx) };
  }

  it('for 300 random pairs of node and gateway tables (seeded), and from an empty table', () => {
    const rand = prng(0x5eed);
    let checked = 0;
    let nonEmpty = 0;
    for (let round = 0; round < 300; round++) {
      const a = randomTables(rand);
      const b = randomTables(rand);
      const pairs: [NftTable, NftTable][] = [...a.nodes.map((t, i) => [t, b.nodes[i]!] as [NftTable, NftTable]), [a.gateway, b.gateway]];
      for (const [from, to] of pairs) {
        const script = diffTable(from, to);
        if (script) nonEmpty++;
        let got: NftTable;
        try {
          got = apply(clone(from), script);
        } catch (e) {
          throw new Error(`round ${round}: ${(e as Error).message}\n--- script:\n${script}`);
        }
        expect(canonical(got), `round ${round}:\n${script}`).toEqual(canonical(to));
        expect(diffTable(to, clone(to))).toBe('');
        expect(canonical(apply(clone(EMPTY), diffTable(EMPTY, to)))).toEqual(canonical(to));
        checked++;
      }
    }
    expect(checked).toBe(1200);
    expect(nonEmpty).toBeGreaterThan(1000);
  });
});
