import type { Reject, Row } from '../core/row.js';
import { explainReject, toRow } from './row-parser.js';
import { isBlankLine, rawHead, type LineChunk } from '../source/lines.js';
import { parseTs } from '../core/time.js';

export interface IngestResult {
  readonly rows: Row[];
  /** In input order (a line over the length cap keeps its place). */
  readonly rejects: Reject[];
  /** Non-blank lines read. */
  readonly read: number;
}

export interface IngestOptions {
  readonly defaultTenant: string;
}

function reasonOfParseError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return `invalid JSON: ${msg}`;
}

/**
 * Turns lines into validated rows (SPEC §1). Never throws on input, and never drops a line for
 * looking like another: every non-blank line ends up as exactly one row or reject.
 */
export function ingest(chunk: LineChunk, file: string, opts: IngestOptions): IngestResult {
  const rows: Row[] = [];
  const rejects: Reject[] = [];
  let read = 0;
  const { lines, first, tooLong } = chunk;
  let nextTooLong = 0;
  for (let i = 0; i < lines.length; i++) {
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
    rows.push(row);
  }
  return { rows, rejects, read };
}
