/**
 * Who answered an HTTP check (SECURITY.md, boundary 13), without a lab: the programs' own
 * HMAC-SHA256 (native/sha256.h, compiled here with its harness test/fixtures/native/hmac.c) on
 * RFC 4231's test cases and SHA-256 against Node's at every length around a block; the keys and
 * proofs of src/lib/proof.ts; and the http judge: an answer that names api-1 counts as api-1's
 * only with api-1's proof for that request's nonce — not without one, not with another pod's,
 * another nonce's or another client's — and what it says of itself is then not believed either.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshAttempt } from '../../src/check/checks.ts';
import { curlArgv, http, readCurl, type HttpCheck } from '../../src/check/kinds/http.ts';
import type { Attempt } from '../../src/check/kinds/kind.ts';
import { claimedIdentity, freshNonce, hostIdentity, podIdentity, proofHolds, proofOf, proverOf, workloadKey } from '../../src/lib/proof.ts';
import { render } from '../../src/render/render.ts';
import { planFrom } from '../live/host.ts';
import { proofFor, testAttempt, TEST_SECRET } from './proofs.ts';

describe('native/sha256.h: HMAC-SHA256 and SHA-256 as the http-echo computes them', () => {
  let dir: string;
  let bin: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'podlab-hmac-'));
    bin = join(dir, 'hmac');
    execFileSync(process.env.CC ?? 'cc', ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-o', bin, 'test/fixtures/native/hmac.c']);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (key: string, data: Buffer) => execFileSync(bin, [key, data.toString('hex')], { encoding: 'utf8' }).trim();
  const hmacC = (key: Buffer, data: Buffer) => run(key.toString('hex'), data);

  // RFC 4231, section 4: HMAC-SHA-256 of test cases 1 to 7 (case 5: the first 128 bits).
  const RFC4231: [string, Buffer, Buffer, string][] = [
    ['1', Buffer.alloc(20, 0x0b), Buffer.from('Hi There'), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
    ['2', Buffer.from('Jefe'), Buffer.from('what do ya want for nothing?'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
    ['3', Buffer.alloc(20, 0xaa), Buffer.alloc(50, 0xdd), '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe'],
    ['4', Buffer.from('0102030405060708090a0b0c0d0e0f10111213141516171819', 'hex'), Buffer.alloc(50, 0xcd), '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b'],
    ['5', Buffer.alloc(20, 0x0c), Buffer.from('Test With Truncation'), 'a3b6167473100ee06e0c796c2955552b'],
    ['6', Buffer.alloc(131, 0xaa), Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First'), '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'],
    [
      '7',
      Buffer.alloc(131, 0xaa),
      Buffer.from('This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.'),
      '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
    ],
  ];
  for (const [n, key, data, mac] of RFC4231) {
    it(`RFC 4231 test case ${n}`, () => {
      expect(hmacC(key, data).slice(0, mac.length)).toBe(mac);
    });
  }

  it('SHA-256 of 0 to 200 bytes (every padding case around the 64-byte block), fed in uneven pieces, is Node’s', () => {
    for (let n = 0; n <= 200; n++) {
      const data = Buffer.from(Array.from({ length: n }, (_, i) => (i * 131 + n) & 0xff));
      expect(run('-', data), `${n} bytes`).toBe(createHash('sha256').update(data).digest('hex'));
    }
  });

  it('HMAC-SHA256 with keys of 16 to 130 bytes, and messages as long as a proof’s, is Node’s', () => {
    for (const kl of [16, 32, 63, 64, 65, 130]) {
      const key = Buffer.from(Array.from({ length: kl }, (_, i) => (i * 7 + kl) & 0xff));
      const msg = Buffer.from(`podlab http-echo v1\n${'ab'.repeat(16)}\n10.244.0.3\n/api/v1?x=${'y'.repeat(kl)}`);
      expect(hmacC(key, msg), `key of ${kl} bytes`).toBe(createHmac('sha256', key).update(msg).digest('hex'));
    }
  });
});

describe('src/lib/proof.ts: keys and proofs', () => {
  const answer = { nonce: '0123456789abcdef0123456789abcdef', client: '10.244.0.3', path: '/' };

  it('a workload key is the HMAC of the lab secret and the identity; a proof the HMAC of the message http-echo signs', () => {
    const key = workloadKey(TEST_SECRET, podIdentity('api-1'));
    expect(key).toEqual(createHmac('sha256', TEST_SECRET).update('podlab workload key v1\npod/api-1').digest());
    expect(proofOf(key, answer)).toBe(createHmac('sha256', key).update(`podlab http-echo v1\n${answer.nonce}\n10.244.0.3\n/`).digest('hex'));
    expect(workloadKey(TEST_SECRET, hostIdentity('api-1'))).not.toEqual(key);
  });

  it('a proof holds for its own key, nonce, client and path only', () => {
    const key = workloadKey(TEST_SECRET, podIdentity('api-1'));
    const proof = proofOf(key, answer);
    expect(proofHolds(key, answer, proof)).toBe(true);
    expect(proofHolds(workloadKey(TEST_SECRET, podIdentity('api-2')), answer, proof)).toBe(false);
    expect(proofHolds(workloadKey(Buffer.alloc(32, 8), podIdentity('api-1')), answer, proof)).toBe(false);
    expect(proofHolds(key, { ...answer, nonce: freshNonce() }, proof)).toBe(false);
    expect(proofHolds(key, { ...answer, client: '10.244.0.4' }, proof)).toBe(false);
    expect(proofHolds(key, { ...answer, path: '/x' }, proof)).toBe(false);
    for (const bad of ['', 'ab'.repeat(32).toUpperCase(), proof.slice(2), `${proof}00`, 'zz'.repeat(32)]) expect(proofHolds(key, answer, bad), bad).toBe(false);
  });

  it('an answer naming a pod claims that pod; one naming only an outside host claims the host; an unknown name a pod', () => {
    const names = { pods: [{ name: 'api-1' }, { name: 'both' }], hosts: [{ name: 'internet' }, { name: 'both' }] };
    expect(['api-1', 'internet', 'both', 'web-7f9c-x2'].map((n) => claimedIdentity(names, n))).toEqual(['pod/api-1', 'host/internet', 'pod/both', 'pod/web-7f9c-x2']);
  });

  it('nonces are fresh: 128 random bits each, as many as the requests', () => {
    const nonces = new Set(Array.from({ length: 1000 }, freshNonce));
    expect(nonces.size).toBe(1000);
    for (const n of nonces) expect(n).toMatch(/^[0-9a-f]{32}$/);
  });
});

const plan = planFrom({
  name: 'proof',
  nodes: { n1: {} },
  pods: {
    'api-1': { node: 'n1', labels: { app: 'api' }, containers: [{ name: 'echo', workload: { kind: 'http-echo', port: 8080 } }] },
    'api-2': { node: 'n1', labels: { app: 'api' }, containers: [{ name: 'echo', workload: { kind: 'http-echo', port: 8080 } }] },
    client: { node: 'n1' },
  },
  services: { api: { selector: { app: 'api' }, ports: [{ port: 80, targetPort: 8080 }] } },
  hosts: { internet: { network: 'external', containers: [{ name: 'echo', workload: { kind: 'http-echo', port: 8080 } }] } },
  checks: [
    { kind: 'http', from: 'client', to: 'svc/api', expectPod: 'api-1' },
    { kind: 'http', from: 'client', to: 'svc/api', requests: 4, expectSpread: 2 },
    { kind: 'http', from: 'client', to: 'svc/api', host: 'api.example', requests: 2, expectService: 'api' },
    { kind: 'http', from: 'client', to: 'svc/api' },
    { kind: 'http', from: 'client', to: 'host/internet', port: 8080, expectNoNat: true },
  ],
});
const [byPod, spread, viaCurl, plain, toHost] = plan.checks as HttpCheck<'plan'>[];
const CLIENT = plan.pods.find((p) => p.name === 'client')!.ip;

/** The native probe's line for one answer whose body is `reply` (http-echo's fields). */
const probeLine = (reply: Record<string, unknown>) => ({ exitCode: 0, stderr: '', stdout: JSON.stringify({ ok: true, status: 200, body: `${JSON.stringify(reply)}\n` }) });
/** The body api-1's http-echo gives for `nonce`, seen from the client; `proof` as given. */
const body = (pod: string, proof?: string) => ({ pod, ...(proof !== undefined ? { proof } : {}), podIP: '10.244.0.2', client: CLIENT, clientPort: 40000, method: 'GET', path: '/', hostname: pod });
const one = testAttempt(1);
const nonce = one.nonces[0]!;

