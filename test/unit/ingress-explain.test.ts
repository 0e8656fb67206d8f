/**
 * `podlab explain --http`: the rule an HTTP request meets on labs/ingress.lab.ts, and why each other
 * rule of its host lost (src/ingress/explain.ts over the router nginx.conf is rendered from).
 */
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import ingressLab from '../../labs/ingress.lab.ts';
import { validateValue } from '../../src/compile/validate-value.ts';
import { explainHttp, parseHttpTarget } from '../../src/ingress/explain.ts';
import { buildPlan } from '../../src/plan/plan.ts';

const plan = buildPlan(validateValue(ingressLab, 'labs/ingress.lab.ts').lab!);
const ingresses = plan.ingress!.ingresses;

describe('explain --http', () => {
  it('names the winning rule and why the shorter prefix lost', () => {
    const x = explainHttp(ingresses, 'shop.example.com', '/api/v1/items');
    expect(x).toMatchObject({ server: 'shop.example.com', decision: 'rule', service: 'default/api:8080' });
    expect(x.lost).toEqual([{ rule: expect.stringContaining('Prefix / → Service default/web:http'), why: 'shorter than /api' }]);
  });

  it('Prefix matches whole path elements: /apiary is not under /api', () => {
    const x = explainHttp(ingresses, 'shop.example.com', '/apiary');
    expect(x.service).toBe('default/web:http');
    expect(x.lost).toEqual([{ rule: expect.stringContaining('Prefix /api'), why: 'Prefix /api does not match /apiary' }]);
  });

  it('a wildcard covers one label only; two labels fall through to the default backend', () => {
    expect(explainHttp(ingresses, 'dev.blog.example.com', '/')).toMatchObject({ server: '*.blog.example.com', decision: 'rule' });
    const x = explainHttp(ingresses, 'a.dev.blog.example.com', '/');
    expect(x).toMatchObject({ decision: 'default-backend', service: 'default/fallback:80' });
    expect(x.server).toBeUndefined();
    expect(x.hosts).toContain('*.blog.example.com');
  });

  it('reads host/path in the forms a learner types', () => {
    expect(parseHttpTarget('shop.example.com/api?x=1')).toEqual({ host: 'shop.example.com', path: '/api?x=1' });
    expect(parseHttpTarget('https://shop.example.com')).toEqual({ scheme: 'https', host: 'shop.example.com', path: '/' });
    expect(parseHttpTarget('http://shop.example.com/a')).toEqual({ scheme: 'http', host: 'shop.example.com', path: '/a' });
    expect(parseHttpTarget('not a url')).toBeUndefined();
  });

  it('through the CLI: exit 0 with the rule; a lab without Ingress exits 2 with PL3117', async () => {
    const ok = await execa('node', ['bin/podlab.js', 'explain', 'labs/ingress.lab.ts', '--http', 'shop.example.com/api', '--json'], { reject: false });
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ decision: 'rule', service: 'default/api:8080' });
    const none = await execa('node', ['bin/podlab.js', 'explain', 'labs/services.lab.ts', '--http', 'web/'], { reject: false });
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('error PL3117');
  }, 60_000);
});
