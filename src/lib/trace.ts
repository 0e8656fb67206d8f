/**
 * PODLAB_TRACE=1: a timeline of what a command spent its wall time on, printed to stderr when the
 * process exits. Each span is a phase of podlab's own (compile, preflight, a step of `up`) or a
 * program it ran or started (through the Executor), with its start and length in ms since the
 * process started (Node's own start-up is the first span's offset). Without the variable every
 * call is a no-op costing one property read, so phases can stay traced in production code.
 */

interface Span {
  label: string;
  start: number;
  end?: number;
}

const spans: Span[] = [];
let installed = false;

/** Whether PODLAB_TRACE is set (read each time: tests and benches set it after import). */
export function tracing(): boolean {
  return !!process.env.PODLAB_TRACE && process.env.PODLAB_TRACE !== '0';
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', () => process.stderr.write(traceReport()));
}

/** Opens a span; call the returned function when it ends. */
export function span(label: string): () => void {
  if (!tracing()) return noop;
  install();
  const s: Span = { label, start: performance.now() };
  spans.push(s);
  return () => {
    s.end ??= performance.now();
  };
}

/** A point in time worth seeing on the timeline (a span of length zero). */
export function mark(label: string): void {
  span(label)();
}

/** Runs `fn` as one span. */
export async function traced<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const done = span(label);
  try {
    return await fn();
  } finally {
    done();
  }
}

/** The timeline so far, oldest first: `start +length label`, in ms since the process started. */
export function traceReport(): string {
  if (!spans.length) return '';
  // bin/podlab.js's own phases, before any of this was loaded.
  const boot = ((globalThis as Record<symbol, unknown>)[Symbol.for('podlab.bootSpans')] ?? []) as [string, number, number][];
  const rows = [...boot.map(([label, start, end]) => ({ label, start, end })), ...spans].sort((a, b) => a.start - b.start);
  const lines = rows.map((s) => `${s.start.toFixed(1).padStart(8)} ${s.end === undefined ? '   (open)' : `+${(s.end - s.start).toFixed(1).padStart(7)}`}  ${s.label}`);
  return `podlab trace (ms since the process started; pid ${process.pid}):\n${lines.join('\n')}\n`;
}

/** The spans recorded so far, for tests and benches. */
export function traceSpans(): readonly Readonly<Span>[] {
  return spans;
}

function noop(): void {}
