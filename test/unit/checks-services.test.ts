/**
 * The judges of the Service checks (several HTTP requests, UDP), on outputs recorded from real
 * runs of assets/workload.mjs (test/fixtures/outputs). They were recorded on 127.0.0.1: three
 * http-echo servers (--pod web-1/web-2/web-3) behind a small round-robin TCP proxy for the
 * spread, one server alone for a single pod, a closed port for the refusal, a proxy whose third
 * backend is closed for the reset half way, a udp-echo server, a UDP socket that never answers,
 * and a closed UDP port. The addresses are then replaced by the ones a lab would show, and each
 * answer given the proof its pod's http-echo makes for the attempt's nonce (test/unit/proofs.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildProbe, judge } from '../../src/check/checks.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import { buildPlan, type PlanCheck } from '../../src/plan/plan.ts';
import type { LabSpec } from '../../src/index.ts';
import type { RunResult } from '../../src/runtime/exec.ts';
import { provenProbe, testAttempt } from './proofs.ts';

const web = (node: string) => ({ node, labels: { app: 'web' }, containers: [{ name: 'web', workload: { kind: 'http-echo' as const } }] });
const spec: LabSpec = {
  name: 'j',
  nodes: { 'worker-1': {}, 'worker-2': {} }, // 172.16.94.10, .11
  pods: {
    client: { node: 'worker-1' }, // 10.244.0.2
    'web-1': web('worker-1'),
    'web-2': web('worker-2'),
    'web-3': web('worker-2'),
    echo: { node: 'worker-2', labels: { app: 'echo' }, containers: [{ name: 'echo', workload: { kind: 'udp-echo', port: 5353 } }] },
  },
  services: {
    web: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    'web-sticky': { selector: { app: 'web' }, sessionAffinity: 'ClientIP', ports: [{ port: 80, targetPort: 8080 }] },
    'web-np': { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }] },
    'echo-udp': { selector: { app: 'echo' }, ports: [{ protocol: 'UDP', port: 53, targetPort: 5353 }] },
  },
  hosts: { internet: { network: 'external' } }, // 203.0.113.10
  checks: [
    { kind: 'http', from: 'client', to: 'svc/web', requests: 6, expectSpread: 3, expectNoNat: true },
    { kind: 'http', from: 'client', to: 'svc/web-sticky', requests: 5, expectSticky: true },
    { kind: 'http', from: 'host/internet', to: 'node/worker-1', port: 30080, requests: 6, expectSpread: 2, expectSource: 'nodes' },
    { kind: 'http', from: 'host/internet', to: 'node/worker-2', port: 30080, requests: 6, expectSource: 'host/internet' },
    { kind: 'udp', from: 'client', to: 'svc/echo-udp' },
    { kind: 'udp', from: 'client', to: 'svc/echo-udp', expect: 'no-reach' },
    { kind: 'http', from: 'client', to: 'svc/web', requests: 3, expect: 'no-reach' },
  ],
};
const { lab, diagnostics } = validateValue(spec, 'j.lab.ts');
if (!lab) throw new Error(`the judge lab is invalid: ${JSON.stringify(diagnostics)}`);
const plan = buildPlan(lab);
const [spread, sticky, sourceNodes, sourceHost, udp, udpDeny, httpDeny] = plan.checks as PlanCheck<'http' | 'udp'>[];

const CLIENT_POD = '10.244.0.2';
const WORKER_1 = '172.16.94.10';
const WORKER_2_CNI0 = '10.244.1.1';
const INTERNET = '203.0.113.10';
const out = (stdout: string, exitCode = 0, stderr = '') => ({ stdout, stderr, exitCode });
const fixture = (f: string) => readFileSync(`test/fixtures/outputs/${f}`, 'utf8');
/** One attempt's nonces (6 requests at most) and the lab's prover. */
const attempt = testAttempt(6);
/** A recorded http-get --count answer, as if the servers had seen `client`, each answer proven by its pod. */
const answers = (f: string, client: string) => provenProbe(plan, fixture(f).replaceAll('127.0.0.1', client), attempt);
const judgeP = (check: PlanCheck<'http' | 'udp'>, r: RunResult) => judge(plan, check, r, attempt);
/** A recorded udp-echo-client answer, with the addresses a check through a Service shows. */
const udpAnswer = (f: string, local: string, remote: string) => JSON.stringify({ ...JSON.parse(fixture(f)), local, remote });

describe('the judge lab', () => {
  it('has the addresses the outputs are given', () => {
    expect(plan.pods.find((p) => p.name === 'client')!.ip).toBe(CLIENT_POD);
    expect(plan.nodes.map((n) => [n.ip, n.podGateway])).toEqual([[WORKER_1, '10.244.0.1'], ['172.16.94.11', WORKER_2_CNI0]]);
    expect(plan.hosts[0]!.ip).toBe(INTERNET);
    expect([spread.to, udp.to, udp.port]).toEqual([{ kind: 'svc', name: 'svc/web', ip: '10.96.0.1' }, { kind: 'svc', name: 'svc/echo-udp', ip: '10.96.0.4' }, 53]);
  });
});

