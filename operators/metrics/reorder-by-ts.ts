import { defer, map, type OperatorFunction } from 'rxjs';
import type { Batch } from '../../pipeline/core/batch.js';
import { batchOf, EMPTY_BATCH, gatherFrom, rowAt, type RowBatch } from '../../pipeline/core/columns.js';
import type { Row } from '../../pipeline/core/row.js';
import { seeded } from '../fold.js';

/**
 * Reorders rows into stable ts order within `maxLatenessMs` (SPEC §2), so order-sensitive
 * operators (clusters, the egress allowance) see what sorted input gives. A row is released
 * once no row that is not late can still precede it; a row arriving behind the release
 * threshold is late: counted, and passed on at once in arrival order. Holds only the rows
 * inside the lateness window: the batches they arrived in are kept (columns, no row records)
 * until none of their rows is pending.
 * Time never releases rows: only newer rows or the end of input do, so the order (and every
 * output) never depends on when lines were read. Follow mode shows pending rows by taking a
 * copy of the state through `end` at each tick (pipeline/engine/session.ts).
 */
export interface ReorderState {
  /** Batches with pending rows; segment k is `segments[k - base]` (null once none is pending). */
  segments: (RowBatch | null)[];
  base: number;
  /** Per segment (same indexing): how many of its rows are pending. */
  live: number[];
  /** Pending rows (segment, row index, ts), in arrival order, or in ts order once `sorted`. */
  seg: number[];
  idx: number[];
  ts: number[];
  /** The pending rows are in ts order (kept as rows arrive, so a release never scans to find out). */
  sorted: boolean;
  /** Newest ts seen. */
  maxTs: number;
  /** Rows with ts below this have been released; a row below it is late. */
  threshold: number;
  late: number;
}

export const initReorder = (): ReorderState => ({
  segments: [],
  base: 0,
  live: [],
  seg: [],
  idx: [],
  ts: [],
  sorted: true,
  maxTs: -Infinity,
  threshold: -Infinity,
  late: 0,
});

/** Sorts the pending rows by ts, stably: equal ts keep arrival order. */
function sortPending(s: ReorderState): void {
  const n = s.ts.length;
  const order = new Array<number>(n);
  for (let k = 0; k < n; k++) order[k] = k;
  const ts = s.ts;
  order.sort((a, b) => ts[a]! - ts[b]! || a - b);
  s.seg = order.map((k) => s.seg[k]!);
  s.idx = order.map((k) => s.idx[k]!);
  s.ts = order.map((k) => ts[k]!);
  s.sorted = true;
}

/** Moves the pending rows with ts < limit (a prefix, once sorted) into `out`. */
function releaseBelow(s: ReorderState, limit: number, out: Picks): void {
  const n0 = s.ts.length;
  if (n0 === 0) return;
  if (!s.sorted) sortPending(s);
  let n = 0;
  while (n < n0 && s.ts[n]! < limit) n++;
  if (n === 0) return;
  for (let k = 0; k < n; k++) {
    const seg = s.seg[k]!;
    out.take(s.segments[seg - s.base]!, s.idx[k]!);
    s.live[seg - s.base]!--;
  }
  if (n === n0) {
    s.seg = [];
    s.idx = [];
    s.ts = [];
  } else {
    s.seg = s.seg.slice(n);
    s.idx = s.idx.slice(n);
    s.ts = s.ts.slice(n);
  }
  for (let k = 0; k < s.live.length; k++) if (s.live[k] === 0) s.segments[k] = null;
  let dead = 0;
  while (dead < s.segments.length && s.segments[dead] === null) dead++;
  if (dead > 0) {
    s.segments = s.segments.slice(dead);
    s.live = s.live.slice(dead);
    s.base += dead;
  }
}

/** Released rows, in order, as (batch, row) picks gathered into one batch at the end. */
class Picks {
  readonly sources: RowBatch[] = [];
  readonly which: number[] = [];
  readonly index: number[] = [];

  take(b: RowBatch, i: number): void {
    let w = this.sources.length - 1;
    if (w < 0 || this.sources[w] !== b) {
      w = this.sources.indexOf(b);
      if (w < 0) w = this.sources.push(b) - 1;
    }
    this.which.push(w);
    this.index.push(i);
  }

  batch(): RowBatch {
    const n = this.index.length;
    if (n === 0) return EMPTY_BATCH;
    const only = this.sources[0]!;
    if (this.sources.length === 1 && n === only.length) {
      let identity = true;
      for (let k = 0; k < n && identity; k++) identity = this.index[k] === k;
      if (identity) return only;
    }
    return gatherFrom(this.sources, this.which, this.index, n);
  }
}

/** Folds one batch; returns the rows it releases, in order. */
export function foldReorder(s: ReorderState, rows: RowBatch, end: boolean, maxLatenessMs: number): RowBatch {
  const out = new Picks();
  const n = rows.length;
  let segment = -1;
  const t = rows.t;
  for (let i = 0; i < n; i++) {
    const ti = t[i]!;
    if (ti < s.threshold) {
      // Late: everything due before it goes first, then it, in arrival order.
      releaseBelow(s, s.threshold, out);
      s.late++;
      out.take(rows, i);
      continue;
    }
    if (segment < 0) {
      segment = s.base + s.segments.length;
      s.segments.push(rows);
      s.live.push(0);
    }
    const last = s.ts.length - 1;
    if (s.sorted && last >= 0 && ti < s.ts[last]!) s.sorted = false;
    s.seg.push(segment);
    s.idx.push(i);
    s.ts.push(ti);
    s.live[segment - s.base]!++;
    if (ti > s.maxTs) {
      s.maxTs = ti;
      const next = ti - maxLatenessMs;
      if (next > s.threshold) s.threshold = next;
    }
  }
  if (end) {
    releaseBelow(s, Infinity, out);
    if (s.maxTs > s.threshold) s.threshold = s.maxTs;
  } else {
    releaseBelow(s, s.threshold, out);
  }
  return out.batch();
}

/** A batch of released rows, with the reorder state that released them. */
export type ReorderedBatch = Batch & { readonly reorder: ReorderState };

export function reorderByTs(maxLatenessMs: number, seed?: ReorderState): OperatorFunction<Batch, ReorderedBatch> {
  return (source) =>
    defer(() => {
      const state = seeded(seed, initReorder)();
      return source.pipe(
        map((b): ReorderedBatch => ({
          rows: foldReorder(state, b.rows, b.end, maxLatenessMs),
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

/** The reorder state as a checkpoint keeps it: pending rows as records, in their current order. */
export interface SavedReorder {
  pending: Row[];
  sorted: boolean;
  maxTs: number;
  threshold: number;
  late: number;
}

export function saveReorder(s: ReorderState): SavedReorder {
  const pending: Row[] = [];
  for (let k = 0; k < s.ts.length; k++) pending.push(rowAt(s.segments[s.seg[k]! - s.base]!, s.idx[k]!));
  return { pending, sorted: s.sorted, maxTs: s.maxTs, threshold: s.threshold, late: s.late };
}

export function restoreReorder(saved: SavedReorder): ReorderState {
  const s = { ...initReorder(), sorted: saved.sorted, maxTs: saved.maxTs, threshold: saved.threshold, late: saved.late };
  const n = saved.pending.length;
  if (n === 0) return s;
  s.segments = [batchOf(saved.pending)];
  s.live = [n];
  for (let k = 0; k < n; k++) {
    s.seg.push(0);
    s.idx.push(k);
    s.ts.push(saved.pending[k]!.t);
  }
  return s;
}
