import type { Reject } from '../core/row.js';
import { explainReject, toRow } from './row-parser.js';
import { isBlankLine, rawHead, type LineChunk } from '../source/lines.js';
import { parseTs } from '../core/time.js';
import { NAMES, RowBatchBuilder, type RowBatch } from '../core/columns.js';
import { scanLine } from './line-scanner.js';

export interface IngestResult {
  readonly rows: RowBatch;
  /** In input order (a line over the length cap keeps its place). */
  readonly rejects: Reject[];
  /** Non-blank lines read. */
  readonly read: number;
  /**
   * The ts each reject is dated at (NaN: no valid row before it in its file), when the rows are
   * not the reject's neighbours in line order (a merge of several files dates them as it reads).
   */
  readonly rejectTs?: readonly number[];
}

export interface IngestOptions {
  readonly defaultTenant: string;
  /** Keep manifest texts (default true; `run` reads none, only the lints do). */
  readonly manifests?: boolean;
}

function reasonOfParseError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return `invalid JSON: ${msg}`;
}

/**
 * Turns lines `from` ≤ i < `to` of a chunk into a batch of validated rows (SPEC §1): the
 * validating scanner (line-scanner.ts) fills the columns of the lines it is sure of, JSON.parse
 * and the zod-backed row parser decide the rest and give every reject its reason. Never throws
 * on input, and never drops a line for looking like another: every non-blank line ends up as
 * exactly one row or reject.
 */
export function ingest(chunk: LineChunk, from: number, to: number, file: string, opts: IngestOptions): IngestResult {
  const out = new RowBatchBuilder(to - from, NAMES, opts.manifests !== false);
  const fileId = out.names.id(file);
  const defaultTenantId = out.names.id(opts.defaultTenant);
  const rejects: Reject[] = [];
  let read = 0;
  const { lines, first, tooLong } = chunk;
  let nextTooLong = 0;
  while (nextTooLong < tooLong.length && tooLong[nextTooLong]!.line < first + from) nextTooLong++;
  for (let i = from; i < to; i++) {
    const text = lines[i] as string;
    const lineNo = first + i;
    if (text.length === 0) {
      const tl = tooLong[nextTooLong];
      if (tl !== undefined && tl.line === lineNo) {
        nextTooLong++;
        read++;
        rejects.push({ file, line: lineNo, reason: `line longer than 64 KiB (${tl.bytes} bytes)`, raw: tl.head });
      }
      continue;
    }
    if (isBlankLine(text)) continue;
    read++;
    // The scanner takes the plain lines; anything it is not sure of goes the reference way.
    if (scanLine(text, out, fileId, lineNo, defaultTenantId)) continue;
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch (err) {
      rejects.push({ file, line: lineNo, reason: reasonOfParseError(err), raw: rawHead(text) });
      continue;
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) {
      rejects.push({ file, line: lineNo, reason: `not an object: a JSON ${o === null ? 'null' : Array.isArray(o) ? 'array' : typeof o}`, raw: rawHead(text) });
      continue;
    }
    const rec = o as Record<string, unknown>;
    const ts = rec.ts;
    const t = typeof ts === 'string' ? parseTs(ts) : NaN;
    const row = t === t ? toRow(rec, t, file, lineNo, opts.defaultTenant) : null;
    if (row === null) {
      rejects.push({ file, line: lineNo, reason: explainReject(o), raw: rawHead(text) });
      continue;
    }
    out.append(row);
  }
  return { rows: out.finish(), rejects, read };
}

