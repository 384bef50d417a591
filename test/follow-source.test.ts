// FileTailer and planStart on real files, in-process and without timers: each `read` is one poll.
import { appendFileSync, copyFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileTailer, planStart, type FilePosition } from '../pipeline/source/file-tailer.js';
import type { PipelineEvent } from '../pipeline/core/events.js';
import type { LineChunk } from '../pipeline/source/lines.js';
import { tempDir } from './core-helpers.js';

const tailers: FileTailer[] = [];
const tmp = (): string => tempDir('tail');
afterEach(() => {
  for (const t of tailers.splice(0)) t.close();
});

const L = (i: number): string => `{"n":${i},"pad":"${'x'.repeat(i % 7)}"}`;
const block = (from: number, to: number): string => {
  let s = '';
  for (let i = from; i < to; i++) s += `${L(i)}\n`;
  return s;
};

/** A tailer plus everything it handed over, and the events it emitted. */
function tail(path: string, saved: FilePosition | null = null) {
  const events: PipelineEvent[] = [];
  const lines: string[] = [];
  const emit = (e: PipelineEvent): void => {
    events.push(e);
  };
  const t = new FileTailer(path, { emit, plan: planStart(path, saved, emit), chunkBytes: 64 });
  tailers.push(t);
  const onChunk = (c: LineChunk): void => {
    for (const l of c.lines) if (l !== '') lines.push(l);
  };
  const poll = (follow = true): void => {
    while (t.read(onChunk, 1 << 20, follow));
  };
  const kinds = (): string[] => events.map((e) => e.kind);
  return { t, events, kinds, lines, poll, onChunk };
}

const nums = (lines: string[]): number[] => lines.map((l) => (JSON.parse(l) as { n: number }).n);
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('FileTailer', () => {
  it('reads appends; an unterminated line waits for its newline', () => {
    const f = join(tmp(), 'log');
    writeFileSync(f, block(0, 5));
    const r = tail(f);
    r.poll();
    expect(nums(r.lines)).toEqual(range(0, 5));
    appendFileSync(f, L(5).slice(0, 4));
    r.poll();
    expect(r.lines.length).toBe(5);
    expect(r.t.position()).toMatchObject({ offset: block(0, 5).length, line: 6 });
    appendFileSync(f, `${L(5).slice(4)}\n${block(6, 9)}`);
    r.poll();
    expect(nums(r.lines)).toEqual(range(0, 9));
    expect(r.t.position()).toMatchObject({ offset: block(0, 9).length, line: 10 });
  });

  it('rename-and-recreate: drains the old file (last line counts without newline), then reads the new one from 0', () => {
    const d = tmp();
    const f = join(d, 'log');
    writeFileSync(f, block(0, 5));
    const r = tail(f);
    r.poll();
    renameSync(f, `${f}.1`);
    appendFileSync(`${f}.1`, `${block(5, 8)}${L(8)}`); // the writer still had it open
    r.poll(); // missing: keeps reading the old file, but its last line may still grow
    expect(nums(r.lines)).toEqual(range(0, 8));
    expect(r.events).toContainEqual({ kind: 'file-missing', path: f, oldStillRead: true });
    writeFileSync(f, block(9, 12));
    r.poll();
    expect(nums(r.lines)).toEqual(range(0, 12));
    expect(r.kinds()).toContain('file-rotated');
    expect(r.t.position()).toMatchObject({ offset: block(9, 12).length, line: 4 });
  });

  it('copytruncate: same file, shorter than what was read → read again from 0', () => {
    const d = tmp();
    const f = join(d, 'log');
    writeFileSync(f, block(0, 10));
    const r = tail(f);
    r.poll();
    copyFileSync(f, `${f}.1`);
    truncateSync(f, 0);
    appendFileSync(f, block(10, 12));
    r.poll();
    expect(nums(r.lines)).toEqual(range(0, 12));
    expect(r.kinds()).toContain('file-truncated');
  });

  it('truncated and regrown past the offset between two polls: caught by the first-line hash', () => {
    const d = tmp();
    const f = join(d, 'log');
    writeFileSync(f, block(0, 3));
    const r = tail(f);
    r.poll();
    writeFileSync(f, block(100, 110)); // same inode, longer than before, other first line
    r.poll();
    expect(nums(r.lines)).toEqual([...range(0, 3), ...range(100, 110)]);
  });

  it('delete-and-recreate, and a file that is missing for a while', () => {
    const d = tmp();
    const f = join(d, 'log');
    const r = tail(f);
    r.poll(); // not there yet
    expect(r.t.position()).toMatchObject({ fingerprint: null, offset: 0 });
    writeFileSync(f, block(0, 4));
    r.poll();
    rmSync(f);
    r.poll();
    r.poll();
    writeFileSync(f, block(4, 6));
    r.poll();
    expect(nums(r.lines)).toEqual(range(0, 6));
    expect(r.kinds().filter((k) => k === 'file-missing')).toHaveLength(2);
  });

  it('a file replaced by a longer copy of itself is not read twice', () => {
    const d = tmp();
    const f = join(d, 'log');
    writeFileSync(f, block(0, 4));
    const r = tail(f);
    r.poll();
    writeFileSync(`${f}.tmp`, block(0, 6));
    renameSync(`${f}.tmp`, f);
    r.poll();
    expect(nums(r.lines)).toEqual(range(0, 6));
    expect(r.kinds()).toContain('file-replaced-by-copy');
  });

  it('batch: finish() hands over the unterminated last line without moving the position', () => {
    const f = join(tmp(), 'log');
    writeFileSync(f, `${block(0, 2)}${L(2)}`);
    const r = tail(f);
    r.poll(false);
    const pos = r.t.position();
    const last = r.t.finish();
    expect(last.lines).toEqual([L(2)]);
    expect(pos).toMatchObject({ offset: block(0, 2).length, line: 3 });
  });
});

