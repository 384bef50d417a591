// LineSplitter (SPEC §1: blank lines, a UTF-8 BOM and CRLF are tolerated; a line over 64 KiB is
// rejected with its first KiB). Chunk boundaries must never change what comes out.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LineSplitter, MAX_LINE_BYTES, RAW_HEAD_BYTES, type LineChunk } from '../pipeline/source/lines.js';
import { splitAt } from './core-helpers.js';

interface Collected {
  /** line number → text ('' for a too-long line) */
  lines: Array<[number, string]>;
  tooLong: Array<{ line: number; head: string; bytes: number }>;
  /** After each push/end: [lines completed so far, endOffset]. */
  offsets: Array<[number, number]>;
  consumed: number;
}

function collect(chunks: Buffer[], maxLineBytes = MAX_LINE_BYTES): Collected {
  const sp = new LineSplitter(0, 1, maxLineBytes);
  const out: Collected = { lines: [], tooLong: [], offsets: [], consumed: 0 };
  const take = (c: LineChunk): void => {
    c.lines.forEach((s, i) => out.lines.push([c.first + i, s]));
    out.tooLong.push(...c.tooLong);
    out.offsets.push([out.lines.length, c.endOffset]);
  };
  for (const ch of chunks) take(sp.push(ch));
  take(sp.end());
  out.consumed = sp.consumed;
  return out;
}


const bytesOfEach = (buf: Buffer): Buffer[] => [...buf].map((b) => Buffer.from([b]));

/** Byte offset just past the k-th newline (k = 1..), or the total length. */
function newlineEnds(buf: Buffer): number[] {
  const ends: number[] = [];
  for (let i = 0; i < buf.length; i++) if (buf[i] === 10) ends.push(i + 1);
  return ends;
}

describe('LineSplitter basics', () => {
  it('CRLF endings are stripped; LF-only lines unchanged; CR inside a line kept', () => {
    const c = collect([Buffer.from('a\r\nb\nc\rd\r\n')]);
    expect(c.lines).toEqual([[1, 'a'], [2, 'b'], [3, 'c\rd']]);
    expect(c.consumed).toBe(10);
  });

  it('a BOM is stripped at file start only', () => {
    const c = collect([Buffer.from('\uFEFF{"a":1}\n\uFEFF{"b":2}\n')]);
    expect(c.lines).toEqual([[1, '{"a":1}'], [2, '\uFEFF{"b":2}']]);
    // A splitter resuming mid-file (offset > 0) must not strip a BOM either.
    const mid = new LineSplitter(100, 5);
    const r = mid.push(Buffer.from('\uFEFFx\n'));
    expect(r.lines).toEqual(['\uFEFFx']);
    expect(r.first).toBe(5);
    expect(r.endOffset).toBe(100 + 3 + 2);
  });

  it('a BOM split over three chunks is still stripped', () => {
    const c = collect([Buffer.from([0xef]), Buffer.from([0xbb]), Buffer.from([0xbf, 0x78, 0x0a])]);
    expect(c.lines).toEqual([[1, 'x']]);
  });

  it('blank lines keep their numbers (as empty or whitespace text)', () => {
    const c = collect([Buffer.from('a\n\n\r\n  \nb\n')]);
    expect(c.lines).toEqual([[1, 'a'], [2, ''], [3, ''], [4, '  '], [5, 'b']]);
  });

  it('a final line without a newline still counts, CR stripped', () => {
    const c = collect([Buffer.from('a\nlast\r')]);
    expect(c.lines).toEqual([[1, 'a'], [2, 'last']]);
    expect(c.consumed).toBe(7);
    const d = collect([Buffer.from('only')]);
    expect(d.lines).toEqual([[1, 'only']]);
    expect(d.consumed).toBe(4);
  });

  it('empty input gives no lines', () => {
    expect(collect([]).lines).toEqual([]);
    expect(collect([Buffer.alloc(0)]).lines).toEqual([]);
  });

  it('endOffset is exactly past the last complete line, never inside a partial one', () => {
    const sp = new LineSplitter();
    const a = sp.push(Buffer.from('ab\ncd'));
    expect(a.lines).toEqual(['ab']);
    expect(a.endOffset).toBe(3);
    const b = sp.push(Buffer.from('e\r\nfg'));
    expect(b.lines).toEqual(['cde']);
    expect(b.first).toBe(2);
    expect(b.endOffset).toBe(8);
    const c = sp.push(Buffer.from('h'));
    expect(c.lines).toEqual([]);
    expect(c.endOffset).toBe(8);
    const d = sp.end();
    expect(d.lines).toEqual(['fgh']);
    expect(d.first).toBe(3);
    expect(d.endOffset).toBe(11);
  });

  it('multi-byte UTF-8 split inside a character, byte by byte', () => {
    const text = 'é→😀日本\n{"repo":"Ünïcödé 🚀"}\n';
    const c = collect(bytesOfEach(Buffer.from(text)));
    expect(c.lines).toEqual([[1, 'é→😀日本'], [2, '{"repo":"Ünïcödé 🚀"}']]);
    expect(c.consumed).toBe(Buffer.byteLength(text));
  });
});

