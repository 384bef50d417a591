// The k-way merge of several files' rows (pipeline/engine/merge-by-ts.ts) against its reference:
// the stably ts-sorted concatenation of the files in argument order, whatever the chunking and
// however the reads are driven; and, for files out of their own order, nothing lost or doubled.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MergeByTs } from '../pipeline/engine/merge-by-ts.js';
import { batchOf, NAMES, rowsOf, type RowBatch } from '../pipeline/core/columns.js';
import { foldReorder, initReorder } from '../operators/metrics/reorder-by-ts.js';
import { row } from './core-helpers.js';

const T0 = Date.parse('2026-04-16T00:00:00Z');

/** A file: its rows' ts offsets (minutes), in the file's order; each row names its file and line. */
function fileRows(f: number, minutes: readonly number[]): RowBatch {
  return batchOf(minutes.map((m, i) => ({ ...row({ ts: T0 + m * 60_000, machine: `m${f}` }), file: `f${f}`, line: i + 1 })));
}

function key(b: RowBatch): string[] {
  return rowsOf(b).map((r) => `${r.file}:${r.line}`);
}

/** The reference: every row of every file, stably sorted by ts (ties: argument order, then line). */
function stableSorted(files: readonly (readonly number[])[]): string[] {
  const all = files.flatMap((ms, f) => ms.map((m, i) => ({ m, id: `f${f}:${i + 1}` })));
  return all.map((x, k) => ({ ...x, k })).sort((a, b) => a.m - b.m || a.k - b.k).map((x) => x.id);
}

/** The reference k-way merge: the earliest of the files' next rows, ties to the file named first. */
function kWayMerge(files: readonly (readonly number[])[]): string[] {
  const at = files.map(() => 0);
  const out: string[] = [];
  for (;;) {
    let best = -1;
    for (let f = 0; f < files.length; f++) {
      if (at[f]! >= files[f]!.length) continue;
      if (best < 0 || files[f]![at[f]!]! < files[best]![at[best]!]!) best = f;
    }
    if (best < 0) return out;
    out.push(`f${best}:${++at[best]!}`);
  }
}

/** Drives the merge as the reader does: read a chunk of the file `next()` names, release, repeat. */
function drive(files: readonly (readonly number[])[], chunks: readonly number[]): { out: string[] } {
  const merge = new MergeByTs(files.length);
  const batches = files.map((ms, f) => fileRows(f, ms));
  const at = files.map(() => 0);
  const out: string[] = [];
  let step = 0;
  const take = (b: RowBatch): void => {
    out.push(...key(b));
  };
  for (let f = merge.next(); f >= 0; f = merge.next()) {
    const size = chunks[step++ % chunks.length]!;
    const b = batches[f]!;
    const from = at[f]!;
    const to = Math.min(b.length, from + size);
    merge.add(f, batchOf(rowsOf(b).slice(from, to)));
    at[f] = to;
    if (to === b.length) merge.end(f);
    take(merge.release());
  }
  take(merge.releaseAll());
  return { out };
}

const sortedFile = fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 30 }).map((a) => a.sort((x, y) => x - y));
const anyFile = fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 30 });
const chunking = fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 5 });

describe('MergeByTs', () => {
  it('files each in ts order come out as their stably sorted concatenation, for any chunking', () => {
    fc.assert(fc.property(fc.array(sortedFile, { minLength: 1, maxLength: 6 }), chunking, (files, chunks) => {
      expect(drive(files, chunks).out).toEqual(stableSorted(files));
    }), { numRuns: 400 });
  });

  it('files out of their own order: the k-way merge of the files as written (each keeps its order), for any chunking', () => {
    fc.assert(fc.property(fc.array(anyFile, { minLength: 1, maxLength: 6 }), chunking, (files, chunks) => {
      expect(drive(files, chunks).out).toEqual(kWayMerge(files));
    }), { numRuns: 400 });
  });

  it('takes a row only when every file still being read has a next row to compare it with', () => {
    const merge = new MergeByTs(2);
    merge.add(1, fileRows(1, [5, 6]));
    expect(merge.next()).toBe(0); // file 0 has nothing yet: nothing can be taken
    expect(key(merge.release())).toEqual([]);
    merge.add(0, fileRows(0, [5]));
    // A tie goes to the file named first; then file 0 has run out and must be read again.
    expect(key(merge.release())).toEqual(['f0:1']);
    expect(merge.next()).toBe(0);
    merge.add(0, batchOf([{ ...row({ ts: T0 + 5 * 60_000 }), file: 'f0', line: 2 }]));
    merge.end(0);
    expect(key(merge.release())).toEqual(['f0:2', 'f1:1', 'f1:2']);
    expect(merge.pendingRows).toBe(0);
    expect(merge.next()).toBe(1);
    merge.end(1);
    expect(merge.next()).toBe(-1);
  });

  it('releaseAll takes every waiting row in merge order, as if every file had ended', () => {
    const merge = new MergeByTs(3);
    merge.add(0, fileRows(0, [1, 9]));
    merge.add(2, fileRows(2, [4]));
    expect(key(merge.releaseAll())).toEqual(['f0:1', 'f2:1', 'f0:2']);
    expect(merge.pendingRows).toBe(0);
  });
});

describe('MergeByTs then the lateness reorder with file ranks', () => {
  const L = 5 * 60_000;
  /** A file in ts order but for neighbours swapped now and then (each less than L out of order). */
  const nearlySorted = fc.tuple(sortedFile, fc.array(fc.nat(), { maxLength: 10 })).map(([m, swaps]) => {
    const a = [...m];
    for (const s of swaps) {
      if (a.length < 2) break;
      const i = s % (a.length - 1);
      if (a[i + 1]! - a[i]! <= 3) [a[i], a[i + 1]] = [a[i + 1]!, a[i]!];
    }
    return a;
  });

  it('files out of order by less than --max-lateness come out as their stably sorted concatenation (ties by argument order)', () => {
    fc.assert(fc.property(fc.array(nearlySorted, { minLength: 1, maxLength: 5 }), chunking, (files, chunks) => {
      const names = files.map((_, f) => `f${f}`);
      const rank = (id: number): number => names.indexOf(NAMES.list[id]!);
      const state = initReorder();
      const out: string[] = [];
      const merge = new MergeByTs(files.length);
      const batches = files.map((ms, f) => fileRows(f, ms));
      const at = files.map(() => 0);
      let step = 0;
      const fold = (b: RowBatch, end: boolean): void => {
        out.push(...key(foldReorder(state, b, end, L, rank)));
      };
      for (let f = merge.next(); f >= 0; f = merge.next()) {
        const b = batches[f]!;
        const from = at[f]!;
        const to = Math.min(b.length, from + chunks[step++ % chunks.length]!);
        merge.add(f, batchOf(rowsOf(b).slice(from, to)));
        at[f] = to;
        if (to === b.length) merge.end(f);
        fold(merge.release(), false);
      }
      fold(merge.releaseAll(), true);
      expect(state.late).toBe(0);
      expect(out).toEqual(stableSorted(files));
    }), { numRuns: 400 });
  });
});
