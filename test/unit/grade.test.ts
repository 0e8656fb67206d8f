/**
 * Grading, the pure parts: student ids from file names, variants from seeds, how a submission is
 * put into the starter lab, which rubric item a diagnostic belongs to, the results, the feedback
 * (hidden items reduced to points), the gradebook CSV and JSON, and exercise test's verdicts.
 */
import { describe, expect, it } from 'vitest';
import { composeLab, itemOfDiagnostic, studentOf, type SubmissionResult } from '../../src/grade/grade.ts';
import { feedbackText, gradebookCsv, gradebookJson } from '../../src/grade/gradebook.ts';
import { pickVariant } from '../../src/grade/variant.ts';
import { verdictOf } from '../../src/grade/exercise-test.ts';
import { taskText, type Exercise } from '../../src/grade/exercise.ts';
import { validateValue } from '../../src/compile/validate-value.ts';

const starter = {
  name: 'ex',
  nodes: { 'worker-1': {} },
  pods: { client: { node: 'worker-1' }, web: { node: 'worker-1', labels: { app: 'web' }, containers: [{ name: 'h', workload: { kind: 'http-echo' as const } }] } },
  services: { web: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
  dns: { nameservers: [] as string[] },
  checks: [{ kind: 'ping' as const, from: 'client', to: 'web' }],
};

const ex: Exercise = {
  name: 'ex',
  dir: '/x/exercises/ex',
  title: 'An exercise',
  task: 'Do it.',
  variant: {},
  starter,
  solution: starter,
  editable: ['dns.corefile', 'services'],
  text: 'dns.corefile',
  rubric: [
    { id: 'reach', title: 'web answers', points: 3, hint: 'Look at the Service.', check: { kind: 'http', from: 'client', to: 'svc/web' } },
    { id: 'secret', title: 'the secret one', points: 2, hidden: true, hint: 'a hidden hint', check: { kind: 'dns', from: 'client', query: 'web', expectAnswers: ['svc/web'] } },
    { id: 'moves', title: 'survives a restart', points: 1, scenario: { steps: [{ action: 'recreate-pod', pod: 'web' }, { check: { kind: 'ping', from: 'client', to: 'web' } }] } },
  ],
  broken: [],
};

describe('submissions into labs', () => {
  it('a student id is the file name without its extensions', () => {
    expect(['alice.lab.ts', 'sub/bob.Corefile', 'carol.json', 'dave', 'erin.smith.lab.ts'].map(studentOf)).toEqual(['alice', 'bob', 'carol', 'dave', 'erin.smith']);
  });

  it('a text submission becomes the exercise\'s text part of the starter; the rubric replaces the checks; the lab gets the grading name', () => {
    const lab = composeLab(ex, '.:53 {\n    whoami\n}\n', 'grade-1-0');
    expect(lab.name).toBe('grade-1-0');
    expect(lab.dns).toEqual({ nameservers: [], corefile: '.:53 {\n    whoami\n}\n' });
    expect(lab.checks).toEqual([ex.rubric[0]!.check, ex.rubric[1]!.check]);
    expect(Object.keys(lab.scenarios!)).toEqual(['moves']);
    expect(lab.pods).toEqual(starter.pods);
    expect(starter.dns).toEqual({ nameservers: [] }); // the starter itself is not changed
  });

  it('a code submission gives only the editable parts; anything else it sets is ignored', () => {
    const lab = composeLab(ex, { name: 'mine', nodes: { evil: {} }, dns: { corefile: 'X', node: 'evil' }, services: { web: { selector: { app: 'other' } } } }, 'g');
    expect(lab.nodes).toEqual(starter.nodes);
    expect(lab.dns).toEqual({ nameservers: [], corefile: 'X' });
    expect(lab.services).toEqual({ web: { selector: { app: 'other' } } });
    expect(lab.name).toBe('g');
  });

  it('without editable parts a submission is the whole lab, its own checks and scenarios replaced', () => {
    const whole = { ...ex, editable: undefined, text: undefined };
    const lab = composeLab(whole, { ...starter, scenarios: { mine: { steps: [{ action: 'delete-pod', pod: 'web' }] } } }, 'g');
    expect(lab.nodes).toEqual(starter.nodes);
    expect(Object.keys(lab.scenarios!)).toEqual(['moves']);
    expect(lab.checks).toHaveLength(2);
  });

  it('a diagnostic in the rubric\'s checks or scenarios names its item; one in the lab names none', () => {
    const noWeb = { ...ex, editable: undefined, text: undefined };
    const lab = composeLab(noWeb, { ...starter, pods: { client: { node: 'worker-1' } }, services: {} }, 'g');
    const { diagnostics } = validateValue(lab, 'x.lab.ts', '');
    const items = diagnostics.filter((d) => d.severity === 'error').map((d) => itemOfDiagnostic(noWeb, d)?.id);
    expect(new Set(items)).toEqual(new Set(['reach', 'secret', 'moves']));
    expect(itemOfDiagnostic(ex, { code: 'PL2006', severity: 'error', path: ['pods', 'web', 'node'], message: '' })).toBeUndefined();
  });
});

describe('variants', () => {
  const variants = { port: [30080, 30081, 30082], service: ['shop', 'store'] };
  it('the same seed always gives the same variant; one value per parameter', () => {
    expect(pickVariant(variants, 'ex/alice')).toEqual(pickVariant(variants, 'ex/alice'));
    const v = pickVariant(variants, 'ex/alice');
    expect(variants.port).toContain(v.port);
    expect(variants.service).toContain(v.service);
  });
  it('different students get different variants (over a class, every choice is used)', () => {
    const ports = new Set(Array.from({ length: 30 }, (_, i) => pickVariant(variants, `ex/student-${i}`).port));
    expect(ports).toEqual(new Set(variants.port));
  });
});

const result = (over: Partial<SubmissionResult> = {}): SubmissionResult => ({
  version: 1,
  exercise: 'ex',
  student: 'bob',
  submission: 'bob.Corefile',
  variant: {},
  status: 'fail',
  score: 3,
  max: 6,
  items: [
    { id: 'reach', title: 'web answers', status: 'pass', points: 3, earned: 3, hidden: false, message: 'HTTP 200', evidence: [{ expected: 'e', seen: 's', command: 'podlab exec g client -- x' }] },
    { id: 'secret', title: 'the secret one', status: 'fail', points: 2, earned: 0, hidden: true, message: 'NXDOMAIN for secret.example', hint: 'a hidden hint', evidence: [{ expected: 'e', seen: 'NXDOMAIN', command: 'podlab exec g client -- dig secret' }] },
    { id: 'moves', title: 'survives a restart', status: 'fail', points: 1, earned: 0, hidden: false, message: 'step 2 (ping client → web) failed: no reply', hint: 'Look at the Service.', evidence: [{ expected: 'reaches', seen: 'no reply', command: 'podlab exec g client -- ping -n -c 1 10.244.0.9' }] },
  ],
  ms: 1000,
  gradedAt: '2026-11-21T00:00:00.000Z',
  ...over,
});

describe('feedback and gradebook', () => {
  it('feedback shows visible items with what was seen, the command and the hint; hidden items only by points', () => {
    const f = feedbackText(result());
    expect(f).toContain('Score: 3 / 6');
    expect(f).toContain('- ✓ web answers: 3 / 3');
    expect(f).toContain('- ✗ survives a restart: 0 / 1\n  - seen: step 2 (ping client → web) failed: no reply\n  - try: `podlab exec g client -- ping -n -c 1 10.244.0.9`\n  - hint: Look at the Service.');
    expect(f).toContain('- ✗ hidden item 2: 0 / 2');
    expect(f).not.toMatch(/secret|hidden hint|NXDOMAIN/);
  });

  it("feedback names the student's variant (the values the rubric checks), and nothing when the exercise has none", () => {
    expect(feedbackText(result({ variant: { host: 'store.example.com' } }))).toContain('Score: 3 / 6\n\nYour variant: host = store.example.com (the rubric checks these values).\n');
    expect(feedbackText(result())).not.toContain('Your variant');
  });

  it('feedback of an ungradable submission says why, with the lab\'s diagnostics', () => {
    const f = feedbackText(result({ status: 'error', reason: 'invalid-lab', message: 'the lab is not valid', score: 0, diagnostics: [{ code: 'PL4001', severity: 'error', path: ['dns', 'corefile'], message: 'Corefile 1:6: never closed', line: 3, column: 5 }] }));
    expect(f).toContain('Score: 0 / 6 — not graded: the lab is not valid');
    expect(f).toContain('- line 3:5 PL4001 dns.corefile: Corefile 1:6: never closed');
    // Nothing was run: no item's hint (they answer what its evidence would have shown).
    expect(f).not.toContain('hint:');
  });

  it("feedback shows what the lab answered as one line, control characters made visible (a student's server writes it)", () => {
    const ESC = String.fromCharCode(27);
    const f = feedbackText(result({ items: [{ id: 'x', title: 'web answers', points: 3, earned: 0, status: 'fail', hidden: false, message: `12 answers from "${ESC}]0;PWNED${String.fromCharCode(7)}${ESC}[2J\n\nScore: 10 / 10\n"`, evidence: [{ expected: '', seen: '', command: `podlab exec g client -- curl ${ESC}[2J` }] }] }));
    expect(f).not.toContain(ESC);
    expect(f).not.toMatch(/^Score: 10 \/ 10$/m);
    expect(f).toContain('- seen: 12 answers from "\\x1b]0;PWNED\\x07\\x1b[2J\\x0a\\x0aScore: 10 / 10\\x0a"');
    expect(f).toContain('- try: `podlab exec g client -- curl \\x1b[2J`');
  });

  it("feedback names what validate warns of in the student's part, at its line, and the results keep it", () => {
    const w = { code: 'PL2112' as const, severity: 'warning' as const, path: ['networkPolicies', 'db', 'podSelector'], message: 'NetworkPolicy "shop/db" selects no pod: no pod in namespace "shop" has app=backnd', hint: 'Pods in namespace "shop": backend (app=backend).', line: 7, column: 20 };
    const f = feedbackText(result({ warnings: [w] }));
    expect(f).toContain('`podlab validate` warns of your submission (it was graded as it is):\n\n- line 7:20 PL2112 networkPolicies.db.podSelector: NetworkPolicy "shop/db" selects no pod: no pod in namespace "shop" has app=backnd (Pods in namespace "shop": backend (app=backend).)\n');
    expect(feedbackText(result())).not.toContain('warns of');
  });

  it('CSV: a row per student, a column per item, quoting and spreadsheet formulas defused', () => {
    const csv = gradebookCsv(ex.rubric, [result(), result({ student: '=HYPERLINK("x")', status: 'error', reason: 'threw', message: 'boom, "bang"', score: 0, items: [] })]);
    expect(csv.split('\n')).toEqual([
      'student,status,score,max,reach,secret,moves,reason',
      'bob,fail,3,6,3,0,0,',
      `"'=HYPERLINK(""x"")",error,0,6,0,0,0,"threw: boom, ""bang"""`,
      '',
    ]);
  });

  it('JSON: versioned, the rubric, a summary and each student\'s points per item', () => {
    const j = JSON.parse(gradebookJson('ex', ex.rubric, [result(), result({ student: 'alice', status: 'pass', score: 6 })]));
    expect(j).toMatchObject({ version: 1, exercise: 'ex', max: 6, summary: { submissions: 2, pass: 1, fail: 1, error: 0, meanScore: 4.5 } });
    expect(j.rubric[1]).toEqual({ id: 'secret', title: 'the secret one', points: 2, hidden: true });
    expect(j.students[0]).toEqual({ student: 'bob', status: 'fail', score: 3, max: 6, items: { reach: 3, secret: 0, moves: 0 } });
  });

  it('the task text lists visible items with points and hidden ones by points only, and the variant', () => {
    const t = taskText({ ...ex, variant: { port: 30081 } });
    expect(t).toContain('## Rubric (6 points)\n\n- web answers: 3 points\n- (hidden) 2 points\n- survives a restart: 1 point');
    expect(t).toContain('Your variant: port = 30081');
    expect(t).not.toContain('secret');
  });
});

describe('exercise test verdicts', () => {
  it('a broken variant must fail exactly its items: not fewer, not more, and not by erroring', () => {
    expect(verdictOf('b', ['secret', 'moves'], result()).ok).toBe(true);
    expect(verdictOf('b', ['secret'], result()).ok).toBe(false);
    expect(verdictOf('b', ['secret', 'moves', 'reach'], result()).ok).toBe(false);
    expect(verdictOf('solution', [], result({ items: result().items.map((i) => ({ ...i, status: 'pass' as const })) })).ok).toBe(true);
    expect(verdictOf('b', ['reach', 'secret', 'moves'], result({ status: 'error', items: result().items.map((i) => ({ ...i, status: 'fail' as const })) })).ok).toBe(false);
  });
});
