import { EMPTY_BATCH, RowRuns, type RowBatch } from '../core/columns.js';

/**
 * The k-way merge of several files' rows by ts (a fleet read as one input). Each file's rows are
 * added in that file's order; `release()` hands on every pending row that no file can still
 * precede, ordered by ts, ties by file (argument order) and then by the file's own order: for
 * files that are each in ts order, the rows come out as the stably ts-sorted concatenation of the
 * files. A row a file writes out of its own order is released once reading that file has passed
 * it, like any late arrival, and the engine's lateness reorder takes it from there.
 *
 * The horizon is the smallest "last ts read" among the files still being read: a row strictly
 * before it is final (ties wait, so a later row of an earlier file with the same ts still goes
 * first). `next()` says which file to read to move the horizon: the one furthest behind.
 */
export class MergeByTs {
  /** Per file: rows added and not released yet (from `start`), in the file's order. */
  private readonly pending: RowBatch[];
  private readonly start: Int32Array;
  /** Per file, the batch the rows of the release in progress are taken from. */
  private readonly releasedFrom: RowBatch[];
  /** Per file: pending rows are in ts order (most logs), so a release takes a prefix. */
  private readonly sorted: boolean[];
  /** Per file: ts of the last row added, -Infinity before any. */
  private readonly lastTs: Float64Array;
  private readonly ended: boolean[];
  private held = 0;

  constructor(readonly files: number) {
    this.pending = Array.from({ length: files }, () => EMPTY_BATCH);
    this.start = new Int32Array(files);
    this.releasedFrom = Array.from({ length: files }, () => EMPTY_BATCH);
    this.sorted = new Array<boolean>(files).fill(true);
    this.lastTs = new Float64Array(files).fill(-Infinity);
    this.ended = new Array<boolean>(files).fill(false);
  }

  /** Rows waiting for the other files. */
  get pendingRows(): number {
    return this.held;
  }

  /** The next rows of file `f`, in its order. */
  add(f: number, rows: RowBatch): void {
    const n = rows.length;
    if (n === 0) return;
    const t = rows.t;
    let inOrder = this.sorted[f]! && !(t[0]! < this.lastTs[f]!);
    for (let i = 1; inOrder && i < n; i++) if (t[i]! < t[i - 1]!) inOrder = false;
    this.sorted[f] = inOrder;
    this.lastTs[f] = t[n - 1]!;
    const before = this.pending[f]!;
    const from = this.start[f]!;
    if (from === before.length) this.pending[f] = rows;
    else {
      const runs = new RowRuns();
      runs.takeRange(before, from, before.length);
      runs.takeRange(rows, 0, n);
      this.pending[f] = runs.batch();
    }
    this.start[f] = 0;
    this.held += n;
  }

  /** File `f` has no more rows (end of a batch, or the file is gone). */
  end(f: number): void {
    this.ended[f] = true;
  }

  /** The file to read next: the one still being read whose last row is oldest; -1 when every file ended. */
  next(): number {
    let best = -1;
    for (let f = 0; f < this.files; f++) {
      if (this.ended[f]) continue;
      if (best < 0 || this.lastTs[f]! < this.lastTs[best]!) best = f;
    }
    return best;
  }

  /** Every row before the horizon, merged; every row once each file ended. */
  release(): RowBatch {
    const f = this.next();
    return this.releaseBefore(f < 0 ? Infinity : this.lastTs[f]!);
  }

  /** Every pending row, merged, whatever the files still hold (a run that stops early). */
  releaseAll(): RowBatch {
    return this.releaseBefore(Infinity);
  }

  private releaseBefore(horizon: number): RowBatch {
    if (this.held === 0) return EMPTY_BATCH;
    // Released rows, file by file in argument order, each in its file's order: a number's place
    // in this concatenation is the tie-break that keeps the merge stable.
    const fileOf: number[] = [];
    const rowOf: number[] = [];
    const ts: number[] = [];
    let sources = 0;
    for (let f = 0; f < this.files; f++) {
      const b = this.pending[f]!;
      const from = this.start[f]!;
      if (from === b.length) continue;
      const before = fileOf.length;
      const t = b.t;
      if (this.sorted[f]) {
        let cut = from;
        while (cut < b.length && t[cut]! < horizon) cut++;
        for (let i = from; i < cut; i++) {
          fileOf.push(f);
          rowOf.push(i);
          ts.push(t[i]!);
        }
        this.start[f] = cut;
      } else {
        const stay = new RowRuns();
        for (let i = from; i < b.length; i++) {
          if (t[i]! < horizon) {
            fileOf.push(f);
            rowOf.push(i);
            ts.push(t[i]!);
          } else stay.take(b, i);
        }
        const rest = stay.batch();
        this.pending[f] = rest;
        this.start[f] = 0;
        // What stays is in order again once the out-of-order rows have left.
        this.sorted[f] = isSorted(rest);
      }
      if (fileOf.length > before) sources++;
      this.releasedFrom[f] = b;
    }
    const n = fileOf.length;
    if (n === 0) return EMPTY_BATCH;
    this.held -= n;
    const order: number[] = new Array<number>(n);
    for (let k = 0; k < n; k++) order[k] = k;
    // Runs of ascending ts, one per file: TimSort merges them in O(n log files).
    if (sources > 1 || !this.sortedRelease(ts)) order.sort((a, b) => ts[a]! - ts[b]! || a - b);
    const runs = new RowRuns();
    for (let k = 0; k < n; k++) {
      const j = order[k]!;
      runs.take(this.releasedFrom[fileOf[j]!]!, rowOf[j]!);
    }
    this.releasedFrom.fill(EMPTY_BATCH);
    for (let f = 0; f < this.files; f++) {
      if (this.start[f] === this.pending[f]!.length) {
        this.pending[f] = EMPTY_BATCH; // let the released rows' columns go
        this.start[f] = 0;
      }
    }
    return runs.batch();
  }

  private sortedRelease(ts: readonly number[]): boolean {
    for (let k = 1; k < ts.length; k++) if (ts[k]! < ts[k - 1]!) return false;
    return true;
  }
}

function isSorted(b: RowBatch): boolean {
  for (let i = 1; i < b.length; i++) if (b.t[i]! < b.t[i - 1]!) return false;
  return true;
}
