import { explainReject, parseTs, toRow, type Row } from './schema.js';
import { rawHead, type LineChunk } from './lines.js';

/** A line that did not become a row: the exact record written to the rejects file. */
export interface Reject {
  readonly line: number;
  readonly reason: string;
  readonly raw: string;
}

export interface IngestResult {
  readonly rows: Row[];
  readonly rejects: Reject[];
  /** Non-blank lines read. */
  readonly read: number;
  readonly duplicates: number;
}

/**
 * Plain, JSON-serialisable dedup memory: the lines seen within the lateness window, in arrival
 * order, each with its ts and the newest ts seen once it had arrived.
 */
export interface DedupState {
  maxTs: number;
  entries: Array<[ts: number, maxAfter: number, text: string]>;
}

export interface IngestOptions {
  readonly defaultTenant: string;
  readonly maxLatenessMs: number;
}

function reasonOfParseError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return `invalid JSON: ${msg}`;
}

/**
 * Turns lines into validated rows (SPEC §1). Never throws on input: every non-blank line ends up
 * as exactly one of row, reject or duplicate (read = valid + rejected + duplicate).
 */
export class Ingestor {
  private maxTs = -Infinity;
  /**
   * Recent lines as parallel arrays (no allocation per row): ts, the max ts after its arrival
   * (non-decreasing, which bounds the backward scan) and the text. Live entries start at head.
   */
  private ts: number[] = [];
  private maxAfter: number[] = [];
  private texts: string[] = [];
  private head = 0;

  constructor(private readonly opts: IngestOptions, seed?: DedupState) {
    if (seed) {
      this.maxTs = seed.maxTs;
      for (const [t, m, text] of seed.entries) {
        this.ts.push(t);
        this.maxAfter.push(m);
        this.texts.push(text);
      }
    }
  }

  state(): DedupState {
    this.prune();
    const entries: DedupState['entries'] = [];
    for (let j = this.head; j < this.texts.length; j++) entries.push([this.ts[j]!, this.maxAfter[j]!, this.texts[j]!]);
    return { maxTs: this.maxTs, entries };
  }

  ingest(chunk: LineChunk): IngestResult {
    const rows: Row[] = [];
    const rejects: Reject[] = [];
    let read = 0;
    let duplicates = 0;
    const { lines, first } = chunk;
    for (const tl of chunk.tooLong) {
      read++;
      rejects.push({ line: tl.line, reason: `line longer than 64 KiB (${tl.bytes} bytes)`, raw: tl.head });
    }
    const lateness = this.opts.maxLatenessMs;
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i] as string;
      if (text.length === 0 || isBlank(text)) continue;
      read++;
      const lineNo = first + i;
      let o: unknown;
      try {
        o = JSON.parse(text);
      } catch (err) {
        rejects.push({ line: lineNo, reason: reasonOfParseError(err), raw: rawHead(text) });
        continue;
      }
      if (typeof o !== 'object' || o === null || Array.isArray(o)) {
        rejects.push({ line: lineNo, reason: `not an object: a JSON ${o === null ? 'null' : Array.isArray(o) ? 'array' : typeof o}`, raw: rawHead(text) });
        continue;
      }
      const rec = o as Record<string, unknown>;
      const ts = rec.ts;
      const t = typeof ts === 'string' ? parseTs(ts) : NaN;
      const row = t === t ? toRow(rec, t, lineNo, this.opts.defaultTenant) : null;
      if (row === null) {
        rejects.push({ line: lineNo, reason: explainReject(o), raw: rawHead(text) });
        continue;
      }
      // Exact repeats within the lateness window are a replay (restarted tail -f), not new rows.
      if (t > this.maxTs) {
        this.maxTs = t;
        this.remember(t, text);
      } else if (t >= this.maxTs - lateness) {
        if (this.seen(t, text)) {
          duplicates++;
          continue;
        }
        this.remember(t, text);
      }
      rows.push(row);
    }
    if (this.head > 4096) this.prune();
    return { rows, rejects, read, duplicates };
  }

  /** Scans back only over lines that arrived after the max ts first reached t. */
  private seen(t: number, text: string): boolean {
    const { ts, maxAfter, texts } = this;
    for (let j = texts.length - 1; j >= this.head; j--) {
      if (maxAfter[j]! < t) return false;
      if (ts[j] === t && texts[j] === text) return true;
    }
    return false;
  }

  private remember(t: number, text: string): void {
    this.ts.push(t);
    this.maxAfter.push(this.maxTs);
    this.texts.push(text);
    // Entries whose max-after is behind the window can never match again.
    const floor = this.maxTs - this.opts.maxLatenessMs;
    while (this.head < this.texts.length && this.maxAfter[this.head]! < floor) this.head++;
  }

  private prune(): void {
    if (this.head === 0) return;
    this.ts = this.ts.slice(this.head);
    this.maxAfter = this.maxAfter.slice(this.head);
    this.texts = this.texts.slice(this.head);
    this.head = 0;
  }
}

function isBlank(s: string): boolean {
  const c = s.charCodeAt(0);
  if (c !== 32 && c !== 9 && c !== 13) return false;
  return s.trim().length === 0;
}