describe('too-long lines', () => {
  const big = `{"ts":"2026-04-16T19:10:38Z","pad":"${'x'.repeat(100 * 1024)}"}`;
  const input = Buffer.from(`{"a":1}\n${big}\n{"b":2}\r\n{"c":3}`);

  for (const [name, chunks] of [
    ['one chunk', [input]],
    ['4 KiB chunks', splitAt(input, Array.from({ length: Math.ceil(input.length / 4096) }, (_, i) => i * 4096))],
    ['cut right after the newline that ends it', splitAt(input, [8 + big.length + 1])],
    ['cut right before that newline', splitAt(input, [8 + big.length])],
    ['cut at 70 000', splitAt(input, [70_000])],
  ] as Array<[string, Buffer[]]>) {
    it(`a 100 KiB line is reported with a ≤ 1 KiB head; the following lines are intact (${name})`, () => {
      const c = collect(chunks);
      expect(c.lines).toEqual([[1, '{"a":1}'], [2, ''], [3, '{"b":2}'], [4, '{"c":3}']]);
      expect(c.tooLong).toHaveLength(1);
      const tl = c.tooLong[0]!;
      expect(tl.line).toBe(2);
      expect(tl.bytes).toBe(big.length);
      expect(Buffer.byteLength(tl.head)).toBeLessThanOrEqual(RAW_HEAD_BYTES);
      expect(tl.head).toBe(big.slice(0, RAW_HEAD_BYTES));
      expect(c.consumed).toBe(input.length);
    });
  }

  it('a too-long last line without newline is still reported at end()', () => {
    const c = collect(splitAt(Buffer.from(`ok\n${big}`), [10, 50_000, 90_000]));
    expect(c.lines).toEqual([[1, 'ok'], [2, '']]);
    expect(c.tooLong.map((t) => t.line)).toEqual([2]);
    expect(c.consumed).toBe(3 + big.length);
  });

  it('a line of exactly 64 KiB is accepted, 64 KiB + 1 is too long', () => {
    const exact = 'y'.repeat(MAX_LINE_BYTES);
    const over = 'z'.repeat(MAX_LINE_BYTES + 1);
    const buf = Buffer.from(`${exact}\n${over}\n`);
    for (const chunks of [[buf], splitAt(buf, [1000, 66_000])]) {
      const c = collect(chunks);
      expect(c.lines.map(([n, s]) => [n, s.length])).toEqual([[1, MAX_LINE_BYTES], [2, 0]]);
      expect(c.tooLong.map((t) => t.line)).toEqual([2]);
    }
  });

  it('a multi-byte head is cut on a character boundary', () => {
    const long = '日'.repeat(30_000); // 90 000 bytes
    for (const chunks of [[Buffer.from(`${long}\n`)], bytesOfEachLarge(Buffer.from(`${long}\n`), 777)]) {
      const c = collect(chunks);
      const head = c.tooLong[0]!.head;
      expect(Buffer.byteLength(head)).toBeLessThanOrEqual(RAW_HEAD_BYTES);
      expect(head).toBe('日'.repeat(341));
    }
  });
});

