/**
 * The lab's mutex (src/runtime/mutex.ts): one writer at a time, and a change made under it that
 * calls another that takes it (a scenario's set-deployment-env writing the Deployment as kubectl
 * would) runs at once instead of waiting for itself. No root: the state lives in a temporary
 * directory.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';

const root = vi.hoisted(() => {
  // The state root is read when constants.ts is first imported: set it before any import.
  const { mkdtempSync } = require('node:fs') as typeof import('node:fs');
  const dir = mkdtempSync(`${require('node:os').tmpdir()}/podlab-mutex-`);
  process.env.PODLAB_STATE_ROOT = dir;
  return dir;
});

import { withLabMutex } from '../../src/runtime/mutex.ts';

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('withLabMutex', () => {
  it('is taken again at once by the chain that holds it; another chain waits its turn', async () => {
    mkdirSync(`${root}/lab-a`);
    const order: string[] = [];
    const nested = withLabMutex('lab-a', async () => {
      order.push('outer in');
      // Re-entered within this chain: no wait (it would otherwise wait the whole 1 s timeout for itself).
      const t = Date.now();
      await withLabMutex('lab-a', async () => order.push('inner'), 1000);
      order.push(Date.now() - t < 500 ? 'inner at once' : 'inner waited');
      await new Promise((r) => setTimeout(r, 50));
      order.push('outer out');
    });
    // Another chain started meanwhile waits until the first lets go.
    await new Promise((r) => setTimeout(r, 10));
    const other = withLabMutex('lab-a', async () => order.push('other'));
    await Promise.all([nested, other]);
    expect(order).toEqual(['outer in', 'inner', 'inner at once', 'outer out', 'other']);
  });
});
