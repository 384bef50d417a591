import { defer, map, type OperatorFunction } from 'rxjs';
import type { Batch } from '../../pipeline/core/batch.js';
import { batchOf, rowAt, RowRuns, type RowBatch } from '../../pipeline/core/columns.js';
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

/**
 * Among rows of equal ts, the rank of a row's file (by its name id): the file named earlier
 * goes first (a fleet's argument order), so that within the window the release is the stably
 * ts-sorted concatenation of the files; within a file, rows keep their arrival (line) order.
 */
export type FileRank = (fileId: number) => number;

/** One input, or files of equal rank: equal ts keep arrival order. */
export const ARRIVAL_ONLY: FileRank = () => 0;

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

/** The rank of pending row k's file. */
function pendingRank(s: ReorderState, k: number, rank: FileRank): number {
  return rank(s.segments[s.seg[k]! - s.base]!.file[s.idx[k]!]!);
}

/** Sorts the pending rows by ts, stably: equal ts by file rank, then arrival order. */
function sortPending(s: ReorderState, rank: FileRank): void {
  const n = s.ts.length;
  const order = new Array<number>(n);
  for (let k = 0; k < n; k++) order[k] = k;
  const ts = s.ts;
  order.sort((a, b) => ts[a]! - ts[b]! || pendingRank(s, a, rank) - pendingRank(s, b, rank) || a - b);
  s.seg = order.map((k) => s.seg[k]!);
  s.idx = order.map((k) => s.idx[k]!);
  s.ts = order.map((k) => ts[k]!);
  s.sorted = true;
}

/** Moves the pending rows with ts < limit (a prefix, once sorted) into `out`. */
function releaseBelow(s: ReorderState, limit: number, out: RowRuns, rank: FileRank): void {
  const n0 = s.ts.length;
  if (n0 === 0) return;
  if (!s.sorted) sortPending(s, rank);
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
  dropDeadSegments(s);
}

/** Segments none of whose rows is pending any more are let go. */
function dropDeadSegments(s: ReorderState): void {
  for (let k = 0; k < s.live.length; k++) if (s.live[k] === 0) s.segments[k] = null;
  let dead = 0;
  while (dead < s.segments.length && s.segments[dead] === null) dead++;
  if (dead > 0) {
    s.segments = s.segments.slice(dead);
    s.live = s.live.slice(dead);
    s.base += dead;
  }
}

/** Row indices of a batch in stable (ts, file rank) order; insertion sort, since a log is nearly in order. */
function tsOrder(b: RowBatch, rank: FileRank): Int32Array {
  const t = b.t;
  const n = t.length;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const ti = t[i]!;
    let j = i;
    while (j > 0 && (t[order[j - 1]!]! > ti || (t[order[j - 1]!]! === ti && rank(b.file[order[j - 1]!]!) > rank(b.file[i]!)))) {
      order[j] = order[j - 1]!;
      j--;
    }
    order[j] = i;
  }
  return order;
}

/**
 * The common case, without a per-row step for most rows: no row of the batch is late. Then
 * every row joins the pending ones, the threshold moves once, and the release is the stable
 * merge of the pending rows (sorted) and the batch (sorted by an insertion sort, as rows are
 * nearly in order) up to the threshold; only the rows left over are held one by one. Returns
 * null when a row is late (the row-by-row path decides where it goes).
 */
