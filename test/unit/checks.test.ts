/** The judges, on outputs recorded from real runs (test/fixtures/outputs and the literals below, taken from a live lab). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateValue } from '../../src/compile/validate-value.ts';
import { buildPlan, type PlanCheck } from '../../src/plan/plan.ts';
import { buildProbe, judge } from '../../src/check/checks.ts';
import { provenProbe, testAttempt } from './proofs.ts';

const plan = buildPlan(
  validateValue(
    {
      name: 'j',
      nodes: { 'worker-1': {}, 'worker-2': {} },
      pods: {
        client: { node: 'worker-1' },
        'web-2': { node: 'worker-2', containers: [{ name: 'web', workload: { kind: 'http-echo' } }] },
      },
      checks: [
        { kind: 'ping', from: 'client', to: 'web-2' },
        { kind: 'http', from: 'client', to: 'web-2', port: 8080, expectPod: 'web-2', expectNoNat: true },
        { kind: 'tcp', from: 'client', to: 'web-2', port: 9, expect: 'no-reach' },
        { kind: 'http', from: 'node/worker-1', to: 'web-2', port: 8080, expectNoNat: true },
      ],
    },
    'j.lab.ts',
  ).lab!,
);
const [ping, http, tcpDeny, httpFromNode] = plan.checks as PlanCheck<'ping' | 'http' | 'tcp'>[];
const out = (stdout: string, exitCode = 0, stderr = '') => ({ stdout, stderr, exitCode });
const fixture = (f: string) => readFileSync(`test/fixtures/outputs/${f}`, 'utf8');
// Recorded from `podlab exec pod-networking client -- /x/build/native/probe http-get …` on a live lab.
const httpAnswer = (client: string, pod = 'web-2') =>
  JSON.stringify({ ok: true, status: 200, body: `${JSON.stringify({ pod, podIP: '10.244.1.2', client, clientPort: 39550, method: 'GET', path: '/', hostname: pod })}\n` });
/** One attempt's nonce, and the answer as the pod's http-echo proves it for that nonce (test/unit/proofs.ts). */
const attempt = testAttempt(1);
const judgeHttp = (check: PlanCheck, stdout: string) => judge(plan, check as PlanCheck<'http'>, out(provenProbe(plan, stdout, attempt)), attempt);

describe('ping judge', () => {
  it('passes on a reply and reports the round trip', () => {
    const v = judge(plan, ping, out(fixture('ping-ok.txt')));
    expect(v.ok).toBe(true);
    expect(v.seen).toMatch(/in 0.298 ms/);
  });
  it('fails on an unreachable network and says why', () => {
    const v = judge(plan, ping, out('', 2, fixture('ping-unreachable.txt')));
    expect(v.ok).toBe(false);
    expect(v.seen).toContain('Network is unreachable');
  });
});

describe('http judge', () => {
  it('passes when the expected pod answers and sees the client pod IP', () => {
    expect(judgeHttp(http, httpAnswer('10.244.0.2')).ok).toBe(true);
  });
  it('fails when the source was translated (NAT), naming the address the server saw', () => {
    const v = judgeHttp(http, httpAnswer('172.16.94.10'));
    expect(v.ok).toBe(false);
    expect(v.seen).toContain('server saw client 172.16.94.10');
  });
  it('fails when another pod answers', () => {
    const v = judgeHttp(http, httpAnswer('10.244.0.2', 'web-1'));
    expect(v.ok).toBe(false);
    expect(v.seen).toContain('answered by web-1');
  });
  it('fails on a connection error', () => {
    const v = judge(plan, http, out('{"ok":false,"code":"ECONNREFUSED","error":"connect ECONNREFUSED 10.244.1.2:8080"}', 1));
    expect(v.ok).toBe(false);
    expect(v.seen).toContain('ECONNREFUSED');
  });
  it('from a node, any of the node addresses counts as the client itself', () => {
    expect(judgeHttp(httpFromNode, httpAnswer('10.244.0.1')).ok).toBe(true);
    expect(judgeHttp(httpFromNode, httpAnswer('172.16.94.10')).ok).toBe(true);
    expect(judgeHttp(httpFromNode, httpAnswer('172.16.94.11')).ok).toBe(false);
  });
});

describe('tcp judge with expect no-reach', () => {
  it('passes when the connection is refused, fails when it connects', () => {
    expect(judge(plan, tcpDeny, out('{"ok":false,"code":"ECONNREFUSED","error":"connect ECONNREFUSED"}', 1)).ok).toBe(true);
    expect(judge(plan, tcpDeny, out('{"ok":true,"local":"10.244.0.2","remote":"10.244.1.2"}')).ok).toBe(false);
  });
});

describe('probes', () => {
  it('give a command a learner can paste', () => {
    expect(buildProbe(plan, ping, '/x/build/native/probe').reproduce).toBe('podlab exec j client -- ping -n -c 1 -i 0.2 -w 1 10.244.1.2');
    expect(buildProbe(plan, http, '/x/build/native/probe').reproduce).toBe(
      'podlab exec j client -- /x/build/native/probe http-get --url http://10.244.1.2:8080/ --timeout-ms 1000',
    );
    // An attempt's nonces go to the probe it runs, not into the line a learner pastes.
    const withNonces = buildProbe(plan, http, '/x/build/native/probe', undefined, attempt);
    expect(withNonces.argv.slice(-2)).toEqual(['--nonces', 'nonce-0']);
    expect(withNonces.reproduce).not.toContain('nonce');
  });
});
