import { closeSync, openSync, readSync } from 'node:fs';
import { LineSplitter, type LineChunk } from '../source/lines.js';
import { ingest, type IngestOptions } from './ingest.js';
import type { Reject } from '../core/row.js';
import type { RowBatch } from '../core/columns.js';

/**
 * One piece of a parallel scan: the lines that start in [from, to) of a file, cut at line
 * starts so that pieces cut from neighbouring nominal ranges meet exactly. Runs in a worker
 * thread (scan-worker.ts) or, for tests, in the calling thread.
 */
export interface ChunkTask {
  readonly index: number;
  /** Nominal range; the real one starts at the first line start ≥ from (from itself if it is the scan's start). */
  readonly from: number;
  readonly to: number;
  /** Where the scan starts and ends: both are line starts. */
  readonly scanStart: number;
  readonly scanEnd: number;
  /** The file and its name in rows and rejects, when a worker scans several (default: its setup's). */
  readonly path?: string;
  readonly label?: string;
}

export interface ScannedChunk {
  readonly index: number;
  /** Real byte range of the lines scanned. */
  readonly start: number;
  readonly end: number;
  /** Lines in the range (every one ends with a newline). */
  readonly lines: number;
  /** Rows and rejects with line numbers counted from 1 at `start`. */
  readonly rows: RowBatch;
  readonly rejects: Reject[];
  /** Non-blank lines read. */
  readonly read: number;
}

/** Bytes per read: chunk strings this small stay out of V8's large-object space. */
const READ_BYTES = 64 * 1024;

/** The first line start ≥ at (at itself when the byte before it is a newline), or `limit`. */
export function lineStartAtOrAfter(fd: number, at: number, scanStart: number, limit: number, buf: Buffer): number {
  if (at <= scanStart) return scanStart;
  if (at >= limit) return limit;
  let pos = at - 1;
  while (pos < limit) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, limit - pos), pos);
    if (n <= 0) return limit;
    const nl = buf.subarray(0, n).indexOf(10);
    if (nl >= 0) return pos + nl + 1;
    pos += n;
  }
  return limit;
}

/** Reads and validates one chunk: every complete line of its real range. */
export function scanChunk(fd: number, task: ChunkTask, label: string, opts: IngestOptions, buf: Buffer = Buffer.alloc(READ_BYTES)): ScannedChunk {
  const start = lineStartAtOrAfter(fd, task.from, task.scanStart, task.scanEnd, buf);
  const end = lineStartAtOrAfter(fd, task.to, task.scanStart, task.scanEnd, buf);
  const splitter = new LineSplitter(start, 1);
  const lines: string[] = [];
  const tooLong: LineChunk['tooLong'][number][] = [];
  for (let pos = start; pos < end; ) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, end - pos), pos);
    if (n <= 0) throw Object.assign(new Error(`file shrank while read (at byte ${pos})`), { code: 'ESHRANK' });
    pos += n;
    const c = splitter.push(buf.subarray(0, n));
    for (let i = 0; i < c.lines.length; i++) lines.push(c.lines[i]!);
    for (let i = 0; i < c.tooLong.length; i++) tooLong.push(c.tooLong[i]!);
  }
  const count = splitter.lineNumber - 1;
  const res = ingest({ lines, first: 1, tooLong, endOffset: end }, 0, lines.length, label, opts);
  return { index: task.index, start, end, lines: count, rows: res.rows, rejects: res.rejects, read: res.read };
}

/** Opens the file once per scanner. */
export function openForScan(path: string): number {
  return openSync(path, 'r');
}

export function closeScan(fd: number): void {
  closeSync(fd);
}