describe('http judge, several requests: expectSpread', () => {
  it('passes when at least that many pods answered, and lists who answered how often', () => {
    const v = judgeP(spread, out(answers('http-get-count-spread.txt', CLIENT_POD)));
    expect(v).toEqual({
      ok: true,
      expected: `reaches svc/web (10.96.0.1):80; status 200, at least 3 different pods answer 6 requests, server sees the client's own IP (${CLIENT_POD}), no NAT`,
      seen: '6 answers from web-1 ×3, web-2 ×2, web-3 ×1',
    });
  });

  it('fails when fewer pods answered, naming them', () => {
    const v = judgeP(spread, out(answers('http-get-count-one-pod.txt', CLIENT_POD)));
    expect(v.ok).toBe(false);
    expect(v.seen).toBe('5 answers from web-1 ×5 — only 1 pod(s) answered: web-1 ×5');
  });

  it('fails when the spread is there but the source was translated, naming the address seen', () => {
    const v = judgeP(spread, out(answers('http-get-count-spread.txt', WORKER_1)));
    expect(v.ok).toBe(false);
    expect(v.seen).toContain(`server saw client ${WORKER_1}: the source was translated`);
    expect(v.seen).not.toContain('only');
  });
});

describe('http judge, several requests: expectSticky', () => {
  it('passes when one pod answered every request', () => {
    const v = judgeP(sticky, out(answers('http-get-count-one-pod.txt', CLIENT_POD)));
    expect(v.ok).toBe(true);
    expect(v.expected).toContain('one pod answers all 5 requests (session affinity)');
  });

  it('fails when several pods answered, naming them', () => {
    const v = judgeP(sticky, out(answers('http-get-count-spread.txt', CLIENT_POD)));
    expect(v.ok).toBe(false);
    expect(v.seen).toContain('3 pods answered: web-1 ×3, web-2 ×2, web-3 ×1');
  });
});

describe('http judge: expectSource', () => {
  it('nodes: any address of any node counts (node IP, cni0 gateway)', () => {
    expect(judgeP(sourceNodes, out(answers('http-get-count-spread.txt', WORKER_1))).ok).toBe(true);
    expect(judgeP(sourceNodes, out(answers('http-get-count-spread.txt', WORKER_2_CNI0))).ok).toBe(true);
  });

  it('nodes: the client\'s own address (no SNAT) fails, and says what was seen', () => {
    const v = judgeP(sourceNodes, out(answers('http-get-count-spread.txt', INTERNET)));
    expect(v.ok).toBe(false);
    expect(v.seen).toContain(`server saw client ${INTERNET}, which is not nodes`);
    expect(v.expected).toContain(`server sees the source as nodes (${WORKER_1} or 10.244.0.1 or 10.244.0.0 or 172.16.94.11`);
  });

  it('host/<name>: passes when the client IP survived, fails on a node address (SNAT)', () => {
    expect(judgeP(sourceHost, out(answers('http-get-count-one-pod.txt', INTERNET))).ok).toBe(true);
    const v = judgeP(sourceHost, out(answers('http-get-count-one-pod.txt', WORKER_1)));
    expect(v.ok).toBe(false);
    expect(v.seen).toContain(`server saw client ${WORKER_1}, which is not host/internet`);
  });
});

describe('http judge, several requests: failures', () => {
  it('a refused connection fails a reach check and passes a no-reach check', () => {
    const stdout = fixture('http-get-count-refused.txt');
    const v = judgeP(spread, out(stdout, 1));
    expect(v.ok).toBe(false);
    expect(v.seen).toBe('no HTTP answer (connect ECONNREFUSED 127.0.0.1:18089)');
    expect(judgeP(httpDeny, out(stdout, 1)).ok).toBe(true);
  });

  it('a connection reset after some answers fails a reach check, with the error', () => {
    const v = judgeP(spread, out(fixture('http-get-count-reset-midway.txt'), 1));
    expect(v.ok).toBe(false);
    expect(v.seen).toContain('ECONNRESET socket hang up');
  });

  it('output that is not JSON fails with its last line', () => {
    const v = judgeP(spread, out('', 2, 'workload: http-get: invalid --count "0"\nusage: …'));
    expect(v.ok).toBe(false);
    expect(v.seen).toContain('usage: …');
  });
});

