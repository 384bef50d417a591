import { DAY_MS, HOUR_MS, checkRow, explainReject, isFailure, parseTs, type RawRow, type Row } from './schema.js';
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

/** Plain, JSON-serialisable dedup memory: the lines seen within the lateness window, by ts. */
export interface DedupState {
  maxTs: number;
  recent: Array<[number, string[]]>;
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
  private readonly recent = new Map<number, string[]>();
  private sincePrune = 0;

  constructor(private readonly opts: IngestOptions, seed?: DedupState) {
    if (seed) {
      this.maxTs = seed.maxTs;
      for (const [t, lines] of seed.recent) this.recent.set(t, lines.slice());
    }
  }

  state(): DedupState {
    this.prune();
    return { maxTs: this.maxTs, recent: [...this.recent].map(([t, l]) => [t, l.slice()]) };
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
      if (t !== t || !checkRow(rec)) {
        rejects.push({ line: lineNo, reason: explainReject(o), raw: rawHead(text) });
        continue;
      }
      // Exact repeats within the lateness window are a replay (restarted tail -f), not new rows.
      if (t <= this.maxTs) {
        if (t >= this.maxTs - lateness) {
          const bucket = this.recent.get(t);
          if (bucket !== undefined) {
            if (bucket.includes(text)) {
              duplicates++;
              continue;
            }
            bucket.push(text);
          } else this.recent.set(t, [text]);
        }
      } else {
        this.maxTs = t;
        const bucket = this.recent.get(t);
        if (bucket !== undefined) bucket.push(text);
        else this.recent.set(t, [text]);
      }
      rows.push(makeRow(rec as unknown as RawRow, t, lineNo, this.opts.defaultTenant));
    }
    this.sincePrune += lines.length;
    if (this.sincePrune > 4096) this.prune();
    return { rows, rejects, read, duplicates };
  }

  private prune(): void {
    this.sincePrune = 0;
    const floor = this.maxTs - this.opts.maxLatenessMs;
    for (const t of this.recent.keys()) if (t < floor) this.recent.delete(t);
  }
}

function isBlank(s: string): boolean {
  const c = s.charCodeAt(0);
  if (c !== 32 && c !== 9 && c !== 13) return false;
  return s.trim().length === 0;
}

export function makeRow(raw: RawRow, t: number, line: number, defaultTenant: string): Row {
  const tenant = raw.tenant_id !== undefined && raw.tenant_id.length > 0 ? raw.tenant_id : defaultTenant;
  return {
    raw,
    t,
    line,
    push: raw.op === 'push',
    failed: isFailure(raw),
    tenant,
    hour: Math.floor(t / HOUR_MS),
    day: Math.floor(t / DAY_MS),
  };
}
