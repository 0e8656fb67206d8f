/**
 * A kube-proxy table changed behind podlab's back (runtime/nft-sync.ts): the sync reads the
 * table's first base chain before sending a difference and rewrites the table whole when its
 * rules are not the ones podlab wrote (a learner's `nft flush table ip podlab`); `doctor` compares
 * whole tables. nft's JSON is recorded from a live services lab (worker-1, just up, then flushed:
 * test/fixtures/outputs/nft-json-*.json). No root: the state lives in a temporary directory.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';

const root = vi.hoisted(() => {
  // The state root is read when constants.ts is first imported: set it before any import.
  const { mkdtempSync } = require('node:fs') as typeof import('node:fs');
  const dir = mkdtempSync(`${require('node:os').tmpdir()}/podlab-nft-drift-`);
  process.env.PODLAB_STATE_ROOT = dir;
  return dir;
});

import servicesLab from '../../labs/services.lab.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import { nftTargets, plannedView } from '../../src/plan/nft-tables.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { compareListing, parseNftListing, probeChain, readAppliedTables, syncTables, tableDrift } from '../../src/runtime/nft-sync.ts';
import type { LabState } from '../../src/runtime/state.ts';
import { recordingExecutor } from './recorder.ts';

afterAll(() => rmSync(root, { recursive: true, force: true }));

const fixture = (name: string) => readFileSync(`test/fixtures/outputs/${name}`, 'utf8');
const plan = buildPlan(validateValue(servicesLab, 'labs/services.lab.ts').lab!);
const view = plannedView(plan);
const state: LabState = { lab: plan.lab, status: 'up', createdAt: new Date().toISOString(), steps: [], plan, pods: {} };
const w1 = nftTargets(plan).find((t) => t.name === 'worker-1')!;
mkdirSync(`${root}/${plan.lab}`, { recursive: true });

/** The view with web-1 at a new address: a difference for every node's kube-proxy table. */
const moved = () => {
  const endpoints = { ...view.endpoints, 'default/web': view.endpoints['default/web']!.map((e) => (e.pod === 'web-1' ? { ...e, ip: '10.244.1.99' } : e)) };
  return { ...view, endpoints };
};

/** An executor whose `nft -j list` answers are given per namespace: worker-1's by `probe`, the others' healthy. */
function answering(probe: { exitCode: number; stdout: string }) {
  return recordingExecutor((argv) => {
    if (!argv.includes('list')) return undefined;
    if (argv.some((a) => a.endsWith(`/${w1.netns}`))) return { ...probe, stderr: probe.exitCode ? 'Error: No such file or directory' : '' };
    // Another node: its probe chain as written (one rule).
    return { exitCode: 0, stdout: fixture('nft-json-probe-chain.json'), stderr: '' };
  });
}

const nftInputs = (r: ReturnType<typeof recordingExecutor>, netns: string) =>
  r.calls.flatMap((c) => (c.op === 'run' && c.argv.includes('-f') && c.argv.some((a) => a.endsWith(`/${netns}`)) ? [c.input ?? ''] : []));

describe("nft's JSON listing", () => {
  it('counts rules per chain and elements per named set or map', () => {
    const listing = parseNftListing(fixture('nft-json-kube-proxy-table.json'))!;
    expect(listing.chains.get('services')).toBe(2);
    expect(listing.sets.get('service-nodeports')).toBe(3);
    expect(listing.sets.get('nodeport-ips')).toBe(1);
  });

  it('the table of the plan compares equal to the listing of the live table; flushed, every chain is empty and the sets are kept', async () => {
    const r = answering({ exitCode: 0, stdout: '' });
    await syncTables(r, state, view, true);
    const written = readAppliedTables(plan.lab)[w1.netns]!.podlab!;
    expect(compareListing(written, parseNftListing(fixture('nft-json-kube-proxy-table.json'))!)).toEqual([]);
    const flushed = compareListing(written, parseNftListing(fixture('nft-json-kube-proxy-table-flushed.json'))!);
    expect(flushed).toContain('chain services: 0 rules (podlab wrote 2)');
    expect(flushed.every((d) => d.startsWith('chain '))).toBe(true);
    expect(probeChain(written)!.name).toBe('filter-prerouting');
  });

  it('is no listing when nft said nothing (a recording executor): the journal is then trusted', () => {
    expect(parseNftListing('')).toBeUndefined();
  });
});

