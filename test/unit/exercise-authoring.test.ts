/**
 * An instructor's mistakes in an exercise are the exercise's errors when it loads, every one at
 * once, each coded and at its line in exercise.ts (test/fixtures/exercises/): an editable path the
 * lab does not have (it would drop every student's answer), a rubric check that cannot run on the
 * solution (every student's 0), broken answers naming unknown items or missing files. And what
 * grading tells a student: their problems at their own lines (a code submission's, a Corefile's),
 * what of their submission was not taken, and commands named after their own lab, not the grading
 * lab that is gone. The grading labs' names and the doctor keep to the lab-name prefix.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExerciseError, labPathProblem, loadExercise } from '../../src/grade/exercise.ts';
import { pickVariant } from '../../src/lib/variant.ts';
import { asStudentLab, gradeSubmission, ignoredPaths, type SubmissionResult } from '../../src/grade/grade.ts';
import { feedbackText } from '../../src/grade/gradebook.ts';
import { gradingLabPrefix } from '../../src/cli/grade.ts';
import { keepToPrefix } from '../../src/cli/doctor.ts';
import type { DoctorReport } from '../../src/runtime/doctor.ts';

const isRoot = process.getuid?.() === 0;
const FIX = 'test/fixtures/exercises';
const SUBS = 'test/fixtures/submissions/db-policy';
const dir = mkdtempSync(join(tmpdir(), 'fe-exercise-authoring-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function problems(ex: string): Promise<{ code: string; where: string; message: string; hint?: string }[]> {
  const e = await loadExercise(join(FIX, ex)).then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(ExerciseError);
  return (e as ExerciseError).diagnostics.map((d) => ({ code: d.code, where: `${d.file?.split('/').pop()}:${d.line}:${d.column}`, message: d.message, ...(d.hint ? { hint: d.hint } : {}) }));
}

/** 1-based line and column of the `nth` occurrence of `needle` in `file`. */
function at(file: string, needle: string, nth = 1): string {
  const lines = readFileSync(file, 'utf8').split('\n');
  let seen = 0;
  for (let i = 0; i < lines.length; i++)
    for (let c = lines[i]!.indexOf(needle); c >= 0; c = lines[i]!.indexOf(needle, c + 1)) if (++seen === nth) return `${i + 1}:${c + 1}`;
  throw new Error(`${needle} not in ${file}`);
}

describe('the paths a submission may set', () => {
  it('are paths of the lab; a typo is told with the nearest one', () => {
    expect(labPathProblem('networkPolicies')).toBeUndefined();
    expect(labPathProblem('dns.corefile')).toBeUndefined();
    expect(labPathProblem('services')).toBeUndefined();
    expect(labPathProblem('pods.web.containers')).toBeUndefined();
    expect(labPathProblem('networkPolicy')).toEqual({ message: 'the lab has no property "networkPolicy"', near: 'networkPolicies' });
    expect(labPathProblem('dns.corefle')).toEqual({ message: '"dns" has no "corefle"', near: 'dns.corefile' });
    expect(labPathProblem('zzz')?.near).toBeUndefined();
  });

  it('what a submission sets, differently from the starter, outside them is listed (not dropped silently)', () => {
    const ex = { starter: { name: 's', nodes: { a: {} }, dns: { nameservers: [] } }, editable: ['networkPolicies', 'dns.corefile'], rubric: [] };
    expect(ignoredPaths(ex, { pods: { x: {} }, networkPolicies: {}, dns: { corefile: 'c', node: 'a' }, nodes: { a: {} } })).toEqual(['dns.node', 'pods']);
    expect(ignoredPaths(ex, { networkPolicies: {} })).toEqual([]);
    expect(ignoredPaths({ ...ex, editable: undefined }, { pods: {} })).toEqual([]);
    expect(ignoredPaths(ex, '.:53 {}')).toEqual([]);
  });
});