function bytesOfEachLarge(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

// Property: any chunking of the same bytes yields the same lines, the same too-long line
// numbers and the same offsets (each endOffset is just past the newline of the last line so far).
const lineText = fc.oneof(
  { weight: 5, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\t', '{}', 'é😀', '\uFEFF') },
  { weight: 1, arbitrary: fc.string({ minLength: 20, maxLength: 60 }) },
).map((s) => s.replace(/[\n\r]/g, '_'));

const fileArb = fc.record({
  bom: fc.boolean(),
  lines: fc.array(fc.tuple(lineText, fc.constantFrom('\n', '\r\n')), { maxLength: 12 }),
  finalNewline: fc.boolean(),
  cuts: fc.array(fc.nat(), { maxLength: 10 }),
  maxLineBytes: fc.constantFrom(8, 16, 24, 64, MAX_LINE_BYTES),
});

function fileBytes(f: { bom: boolean; lines: Array<[string, string]>; finalNewline: boolean }): Buffer {
  let s = f.bom ? '\uFEFF' : '';
  f.lines.forEach(([t, eol], i) => {
    s += t;
    if (i < f.lines.length - 1 || f.finalNewline) s += eol;
  });
  return Buffer.from(s, 'utf8');
}

describe('chunking property', () => {
  it('random chunk points give identical lines, too-long line numbers and endOffsets', () => {
    fc.assert(
      fc.property(fileArb, (f) => {
        const buf = fileBytes(f);
        const whole = collect([buf], f.maxLineBytes);
        const cut = collect(splitAt(buf, f.cuts), f.maxLineBytes);
        expect(cut.lines).toEqual(whole.lines);
        expect(cut.tooLong.map((t) => t.line)).toEqual(whole.tooLong.map((t) => t.line));
        expect(cut.consumed).toBe(buf.length);
        expect(whole.consumed).toBe(buf.length);
        const ends = newlineEnds(buf);
        for (const [done, off] of cut.offsets) {
          // `done` lines are complete: past the done-th newline, or the whole input at the end.
          expect(off).toBe(done === 0 ? 0 : done <= ends.length ? ends[done - 1] : buf.length);
        }
        for (const t of cut.tooLong) expect(Buffer.byteLength(t.head)).toBeLessThanOrEqual(RAW_HEAD_BYTES);
      }),
      { numRuns: 1500 },
    );
  });

  it('lines equal a direct split of the decoded text (BOM at start, CR before LF stripped)', () => {
    fc.assert(
      fc.property(fileArb, (f) => {
        const buf = fileBytes(f);
        const c = collect(splitAt(buf, f.cuts), MAX_LINE_BYTES);
        const text = buf.toString('utf8');
        const parts = text.length === 0 ? [] : text.split('\n');
        if (text.endsWith('\n')) parts.pop();
        if (parts.length > 0 && parts[0]!.startsWith('\uFEFF')) parts[0] = parts[0]!.slice(1);
        const expected = parts.map((p, i): [number, string] => [i + 1, p.endsWith('\r') ? p.slice(0, -1) : p]);
        expect(c.lines).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('byte-by-byte feeding equals one chunk (CRLF, BOM, multi-byte, long lines)', () => {
    fc.assert(
      fc.property(fileArb, (f) => {
        const buf = fileBytes(f);
        const whole = collect([buf], f.maxLineBytes);
        const bytes = collect(bytesOfEach(buf), f.maxLineBytes);
        expect(bytes.lines).toEqual(whole.lines);
        expect(bytes.tooLong.map((t) => t.line)).toEqual(whole.tooLong.map((t) => t.line));
      }),
      { numRuns: 300 },
    );
  });

  // The boundary the property probes, spelled out with the real 64 KiB limit: a line whose
  // content is exactly 64 KiB is accepted whole; it must not flip to "too long" just because a
  // read chunk ended between its CR and its LF (stdin / tail -f chunks fall anywhere).
  it('a 64 KiB line with CRLF is accepted whatever the chunk boundary', () => {
    const exact = 'q'.repeat(MAX_LINE_BYTES);
    const buf = Buffer.from(`${exact}\r\nnext\r\n`);
    const whole = collect([buf]);
    expect(whole.lines).toEqual([[1, exact], [2, 'next']]);
    const cutBeforeLf = collect(splitAt(buf, [MAX_LINE_BYTES + 1]));
    expect(cutBeforeLf.lines).toEqual([[1, exact], [2, 'next']]);
    expect(cutBeforeLf.tooLong).toEqual([]);
  });

  it('a 64 KiB first line after a BOM is accepted whatever the chunk boundary', () => {
    const exact = 'q'.repeat(MAX_LINE_BYTES);
    const buf = Buffer.from(`\uFEFF${exact}\nnext\n`);
    expect(collect([buf]).lines).toEqual([[1, exact], [2, 'next']]);
    const cut = collect(splitAt(buf, [MAX_LINE_BYTES + 3]));
    expect(cut.lines).toEqual([[1, exact], [2, 'next']]);
    expect(cut.tooLong).toEqual([]);
  });
});
