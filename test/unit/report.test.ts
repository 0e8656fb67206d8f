/** Check reports: text evidence, versioned JSON, JUnit XML that escapes what it quotes, TAP 13. */
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/check/checks.ts';
import { formatReport, jsonReport, junitReport, tapReport, textReport } from '../../src/check/report.ts';

const pass: CheckResult = { index: 0, name: 'client resolves web A', kind: 'dns', status: 'pass', expected: 'A web: NOERROR', seen: 'NOERROR: web.default.svc.cluster.local. A 10.96.0.1', command: 'podlab exec dns client -- dig +search web A', attempts: 1, ms: 120 };
const fail: CheckResult = { index: 1, name: 'http client → svc/web # <b> & "q"', kind: 'http', status: 'fail', expected: 'reaches web (10.96.0.1):80', seen: 'no HTTP answer (ECONNREFUSED)', command: 'podlab exec dns client -- node assets/workload.mjs http-get --url http://10.96.0.1:80/', attempts: 7, ms: 5012 };

describe('check reports', () => {
  it('text: a line per check; a failure shows expected, seen and the command to try', () => {
    expect(textReport([pass, fail])).toBe(
      '✓ client resolves web A (120 ms, 1 attempt)\n' +
        '✗ http client → svc/web # <b> & "q" (5012 ms, 7 attempts)\n' +
        '    expected: reaches web (10.96.0.1):80\n    seen:     no HTTP answer (ECONNREFUSED)\n' +
        '    try:      podlab exec dns client -- node assets/workload.mjs http-get --url http://10.96.0.1:80/\n' +
        '1 passed, 1 failed\n',
    );
  });

  it('json: versioned, with a summary and every result', () => {
    const j = JSON.parse(jsonReport('dns', [pass, fail]));
    expect(j).toMatchObject({ version: 1, lab: 'dns', passed: false, summary: { total: 2, passed: 1, failed: 1 } });
    expect(j.results).toEqual([pass, fail]);
    expect(JSON.parse(jsonReport('dns', [pass])).passed).toBe(true);
  });

  it('junit: one testcase per check, the failure with its evidence, everything XML-escaped', () => {
    const x = junitReport('dns', [pass, fail]);
    expect(x).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="podlab" tests="2" failures="1" time="5.132">/);
    expect(x).toContain('<testsuite name="dns" tests="2" failures="1" errors="0" skipped="0" time="5.132">');
    expect(x).toContain('<testcase classname="podlab.dns.http" name="http client → svc/web # &lt;b&gt; &amp; &quot;q&quot;" time="5.012">');
    expect(x).toContain('<failure message="no HTTP answer (ECONNREFUSED)" type="http">expected: reaches web (10.96.0.1):80\nseen: no HTTP answer (ECONNREFUSED)\ntry: podlab exec');
    expect(x.match(/<testcase /g)).toHaveLength(2);
    expect(x.match(/<\/testcase>/g)).toHaveLength(2);
    expect(x.trimEnd().endsWith('</testsuites>')).toBe(true);
  });

  it('tap: plan line, ok / not ok, a YAML block for failures, # escaped in titles', () => {
    expect(tapReport([pass, fail])).toBe(
      'TAP version 13\n1..2\nok 1 - client resolves web A\nnot ok 2 - http client → svc/web \\# <b> & "q"\n  ---\n' +
        '  expected: "reaches web (10.96.0.1):80"\n  seen: "no HTTP answer (ECONNREFUSED)"\n' +
        '  try: "podlab exec dns client -- node assets/workload.mjs http-get --url http://10.96.0.1:80/"\n  attempts: 7\n  ms: 5012\n  ...\n',
    );
  });

  it('formatReport picks the format', () => {
    expect(formatReport('tap', 'dns', [pass])).toBe('TAP version 13\n1..1\nok 1 - client resolves web A\n');
    expect(formatReport('text', 'dns', [])).toBe('0 passed, 0 failed\n');
  });
});
