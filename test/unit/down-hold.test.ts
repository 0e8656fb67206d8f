/**
 * `down` holds the lab's namespaces open until it is done (so the kernel frees them in one batch;
 * the live test is in test/live/lifecycle.test.ts), but never so many that the programs it runs
 * find no file descriptor left: at most the soft limit on open files less 256.
 */
import { describe, expect, it } from 'vitest';
import { holdableDescriptors } from '../../src/runtime/down.ts';

const limits = (soft: string, hard: string) => `Limit                     Soft Limit           Hard Limit           Units     \nMax cpu time              unlimited            unlimited            seconds   \nMax open files            ${soft.padEnd(20)} ${hard.padEnd(20)} files     \nMax locked memory         8388608              8388608              bytes     \n`;

describe('how many namespaces down holds open', () => {
  it('the soft limit on open files less 256, none under 256', () => {
    expect(holdableDescriptors(limits('1024', '524288'))).toBe(768);
    expect(holdableDescriptors(limits('20000', '20000'))).toBe(19744);
    expect(holdableDescriptors(limits('200', '4096'))).toBe(0);
  });

  it('all of them without a limit, and 512 when the limits cannot be read', () => {
    expect(holdableDescriptors(limits('unlimited', 'unlimited'))).toBe(Infinity);
    expect(holdableDescriptors('')).toBe(512);
  });
});
