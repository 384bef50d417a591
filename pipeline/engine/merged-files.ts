import type { Reject } from '../core/row.js';
import type { LineChunk } from '../source/lines.js';
import type { FileTailer } from '../source/file-tailer.js';
import { ingest, type IngestOptions, type IngestResult } from './ingest.js';
import { MergeByTs } from './merge-by-ts.js';

/** One file of a merged read: its tailer and the name its rows and rejects carry. */
export interface MergedFile {
  readonly tailer: FileTailer;
  readonly label: string;
}

/** Bytes read per step from the file furthest behind, by the number of files (memory: about one step per file is held). */
export function mergeStepBytes(files: number): number {
  return Math.max(64 << 10, Math.min(1 << 20, Math.floor((16 << 20) / Math.max(1, files))));
}

/**
 * Several files read to their ends as one input, merged by ts (merge-by-ts.ts): each step reads
 * a little of the file furthest behind, validates it, and delivers the rows no file can still
 * precede as one IngestResult. Rejects are delivered as they are read, each dated by the valid
 * row before it in its own file (its neighbours in the delivered rows are other files' rows).
 * A file whose read fails is reported through `onError` and left out from then on; the rest go on.
 */
export class MergedReader {
  private readonly merge: MergeByTs;
  /** Per file: ts of its last valid row in line order (NaN: none yet). */
  private readonly lastTs: number[];
  private rejects: Reject[] = [];
  private rejectTs: number[] = [];
  private readonly stepBytes: number;

  constructor(
    private readonly files: readonly MergedFile[],
    private readonly ingestOptions: IngestOptions,
    lastRowTs: Readonly<Record<string, number>>,
    private readonly onError: (file: MergedFile, err: unknown) => void,
  ) {
    this.merge = new MergeByTs(files.length);
    this.lastTs = files.map((f) => lastRowTs[f.label] ?? NaN);
    this.stepBytes = mergeStepBytes(files.length);
  }

  /** Reads one step; returns false once every file is at its end (nothing is held back then). */
  step(deliver: (r: IngestResult) => void): boolean {
    const f = this.merge.next();
    if (f < 0) return false;
    const file = this.files[f]!;
    let more: boolean;
    try {
      more = file.tailer.read((c) => this.take(f, c), this.stepBytes, false);
    } catch (err) {
      this.onError(file, err);
      more = false;
    }
    if (!more) this.merge.end(f);
    this.deliver(this.merge.release(), deliver);
    return this.merge.next() >= 0;
  }

  /** Everything read so far, merged, although the files go on (a run stopped early). */
  drain(deliver: (r: IngestResult) => void): void {
    this.deliver(this.merge.releaseAll(), deliver);
  }

  private take(f: number, chunk: LineChunk): void {
    const label = this.files[f]!.label;
    const res = ingest(chunk, 0, chunk.lines.length, label, this.ingestOptions);
    const { rows, rejects } = res;
    if (rejects.length > 0) {
      // Rows and rejects of one chunk are both in line order: a reject takes the ts of the row before it.
      let i = 0;
      let last = this.lastTs[f]!;
      for (const r of rejects) {
        for (; i < rows.length && rows.line[i]! < r.line; i++) last = rows.t[i]!;
        this.rejects.push(r);
        this.rejectTs.push(last);
      }
    }
    if (rows.length > 0) this.lastTs[f] = rows.t[rows.length - 1]!;
    this.merge.add(f, rows);
  }

  private deliver(rows: IngestResult['rows'], deliver: (r: IngestResult) => void): void {
    const rejects = this.rejects;
    if (rows.length === 0 && rejects.length === 0) return;
    const rejectTs = this.rejectTs;
    this.rejects = [];
    this.rejectTs = [];
    deliver({ rows, rejects, rejectTs, read: rows.length + rejects.length });
  }
}
