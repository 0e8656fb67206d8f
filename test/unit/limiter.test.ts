import { describe, expect, it } from 'vitest';
import { limiter } from '../../src/runtime/exec.ts';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('limiter', () => {
  it('runs at most `limit` at once, in the order given, and settles each call with its own result', async () => {
    const slot = limiter(3);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const calls = Array.from({ length: 20 }, (_, i) =>
      slot(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        for (let k = 0; k < (i % 4) + 1; k++) await tick();
        running--;
        if (i === 7) throw new Error('seven');
        return i * 10;
      }),
    );
    const results = await Promise.allSettled(calls);
    expect(most).toBe(3);
    expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(Array.from({ length: 20 }, (_, i) => (i === 7 ? 'seven' : i * 10)));
  });
});