describe('udp judge', () => {
  it('passes on an echo, showing both ends', () => {
    const v = judgeP(udp, out(udpAnswer('udp-echo-client-ok.txt', CLIENT_POD, '10.96.0.4')));
    expect(v).toEqual({ ok: true, expected: 'reaches svc/echo-udp (10.96.0.4):53', seen: `echo from 10.96.0.4 to ${CLIENT_POD}` });
  });

  it('fails on a timeout (nothing answered) and on a refusal (ICMP port unreachable), saying which', () => {
    const timeout = judgeP(udp, out(fixture('udp-echo-client-timeout.txt'), 1));
    expect(timeout.ok).toBe(false);
    expect(timeout.seen).toBe('no echo (ETIMEDOUT reply from 127.0.0.1:18091 timed out after 1000ms)');
    const refused = judgeP(udp, out(fixture('udp-echo-client-refused.txt'), 1));
    expect(refused.ok).toBe(false);
    expect(refused.seen).toBe('no echo (recvmsg ECONNREFUSED 127.0.0.1:18092)');
  });

  it('an echo that differs from what was sent is no echo', () => {
    const stdout = JSON.stringify({ ok: false, sent: 'podlab-check-4', received: 'garbled', local: CLIENT_POD, remote: '10.96.0.4', code: 'EMISMATCH', error: 'EMISMATCH echoed datagram differs from sent datagram' });
    expect(judgeP(udp, out(stdout, 1)).ok).toBe(false);
  });

  it('expect no-reach: passes on a timeout or refusal, fails on an echo', () => {
    expect(judgeP(udpDeny, out(fixture('udp-echo-client-timeout.txt'), 1)).ok).toBe(true);
    expect(judgeP(udpDeny, out(fixture('udp-echo-client-refused.txt'), 1)).ok).toBe(true);
    expect(judgeP(udpDeny, out(fixture('udp-echo-client-ok.txt'))).ok).toBe(false);
  });

  // Recorded live: the probe's datagram to kube-dns (10.96.0.10:53) from a pod whose DNS egress is allowed; the server answers (FORMERR), not with the echo.
  it('an answer that is not the echo (a DNS server) fails no-reach too: the datagram got there; reach fails, saying what answered, definite', () => {
    const dns = out(fixture('udp-echo-client-dns-answer.txt'), 1);
    const deny = judgeP(udpDeny, dns);
    expect(deny.ok).toBe(false);
    expect(deny.seen).toContain('that is not the echo');
    const reach = judgeP(udp, dns);
    expect(reach).toMatchObject({ ok: false, definite: true });
    expect(reach.seen).toContain('a udp check needs the udpEcho workload (a DNS server is asked with a dns check)');
  });
});

describe('probes of Service checks', () => {
  it('send --count for several requests, and a message naming the check for UDP', () => {
    expect(buildProbe(plan, spread, '/x/build/native/probe').reproduce).toBe(
      'podlab exec j client -- /x/build/native/probe http-get --url http://10.96.0.1:80/ --timeout-ms 1000 --count 6',
    );
    expect(buildProbe(plan, sourceNodes, '/x/build/native/probe').reproduce).toBe(
      'podlab exec j host/internet -- /x/build/native/probe http-get --url http://172.16.94.10:30080/ --timeout-ms 1000 --count 6',
    );
    expect(buildProbe(plan, udp, '/x/build/native/probe').reproduce).toBe(
      'podlab exec j client -- /x/build/native/probe udp-echo-client --host 10.96.0.4 --port 53 --message podlab-check-4 --timeout-ms 1000',
    );
  });
});

describe('checks aimed at the cluster DNS Service', () => {
  // kube-dns is no Service of the lab file's, but every lab with cluster DNS has it: a tcp or udp
  // check may aim at it (a NetworkPolicy lab shows a pod's DNS egress denied this way).
  it('svc/kube-system/kube-dns is a target of tcp and udp checks, with its ports and cluster IP; with dns: false it is PL2012, saying why', () => {
    const dnsChecks: LabSpec['checks'] = [
      { kind: 'tcp', from: 'client', to: 'svc/kube-system/kube-dns', expect: 'no-reach' },
      { kind: 'udp', from: 'client', to: 'svc/kube-system/kube-dns', port: 53, expect: 'no-reach' },
      { kind: 'tcp', from: 'client', to: 'svc/kube-system/kube-dns', port: 9153 },
    ];
    const r = validateValue({ ...spec, checks: dnsChecks }, 'dnsc.lab.ts');
    expect(r.diagnostics).toEqual([]);
    expect(buildPlan(r.lab!).checks.map((c) => `${(c as PlanCheck<'tcp'>).to.ip}:${(c as PlanCheck<'tcp'>).port}`)).toEqual(['10.96.0.10:53', '10.96.0.10:53', '10.96.0.10:9153']);
    const off = validateValue({ ...spec, dns: false, checks: dnsChecks.slice(0, 1) }, 'dnsc.lab.ts').diagnostics;
    expect(off.map((d) => [d.code, d.hint])).toEqual([['PL2012', 'The lab has no cluster DNS (dns: false), so no kube-dns Service.']]);
  });
});
