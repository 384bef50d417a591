import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { from, last, lastValueFrom } from 'rxjs';
import { MIN } from './core-helpers.js';
import { NOW_MS, ev, lintLines } from './lint-helpers.js';
import { toRow, type RawRow } from '../pipeline/engine/row-parser.js';
import { lintManifestBreak } from '../operators/lint/manifest-break.js';
import type { LintBatch } from '../operators/lint/common.js';
import { parseTs } from '../pipeline/core/time.js';
import { type Row } from '../pipeline/core/row.js';
import { batchOf, EMPTY_BATCH } from '../pipeline/core/columns.js';
import { WHOLE_INPUT } from '../operators/lint/window.js';

const T0 = NOW_MS - 60 * MIN;
const at = (min: number, sec = 0): number => T0 + min * MIN + sec * 1000;

/**
 * Interleaved chains: tenant acme, repo r, scopes s1 and s2; tenant beta, repo r, scope s1
 * (same repo and scope, other tenant: its own chain). Lines arrive out of ts order, within 5m.
 */
const interleaved = [
  /* 1 */ ev(at(2), { tenant_id: 'acme', repo: 'r', scope: 's1', manifest_before: 'a1', manifest_after: 'a2', machine: 'm1' }),
  /* 2 */ ev(at(0), { tenant_id: 'acme', repo: 'r', scope: 's1', manifest_before: 'a0', manifest_after: 'a1', machine: 'm1' }),
  /* 3 */ ev(at(1), { tenant_id: 'acme', repo: 'r', scope: 's2', manifest_before: 'b0', manifest_after: 'b1', machine: 'm2' }),
  /* 4 */ ev(at(0, 30), { tenant_id: 'beta', repo: 'r', scope: 's1', manifest_before: 'c0', manifest_after: 'c1', machine: 'm3' }),
  /* 5 */ ev(at(4), { tenant_id: 'acme', repo: 'r', scope: 's1', manifest_before: 'a2', manifest_after: 'a3', machine: 'm1' }),
  /* 6 */ ev(at(3), { tenant_id: 'acme', repo: 'r', scope: 's2', manifest_before: 'b1', manifest_after: 'b2', machine: 'm2' }),
  /* 7 */ ev(at(2, 30), { tenant_id: 'beta', repo: 'r', scope: 's1', manifest_before: 'c1', manifest_after: 'c2', machine: 'm3' }),
  /* 8 */ ev(at(3, 30), { tenant_id: 'acme', repo: 'r', scope: 's1', ok: false, error: 'conflict', manifest_before: 'zz', manifest_after: 'zz' }),
  /* 9 */ ev(at(3, 40), { tenant_id: 'acme', repo: 'r', scope: 's1', op: 'pull', manifest_before: 'qq', manifest_after: 'qq' }),
];

describe('manifest-break: chains in ts order', () => {
  it('judges interleaved scopes and tenants in ts order despite out-of-order arrival', async () => {
    const r = await lintLines(interleaved, { lints: ['manifest-break'] });
    expect(r.counts['manifest-break']).toBe(0);
  });

  it('finds the one real break among them, naming both pushes', async () => {
    const lines = [
      ...interleaved,
      /* 10 */ ev(at(5), { tenant_id: 'acme', repo: 'r', scope: 's2', manifest_before: 'b1', manifest_after: 'b9', machine: 'intruder' }),
      /* 11 */ ev(at(6), { tenant_id: 'beta', repo: 'r', scope: 's1', manifest_before: 'c2', manifest_after: 'c3', machine: 'm3' }),
    ];
    const r = await lintLines(lines, { lints: ['manifest-break'] });
    expect(r.findings.map((f) => f.lines)).toEqual([[6, 10]]);
    expect(r.findings[0]!.message).toContain('tenant "acme" "r"/"s2"');
    expect(r.findings[0]!.message).toContain('machine "intruder"');
  });

  it('orders a row up to --max-lateness behind the newest; a later one is judged where it arrives', async () => {
    const lines = [
      ev(at(2), { manifest_before: 'a1', manifest_after: 'a2' }),
      ev(at(7), { scope: 'other', manifest_before: 'o0', manifest_after: 'o1' }),
      ev(at(0), { manifest_before: 'a0', manifest_after: 'a1' }), // 7m behind the newest
    ];
    const inWindow = await lintLines(lines, { lints: ['manifest-break'], engine: { maxLatenessMs: 7 * MIN } });
    expect(inWindow.counts['manifest-break']).toBe(0);
    const tooLate = await lintLines(lines, { lints: ['manifest-break'], engine: { maxLatenessMs: 4 * MIN } });
    expect(tooLate.findings.map((f) => f.lines)).toEqual([[1, 3]]);
  });

  it('keeps the chain across a failed push in between', async () => {
    const r = await lintLines([
      ev(at(0), { manifest_before: 'x0', manifest_after: 'x1' }),
      ev(at(1), { manifest_before: 'x1', manifest_after: 'x2', ok: false, error: 'network' }),
      ev(at(2), { manifest_before: 'x1', manifest_after: 'x2' }),
    ], { lints: ['manifest-break'] });
    expect(r.counts['manifest-break']).toBe(0);
  });
});

