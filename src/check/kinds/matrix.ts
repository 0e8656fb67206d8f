/**
 * The matrix kind: every source in `from` tries every target in `to` with one probe kind (ping,
 * tcp, udp or http); each cell is an ordinary check of that kind, run like any other, and the
 * matrix passes when every cell does. The report shows the grid.
 */
import { diag } from '../../compile/diagnostics.ts';
import type { GridKind, Stage } from './kind.ts';
import { http, type HttpCheck } from './http.ts';
import { ping, type PingCheck } from './ping.ts';
import type { ReachKindName } from './reach.ts';
import { tcp, type TcpCheck } from './tcp.ts';
import { udp, type UdpCheck } from './udp.ts';
import type { Check, Expect, SpecOf } from './kind.ts';

/** A cell: an ordinary check of the matrix's probe kind (its `at` is the matrix's, `cell` its row and column). */
export type CellCheck<S extends Stage> = PingCheck<S> | TcpCheck<S> | UdpCheck<S> | HttpCheck<S>;

export type MatrixCheck<S extends Stage> = Check<
  S,
  'matrix',
  {
    /** The grid, each cell an ordinary check (row-major: cells[row * cols.length + col]); `expect` as written (lab only, for its rule). */
    matrix: { probe: ReachKindName; rows: string[]; cols: string[]; cells: CellCheck<S>[] } & (S extends 'lab' ? { expect?: Expect | Expect[][] } : {});
  }
>;

const DEFAULT_CELL_TIMEOUT_MS = 3000;

export const matrix: GridKind<'matrix', MatrixCheck<'lab'>, MatrixCheck<'plan'>, CellCheck<'plan'>> = {
  kind: 'matrix',
  normalize(c, index, at) {
    const anyService = c.to.some((t) => t.startsWith('svc/') || t.startsWith('lb/'));
    const probe = c.probe ?? (c.port !== undefined || anyService ? 'tcp' : 'ping');
    const expectOf = (r: number, k: number) => (Array.isArray(c.expect) ? (c.expect[r]?.[k] ?? 'reach') : (c.expect ?? 'reach'));
    const cells = c.from.flatMap((from, r) =>
      c.to.map((written, k): CellCheck<'lab'> => {
        // A target may carry its own port: `web-1:8080`, `node/worker-1:30080`.
        const m = /^(.*):(\d{1,5})$/.exec(written);
        const [to, port] = m ? [m[1]!, Number(m[2])] : [written, c.port];
        const cell = { from, to, expect: expectOf(r, k), timeoutMs: c.timeoutMs ?? DEFAULT_CELL_TIMEOUT_MS };
        return { ...normalizeCell(probe, cell, port, index, at), cell: { row: r, col: k } };
      }),
    );
    return {
      index,
      at,
      kind: 'matrix',
      timeoutMs: c.timeoutMs ?? DEFAULT_CELL_TIMEOUT_MS,
      matrix: { probe, rows: c.from, cols: c.to, cells, expect: c.expect },
      name: c.name ?? `${probe} matrix: ${c.from.length} source${c.from.length === 1 ? '' : 's'} × ${c.to.length} target${c.to.length === 1 ? '' : 's'}`,
    };
  },
  /**
   * The expect grid has a row per source and a column per target. (The cells are validated as the
   * ordinary checks they are, with every other check; the registry's allChecks lists them.)
   */
  validate(_lab, c, out) {
    const m = c.matrix;
    if (!Array.isArray(m.expect)) return;
    if (m.expect.length !== m.rows.length)
      out.push(diag('PL2014', [...c.at, 'expect'], `matrix "${c.name}" has ${m.rows.length} source(s) but ${m.expect.length} row(s) in expect`, 'Write one row per entry of from, in the same order.'));
    m.expect.forEach((row, r) => {
      if (row.length !== m.cols.length)
        out.push(diag('PL2014', [...c.at, 'expect', r], `matrix "${c.name}": row ${r} (${m.rows[r] ?? '?'}) has ${row.length} entr${row.length === 1 ? 'y' : 'ies'} for ${m.cols.length} target(s)`, `One entry per target: ${m.cols.join(', ')}.`));
    });
  },
  plan: (c, peers) => ({
    index: c.index,
    name: c.name,
    kind: 'matrix',
    timeoutMs: c.timeoutMs,
    matrix: {
      probe: c.matrix.probe,
      rows: c.matrix.rows,
      cols: c.matrix.cols,
      cells: c.matrix.cells.map((cell): CellCheck<'plan'> => {
        switch (cell.kind) {
          case 'ping':
            return ping.plan(cell, peers);
          case 'tcp':
            return tcp.plan(cell, peers);
          case 'udp':
            return udp.plan(cell, peers);
          case 'http':
            return http.plan(cell, peers);
        }
      }),
    },
  }),
  grid: (c) => c.matrix,
  judge(c, outcomes) {
    const cells = c.matrix.cells;
    const failed = outcomes.filter((o) => o.status === 'fail');
    const reaches = cells.filter((x) => x.expect === 'reach').length;
    return {
      ok: failed.length === 0,
      expected: `${reaches} of ${cells.length} cells reach, ${cells.length - reaches} do not`,
      seen: failed.length ? `${failed.length} cell(s) differ: ${failed.map((o) => o.name).join('; ')}` : 'every cell as expected',
    };
  },
};

/** A cell as the check of its probe kind the author could have written. */
function normalizeCell(probe: ReachKindName, cell: { from: string; to: string; expect: Expect; timeoutMs: number }, port: number | undefined, index: number, at: (string | number)[]): CellCheck<'lab'> {
  switch (probe) {
    case 'ping':
      return ping.normalize({ kind: 'ping', ...cell } satisfies SpecOf<'ping'>, index, at);
    case 'tcp':
      return tcp.normalize({ kind: 'tcp', ...cell, port } satisfies SpecOf<'tcp'>, index, at);
    case 'udp':
      return udp.normalize({ kind: 'udp', ...cell, port } satisfies SpecOf<'udp'>, index, at);
    case 'http':
      return http.normalize({ kind: 'http', ...cell, port } satisfies SpecOf<'http'>, index, at);
  }
}
