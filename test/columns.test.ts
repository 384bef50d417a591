import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { batchOf, gather, gatherFrom, rowAt, rowsOf } from '../pipeline/core/columns.js';
import { row } from './core-helpers.js';
import type { Row } from '../pipeline/core/row.js';

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
});