describe('manifest-break: null and absent manifests', () => {
  const run = async (pairs: Array<[unknown, unknown]>) => {
    const lines = pairs.map(([before, after], i) => {
      const over: Record<string, unknown> = {};
      if (before !== 'ABSENT') over.manifest_before = before;
      if (after !== 'ABSENT') over.manifest_after = after;
      return ev(at(i), over);
    });
    const r = await lintLines(lines, { lints: ['manifest-break'] });
    return r.findings.map((f) => f.lines);
  };

  it('does not compare an absent manifest_before', async () => {
    expect(await run([['a', 'b'], ['ABSENT', 'c'], ['c', 'd']])).toEqual([]);
  });

  it('does not compare the push after an absent manifest_after', async () => {
    expect(await run([['a', 'b'], ['b', 'ABSENT'], ['zzz', 'd'], ['d', 'e']])).toEqual([]);
  });

  it('compares null as a value: null after a manifest is a break, null → null is not', async () => {
    expect(await run([['a', 'b'], [null, 'c']])).toEqual([[1, 2]]);
    expect(await run([['a', null], [null, 'c'], ['c', 'd']])).toEqual([]);
    expect(await run([['a', null], ['x', 'c']])).toEqual([[1, 2]]);
  });

  it('has nothing to compare for the first push of a chain', async () => {
    expect(await run([['anything', 'b']])).toEqual([]);
  });
});

// Property: any arrival order within the lateness window, cut into any chunks, gives the findings
// of the ts-sorted input.
const L = 5 * MIN;

interface Spec {
  key: number;
  t: number;
  ok: boolean;
  pull: boolean;
  breakIt: boolean;
  jitter: number;
}

function toRows(specs: Spec[]): { arrival: Row[]; expected: number[][] } {
  const keys = [['acme', 's1'], ['acme', 's2'], ['beta', 's1']] as const;
  // Manifests chained per key in ts order; breakIt makes manifest_before wrong.
  const sorted = specs.map((s, i) => ({ ...s, i })).sort((a, b) => a.t - b.t);
  const last = new Map<number, string>();
  const raws = new Map<number, RawRow>();
  let n = 0;
  for (const s of sorted) {
    const prev = last.get(s.key) ?? 'm-start';
    const after = `m${n++}`;
    const [tenant, scope] = keys[s.key]!;
    const raw: RawRow = {
      ts: new Date(s.t).toISOString(), op: s.pull ? 'pull' : 'push', repo: 'r', scope, files: 1, bytes: 1, dur_ms: 1,
      trigger: 't', machine: 'm', tenant_id: tenant, ok: s.ok, manifest_before: s.breakIt ? 'wrong' : prev, manifest_after: after,
    };
    if (s.ok && !s.pull) last.set(s.key, after);
    raws.set(s.i, raw);
  }
  // Arrival: by t + jitter (jitter ≤ L), so no row is more than L behind one before it.
  const order = specs.map((s, i) => ({ i, k: s.t + s.jitter })).sort((a, b) => a.k - b.k);
  const lineOf = new Map<number, number>();
  const arrival = order.map(({ i }, idx) => {
    lineOf.set(i, idx + 1);
    const raw = raws.get(i)!;
    return toRow(raw, parseTs(raw.ts), '-', idx + 1, 'default')!;
  });
  // Reference: walk the sorted successful pushes per key.
  const expected: number[][] = [];
  const prevOf = new Map<number, { after: string; line: number }>();
  for (const s of sorted) {
    if (!s.ok || s.pull) continue;
    const raw = raws.get(s.i)!;
    const prev = prevOf.get(s.key);
    if (prev !== undefined && raw.manifest_before !== prev.after) expected.push([prev.line, lineOf.get(s.i)!]);
    prevOf.set(s.key, { after: raw.manifest_after as string, line: lineOf.get(s.i)! });
  }
  return { arrival, expected };
}

describe('manifest-break: property', () => {
  it('arrival order within lateness and chunking never change the findings', async () => {
    const spec = fc.record({
      key: fc.integer({ min: 0, max: 2 }),
      t: fc.integer({ min: 0, max: 40 * MIN }),
      ok: fc.constant(true),
      pull: fc.integer({ min: 0, max: 9 }).map((x) => x === 0),
      breakIt: fc.integer({ min: 0, max: 9 }).map((x) => x === 0),
      jitter: fc.integer({ min: 0, max: L }),
    });
    const failedFlags = fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 60, maxLength: 60 });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(spec, { minLength: 1, maxLength: 60, selector: (s) => s.t }),
        failedFlags,
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 20 }),
        async (specs, flags, cuts) => {
          const withFailures = specs.map((s, i) => ({ ...s, ok: (flags[i] ?? 1) !== 0 }));
          const { arrival, expected } = toRows(withFailures);
          const batches: LintBatch[] = [];
          let pos = 0;
          for (let c = 0; pos < arrival.length; c++) {
            const size = cuts[c % cuts.length]!;
            batches.push({ rows: batchOf(arrival.slice(pos, pos + size)), rejects: [], rejectTs: [], now: null, end: false });
            pos += size;
          }
          batches.push({ rows: EMPTY_BATCH, rejects: [], rejectTs: [], now: NOW_MS, end: true });
          const state = await lastValueFrom(from(batches).pipe(lintManifestBreak({ nowCut: NOW_MS, keep: Infinity, window: WHOLE_INPUT }, L), last()));
          const got = state.out.findings.map((f) => f.lines);
          expect(got).toEqual(expected);
          expect(state.out.count).toBe(expected.length);
        },
      ),
      { numRuns: 150 },
    );
  });
});
