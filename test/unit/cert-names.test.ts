/**
 * A lab name of 63 characters (the most a DNS-1123 label allows) and a long Ingress host are valid,
 * so the certificates `up` and `kubeconfig` make for them must be made: openssl refuses a
 * commonName over 64 characters ("string too long", `up` failed with PL3050). Real openssl in a
 * temporary folder; no root, nothing else on the host.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCertificates } from '../../src/api/launch.ts';
import { prepareIngress } from '../../src/runtime/ingress.ts';
import type { Executor, RunResult } from '../../src/runtime/exec.ts';
import type { Plan } from '../../src/plan/plan.ts';
import { commonName, CN_MAX } from '../../src/lib/x509.ts';

const tmp = mkdtempSync(join(tmpdir(), 'podlab-cn-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const openssl: Executor = {
  run: async (argv) => (await execa(argv[0]!, argv.slice(1), { reject: false })) as unknown as RunResult,
  spawn: async () => 0,
  signal: () => {},
};
const LAB = `cn-${'y'.repeat(60)}`; // 63 characters
const subject = async (crt: string) => (await execa('openssl', ['x509', '-in', crt, '-noout', '-subject', '-ext', 'subjectAltName'])).stdout;

describe('certificates of long names', () => {
  it('commonName keeps a name that fits and cuts one that does not', () => {
    expect(commonName('podlab-web-ca')).toBe('podlab-web-ca');
    expect(commonName(`podlab-${LAB}-apiserver`)).toHaveLength(CN_MAX);
  });

  it("the API server's CA and serving certificate for a 63-character lab", async () => {
    const dir = join(tmp, 'api');
    mkdirSync(dir);
    await makeCertificates(openssl, LAB, dir);
    expect(await subject(join(dir, 'server.crt'))).toMatch(/IP Address:127\.0\.0\.1/);
  });

  it("the ingress controller's CA, and a leaf for a host longer than 64 characters, valid for the whole host", async () => {
    const host = `${'shop-'.repeat(14)}example.com`;
    const runDir = join(tmp, 'ingress', 'run');
    const plan = { lab: LAB, ingress: { runDir, tlsDir: join(runDir, 'tls'), secrets: [{ file: 'shop', secret: 'shop-tls', hosts: [host] }] } } as unknown as Plan;
    await prepareIngress(openssl, plan);
    expect(await subject(join(runDir, 'tls', 'shop.crt'))).toContain(`DNS:${host}`);
  });
});
