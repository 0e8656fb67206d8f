/**
 * podlab installed as a user installs it: `npm pack`, then `npm install -g --prefix <tmp>` of the
 * tarball, and the `podlab` it gives run from a folder outside the checkout on a lab that does
 * `import { defineLab } from 'podlab'`: first validate as an unprivileged user, for whom the
 * installed package is read-only, so that the CLI bundle is built in that user's cache; then, as
 * root, up --check (with a lab-name prefix), validate (type check included), down. Finally uninstalled.
 * npm resolves the dependencies from its local cache where it can (--prefer-offline).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { down } from '../../src/runtime/down.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { labNamespacesOnHost } from '../../src/runtime/down.ts';
import { liveGuard } from './host.ts';

const live = liveGuard();
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NOBODY = 65534;

describe.runIf(live)('installed from npm pack (live)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'spd-install-'));
  chmodSync(tmp, 0o755);
  const prefix = join(tmp, 'prefix');
  const work = join(tmp, 'course');
  const bin = join(prefix, 'bin', 'podlab');
  const lab = 'spd-installed';
  const run = (args: string[], env: Record<string, string> = {}, uid?: number) =>
    spawnSync(bin, args, { cwd: work, encoding: 'utf8', timeout: 180_000, env: { ...process.env, PODLAB_PREFIX: '', ...env }, ...(uid !== undefined ? { uid, gid: uid } : {}) });

  afterAll(async () => {
    await down(`me-${lab}`, realExecutor).catch(() => {});
    spawnSync('npm', ['uninstall', '-g', '--prefix', prefix, 'podlab'], { encoding: 'utf8', timeout: 120_000 });
    rmSync(tmp, { recursive: true, force: true });
  }, 180_000);

  it('packs, installs into a temporary prefix, and runs a lab from another folder', async () => {
    const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', tmp], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 }).trim().split('\n').at(-1)!;
    const tarball = join(tmp, packed);
    expect(existsSync(tarball)).toBe(true);
    const inst = spawnSync('npm', ['install', '-g', '--prefer-offline', '--no-audit', '--no-fund', '--prefix', prefix, tarball], { encoding: 'utf8', timeout: 300_000 });
    expect(inst.status, inst.stderr).toBe(0);
    expect(existsSync(bin)).toBe(true);
    // The package is the published files only: no tests, no build output of this checkout.
    const pkg = join(prefix, 'lib', 'node_modules', 'podlab');
    expect(readdirSync(pkg)).not.toContain('test');
    expect(existsSync(join(pkg, 'build'))).toBe(false);

    execFileSync('mkdir', ['-p', work]);
    chmodSync(work, 0o777);
    writeFileSync(
      join(work, 'web.lab.ts'),
      `import { container, defineLab, workloads } from 'podlab';
export default defineLab({
  name: '${lab}',
  nodes: { w1: {}, w2: {} },
  pods: {
    a: { node: 'w1', containers: [container(workloads.httpEcho())] },
    b: { node: 'w2', containers: [container(workloads.httpEcho())] },
  },
  checks: [{ kind: 'http', from: 'a', to: 'b', port: 8080, expectPod: 'b' }],
});
`,
    );

    // A user who cannot write the package: the CLI bundle is built in that user's cache.
    const cache = join(tmp, 'nobody-cache');
    execFileSync('mkdir', ['-p', cache]);
    execFileSync('chown', [`${NOBODY}:${NOBODY}`, cache]);
    const asNobody = run(['validate', 'web.lab.ts', '--no-typecheck'], { XDG_CACHE_HOME: cache, HOME: cache }, NOBODY);
    expect(asNobody.status, asNobody.stderr).toBe(0);
    expect(asNobody.stderr).toContain(`lab "${lab}" is valid`);
    const cli = join(cache, 'podlab', 'cli');
    expect(readdirSync(join(cli, readdirSync(cli)[0]!))).toContain('podlab.cjs');
    expect(existsSync(join(pkg, 'build'))).toBe(false);

    // up --check under a lab-name prefix: the lab is built as me-spd-installed.
    const up = run(['up', 'web.lab.ts', '--check', '--prefix', 'me-']);
    expect(up.status, up.stderr + up.stdout).toBe(0);
    expect(up.stderr).toContain(`me-${lab} is up`);
    expect(up.stdout).toContain('1 passed');
    expect(labNamespacesOnHost(`me-${lab}`).length).toBeGreaterThan(0);
    expect(labNamespacesOnHost(lab)).toEqual([]);

    const v = run(['validate', 'web.lab.ts']);
    expect(v.status, v.stderr).toBe(0);
    expect(v.stderr).toContain(`lab "${lab}" is valid`);

    const d = run(['down', lab], { PODLAB_PREFIX: 'me-' });
    expect(d.status, d.stderr).toBe(0);
    expect(labNamespacesOnHost(`me-${lab}`)).toEqual([]);
  }, 900_000);

});
