/** PODLAB_TRACE's timeline (src/lib/trace.ts): spans recorded only when asked, printed oldest first with their lengths. */
import { afterEach, describe, expect, it } from 'vitest';
import { mark, span, traced, traceReport, traceSpans } from '../../src/lib/trace.ts';

describe('PODLAB_TRACE timeline', () => {
  afterEach(() => {
    delete process.env.PODLAB_TRACE;
  });

  it('records nothing unless PODLAB_TRACE is set', async () => {
    const before = traceSpans().length;
    await traced('quiet', async () => 1);
    mark('quiet mark');
    expect(traceSpans().length).toBe(before);
  });

  it('prints each span with its start and length, oldest first, open spans marked', async () => {
    process.env.PODLAB_TRACE = '1';
    const open = span('still running');
    const v = await traced('a phase', () => new Promise<number>((r) => setTimeout(() => r(7), 20)));
    expect(v).toBe(7);
    mark('after the phase');
    const lines = traceReport().split('\n');
    const phase = lines.find((l) => l.endsWith('a phase'))!;
    const length = Number(/\+\s*([\d.]+)/.exec(phase)![1]);
    expect(length).toBeGreaterThanOrEqual(15);
    expect(lines.findIndex((l) => l.endsWith('still running'))).toBeLessThan(lines.findIndex((l) => l.endsWith('a phase')));
    expect(lines.findIndex((l) => l.endsWith('a phase'))).toBeLessThan(lines.findIndex((l) => l.endsWith('after the phase')));
    expect(lines.find((l) => l.endsWith('still running'))).toContain('(open)');
    open();
    expect(traceReport().split('\n').find((l) => l.endsWith('still running'))).not.toContain('(open)');
  });

  it('a span that throws is closed and the error passes through', async () => {
    process.env.PODLAB_TRACE = '1';
    await expect(traced('failing', async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(traceReport().split('\n').find((l) => l.endsWith('failing'))).not.toContain('(open)');
  });
});
