/**
 * Name fuzzing, the pure half: every name an author writes ends up in a namespace name, a file
 * path, a hostname or an interface name. Invalid ones (path traversal, shell metacharacters,
 * Unicode, '.', too long) are rejected with a code before anything runs; valid extremes (63-byte
 * names, 15- and 16-byte node names, names that are prefixes of each other) plan into kernel names
 * that fit and that never match another lab's. The live half is test/live/faults.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { validateValue } from '../../src/compile/validate-value.ts';
import type { LabSpec } from '../../src/index.ts';
import { IFNAME_MAX } from '../../src/constants.ts';
import { cniMode } from '../../src/cni/registry.ts';
import { labNetnsPrefix, labOfNetns } from '../../src/plan/names.ts';
import { buildPlan, type Plan } from '../../src/plan/plan.ts';
import { labNamespaces } from '../../src/render/render.ts';

/** Names no lab, node, pod or namespace may have. */
const INVALID = [
  '',
  '../etc',
  '..',
  'a/b',
  'web;rm -rf /',
  '$(reboot)',
  '`id`',
  'a b',
  'a|b',
  "a'b",
  'a\nb',
  'a\u0000b',
  'wörker',
  'ラボ',
  'a.b',
  '-a',
  'a-',
  'A',
  'x'.repeat(64),
];

const VALID_EXTREMES = ['a', '0', 'a-b', 'x'.repeat(63), `${'a'.repeat(15)}`, `${'a'.repeat(16)}`];

const base = (name = 'fz'): LabSpec => ({ name, nodes: { w1: {} } });

function codesAt(spec: LabSpec, path: (string | number)[]) {
  const { lab, diagnostics } = validateValue(spec, 'fuzz.lab.ts');
  return { lab, codes: diagnostics.filter((d) => JSON.stringify(d.path) === JSON.stringify(path)).map((d) => d.code) };
}

function plan(spec: LabSpec): Plan {
  const { lab, diagnostics } = validateValue(spec, 'fuzz.lab.ts');
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return buildPlan(lab!);
}

describe('name fuzzing: invalid names are rejected with a code', () => {
  it.each(INVALID.map((n) => [JSON.stringify(n), n]))('lab name %s → PL1005', (_, name) => {
    const r = codesAt(base(name), ['name']);
    expect(r.lab).toBeUndefined();
    expect(r.codes).toEqual(['PL1005']);
  });
  it.each(INVALID.filter((n) => n).map((n) => [JSON.stringify(n), n]))('node name %s → PL1005', (_, name) => {
    const r = codesAt({ name: 'fz', nodes: { [name]: {} } }, ['nodes', name]);
    expect(r.lab).toBeUndefined();
    expect(r.codes).toContain('PL1005');
  });
  it.each(INVALID.filter((n) => n).map((n) => [JSON.stringify(n), n]))('pod name %s → PL1005', (_, name) => {
    const r = codesAt({ ...base(), pods: { [name]: { node: 'w1' } } }, ['pods', name]);
    expect(r.lab).toBeUndefined();
    expect(r.codes).toContain('PL1005');
  });
  it.each(INVALID.map((n) => [JSON.stringify(n), n]))('Kubernetes namespace %s → PL1005', (_, name) => {
    const r = codesAt({ ...base(), namespaces: [name] }, ['namespaces', 0]);
    expect(r.lab).toBeUndefined();
    expect(r.codes).toEqual(['PL1005']);
  });
  it.each([
    ['16 bytes', 'enp0s8-uplink-01'],
    ['15 bytes of which one is 2 bytes in UTF-8', 'enp0s8-uplink-ö'],
    ['a path', '../eth0'],
    ['a shell command', 'eth0;reboot'],
    ['a space', 'eth 0'],
    ['lo', 'lo'],
  ])('interface name (%s) → PL2009', (_, iface) => {
    const r = codesAt({ name: 'fz', nodes: { w1: { interface: iface } } }, ['nodes', 'w1', 'interface']);
    expect(r.lab).toBeUndefined();
    expect(r.codes).toEqual(['PL2009']);
  });
});

describe('name fuzzing: valid extremes plan into kernel names that fit and stay apart', () => {
  it.each(VALID_EXTREMES)('name %s is valid as lab, node, pod and namespace name', (name) => {
    const p = plan({ name, namespaces: name === 'default' ? [] : [name], nodes: { [name]: {} }, pods: { [name]: { node: name, namespace: name } } });
    expect(p.lab).toBe(name);
  });

  it('every interface name fits 15 bytes, every namespace name fits a file name, and parses back to its lab', () => {
    const long = 'x'.repeat(63);
    const p = plan({
      name: long,
      namespaces: [long],
      nodes: { [long]: {}, ['a'.repeat(15)]: { interface: 'enp0s8-uplink-1' }, ['a'.repeat(16)]: {} },
      pods: { [long]: { node: long, namespace: long }, p: { node: 'a'.repeat(16) } },
    });
    for (const n of p.nodes) {
      for (const iface of [n.iface, n.fabricPort, ...cniMode(n.cni.type).interfaces(n), String(n.conflist.plugins[0]!.bridge)]) expect(Buffer.byteLength(iface), iface).toBeLessThanOrEqual(IFNAME_MAX);
    }
    expect(p.nodes.map((n) => n.fabricPort)).toEqual([expect.stringMatching(/^n-[0-9a-f]{10}$/), 'a'.repeat(15), expect.stringMatching(/^n-[0-9a-f]{10}$/)]);
    expect(new Set(p.nodes.map((n) => n.fabricPort)).size).toBe(3);
    for (const ns of labNamespaces(p)) {
      expect(Buffer.byteLength(ns)).toBeLessThanOrEqual(255);
      expect(labOfNetns(ns)).toBe(long);
    }
  });

  it('two labs whose names share a long prefix never claim each other’s namespaces', () => {
    const prefix = `fz-${'p'.repeat(56)}`;
    const spec = (name: string): LabSpec => ({ name, nodes: { w: {}, 'w-b': {} }, pods: { a: { node: 'w' }, 'a-b': { node: 'w-b' } } });
    const a = plan(spec(prefix));
    const b = plan(spec(`${prefix}-b`));
    const nsA = labNamespaces(a);
    const nsB = labNamespaces(b);
    expect(nsA.filter((n) => nsB.includes(n))).toEqual([]);
    expect(nsB.filter((n) => n.startsWith(labNetnsPrefix(a.lab)))).toEqual([]);
    expect(nsA.filter((n) => n.startsWith(labNetnsPrefix(b.lab)))).toEqual([]);
    expect(nsB.map(labOfNetns)).toEqual(nsB.map(() => b.lab));
    // Within one lab, too: node "w" and node "w-b", pod "a" and pod "a-b" have distinct namespaces.
    expect(new Set(nsA).size).toBe(nsA.length);
  });
});
