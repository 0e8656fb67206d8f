/**
 * Live grading of the exercise "isolate the database" (exercises/isolate-db): the reference answer
 * (test/fixtures/submissions/isolate-db/alice.ts) and each shipped broken answer (OR instead of AND peers, egress without DNS, a namespace label
 * staging shares, no port, no egress policy, the policy in the wrong namespace, egress open to all
 * but namespace web) graded through
 * the CLI in labs of their own (np-grade-<slot>), with exact expectations: the solution scores
 * full marks, every broken answer fails exactly the truth-table cells it names, nothing else.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveGuard } from './host.ts';
import { scopedSnapshot, type ScopedSnapshot } from './scoped.ts';

const live = liveGuard();
const DIR = 'exercises/isolate-db';

describe.skipIf(!live)('live grading: isolate the database (exercises/isolate-db)', () => {
  let out: string;
  let before: ScopedSnapshot;
  let run: Awaited<ReturnType<typeof execa>>;

  beforeAll(async () => {
    before = await scopedSnapshot(['np-grade-']);
    out = mkdtempSync(join(tmpdir(), 'podlab-isolate-db-'));
    const files = ['test/fixtures/submissions/isolate-db/alice.ts', ...readdirSync(join(DIR, 'broken')).map((f) => join(DIR, 'broken', f))];
    const t = performance.now();
    run = await execa('node', ['bin/podlab.js', 'grade', DIR, ...files, '--out', out, '--jobs', '3', '--lab-prefix', 'np-grade'], { reject: false, env: { CI: '' } });
    console.log(`isolate-db: ${files.length} submissions graded in ${Math.round(performance.now() - t)} ms`);
  }, 300_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('every submission is graded; each broken answer fails exactly its items, the solution none', () => {
    expect(run.exitCode, String(run.stderr)).toBe(0);
    const book = JSON.parse(readFileSync(join(out, 'gradebook.json'), 'utf8'));
    const failed = Object.fromEntries(
      book.students.map((s: { student: string; status: string }) => {
        const r = JSON.parse(readFileSync(join(out, `${s.student}.json`), 'utf8')) as { status: string; items: { id: string; status: string }[] };
        return [s.student, `${r.status}: ${r.items.filter((i) => i.status !== 'pass').map((i) => i.id).join(' ')}`];
      }),
    );
    expect(failed).toEqual({
      alice: 'pass: ', // the reference answer, as a student hands it in
      'or-peers': 'fail: frontend-refused',
      'no-dns-egress': 'fail: db-resolves',
      'wrong-namespace-selector': 'fail: staging-refused',
      'any-port': 'fail: api-metrics-refused',
      'ingress-only': 'fail: db-egress-closed db-staging-refused db-outside-closed',
      'isolate-web': 'fail: frontend-refused staging-refused api-metrics-refused web-still-open',
      // egress to every namespace but web and every address outside the pod network: passes the
      // task's db → web cell, fails the hidden ones
      'leaky-egress': 'fail: db-staging-refused db-outside-closed',
    });
    expect(book.summary).toMatchObject({ submissions: 8, pass: 1, fail: 7, error: 0 });
  });

  it('the feedback names the failed cell and its hint, and keeps hidden items hidden', () => {
    const or = readFileSync(join(out, 'or-peers.feedback.md'), 'utf8');
    expect(or).toContain('web/frontend cannot reach the database');
    expect(or).toContain('namespaceSelector and podSelector in ONE peer');
    const port = readFileSync(join(out, 'any-port.feedback.md'), 'utf8');
    expect(port).not.toContain('metrics port');
    expect(port).toMatch(/hidden item \d+: 0 \/ 1/);
  });

  it('the grading labs are gone', async () => {
    expect(await scopedSnapshot(['np-grade-'])).toEqual(before);
  });
});