describe('the sync of a table changed behind its back', () => {
  it('as written: the probe chain is read, and only the difference is sent', async () => {
    await syncTables(answering({ exitCode: 0, stdout: '' }), state, view, true);
    const r = answering({ exitCode: 0, stdout: fixture('nft-json-probe-chain.json') });
    const { applied } = await syncTables(r, state, moved());
    expect(r.lines()).toContain(`nsenter --net=/run/netns/${w1.netns} -- nft -j list chain ip podlab filter-prerouting`);
    const [input] = nftInputs(r, w1.netns);
    expect(input).not.toContain('delete table');
    expect(input!.split('\n').length).toBeLessThan(40);
    expect(applied.find((a) => a.target === 'worker-1')!.rewritten).toBeUndefined();
  });

  it('flushed (nft flush table ip podlab): the table is rewritten whole, and the report says so', async () => {
    await syncTables(answering({ exitCode: 0, stdout: '' }), state, view, true);
    const r = answering({ exitCode: 0, stdout: fixture('nft-json-probe-chain-flushed.json') });
    const { applied } = await syncTables(r, state, moved());
    const [input] = nftInputs(r, w1.netns);
    expect(input).toContain('table ip podlab\ndelete table ip podlab\ntable ip podlab {\n');
    expect(input).toContain('10.244.1.99');
    expect(applied.find((a) => a.target === 'worker-1')!.rewritten).toEqual(['podlab']);
    // The other nodes, as written, still get only their difference.
    expect(nftInputs(r, nftTargets(plan).find((t) => t.name === 'worker-2')!.netns)[0]).not.toContain('delete table');
    expect(applied.find((a) => a.target === 'worker-2')!.rewritten).toBeUndefined();
  });

  it('deleted (nft lists no such chain): rewritten whole too', async () => {
    await syncTables(answering({ exitCode: 0, stdout: '' }), state, view, true);
    const r = answering({ exitCode: 1, stdout: '' });
    const { applied } = await syncTables(r, state, moved());
    expect(nftInputs(r, w1.netns)[0]).toContain('table ip podlab {\n');
    expect(applied.find((a) => a.target === 'worker-1')!.rewritten).toEqual(['podlab']);
  });

  it('nothing to change: nothing is read or sent', async () => {
    await syncTables(answering({ exitCode: 0, stdout: '' }), state, view, true);
    const r = answering({ exitCode: 0, stdout: fixture('nft-json-probe-chain-flushed.json') });
    expect((await syncTables(r, state, view)).applied).toEqual([]);
    expect(r.calls).toEqual([]);
  });
});

describe('doctor: tableDrift', () => {
  it("names each kube-proxy table that is not what podlab wrote, by chain; a table as written is not named", async () => {
    await syncTables(answering({ exitCode: 0, stdout: '' }), state, view, true);
    const r = recordingExecutor((argv) => {
      if (!argv.includes('list')) return undefined;
      if (argv.some((a) => a.endsWith(`/${w1.netns}`))) return { exitCode: 0, stdout: fixture('nft-json-kube-proxy-table-flushed.json'), stderr: '' };
      if (argv.includes('gateway') || argv.some((a) => a.endsWith('.gateway'))) return { exitCode: 1, stdout: '', stderr: 'Error: No such file or directory' };
      return undefined;
    });
    const drift = await tableDrift(r, state);
    expect(drift.find((d) => d.target === 'worker-1')!.differences).toContain('chain services: 0 rules (podlab wrote 2)');
    expect(drift.find((d) => d.target === 'gateway')).toEqual({ target: 'gateway', table: 'podlab', differences: ['gone'] });
    // An answer that is no listing (the recorder's empty one) is 'unreadable', never taken for a match.
    expect(drift.find((d) => d.target === 'worker-2')!.differences).toEqual(['unreadable']);
  });
});
