import type { ScannedChunk } from './scan-chunk.js';
import type { RowBatch } from '../core/columns.js';
import type { Reject } from '../core/row.js';

/** What a scan worker is started with. */
export interface ScanSetup {
  readonly path: string;
  readonly label: string;
  readonly defaultTenant: string;
  readonly manifests: boolean;
}

/** A scanned chunk on the wire: columns with the worker's name ids, texts packed into one string. */
export interface ChunkMessage {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  readonly lines: number;
  readonly read: number;
  readonly rejects: Reject[];
  readonly rows: Omit<RowBatch, 'texts'>;
  /** Names the worker had not sent before, in its id order. */
  readonly names: string[];
  readonly texts: string;
  readonly textEnds: Int32Array;
}

export type WorkerReply = ChunkMessage | { readonly index: number; readonly error: { readonly message: string; readonly code: string | null } };

const COLUMNS = ['t', 'hour', 'day', 'flags', 'tenant', 'repo', 'machine', 'scope', 'trigger', 'file', 'line', 'files', 'filesTotal', 'bytes', 'durMs', 'manifestBefore', 'manifestAfter', 'errorsFrom', 'errorText'] as const;

export function toTransfer(c: ScannedChunk, names: string[]): { message: ChunkMessage; transfer: ArrayBuffer[] } {
  const { texts, ...rows } = c.rows;
  const textEnds = new Int32Array(texts.length);
  let at = 0;
  for (let i = 0; i < texts.length; i++) textEnds[i] = at += texts[i]!.length;
  const transfer = new Set<ArrayBuffer>([textEnds.buffer]);
  for (const k of COLUMNS) transfer.add(rows[k].buffer as ArrayBuffer);
  return {
    message: { index: c.index, start: c.start, end: c.end, lines: c.lines, read: c.read, rejects: c.rejects, rows, names, texts: texts.join(''), textEnds },
    transfer: [...transfer],
  };
}

/**
 * The chunk as this thread's batch: name ids re-keyed through `remap` (worker id → this thread's
 * id, extended by the message's new names), texts unpacked, line numbers made absolute.
 */
export function fromTransfer(m: ChunkMessage, remap: number[], idOf: (name: string) => number, firstLine: number): ScannedChunk {
  for (let i = 0; i < m.names.length; i++) remap.push(idOf(m.names[i]!));
  const r = m.rows;
  const n = r.length;
  const keyed = [r.tenant, r.repo, r.machine, r.scope, r.trigger, r.file];
  for (const col of keyed) for (let i = 0; i < n; i++) col[i] = remap[col[i]!]!;
  const shift = firstLine - 1;
  if (shift !== 0) {
    for (let i = 0; i < n; i++) r.line[i] = r.line[i]! + shift;
    for (const rej of m.rejects) (rej as { line: number }).line += shift;
  }
  const texts: string[] = new Array<string>(m.textEnds.length);
  let from = 0;
  for (let i = 0; i < texts.length; i++) {
    const to = m.textEnds[i]!;
    texts[i] = m.texts.slice(from, to);
    from = to;
  }
  return { index: m.index, start: m.start, end: m.end, lines: m.lines, read: m.read, rejects: m.rejects, rows: { ...r, texts } };
}