describe('the http judge believes a pod only on its proof', () => {
  it('passes with api-1’s proof for this request’s nonce', () => {
    expect(http.judge(plan, byPod, probeLine(body('api-1', proofFor(plan, 'api-1', nonce, CLIENT, '/'))), one)).toMatchObject({ ok: true });
  });

  it('fails on a forged body — {"pod":"api-1"} without a proof — saying it did not prove it came from api-1', () => {
    const v = http.judge(plan, byPod, probeLine(body('api-1')), one);
    expect(v.ok).toBe(false);
    expect(v.seen).toMatch(/^HTTP 200: \{"pod":"api-1",.* — the answer naming pod api-1 did not prove it came from pod api-1: it carries no proof of the request's nonce \(only the pod's own http-echo can make one\)$/);
  });

  it('quotes a claimed pod name of any length in at most a pod name’s 253 characters (a student’s server would fill the feedback)', () => {
    const long = 'x'.repeat(60_000);
    const v = http.judge(plan, spread, probeLine(body(long)), testAttempt(4));
    expect(v.ok).toBe(false);
    expect(v.seen).toContain(`"${'x'.repeat(253)}… (60000 characters)" without proof`);
    expect(v.seen.length).toBeLessThan(2000);
  });

  it('fails on a proof made up, on api-2’s proof, on a proof for another nonce, and on one for another client (a relay that rewrote the body)', () => {
    const cases = {
      'made up': 'ab'.repeat(32),
      "api-2's": proofFor(plan, 'api-2', nonce, CLIENT, '/'),
      'another nonce': proofFor(plan, 'api-1', 'nonce-replayed', CLIENT, '/'),
      'another client': proofFor(plan, 'api-1', nonce, '10.244.0.99', '/'),
      'another secret': proofFor(plan, 'api-1', nonce, CLIENT, '/', Buffer.alloc(32, 9)),
    };
    for (const [what, proof] of Object.entries(cases)) {
      const v = http.judge(plan, byPod, probeLine(body('api-1', proof)), one);
      expect(v.ok, what).toBe(false);
      expect(v.seen.endsWith(" — the answer naming pod api-1 did not prove it came from pod api-1: its proof is not that pod's for this request"), `${what}: ${v.seen}`).toBe(true);
    }
  });

  it('a body naming api-2 with api-2’s proof is api-2: answered by the wrong pod, not unproven', () => {
    const v = http.judge(plan, byPod, probeLine(body('api-2', proofFor(plan, 'api-2', nonce, CLIENT, '/'))), one);
    expect(v.ok).toBe(false);
    expect(v.seen).toMatch(/ — answered by api-2$/);
  });

  it('without the lab’s secret (a lab brought up before proofs), nothing is proven; without a nonce neither', () => {
    const proof = proofFor(plan, 'api-1', nonce, CLIENT, '/');
    expect(http.judge(plan, byPod, probeLine(body('api-1', proof)), { nonces: [nonce] }).seen).toContain('podlab holds no secret of this lab to check it with');
    expect(http.judge(plan, byPod, probeLine(body('api-1', proof))).seen).toContain('podlab holds no secret of this lab');
    expect(http.judge(plan, byPod, probeLine(body('api-1', proof)), { nonces: [], prover: proverOf(TEST_SECRET) }).seen).toContain('the request carried no nonce');
  });

  it('never shows the secret, a key or the proof it expected', () => {
    const key = workloadKey(TEST_SECRET, podIdentity('api-1'));
    const expected = proofFor(plan, 'api-1', nonce, CLIENT, '/');
    for (const proof of [undefined, 'ab'.repeat(32), proofFor(plan, 'api-1', 'x', CLIENT, '/')]) {
      const v = http.judge(plan, byPod, probeLine(body('api-1', proof)), one);
      for (const secret of [TEST_SECRET.toString('hex'), key.toString('hex'), expected]) expect(`${v.expected} ${v.seen}`).not.toContain(secret);
    }
  });

  it('a check that asks nothing of the pod passes on any answer (a server of the author’s own, a request by hand)', () => {
    expect(http.judge(plan, plain, probeLine(body('api-1')), one)).toMatchObject({ ok: true });
    expect(http.judge(plan, plain, probeLine({ hello: 'world' }), one)).toMatchObject({ ok: true });
  });

  it('what an unproven answer says it saw is not believed either (expectNoNat on a forged client)', () => {
    const forged = http.judge(plan, toHost, probeLine({ ...body('internet'), client: CLIENT }), one);
    expect(forged.ok).toBe(false);
    expect(forged.seen).toContain('did not prove it came from pod internet');
    // An outside host's http-echo proves itself with the host's key.
    const proof = proofOf(workloadKey(TEST_SECRET, hostIdentity('internet')), { nonce, client: CLIENT, path: '/' });
    expect(http.judge(plan, toHost, probeLine({ ...body('internet', proof) }), one)).toMatchObject({ ok: true });
  });
});

