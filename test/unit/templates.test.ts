/**
 * Each handlebars template's compiled JavaScript is kept in the build folder, and a later process
 * renders from it without compiling the template again (src/lib/templates.ts). Each case runs in a
 * child process of its own with a build folder of its own (PODLAB_BUILD_DIR), so that no other test
 * renders from what these cases write.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'templates-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** resolv.conf rendered by a new process whose build folder is `build`. */
async function renderResolvConf(build: string): Promise<string> {
  const script = `import { template } from ${JSON.stringify(join(REPO, 'src/lib/templates.ts'))}; process.stdout.write(template('resolv.conf')({ banner: 'test', nameservers: ['10.96.0.10'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] }));`;
  const r = await execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO, env: { PODLAB_BUILD_DIR: build } });
  return r.stdout;
}

describe('a template compiled once', () => {
  it('is kept as JavaScript that the next process renders from, and renders the same', async () => {
    const build = join(dir, 'build');
    const first = await renderResolvConf(build);
    expect(first).toContain('nameserver 10.96.0.10');
    const kept = readdirSync(join(build, 'templates'));
    expect(kept).toEqual([expect.stringMatching(/^resolv\.conf-[0-9a-f]{24}\.cjs$/)]);
    const file = join(build, 'templates', kept[0]!);
    expect(readFileSync(file, 'utf8')).toContain('module.exports = {');
    expect(await renderResolvConf(build)).toBe(first);
    // The next process loads that file: what it holds is what renders.
    writeFileSync(file, "module.exports = { compiler: [8, '>= 4.3.0'], main: function () { return 'from the kept file'; }, useData: true };\n");
    expect(await renderResolvConf(build)).toBe('from the kept file');
  }, 60_000);

  it('renders all the same where the build folder cannot be written', async () => {
    expect(await renderResolvConf('/dev/null/build')).toContain('nameserver 10.96.0.10');
  }, 60_000);
});
