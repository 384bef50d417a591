/**
 * Splits a byte stream into lines without ever holding more than one capped line of carry-over.
 * Works on Buffers so byte offsets are exact (checkpoints resume at a line boundary), decodes
 * each chunk's complete lines in one toString, and caps a line at `maxLineBytes`: a longer
 * line is reported with its first KiB, never buffered whole.
 */
export const MAX_LINE_BYTES = 64 * 1024;
export const RAW_HEAD_BYTES = 1024;

export interface TooLongLine {
  readonly line: number;
  readonly head: string;
  readonly bytes: number;
}

export interface LineChunk {
  /** Line texts (CR and a leading BOM stripped); a too-long line appears as ''. */
  readonly lines: string[];
  /** Line number of lines[0]. */
  readonly first: number;
  readonly tooLong: TooLongLine[];
  /** Byte offset just past the last complete line of this chunk. */
  readonly endOffset: number;
}

/** First `RAW_HEAD_BYTES` bytes of a string, cut on a character boundary. */
export function rawHead(s: string): string {
  if (s.length <= RAW_HEAD_BYTES / 3) return s;
  let head = s.length > RAW_HEAD_BYTES ? s.slice(0, RAW_HEAD_BYTES) : s;
  while (Buffer.byteLength(head) > RAW_HEAD_BYTES) head = head.slice(0, head.length - 1);
  return head;
}

/** A line of nothing but white space (starting with a space, tab or CR): skipped, never counted. */
export function isBlankLine(s: string): boolean {
  if (s.length === 0) return true;
  const c = s.charCodeAt(0);
  if (c !== 32 && c !== 9 && c !== 13) return false;
  return s.trim().length === 0;
}

const EMPTY = Buffer.alloc(0);

export class LineSplitter {
  private carry: Buffer = EMPTY;
  private overflowHead: string | null = null;
  private overflowBytes = 0;
  private nextLine: number;
  private offset: number;

  constructor(startOffset = 0, startLine = 1, private readonly maxLineBytes = MAX_LINE_BYTES) {
    this.offset = startOffset;
    this.nextLine = startLine;
  }

  get lineNumber(): number {
    return this.nextLine;
  }

  /** Bytes consumed through the last complete line. */
  get consumed(): number {
    return this.offset;
  }

  push(data: Buffer): LineChunk {
    const tooLong: TooLongLine[] = [];
    const first = this.nextLine;
    let buf = data;
    let start = 0;
    if (this.overflowHead !== null) {
      const nl = buf.indexOf(10);
      if (nl < 0) {
        this.overflowBytes += buf.length;
        return { lines: [], first, tooLong, endOffset: this.offset };
      }
      tooLong.push({ line: this.nextLine, head: this.overflowHead, bytes: this.overflowBytes + nl });
      this.offset += this.overflowBytes + nl + 1;
      this.overflowHead = null;
      this.overflowBytes = 0;
      this.nextLine++;
      start = nl + 1;
    } else if (this.carry.length > 0) {
      buf = Buffer.concat([this.carry, data]);
      this.carry = EMPTY;
    }
    const lines: string[] = tooLong.length > 0 ? [''] : [];
    const lastNl = buf.lastIndexOf(10);
    let restStart = start;
    if (lastNl >= start) {
      const atFileStart = this.offset === 0;
      const parts = buf.toString('utf8', start, lastNl).split('\n');
      for (let i = 0; i < parts.length; i++) {
        let s = parts[i] as string;
        if (s.length > 0 && s.charCodeAt(s.length - 1) === 13) s = s.slice(0, -1);
        if (i === 0 && atFileStart && s.charCodeAt(0) === 0xfeff) s = s.slice(1);
        if (s.length > this.maxLineBytes / 3 && Buffer.byteLength(s) > this.maxLineBytes) {
          tooLong.push({ line: this.nextLine + i, head: rawHead(s), bytes: Buffer.byteLength(s) });
          s = '';
        }
        lines.push(s);
      }
      this.nextLine += parts.length;
      this.offset += lastNl + 1 - start;
      restStart = lastNl + 1;
    }
    const rest = buf.subarray(restStart);
    // The carry may still end in the CR of a CRLF, and line 1 may start with a BOM: neither
    // counts toward the cap, so allow for them before declaring the line too long.
    const slack = 1 + (this.offset === 0 ? 3 : 0);
    if (rest.length > this.maxLineBytes + slack) {
      this.overflowHead = rawHead(rest.toString('utf8', 0, Math.min(rest.length, RAW_HEAD_BYTES + 4)));
      this.overflowBytes = rest.length;
    } else if (rest.length > 0) {
      this.carry = Buffer.from(rest);
    }
    return { lines, first, tooLong, endOffset: this.offset };
  }

  /** End of input: a final line without a newline still counts. */
  end(): LineChunk {
    const first = this.nextLine;
    const tooLong: TooLongLine[] = [];
    const lines: string[] = [];
    if (this.overflowHead !== null) {
      tooLong.push({ line: this.nextLine, head: this.overflowHead, bytes: this.overflowBytes });
      this.offset += this.overflowBytes;
      this.overflowHead = null;
      this.overflowBytes = 0;
      this.nextLine++;
      lines.push('');
    } else if (this.carry.length > 0) {
      let s = this.carry.toString('utf8');
      if (s.charCodeAt(s.length - 1) === 13) s = s.slice(0, -1);
      if (this.offset === 0 && s.charCodeAt(0) === 0xfeff) s = s.slice(1);
      this.offset += this.carry.length;
      this.carry = EMPTY;
      this.nextLine++;
      lines.push(s);
    }
    return { lines, first, tooLong, endOffset: this.offset };
  }
}
