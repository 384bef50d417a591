import type { Reject } from '../core/row.js';
import type { LineChunk } from '../source/lines.js';
import type { FileTailer } from '../source/file-tailer.js';
import { ingest, type IngestOptions, type IngestResult } from './ingest.js';
import { MergeByTs } from './merge-by-ts.js';
import type { FleetScan } from './fleet-scan.js';

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
  /** Per file: its scanned bulk is all taken, and its tailer goes on from there. */
  private readonly scanDone: boolean[];

  constructor(
    private readonly files: readonly MergedFile[],
    private readonly ingestOptions: IngestOptions,
    lastRowTs: Readonly<Record<string, number>>,
    private readonly onError: (file: MergedFile, err: unknown) => void,
    private readonly scan?: FleetScan,
  ) {
    this.merge = new MergeByTs(files.length);
    this.scanDone = files.map(() => false);
    this.lastTs = files.map((f) => lastRowTs[f.label] ?? NaN);
    this.stepBytes = mergeStepBytes(files.length);
  }

  /**
   * Reads one step; returns false once every file is at its end (nothing is held back then).
   * With worker threads scanning (`scan`), a file's bulk comes from them, the rest from its tailer.
   */
  async step(deliver: (r: IngestResult) => void): Promise<boolean> {
    const f = this.merge.next();
    if (f < 0) return false;
    const file = this.files[f]!;
    let more: boolean;
    try {
      const scanned = this.scan === undefined ? null : await this.scan.next(f);
      if (scanned !== null) {
        this.takeRows(f, scanned.rows, scanned.rejects);
        more = true;
      } else {
        this.leaveScan(f);
        more = file.tailer.read((c) => this.take(f, c), this.stepBytes, false);
      }
    } catch (err) {
      this.onError(file, err);
      more = false;
    }
    if (!more) this.merge.end(f);
    this.deliver(this.merge.release(), deliver);
    return this.merge.next() >= 0;
  }

  /**
   * Everything read so far, merged, although the files go on (a run stopped early); each
   * tailer then stands where the worker threads' chunks handed out so far end.
   */
  drain(deliver: (r: IngestResult) => void): void {
    this.deliver(this.merge.releaseAll(), deliver);
    for (let f = 0; f < this.files.length; f++) this.leaveScan(f);
  }

  /** Bytes of file f read so far (for progress). */
  bytesRead(f: number): number {
    if (this.scan !== undefined && !this.scanDone[f]) return this.scan.end(f).offset;
    return this.files[f]!.tailer.progress?.read ?? 0;
  }

  /** File f's tailer goes on where its scanned bulk ends. */
  private leaveScan(f: number): void {
    if (this.scan === undefined || this.scanDone[f]) return;
    this.scanDone[f] = true;
    const end = this.scan.end(f);
    this.files[f]!.tailer.skipTo(end.offset, end.line);
  }

  private take(f: number, chunk: LineChunk): void {
    const res = ingest(chunk, 0, chunk.lines.length, this.files[f]!.label, this.ingestOptions);
    this.takeRows(f, res.rows, res.rejects);
  }

  private takeRows(f: number, rows: IngestResult['rows'], rejects: readonly Reject[]): void {
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