describe.skipIf(!isRoot)('an exercise that does not load: every problem at once, coded, at its line', () => {
  it('an editable path the lab does not have (PL2500, did you mean) and a check from a pod the solution lacks (PL2012)', async () => {
    const file = join(FIX, 'bad-ex/exercise.ts');
    expect(await problems('bad-ex')).toEqual([
      {
        code: 'PL2500',
        where: `exercise.ts:${at(file, "'networkPolicy'")}`,
        message: '"networkPolicy" is not a path of the lab: the lab has no property "networkPolicy"',
        hint: expect.stringMatching(/^Did you mean "networkPolicies"\?/),
      },
      {
        code: 'PL2012',
        where: `exercise.ts:${at(file, 'from:')}`,
        message: expect.stringMatching(/^rubric item "api-reaches" cannot be checked on the exercise's solution: check "tcp apii → svc\/backend\/db" starts from "apii"/),
      },
    ]);
  }, 60_000);

  it('a bad id, broken answers naming unknown items and a missing broken file: all of them, each coded', async () => {
    const file = join(FIX, 'many-problems/exercise.ts');
    const found = await problems('many-problems');
    expect(found.map((p) => `${p.where} ${p.code}`)).toEqual([
      `exercise.ts:${at(file, "'networkPolicy'")} PL2500`,
      `exercise.ts:${at(file, 'id:')} PL1005`,
      `exercise.ts:${at(file, "'other-blockd'")} PL2501`,
      `exercise.ts:${at(file, "file: 'broken/missing.ts'")} PL0001`,
      `exercise.ts:${at(file, "'api-reaches'")} PL2501`,
    ]);
    expect(found[2]!.hint).toBe('Did you mean "other-blocked"?');
  }, 60_000);

  it('in an exercise with variants (a function of the variant), at its line in the object the function returns', async () => {
    const ex = join(dir, 'np');
    cpSync('exercises/nodeport-snat', ex, { recursive: true });
    const file = join(ex, 'exercise.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace("editable: ['services']", "editable: ['servics']"));
    const e = await loadExercise(ex).then(() => undefined, (err: unknown) => err);
    expect((e as ExerciseError).diagnostics.map((d) => `${d.code} ${d.line}:${d.column} ${d.hint?.slice(0, 24)}`)).toEqual([`PL2500 ${at(file, "'servics'")} Did you mean "services"?`]);
  }, 60_000);

  it('a correct exercise loads, and every shipped exercise still does', async () => {
    expect((await loadExercise(join(FIX, 'db-policy'))).editable).toEqual(['networkPolicies']);
    for (const ex of ['calico-bgp', 'coredns-forwarder', 'flannel-two-nodes', 'ingress-tls', 'isolate-db', 'nodeport-snat', 'readiness-gate', 'dual-stack-service', 'calico-nat-outgoing']) expect((await loadExercise(join('exercises', ex), 'solution')).warnings, ex).toEqual([]);
  }, 120_000);

  it("an exercise with variants carries its choices, so a grader loads it once per variant, not per student", async () => {
    const ex = await loadExercise('exercises/nodeport-snat', 'alice');
    expect(ex.variants).toEqual({ nodePort: [30080, 30081, 30082], service: ['shop', 'storefront'] });
    expect(ex.variant).toEqual(pickVariant(ex.variants!, 'nodeport-snat/alice'));
    expect((await loadExercise('exercises/isolate-db')).variants).toBeUndefined();
  }, 60_000);

  it("calico-nat-outgoing: each variant's rubric asks the outside host for the node of its NATed rack, and the other rack's pod for its own address", async () => {
    const seen = async (student: string) => {
      const ex = await loadExercise('exercises/calico-nat-outgoing', student);
      const check = (id: string) => ex.rubric.find((i) => i.id === id)!.check as { from: string; expectSource?: string; expectNoNat?: boolean };
      return { rack: ex.variant.natRack, nat: `${check('nat-source').from} → ${check('nat-source').expectSource}`, keep: `${check('keep-pod-address').from} ${check('keep-pod-address').expectNoNat}`, editable: ex.editable };
    };
    // dave and alice: the two variants (test/fixtures/submissions/calico-nat-outgoing).
    expect(await seen('dave')).toEqual({ rack: 'a', nat: 'app-a → node/c1-node1', keep: 'app-b true', editable: ['cni.ipPools'] });
    expect(await seen('alice')).toEqual({ rack: 'b', nat: 'app-b → node/c1-node2', keep: 'app-a true', editable: ['cni.ipPools'] });
  }, 60_000);

  it('a rubric item that cannot pass is warned of at its place (the exercise still loads)', async () => {
    const ex = join(dir, 'rg');
    cpSync('exercises/readiness-gate', ex, { recursive: true });
    const file = join(ex, 'exercise.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace("check: { kind: 'http', from: 'client', to: 'svc/web', requests: 12, expectSpread: 2 },", "check: { kind: 'tcp', from: 'client', to: 'web-1', port: 9999 },"));
    const w = (await loadExercise(ex)).warnings!;
    expect(w.map((d) => `${d.code} ${d.line}:${d.column} ${d.message.slice(0, 26)}`)).toEqual([`PL2014 ${at(file, 'port: 9999')} rubric item "both-serve": `]);
  }, 60_000);
});

describe.skipIf(!isRoot)('what a student reads (invalid submissions: nothing is built)', () => {
  it("a code submission's problems are at their lines in its file, in the JSON and the feedback", async () => {
    const ex = await loadExercise(join(FIX, 'db-policy'));
    const file = join(SUBS, 'dave.ts');
    const r = await gradeSubmission(ex, file, { labName: 'fe-unit-0' });
    expect(r).toMatchObject({ status: 'error', reason: 'invalid-lab' });
    const [line, column] = at(file, 'cidr:').split(':').map(Number);
    expect(r.diagnostics!.map((d) => [d.code, d.file, d.line, d.column])).toEqual([['PL2101', file, line, column]]);
    expect(feedbackText(r)).toContain(`- line ${line}:${column} PL2101 networkPolicies.db-ingress.ingress.0.from.0.ipBlock.cidr:`);
  }, 60_000);

  it("what validate warns of in the student's part is in the result and the feedback, at its line, and hints are not", async () => {
    const ex = await loadExercise(join(FIX, 'db-policy'));
    const file = join(dir, 'fay.ts');
    writeFileSync(file, readFileSync(join(SUBS, 'dave.ts'), 'utf8').replace("app: 'db'", "app: 'dbb'"));
    const r = await gradeSubmission(ex, file, { labName: 'fe-unit-0' });
    expect(r.warnings!.map((d) => `${d.code} ${d.line}:${d.column}`)).toEqual([`PL2112 ${at(file, 'podSelector')}`]);
    const f = feedbackText(r);
    expect(f).toMatch(/warns of your submission[^\n]*\n\n- line 5:\d+ PL2112 networkPolicies\.db-ingress\.podSelector: .*app=dbb/);
    expect(f).not.toContain('hint:');
  }, 60_000);

  it("a Corefile's problems are at their lines in the Corefile", async () => {
    const ex = await loadExercise('exercises/coredns-forwarder');
    const r = await gradeSubmission(ex, 'test/fixtures/submissions/coredns-forwarder/dave.Corefile', { labName: 'fe-unit-0' });
    expect(r.reason).toBe('invalid-lab');
    expect(r.diagnostics!.map((d) => `${d.code} ${d.line}:${d.column}`)).toEqual(['PL4001 1:6', 'PL4001 3:52']);
  }, 60_000);

  it('what the submission set outside the editable paths is named in its result and feedback', async () => {
    const ex = await loadExercise(join(FIX, 'db-policy'));
    const file = join(dir, 'erin.ts');
    writeFileSync(file, readFileSync(join(SUBS, 'dave.ts'), 'utf8').replace('export default {', "export default {\n  pods: { other: { node: 'w1', namespace: 'backend' } },"));
    const r = await gradeSubmission(ex, file, { labName: 'fe-unit-0' });
    expect(r.ignored).toEqual(['pods']);
    expect(feedbackText(r)).toContain('Not taken from your submission: `pods`.');
    expect(r.diagnostics![0]!.line).toBe(7);
  }, 60_000);
});

describe('commands in feedback name the lab as the student has it', () => {
  it('every podlab command against the grading lab, and its state directory', () => {
    expect(asStudentLab('podlab trace fe-g-0 other svc/backend/db --port 5432 --proto tcp', 'fe-g-0', 'db-policy')).toBe('podlab trace db-policy other svc/backend/db --port 5432 --proto tcp');
    expect(asStudentLab('podlab exec fe-g-0 client -- dig @10.96.0.10 x', 'fe-g-0', 'dns')).toBe('podlab exec dns client -- dig @10.96.0.10 x');
    expect(asStudentLab('podlab exec fe-g-0 node/a -- birdc -s /run/podlab/fe-g-0/bird.ctl show', 'fe-g-0', 'c')).toBe('podlab exec c node/a -- birdc -s /run/podlab/c/bird.ctl show');
    // Another lab whose name starts alike is not this one.
    expect(asStudentLab('podlab trace fe-g-00 a b', 'fe-g-0', 'x')).toBe('podlab trace fe-g-00 a b');
  });

  it('the feedback says so too', () => {
    const r: SubmissionResult = {
      version: 1, exercise: 'e', student: 's', submission: 's.ts', variant: {}, status: 'fail', score: 0, max: 1, ms: 1, gradedAt: '',
      items: [{ id: 'a', title: 'A', status: 'fail', points: 1, earned: 0, hidden: false, message: 'm', evidence: [{ expected: 'e', seen: 's', command: asStudentLab('podlab trace fe-g-0 a b --proto tcp', 'fe-g-0', 'mine') }] }],
    };
    expect(feedbackText(r)).toContain('  - try: `podlab trace mine a b --proto tcp`');
    expect(feedbackText(r)).not.toContain('fe-g-0');
  });
});

describe('the lab-name prefix', () => {
  const saved = process.env.PODLAB_PREFIX;
  afterAll(() => (saved === undefined ? delete process.env.PODLAB_PREFIX : (process.env.PODLAB_PREFIX = saved)));

  it("is in front of grade's and exercise test's lab names, as of every lab's", () => {
    process.env.PODLAB_PREFIX = 'fe-';
    expect(gradingLabPrefix('pg')).toBe('fe-pg');
    expect(gradingLabPrefix(undefined)).toBe(`fe-grade-${process.pid.toString(36)}`);
    delete process.env.PODLAB_PREFIX;
    expect(gradingLabPrefix('pg')).toBe('pg');
  });

  it("keeps the doctor to the user's labs: others' neither listed nor fixed, no kernel probe", () => {
    const leak = (lab: string) => ({ kind: 'netns' as const, lab, name: `podlab-${lab}.n` });
    const finding = (lab: string) => ({ lab, verdict: 'leaked' as const, reason: 'r', leaks: [leak(lab)], notes: [] });
    const probe = { kind: 'probe-netns' as const, name: 'podlab-probe.1' };
    const report: DoctorReport = { labs: [finding('fe-a'), finding('bob-a')], probes: [probe], leaks: [leak('fe-a'), leak('bob-a'), probe] };
    expect(keepToPrefix(report, 'fe-')).toEqual({ labs: [finding('fe-a')], probes: [], strays: [], leaks: [leak('fe-a')] });
    expect(keepToPrefix(report, '')).toBe(report);
  });
});