describe('planStart: where a restart resumes', () => {
  /** Reads `path` to its end in batch mode and returns the checkpoint position. */
  const readAll = (path: string, saved: FilePosition | null = null): { pos: FilePosition; got: number[]; events: PipelineEvent[] } => {
    const r = tail(path, saved);
    r.poll(false);
    const pos = r.t.position();
    r.t.close();
    return { pos, got: nums(r.lines), events: r.events };
  };

  it('same file, grown: from the offset', () => {
    const f = join(tmp(), 'log');
    writeFileSync(f, block(0, 5));
    const a = readAll(f);
    appendFileSync(f, block(5, 8));
    const b = readAll(f, a.pos);
    expect(b.got).toEqual(range(5, 8));
    expect(b.events).toEqual([]);
  });

  it('rotated while stopped: the rest of the old file (found by inode), then the new file from 0', () => {
    const d = tmp();
    const f = join(d, 'log');
    writeFileSync(f, block(0, 5));
    const a = readAll(f);
    appendFileSync(f, block(5, 8));
    renameSync(f, join(d, 'log-20260408'));
    writeFileSync(join(d, 'unrelated'), block(50, 52));
    writeFileSync(f, block(8, 10));
    const b = readAll(f, a.pos);
    expect(b.got).toEqual(range(5, 10));
    expect(b.events).toEqual([{ kind: 'resume-in-old-file', path: f, how: 'rotated-renamed', old: join(d, 'log-20260408'), offset: a.pos.offset, line: 6 }]);
  });

  it('copytruncate while stopped: the copy (found by first-line hash) from the offset, then the file from 0', () => {
    const d = tmp();
    const f = join(d, 'log');
    writeFileSync(f, block(0, 5));
    const a = readAll(f);
    appendFileSync(f, block(5, 8));
    copyFileSync(f, `${f}.1`);
    truncateSync(f, 0);
    appendFileSync(f, block(8, 9));
    const b = readAll(f, a.pos);
    expect(b.got).toEqual(range(5, 9));
    expect(b.events).toEqual([{ kind: 'resume-in-old-file', path: f, how: 'copytruncate', old: `${f}.1`, offset: a.pos.offset, line: 6 }]);
  });

  it('the old file is gone: says what was lost and reads the new file from 0; never seeks past the end', () => {
    const d = tmp();
    const f = join(d, 'log');
    writeFileSync(f, block(0, 20));
    const a = readAll(f);
    rmSync(f);
    writeFileSync(f, block(30, 32)); // shorter than the old offset
    const b = readAll(f, a.pos);
    expect(b.got).toEqual(range(30, 32));
    expect(b.events).toEqual([expect.objectContaining({ kind: 'gone-while-stopped', path: f, offset: a.pos.offset })]);
  });
});
