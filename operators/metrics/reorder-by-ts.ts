import { defer, map, type OperatorFunction } from 'rxjs';
import type { Batch } from '../../pipeline/core/batch.js';
import type { Row } from '../../pipeline/core/row.js';
import { seeded } from '../fold.js';

/**
 * Reorders rows into stable ts order within `maxLatenessMs` (SPEC §2), so order-sensitive
 * operators (clusters, the egress allowance) see what sorted input gives. A row is released
 * once no row that is not late can still precede it; a row arriving behind the release
 * threshold is late: counted, and passed on at once in arrival order. Holds only the rows
 * inside the lateness window.
 * Time never releases rows: only newer rows or the end of input do, so the order (and every
 * output) never depends on when lines were read. Follow mode shows pending rows by taking a
 * copy of the state through `end` at each tick (pipeline/session.ts).
 */
export interface ReorderState {
  pending: Row[];
  /** `pending` is in ts order (kept as rows arrive, so a release never scans to find out). */
  sorted: boolean;
  /** Newest ts seen. */
  maxTs: number;
  /** Rows with ts below this have been released; a row below it is late. */
  threshold: number;
  late: number;
}

export const initReorder = (): ReorderState => ({
  pending: [],
  sorted: true,
  maxTs: -Infinity,
  threshold: -Infinity,
  late: 0,
});

const byTs = (a: Row, b: Row): number => a.t - b.t;

function releaseBelow(s: ReorderState, limit: number, out: Row[]): void {
  const p = s.pending;
  if (p.length === 0) return;
  if (!s.sorted) {
    p.sort(byTs); // stable: equal ts keep arrival order
    s.sorted = true;
  }
  let n = 0;
  while (n < s.pending.length && s.pending[n]!.t < limit) n++;
  if (n === 0) return;
  for (let i = 0; i < n; i++) out.push(s.pending[i]!);
  s.pending = n === s.pending.length ? [] : s.pending.slice(n);
}

/** Folds one batch; returns the rows it releases, in order. */
export function foldReorder(s: ReorderState, b: Batch, maxLatenessMs: number): Row[] {
  const out: Row[] = [];
  const rows = b.rows;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r.t < s.threshold) {
      // Late: everything due before it goes first, then it, in arrival order.
      releaseBelow(s, s.threshold, out);
      s.late++;
      out.push(r);
      continue;
    }
    const p = s.pending;
    if (s.sorted && p.length > 0 && r.t < p[p.length - 1]!.t) s.sorted = false;
    p.push(r);
    if (r.t > s.maxTs) {
      s.maxTs = r.t;
      const next = r.t - maxLatenessMs;
      if (next > s.threshold) s.threshold = next;
    }
  }
  if (b.end) {
    releaseBelow(s, Infinity, out);
    if (s.maxTs > s.threshold) s.threshold = s.maxTs;
  } else {
    releaseBelow(s, s.threshold, out);
  }
  return out;
}

/** A batch of released rows, with the reorder state that released them. */
export type ReorderedBatch = Batch & { readonly reorder: ReorderState };

export function reorderByTs(maxLatenessMs: number, seed?: ReorderState): OperatorFunction<Batch, ReorderedBatch> {
  return (source) =>
    defer(() => {
      const state = seeded(seed, initReorder)();
      return source.pipe(
        map((b): ReorderedBatch => ({
          rows: foldReorder(state, b, maxLatenessMs),
          nowFloor: b.nowFloor,
          now: b.now,
          end: b.end,
          clock: b.clock,
          tenantsAhead: b.tenantsAhead,
          reorder: state,
        })),
      );
    });
}
