/**
 * Live-test support for the tests of a lab's rendered up.sh and down.sh, run by hand as the README
 * says: as root, from the repository root, their output to a file as a learner's terminal would
 * hold it. The lab is an example of labs/ under a name of the test's own, rendered by `podlab
 * render -o` into a folder of test/live/.tmp, outside generated/.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, expect } from 'vitest';
import { labAroundSuite } from './host.ts';

const REPO = new URL('../../', import.meta.url).pathname;

/** `sh <script> > <log> 2>&1` from the repository root. */
const runScript = (script: string, log: string, timeout: number) => execa('sh', ['-c', `sh ${script} > ${log} 2>&1`], { cwd: REPO, reject: false, timeout });

export interface RenderedLab {
  /** The test's folder: the lab file, `out/` (what `render -o` wrote) and the scripts' logs. */
  dir: string;
  /** The rendered up.sh, as text. */
  upSh(): string;
  /** Runs up.sh, its output to `<dir>/up.log`. */
  runUp(): ReturnType<typeof runScript>;
  /** Runs down.sh, its output to `<dir>/down.log`. */
  runDown(): ReturnType<typeof runScript>;
}

/**
 * Around a describe block: `labs/<example>.lab.ts` renamed `lab`, rendered into
 * test/live/.tmp/<folder>/out before the tests, and with `runUp` brought up by its up.sh (which
 * must exit 0). After them: down.sh, then labAroundSuite's `down` for whatever that left and its
 * checks of the host, then the folder removed.
 */
export function renderedLabAroundSuite(example: string, lab: string, folder: string, opts: { runUp?: boolean } = {}): RenderedLab {
  const dir = join(REPO, 'test/live/.tmp', folder);
  const script = (name: 'up.sh' | 'down.sh') => join(dir, 'out', lab, name);
  const rendered: RenderedLab = {
    dir,
    upSh: () => readFileSync(script('up.sh'), 'utf8'),
    runUp: () => runScript(script('up.sh'), join(dir, 'up.log'), 120_000),
    runDown: () => runScript(script('down.sh'), join(dir, 'down.log'), 60_000),
  };
  // vitest runs afterAll hooks last-registered first: this one after labAroundSuite's `down`.
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  labAroundSuite({
    name: lab,
    up: async () => {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${lab}.lab.ts`);
      writeFileSync(file, readFileSync(join(REPO, `labs/${example}.lab.ts`), 'utf8').replace(`name: '${example}'`, `name: '${lab}'`));
      const r = await execa('node', ['bin/podlab.js', 'render', '-o', join(dir, 'out'), file], { cwd: REPO, reject: false });
      expect(r.exitCode, r.stderr).toBe(0);
      if (!opts.runUp) return;
      const up = await rendered.runUp();
      expect(up.exitCode, readFileSync(join(dir, 'up.log'), 'utf8')).toBe(0);
    },
  });
  // And this one before it.
  afterAll(() => runScript(script('down.sh'), '/dev/null', 60_000), 60_000);
  return rendered;
}
