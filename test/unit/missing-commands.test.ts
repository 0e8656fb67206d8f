import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingCommands } from '../../src/runtime/preflight.ts';

const pod = (argvs: string[][], env: Record<string, string> = {}) => ({ namespace: 'default', name: 'a', containers: argvs.map((argv, i) => ({ name: `c${i}`, argv, env })) });

describe("up's PL3160: a container command that is not on this host", () => {
  it('warns for an absolute path that is not an executable and a name on no PATH directory; never for podlab\'s own programs', () => {
    const plain = join(mkdtempSync(join(tmpdir(), 'podlab-cmd-')), 'not-executable');
    writeFileSync(plain, 'data\n', { mode: 0o644 });
    const w = missingCommands([pod([['/nonexistent/prog'], ['nosuchprogram-podlab', '-v'], ['sh', '-c', 'true'], ['/bin/sh'], ['@workload', 'http-echo', '--port', '80'], ['@dns'], [plain]])]);
    expect(w.map((d) => [d.code, d.severity, /container (c\d)/.exec(d.message)![1]])).toEqual([
      ['PL3160', 'warning', 'c0'],
      ['PL3160', 'warning', 'c1'],
      ['PL3160', 'warning', 'c6'], // a file, but not executable
    ]);
  });
  it("looks on the container's own PATH when it sets one", () => {
    expect(missingCommands([pod([['sh']], { PATH: '/nonexistent' })])).toHaveLength(1);
    expect(missingCommands([pod([['sh']], { PATH: '/nonexistent:/bin' })])).toHaveLength(0);
  });
});
