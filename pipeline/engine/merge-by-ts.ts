import { EMPTY_BATCH, RowRuns, type RowBatch } from '../core/columns.js';

/**
 * The k-way merge of several files' rows by ts (a fleet read as one input). Each file's rows
 * are added in that file's order, and each file stays in its own order: the merge repeatedly
 * takes the earliest of the files' next rows, ties to the file named first. For files that are
 * each in ts order, that is their stably ts-sorted concatenation in argument order; a row a
 * file wrote out of its own order comes out where that file has it, so the engine's lateness
 * reorder judges it as it would in that file alone. The result does not depend on how the
 * files are cut into reads.
 *
 * A row can be taken only when every file still being read has a next row to compare it
 * with: `release()` takes rows until a file runs out, and `next()` names the file to read then.
 */
export class MergeByTs {
  /** Per file: rows added and not taken yet (from `start`), in the file's order. */
  private readonly pending: RowBatch[];
  private readonly start: Int32Array;
  private readonly ended: boolean[];
  private held = 0;

  constructor(readonly files: number) {
    this.pending = Array.from({ length: files }, () => EMPTY_BATCH);
    this.start = new Int32Array(files);
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

  /** The file to read next: one still being read that has no row waiting; -1 when there is none. */
  next(): number {
    for (let f = 0; f < this.files; f++) if (!this.ended[f] && this.start[f] === this.pending[f]!.length) return f;
    return -1;
  }

  /** The rows that can be taken now, merged: until a file still being read runs out. */
  release(): RowBatch {
    return this.take(false);
  }

  /** Every waiting row, merged, as if every file had ended (a run that stops early). */
  releaseAll(): RowBatch {
    return this.take(true);
  }

  private take(all: boolean): RowBatch {
    if (this.held === 0 || (!all && this.next() >= 0)) return EMPTY_BATCH;
    const out = new RowRuns();
    // A binary heap of the files with rows waiting, by their next row's ts, ties by file.
    const heap: number[] = [];
    for (let f = 0; f < this.files; f++) if (this.start[f]! < this.pending[f]!.length) heap.push(f);
    const head = (f: number): number => this.pending[f]!.t[this.start[f]!]!;
    const before = (a: number, b: number): boolean => {
      const ta = head(a);
      const tb = head(b);
      return ta < tb || (ta === tb && a < b);
    };
    const down = (i: number): void => {
      for (;;) {
        const l = 2 * i + 1;
        if (l >= heap.length) return;
        const c = l + 1 < heap.length && before(heap[l + 1]!, heap[l]!) ? l + 1 : l;
        if (!before(heap[c]!, heap[i]!)) return;
        [heap[i], heap[c]] = [heap[c]!, heap[i]!];
        i = c;
      }
    };
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
    while (heap.length > 0) {
      const f = heap[0]!;
      const b = this.pending[f]!;
      // The rest of this file's run that still comes before every other file's next row.
      const second = heap.length === 1 ? -1 : heap.length === 2 || before(heap[1]!, heap[2]!) ? heap[1]! : heap[2]!;
      let i = this.start[f]!;
      const from = i;
      do i++;
      while (i < b.length && (second < 0 || b.t[i]! < head(second) || (b.t[i] === head(second) && f < second)));
      out.takeRange(b, from, i);
      this.start[f] = i;
      if (i < b.length) {
        down(0);
        continue;
      }
      this.pending[f] = EMPTY_BATCH; // let the taken rows' columns go
      this.start[f] = 0;
      if (!all && !this.ended[f]) break; // its next row is not read yet
      const last = heap.pop()!;
      if (heap.length === 0) break;
      heap[0] = last;
      down(0);
    }
    this.held -= out.count;
    return out.batch();
  }
}