describe('several requests: each answer proves itself for its own request’s nonce', () => {
  const four = testAttempt(4);
  const answers = (pods: string[], prove: (pod: string, i: number) => string | null) => ({
    exitCode: 0,
    stderr: '',
    stdout: JSON.stringify({ ok: true, status: 200, body: '', answers: pods.map((pod, i) => ({ pod, client: CLIENT, path: '/', proof: prove(pod, i) })) }),
  });

  it('a spread counts the pods that proved themselves; the others are named as claims without proof', () => {
    const all = answers(['api-1', 'api-2', 'api-1', 'api-2'], (pod, i) => proofFor(plan, pod, four.nonces[i]!, CLIENT, '/'));
    expect(http.judge(plan, spread, all, four)).toMatchObject({ ok: true, seen: '4 answers from api-1 ×2, api-2 ×2' });
    const half = answers(['api-1', 'api-2', 'api-1', 'api-2'], (pod, i) => (pod === 'api-1' ? proofFor(plan, pod, four.nonces[i]!, CLIENT, '/') : null));
    expect(http.judge(plan, spread, half, four)).toMatchObject({ ok: false, seen: '4 answers from api-1 ×2, "api-2" without proof ×2 — only 1 pod(s) answered: api-1 ×2, "api-2" without proof ×2' });
  });

  it('proofs in the wrong order (another request’s nonce each) prove nothing', () => {
    const swapped = answers(['api-1', 'api-2', 'api-1', 'api-2'], (pod, i) => proofFor(plan, pod, four.nonces[3 - i]!, CLIENT, '/'));
    expect(http.judge(plan, spread, swapped, four).ok).toBe(false);
  });
});