function foldWithoutLate(s: ReorderState, rows: RowBatch, end: boolean, maxLatenessMs: number, rank: FileRank): RowBatch | null {
  const n = rows.length;
  if (n === 0) return null;
  const t = rows.t;
  let threshold = s.threshold;
  let maxTs = s.maxTs;
  let inOrder = true;
  for (let i = 0; i < n; i++) {
    const ti = t[i]!;
    if (ti < threshold) return null;
    if (i > 0 && (ti < t[i - 1]! || (ti === t[i - 1]! && rank(rows.file[i]!) < rank(rows.file[i - 1]!)))) inOrder = false;
    if (ti > maxTs) {
      maxTs = ti;
      if (ti - maxLatenessMs > threshold) threshold = ti - maxLatenessMs;
    }
  }
  s.maxTs = maxTs;
  s.threshold = end && maxTs > threshold ? maxTs : threshold;
  const limit = end ? Infinity : threshold;
  if (!s.sorted) sortPending(s, rank);
  const order = inOrder ? null : tsOrder(rows, rank);
  /** Pending row p goes before batch row i: earlier ts, or equal ts and a file ranked no later (it arrived earlier). */
  const pendingFirst = (p: number, i: number): boolean => {
    const pt = s.ts[p]!;
    const bt = t[i]!;
    return pt < bt || (pt === bt && pendingRank(s, p, rank) <= rank(rows.file[i]!));
  };
  const out = new RowRuns();
  const held = s.ts.length;
  let p = 0;
  let q = 0;
  // The stable merge: on equal ts and rank a pending row goes first (it arrived earlier).
  for (;;) {
    const pt = p < held ? s.ts[p]! : Infinity;
    const i = q < n ? (order === null ? q : order[q]!) : -1;
    const bt = i >= 0 ? t[i]! : Infinity;
    if (p < held && (i < 0 || pendingFirst(p, i))) {
      if (pt >= limit) break;
      const seg = s.seg[p]!;
      out.take(s.segments[seg - s.base]!, s.idx[p]!);
      s.live[seg - s.base]!--;
      p++;
    } else {
      if (bt >= limit) break;
      out.take(rows, i);
      q++;
    }
  }
  if (q < n) {
    // The rest of the batch is held, merged into the rest of the pending rows.
    const segment = s.base + s.segments.length;
    s.segments.push(rows);
    s.live.push(n - q);
    const seg: number[] = [];
    const idx: number[] = [];
    const ts: number[] = [];
    while (p < held || q < n) {
      const i = q < n ? (order === null ? q : order[q]!) : -1;
      if (p < held && (i < 0 || pendingFirst(p, i))) {
        seg.push(s.seg[p]!);
        idx.push(s.idx[p]!);
        ts.push(s.ts[p]!);
        p++;
      } else {
        seg.push(segment);
        idx.push(i);
        ts.push(t[i]!);
        q++;
      }
    }
    s.seg = seg;
    s.idx = idx;
    s.ts = ts;
  } else if (p > 0) {
    s.seg = s.seg.slice(p);
    s.idx = s.idx.slice(p);
    s.ts = s.ts.slice(p);
  }
  dropDeadSegments(s);
  return out.batch();
}

/** Folds one batch; returns the rows it releases, in order. */
export function foldReorder(s: ReorderState, rows: RowBatch, end: boolean, maxLatenessMs: number, rank: FileRank = ARRIVAL_ONLY): RowBatch {
  return foldWithoutLate(s, rows, end, maxLatenessMs, rank) ?? foldEachRow(s, rows, end, maxLatenessMs, rank);
}

/** The reference path, row by row: any batch, late rows and disorder included. */
export function foldEachRow(s: ReorderState, rows: RowBatch, end: boolean, maxLatenessMs: number, rank: FileRank = ARRIVAL_ONLY): RowBatch {
  const out = new RowRuns();
  const n = rows.length;
  const t = rows.t;
  let segment = -1;
  for (let i = 0; i < n; i++) {
    const ti = t[i]!;
    if (ti < s.threshold) {
      // Late: everything due before it goes first, then it, in arrival order.
      releaseBelow(s, s.threshold, out, rank);
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
    if (s.sorted && last >= 0 && (ti < s.ts[last]! || (ti === s.ts[last]! && rank(rows.file[i]!) < pendingRank(s, last, rank)))) s.sorted = false;
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
    releaseBelow(s, Infinity, out, rank);
    if (s.maxTs > s.threshold) s.threshold = s.maxTs;
  } else {
    releaseBelow(s, s.threshold, out, rank);
  }
  return out.batch();
}

/** A batch of released rows, with the reorder state that released them. */
export type ReorderedBatch = Batch & { readonly reorder: ReorderState };

export function reorderByTs(maxLatenessMs: number, seed?: ReorderState, rank: FileRank = ARRIVAL_ONLY): OperatorFunction<Batch, ReorderedBatch> {
  return (source) =>
    defer(() => {
      const state = seeded(seed, initReorder)();
      return source.pipe(
        map((b): ReorderedBatch => ({
          rows: foldReorder(state, b.rows, b.end, maxLatenessMs, rank),
          nowFloor: b.nowFloor,
          now: b.now,
          end: b.end,
          clock: b.clock,
          tenantsAhead: b.tenantsAhead,
          rejectedTs: b.rejectedTs,
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
