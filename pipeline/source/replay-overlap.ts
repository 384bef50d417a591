import { createHash } from 'node:crypto';
import { isBlankLine, type LineChunk, type TooLongLine } from './lines.js';

/**
 * The replayed overlap of a restarted stdin stream (SPEC §3 `duplicate`). A `tail -f` that is
 * restarted sends its last lines again; a file resumes at an exact byte offset, stdin cannot.
 * So a resumed stdin stream's first k non-blank lines are dropped as duplicates, for the largest
 * k ≤ |P| such that they equal the last k of P, line for line, where P holds digests of the last
 * non-blank lines the previous streams delivered. Lines are held until k is decided: a mismatch
 * of every candidate, k = |P|, or `settle()` at EOF or a signal. Nothing else is ever dropped.
 */
export const RECENT_LINES = 1000;

/** A line's identity: 128 bits of SHA-256 (the checkpoint keeps digests, never text). */
export function lineDigest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 32);
}

/** Lines longer than this are digested when delivered rather than kept until a checkpoint. */
const KEEP_TEXT_CHARS = 512;

export interface Release {
  /** What to feed, in order (held lines come out once the overlap is decided). */
  readonly chunks: LineChunk[];
  /** Lines dropped as the replayed overlap. */
  readonly duplicates: number;
}

const NOTHING: Release = { chunks: [], duplicates: 0 };

export class ReplayOverlap {
  /** The last delivered non-blank lines, as a ring: text (digested lazily) or a digest. */
  private readonly ring: string[] = [];
  private readonly ringIsDigest: boolean[] = [];
  private ringStart = 0;

  private deciding: boolean;
  private readonly previous: readonly string[];
  /** Start indices j in `previous` whose run still matches the stream's first `matched` lines. */
  private alive: number[] = [];
  private matched = 0;
  private best = 0;
  private held: LineChunk | null = null;
  /** Index in held.lines of each held non-blank line. */
  private heldNonBlank: number[] = [];

  constructor(previous: readonly string[]) {
    this.previous = previous.slice(-RECENT_LINES);
    for (const d of this.previous) this.remember(d, true);
    this.deciding = this.previous.length > 0;
  }

  push(chunk: LineChunk): Release {
    if (!this.deciding) {
      this.rememberChunk(chunk);
      return chunk.lines.length === 0 ? NOTHING : { chunks: [chunk], duplicates: 0 };
    }
    const from = this.hold(chunk);
    const tooLong = tooLongByLine(chunk.tooLong);
    const held = this.held!;
    for (let i = from; i < held.lines.length; i++) {
      const id = identity(held.lines[i]!, held.first + i, tooLong);
      if (id === null) continue;
      this.heldNonBlank.push(i);
      if (this.step(lineDigest(id))) return this.decide();
    }
    return NOTHING;
  }

  /** EOF or a signal: the overlap is what matched so far. */
  settle(): Release {
    return this.deciding ? this.decide() : NOTHING;
  }

  /** Digests of the last non-blank lines delivered, oldest first (at most RECENT_LINES). */
  recent(): string[] {
    const out: string[] = [];
    const n = this.ring.length;
    for (let i = 0; i < n; i++) {
      const at = (this.ringStart + i) % n;
      const v = this.ring[at]!;
      out.push(this.ringIsDigest[at] ? v : lineDigest(v));
    }
    return out;
  }

  /** Advances every candidate by one line; true once no candidate can grow the overlap. */
  private step(digest: string): boolean {
    const p = this.previous;
    const m = this.matched;
    const next: number[] = [];
    if (m === 0) {
      for (let j = 0; j < p.length; j++) if (p[j] === digest) next.push(j);
    } else {
      for (const j of this.alive) if (p[j + m] === digest) next.push(j);
    }
    this.matched = m + 1;
    this.alive = [];
    for (const j of next) {
      if (j + this.matched === p.length) this.best = this.matched; // the run reaches P's end
      else this.alive.push(j);
    }
    return this.alive.length === 0;
  }

  private decide(): Release {
    this.deciding = false;
    const held = this.held;
    this.held = null;
    if (held === null) return NOTHING;
    const k = this.best;
    const cut = k === 0 ? 0 : this.heldNonBlank[k - 1]! + 1;
    this.heldNonBlank = [];
    const first = held.first + cut;
    const rest: LineChunk = {
      lines: held.lines.slice(cut),
      first,
      tooLong: held.tooLong.filter((t) => t.line >= first),
      endOffset: held.endOffset,
    };
    this.rememberChunk(rest);
    return { chunks: rest.lines.length === 0 ? [] : [rest], duplicates: k };
  }

  /** Appends a chunk to the held lines; returns the index of its first line there. */
  private hold(chunk: LineChunk): number {
    if (this.held === null) {
      this.held = { lines: chunk.lines.slice(), first: chunk.first, tooLong: chunk.tooLong.slice(), endOffset: chunk.endOffset };
      return 0;
    }
    const h = this.held;
    const from = h.lines.length;
    for (const l of chunk.lines) h.lines.push(l);
    this.held = { lines: h.lines, first: h.first, tooLong: h.tooLong.concat(chunk.tooLong), endOffset: chunk.endOffset };
    return from;
  }

  private rememberChunk(chunk: LineChunk): void {
    const tooLong = chunk.tooLong.length === 0 ? null : tooLongByLine(chunk.tooLong);
    const lines = chunk.lines;
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]!;
      if (text.length > 0) {
        if (!isBlankLine(text)) this.remember(text, false);
      } else if (tooLong !== null) {
        const id = identity(text, chunk.first + i, tooLong);
        if (id !== null) this.remember(id, false);
      }
    }
  }

  private remember(value: string, isDigest: boolean): void {
    const digest = isDigest || value.length > KEEP_TEXT_CHARS;
    const v = digest && !isDigest ? lineDigest(value) : value;
    if (this.ring.length < RECENT_LINES) {
      this.ring.push(v);
      this.ringIsDigest.push(digest);
      return;
    }
    this.ring[this.ringStart] = v;
    this.ringIsDigest[this.ringStart] = digest;
    this.ringStart = (this.ringStart + 1) % RECENT_LINES;
  }
}

function tooLongByLine(list: readonly TooLongLine[]): Map<number, TooLongLine> {
  const m = new Map<number, TooLongLine>();
  for (const t of list) m.set(t.line, t);
  return m;
}

/** What a line is compared by: its text, or for a line over the cap its length and head; null when blank. */
function identity(text: string, lineNo: number, tooLong: Map<number, TooLongLine>): string | null {
  if (text.length > 0) return isBlankLine(text) ? null : text;
  const t = tooLong.get(lineNo);
  return t === undefined ? null : `\u0000too-long\u0000${t.bytes}\u0000${t.head}`;
}