describe('curl (a Host header, HTTPS): a nonce per request, each its own operation', () => {
  const two = testAttempt(2);

  it('sends each request with its own X-Podlab-Nonce, one --next operation per request', () => {
    const argv = curlArgv(viaCurl, 1000, two.nonces);
    expect(argv.filter((a) => a === '--next')).toHaveLength(1);
    expect(argv.filter((a) => a.startsWith('X-Podlab-Nonce: '))).toEqual(['X-Podlab-Nonce: nonce-0', 'X-Podlab-Nonce: nonce-1']);
    const second = argv.slice(argv.indexOf('--next') + 1);
    expect(second).toContain('Host: api.example');
    expect(second.at(-1)).toBe(argv[argv.indexOf('--next') - 1]);
    // Without nonces (a learner's line), the command is as before.
    expect(curlArgv(viaCurl, 1000)).not.toContain('--next');
  });

  it('judges each answer against its own request’s nonce', () => {
    const reply = (pod: string, n: string) => `${JSON.stringify({ ...body(pod, proofFor(plan, pod, n, CLIENT, '/')) })}\n\n@@podlab-status 200\n`;
    const stdout = reply('api-1', 'nonce-0') + reply('api-2', 'nonce-1');
    expect(readCurl({ exitCode: 0, stdout, stderr: '' }).answers?.map((a) => a.proof?.length)).toEqual([64, 64]);
    expect(http.judge(plan, viaCurl, { exitCode: 0, stdout, stderr: '' }, two)).toMatchObject({ ok: true });
    const forged = `${JSON.stringify(body('api-1'))}\n\n@@podlab-status 200\n`.repeat(2);
    expect(http.judge(plan, viaCurl, { exitCode: 0, stdout: forged, stderr: '' }, two)).toMatchObject({ ok: false, seen: expect.stringContaining('2 answers naming pod api-1 did not prove they came from pod api-1') });
  });
});

describe('the author’s view', () => {
  it('holds no secret, no key and no key file: up.sh starts http-echo without one', () => {
    const files = [...render(plan).entries()];
    expect(files.length).toBeGreaterThan(5);
    for (const [name, text] of files) for (const word of ['key-file', 'key-fd', '/identity']) expect(String(text), `${name}: ${word}`).not.toContain(word);
  });
});

describe('the runner’s attempts', () => {
  it('give an http check one fresh nonce per request, new at every attempt, and the native probe sends them', () => {
    const prover = proverOf(TEST_SECRET);
    const a = freshAttempt(spread, prover) as Attempt;
    const b = freshAttempt(spread, prover) as Attempt;
    expect(a.nonces).toHaveLength(4);
    expect(new Set([...a.nonces, ...b.nonces]).size).toBe(8);
    expect(http.probe(spread, '/probe', 1000, a).slice(-2)).toEqual(['--nonces', a.nonces.join(',')]);
    expect(http.probe(spread, '/probe', 1000)).not.toContain('--nonces');
  });
});
