import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { batchOf, gather, gatherFrom, rowAt, rowsOf } from '../pipeline/core/columns.js';
import { row } from './core-helpers.js';
import type { Row } from '../pipeline/core/row.js';
import { foldEachRow, foldReorder, initReorder, saveReorder } from '../operators/metrics/reorder-by-ts.js';

const rowArb: fc.Arbitrary<Row> = fc
  .record({
    sec: fc.nat({ max: 100_000 }),
    push: fc.boolean(),
    failed: fc.boolean(),
    repo: fc.string({ minLength: 1, maxLength: 4 }),
    errors: fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
    manifest: fc.option(fc.option(fc.string({ maxLength: 4 }), { nil: null }), { nil: undefined }),
    total: fc.option(fc.nat(), { nil: undefined }),
  })
  .map((r) => row({
    ts: new Date(Date.parse('2026-04-08T00:00:00Z') + r.sec * 1000).toISOString(),
    op: r.push ? 'push' : 'pull',
    repo: r.repo,
    ...(r.failed ? { ok: false, error: r.errors } : {}),
    ...(r.manifest === undefined ? {} : { manifest_before: r.manifest, manifest_after: r.manifest }),
    ...(r.total === undefined ? {} : { files_total: r.total }),
  }));

describe('columnar batches', () => {
  it('a row survives the trip into columns and back', () => {
    fc.assert(fc.property(fc.array(rowArb, { maxLength: 30 }), (rows) => {
      expect(rowsOf(batchOf(rows))).toEqual(rows);
    }));
  });

  it('gather and gatherFrom pick exactly the rows asked for, texts and errors included', () => {
    fc.assert(fc.property(
      fc.array(rowArb, { minLength: 1, maxLength: 20 }),
      fc.array(rowArb, { minLength: 1, maxLength: 20 }),
      fc.array(fc.tuple(fc.boolean(), fc.nat()), { maxLength: 40 }),
      (a, b, picks) => {
        const sources = [batchOf(a), batchOf(b)];
        const which = picks.map(([second]) => (second ? 1 : 0));
        const index = picks.map(([second, i]) => i % (second ? b.length : a.length));
        const want = picks.map((_, k) => (which[k] === 1 ? b : a)[index[k]!]!);
        expect(rowsOf(gatherFrom(sources, which, index, picks.length))).toEqual(want);
        const one = gather(sources[0]!, index.map((i) => i % a.length), picks.length);
        expect(rowsOf(one)).toEqual(index.map((i) => a[i % a.length]!));
        if (picks.length > 0) expect(rowAt(one, 0)).toEqual(a[index[0]! % a.length]);
      },
    ));
  });

  it('a few rows picked from batches with many texts keep only the texts they use (a merge must not drag every text along)', () => {
    const many = (tag: string): Row[] => Array.from({ length: 400 }, (_, i) => row({ ts: '2026-04-08T00:00:00Z', ok: false, error: [`${tag} error ${i}`, `${tag} cause ${i}`] }));
    const a = batchOf(many('a'));
    const b = batchOf(many('b'));
    const which = [0, 1, 0, 1, 1];
    const index = [3, 7, 3, 399, 0];
    const picked = gatherFrom([a, b], which, index, which.length);
    expect(rowsOf(picked)).toEqual(which.map((w, k) => rowAt(w === 0 ? a : b, index[k]!)));
    expect(picked.texts.length).toBe(8); // 4 distinct rows × 2 texts, not the 1,600 of the sources
  });
});

describe('reorder fast path (no late row) against the row-by-row reference', () => {
  it('releases the same rows in the same order, counts the same late rows and holds the same state', () => {
    const batchArb = fc.record({
      starts: fc.integer({ min: -400, max: 600 }),
      steps: fc.array(fc.integer({ min: -30, max: 120 }), { maxLength: 25 }),
      sorted: fc.boolean(),
    });
    fc.assert(fc.property(fc.array(batchArb, { maxLength: 12 }), fc.integer({ min: 0, max: 300 }), (specs, lateSec) => {
      const L = lateSec * 1000;
      const fast = initReorder();
      const slow = initReorder();
      let base = 0;
      let line = 1;
      specs.forEach((spec, k) => {
        base += spec.starts;
        let at = base;
        const secs = spec.steps.map((d) => (at += d));
        if (spec.sorted) secs.sort((a, b) => a - b);
        const rows = secs.map((sec) => row({ ts: new Date(Date.parse('2026-04-08T12:00:00Z') + sec * 1000).toISOString(), line: line++ }));
        const end = k === specs.length - 1;
        const b = batchOf(rows);
        const got = rowsOf(foldReorder(fast, b, end, L)).map((r) => r.line);
        const want = rowsOf(foldEachRow(slow, b, end, L)).map((r) => r.line);
        expect(got).toEqual(want);
        expect(fast.late).toBe(slow.late);
        expect(saveReorder(fast)).toEqual(saveReorder(slow));
      });
    }), { numRuns: 300 });
  });
});
