/**
 * podlab's calico CNI plugin (src/cni/calico/plugin.c) speaks the CNI protocol: VERSION, errors as
 * the spec's error JSON on stdout with exit 1, IPAM delegated to the plugin named in `ipam.type`
 * found through CNI_PATH, and a failed ADD releasing the address it was given. Compiled here as
 * `up` compiles it; no root, nothing made on the host (the fake IPAM plugins below never return an
 * address that would lead to a veth). The data plane it builds is asserted live (test/live/calico.test.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
let plugin: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'podlab-calico-plugin-'));
  plugin = join(dir, 'calico');
  execFileSync('cc', ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-o', plugin, join(__dirname, '../../src/cni/calico/plugin.c')]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fake IPAM plugin: appends its CNI_COMMAND to `calls`, prints `stdout`, exits with `code`. */
function fakeIpam(name: string, stdout: string, code: number): string {
  const bin = join(dir, 'ipam', name);
  execFileSync('mkdir', ['-p', join(dir, 'ipam')]);
  writeFileSync(bin, `#!/bin/sh\necho "$CNI_COMMAND" >> '${join(dir, `${name}.calls`)}'\ncat > /dev/null\nprintf '%s' '${stdout}'\nexit ${code}\n`);
  chmodSync(bin, 0o755);
  return name;
}

function call(command: string, conf: unknown, extra: Record<string, string> = {}) {
  const r = spawnSync(plugin, [], {
    input: typeof conf === 'string' ? conf : JSON.stringify(conf),
    encoding: 'utf8',
    env: { PATH: process.env.PATH, CNI_COMMAND: command, CNI_CONTAINERID: 'c1', CNI_NETNS: '/nonexistent', CNI_IFNAME: 'eth0', CNI_PATH: `/nonexistent:${join(dir, 'ipam')}`, ...extra },
  });
  return { status: r.status, out: r.stdout ? (JSON.parse(r.stdout) as Record<string, unknown>) : undefined };
}

const conf = (ipam: string, v = '1.0.0') => ({ cniVersion: v, name: 'podlab-x', type: 'calico', mtu: 1500, ipam: { type: ipam, ranges: [[{ subnet: '10.244.0.0/26' }]] } });

describe("podlab's calico CNI plugin, the protocol", () => {
  it('VERSION lists the CNI versions it speaks', () => {
    const r = call('VERSION', '');
    expect(r.status).toBe(0);
    expect(r.out).toEqual({ cniVersion: '1.0.0', supportedVersions: ['0.3.1', '0.4.0', '1.0.0'] });
  });

  it('refuses, as error JSON with the spec code and exit 1: an old version, no IPAM, an IPAM plugin not in CNI_PATH, an unknown command, no JSON', () => {
    expect(call('ADD', conf('host-local', '0.2.0'))).toMatchObject({ status: 1, out: { code: 1, msg: 'incompatible CNI version' } });
    expect(call('ADD', { cniVersion: '1.0.0', name: 'x', type: 'calico' })).toMatchObject({ status: 1, out: { code: 7, msg: 'no IPAM plugin in the network configuration' } });
    const missing = call('ADD', conf('no-such-ipam'));
    expect(missing).toMatchObject({ status: 1, out: { code: 5, msg: 'IPAM plugin not found' } });
    expect(String(missing.out!.details)).toContain('no-such-ipam');
    fakeIpam('ok', '{}', 0);
    expect(call('FROB', conf('ok'))).toMatchObject({ status: 1, out: { code: 4, msg: 'unknown CNI_COMMAND' } });
    expect(call('ADD', '{"cniVersion": ')).toMatchObject({ status: 1, out: { code: 6 } });
  });

  it("passes on the IPAM plugin's own error, with its code and the configuration's version", () => {
    fakeIpam('full', '{"cniVersion":"0.4.0","code":11,"msg":"no IP addresses available in range set","details":"10.244.0.0-10.244.0.63"}', 1);
    const r = call('ADD', conf('full', '0.4.0'));
    expect(r).toMatchObject({ status: 1, out: { cniVersion: '0.4.0', code: 11, msg: 'IPAM ADD: no IP addresses available in range set', details: '10.244.0.0-10.244.0.63' } });
  });

  it('an ADD that cannot use what IPAM gave releases it again (IPAM DEL), and builds nothing', () => {
    // No address of either family (an IPv6 one alone is an IPv6-only pod, built).
    fakeIpam('none', '{"cniVersion":"1.0.0","ips":[]}', 0);
    const r = call('ADD', conf('none'));
    expect(r).toMatchObject({ status: 1, out: { code: 11, msg: 'IPAM returned no address' } });
    expect(readFileSync(join(dir, 'none.calls'), 'utf8').split('\n').filter(Boolean)).toEqual(['ADD', 'DEL']);
  });

  it('DEL delegates to IPAM and succeeds; its failure is reported', () => {
    fakeIpam('del-ok', '', 0);
    expect(call('DEL', conf('del-ok')).status).toBe(0);
    expect(readFileSync(join(dir, 'del-ok.calls'), 'utf8').trim()).toBe('DEL');
    fakeIpam('del-bad', '{"code":7,"msg":"bad range"}', 1);
    expect(call('DEL', conf('del-bad'))).toMatchObject({ status: 1, out: { code: 7, msg: 'IPAM DEL: bad range' } });
  });
});
