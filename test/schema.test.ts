// SPEC §1: the hand-unrolled fast path (checkRow + parseTs) must accept exactly what RowSchema
// accepts, and parseTs must agree with Date.parse on every valid ts.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkRow, explainReject, intern, internedCount, INTERN_MAX, RowSchema, toRow, type RawRow } from '../pipeline/engine/row-parser.js';
import { parseTs } from '../pipeline/core/time.js';

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** Timestamps: mostly well-formed, with every field pushed over its edges, and odd layouts. */
const tsParts = fc.record({
  year: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(0, 1900, 1969, 1970, 2000, 2026, 2028, 2100, 2400, 3000, 9999)),
  month: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constantFrom(0, 2, 13)),
  day: fc.oneof(fc.integer({ min: 1, max: 28 }), fc.constantFrom(0, 29, 30, 31, 32)),
  hour: fc.oneof(fc.integer({ min: 0, max: 23 }), fc.constantFrom(24, 25)),
  minute: fc.oneof(fc.integer({ min: 0, max: 59 }), fc.constant(60)),
  second: fc.option(fc.oneof(fc.integer({ min: 0, max: 59 }), fc.constantFrom(60, 61)), { nil: undefined, freq: 8 }),
  frac: fc.option(fc.stringMatching(/^[0-9]{1,12}$/), { nil: undefined }),
  emptyFrac: fc.boolean(),
  sep: fc.constantFrom('T', 'T', 'T', 'T', 'T', 'T', 't', ' '),
  zone: fc.oneof(
    { weight: 5, arbitrary: fc.constant('Z') },
    { weight: 2, arbitrary: fc.constantFrom('z', '', '+00:00', '-00:00', '+0100', '+01', '+24:00', '+05:60') },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
      .map(([s, h, m]) => `${s}${pad(h, 2)}:${pad(m, 2)}`) },
  ),
});

const composedTs = tsParts.map((p) => {
  let s = `${pad(p.year, 4)}-${pad(p.month, 2)}-${pad(p.day, 2)}${p.sep}${pad(p.hour, 2)}:${pad(p.minute, 2)}`;
  if (p.second !== undefined) {
    s += `:${pad(p.second, 2)}`;
    if (p.frac !== undefined) s += `.${p.frac}`;
    else if (p.emptyFrac) s += '.';
  }
  return s + p.zone;
});

/** One character of a timestamp replaced: catches positional fast paths that skip a check. */
const mutatedTs = fc
  .tuple(composedTs, fc.nat(), fc.constantFrom(...'0123456789xX-:.TZ +/\u00e9'.split('')))
  .map(([s, i, c]) => {
    const k = i % s.length;
    return s.slice(0, k) + c + s.slice(k + 1);
  });

const anyTs: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: composedTs },
  { weight: 3, arbitrary: mutatedTs },
  { weight: 1, arbitrary: fc.oneof(fc.string(), fc.constant(''), fc.integer(), fc.constant(null), fc.constant(1776366638000)) },
);

const weird: fc.Arbitrary<unknown> = fc.oneof(
  fc.string(),
  fc.constant(''),
  fc.integer(),
  fc.integer({ min: -1000, max: -1 }),
  fc.constantFrom(0, -0, 1.5, 0.1, -1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), Number.MAX_SAFE_INTEGER, 1e300, 1e21),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.boolean()), { maxLength: 4 }),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.constant({}),
  fc.constant([]),
);

const validBase = fc.record({
  ts: composedTs,
  op: fc.constantFrom('push', 'pull'),
  repo: fc.string({ minLength: 1, maxLength: 8 }),
  scope: fc.string({ minLength: 1, maxLength: 8 }),
  machine: fc.string({ minLength: 1, maxLength: 8 }),
  trigger: fc.string({ minLength: 1, maxLength: 8 }),
  files: fc.nat(),
  bytes: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)),
  dur_ms: fc.nat(),
}, { requiredKeys: ['ts', 'op', 'repo', 'scope', 'machine', 'trigger', 'files', 'bytes', 'dur_ms'] });

const optionalFields = fc.record({
  manifest_before: fc.oneof(fc.string(), fc.constant(null)),
  manifest_after: fc.oneof(fc.string(), fc.constant(null)),
  ok: fc.boolean(),
  error: fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 })),
  tenant_id: fc.string({ maxLength: 6 }),
  files_total: fc.nat(),
  extra_field: fc.oneof(fc.string(), fc.integer(), fc.constant({ nested: [1, null] })),
}, { requiredKeys: [] });

const FIELDS = ['ts', 'op', 'repo', 'scope', 'machine', 'trigger', 'files', 'bytes', 'dur_ms', 'manifest_before',
  'manifest_after', 'ok', 'error', 'tenant_id', 'files_total'] as const;

type Mutation = { field: (typeof FIELDS)[number]; kind: 'delete' } | { field: (typeof FIELDS)[number]; kind: 'set'; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ field: fc.constantFrom(...FIELDS), kind: fc.constant('delete' as const) }),
  fc.record({ field: fc.constantFrom(...FIELDS), kind: fc.constant('set' as const), value: weird }),
  fc.record({ field: fc.constant('ts' as const), kind: fc.constant('set' as const), value: anyTs }),
  fc.record({ field: fc.constant('op' as const), kind: fc.constant('set' as const), value: fc.constantFrom('Push', 'PULL', 'sync', '', null) }),
);

const nearValidRow = fc
  .tuple(validBase, optionalFields, fc.array(mutation, { maxLength: 3 }))
  .map(([base, extra, muts]) => {
    const o: Record<string, unknown> = { ...base, ...extra };
    for (const m of muts) {
      if (m.kind === 'delete') delete o[m.field];
      else o[m.field] = m.value;
    }
    return o;
  });

/** What the ingestor does: the fast path (string ts that parses, then checkRow). */
function fastAccepts(o: Record<string, unknown>): boolean {
  return typeof o.ts === 'string' && !Number.isNaN(parseTs(o.ts)) && checkRow(o);
}

const fracDigits = (ts: string): number => {
  const m = /\.(\d+)/.exec(ts);
  return m ? m[1]!.length : 0;
};

describe('checkRow + parseTs ≡ RowSchema', () => {
  it('agree on arbitrary near-valid rows', () => {
    fc.assert(
      fc.property(nearValidRow, (o) => {
        expect(fastAccepts(o)).toBe(RowSchema.safeParse(o).success);
      }),
      { numRuns: 2000 },
    );
  });

  it('agree on arbitrary ts strings alone (the rest of the row valid)', () => {
    const base = { op: 'push', repo: 'r', scope: 's', machine: 'm', trigger: 't', files: 0, bytes: 0, dur_ms: 0 };
    fc.assert(
      fc.property(fc.oneof(composedTs, mutatedTs), (ts) => {
        const o = { ...base, ts };
        expect(fastAccepts(o), ts).toBe(RowSchema.safeParse(o).success);
      }),
      { numRuns: 3000 },
    );
  });

  it('parseTs equals Date.parse to the millisecond for every valid ts (fraction ≤ 3 digits)', () => {
    const valid = fc.oneof(composedTs, mutatedTs).filter((ts) => RowSchema.shape.ts.safeParse(ts).success && fracDigits(ts) <= 3);
    fc.assert(
      fc.property(valid, (ts) => {
        expect(parseTs(ts), ts).toBe(Date.parse(ts));
      }),
      { numRuns: 1000 },
    );
  });

  it('parseTs is NaN exactly when the schema rejects the ts', () => {
    fc.assert(
      fc.property(fc.oneof(composedTs, mutatedTs), (ts) => {
        expect(Number.isNaN(parseTs(ts)), ts).toBe(!RowSchema.shape.ts.safeParse(ts).success);
      }),
      { numRuns: 3000 },
    );
  });

  it('a non-digit in any digit place of a Z timestamp is rejected by both', () => {
    const DIGIT_PLACES = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    const arb = fc.tuple(
      fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }),
      fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 }),
      fc.constantFrom(...DIGIT_PLACES), fc.constantFrom(...'xO -:.T/Z'.split('')), fc.constantFrom('', '.5', '.123'),
    ).map(([y, mo, d, h, mi, s, place, c, frac]) => {
      const ts = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${frac}Z`;
      return ts.slice(0, place) + c + ts.slice(place + 1);
    });
    fc.assert(
      fc.property(arb, (ts) => {
        expect(RowSchema.shape.ts.safeParse(ts).success).toBe(false);
        expect(parseTs(ts), ts).toBeNaN();
      }),
      { numRuns: 600 },
    );
  });

  // Hand-picked cases, each with the value the fast path must give.
  const base = { op: 'push', repo: 'r', scope: 's', machine: 'm', trigger: 't', files: 0, bytes: 0, dur_ms: 0 };
  const cases: Array<[string, number | null]> = [
    ['2026-04-16T19:10:38Z', Date.UTC(2026, 3, 16, 19, 10, 38)],
    ['2026-04-16T19:10:38.5Z', Date.UTC(2026, 3, 16, 19, 10, 38, 500)],
    ['2026-04-16T19:10:38.05Z', Date.UTC(2026, 3, 16, 19, 10, 38, 50)],
    ['2026-04-16T19:10:38.123Z', Date.UTC(2026, 3, 16, 19, 10, 38, 123)],
    ['2026-04-16T21:10:38+02:00', Date.UTC(2026, 3, 16, 19, 10, 38)],
    ['2026-04-16T19:10:38.250-05:30', Date.UTC(2026, 3, 17, 0, 40, 38, 250)],
    ['2026-04-16T19:10:38-00:00', Date.UTC(2026, 3, 16, 19, 10, 38)],
    ['2028-02-29T00:00:00Z', Date.UTC(2028, 1, 29)],
    ['2000-02-29T12:00:00Z', Date.UTC(2000, 1, 29, 12)],
    ['0000-01-01T00:00:00Z', Date.parse('0000-01-01T00:00:00Z')],
    ['1969-12-31T23:59:59.999Z', -1],
    ['2026-02-30T00:00:00Z', null],
    ['2026-02-29T00:00:00Z', null],
    ['2100-02-29T00:00:00Z', null],
    ['2026-04-31T00:00:00Z', null],
    ['2026-13-01T00:00:00Z', null],
    ['2026-04-16T24:00:00Z', null],
    ['2026-04-16T23:60:00Z', null],
    ['2026-04-16T23:59:60Z', null],
    ['2026-04-16T19:10:38', null],
    ['2026-04-16t19:10:38Z', Date.UTC(2026, 3, 16, 19, 10, 38)],
    ['2026-04-16T19:10:38z', Date.UTC(2026, 3, 16, 19, 10, 38)],
    ['2026-04-16t19:10:38.5+01:00', Date.UTC(2026, 3, 16, 18, 10, 38, 500)],
    ['2026-04-16x19:10:38Z', null],
    ['2026-04-16 19:10:38Z', null],
    ['2026-04-16T19:10Z', null],
    ['2026-04-16T19:10:38.Z', null],
    ['2026-04-16T19:10:38+0100', null],
    ['2026-04-16', null],
    ['', null],
  ];
  for (const [ts, expected] of cases) {
    it(`ts ${JSON.stringify(ts)} → ${expected === null ? 'rejected' : new Date(expected).toISOString()}`, () => {
      const o = { ...base, ts };
      expect(RowSchema.safeParse(o).success).toBe(expected !== null);
      if (expected === null) {
        expect(parseTs(ts)).toBeNaN();
        expect(fastAccepts(o)).toBe(false);
      } else {
        expect(parseTs(ts)).toBe(expected);
        expect(fastAccepts(o)).toBe(true);
      }
    });
  }

  // A non-digit in the year's last place must not slip through the hand parser: the schema
  // rejects these, so the row must be rejected (SPEC §1 ts is RFC 3339).
  for (const ts of ['300x-01-01T00:00:00Z', '999 -06-15T12:00:00Z', '202x-01-01T00:00:00Z']) {
    it(`non-digit year ${JSON.stringify(ts)} is rejected by the fast path too`, () => {
      expect(RowSchema.shape.ts.safeParse(ts).success).toBe(false);
      expect(parseTs(ts)).toBeNaN();
      expect(fastAccepts({ ...base, ts })).toBe(false);
    });
  }

  it('counts: negatives, non-integers, unsafe integers, strings and null are rejected; 0 and MAX_SAFE accepted', () => {
    const ok = { ...base, ts: '2026-04-16T19:10:38Z' };
    for (const f of ['files', 'bytes', 'dur_ms', 'files_total'] as const) {
      for (const v of [-1, 1.5, 2 ** 53, '7', null, true]) {
        const o = { ...ok, [f]: v };
        expect(checkRow(o), `${f}=${String(v)}`).toBe(false);
        expect(RowSchema.safeParse(o).success, `${f}=${String(v)}`).toBe(false);
        expect(explainReject(o)).toContain(f);
      }
      for (const v of [0, Number.MAX_SAFE_INTEGER]) {
        expect(checkRow({ ...ok, [f]: v }), `${f}=${v}`).toBe(true);
        expect(RowSchema.safeParse({ ...ok, [f]: v }).success).toBe(true);
      }
    }
  });

  it('required strings must be non-empty; optional fields accept their documented types only', () => {
    const ok = { ...base, ts: '2026-04-16T19:10:38Z' };
    for (const f of ['repo', 'scope', 'machine', 'trigger'] as const) {
      expect(checkRow({ ...ok, [f]: '' })).toBe(false);
      expect(explainReject({ ...ok, [f]: '' })).toMatch(new RegExp(`^${f}:`));
      const { [f]: _gone, ...missing } = ok;
      expect(checkRow(missing)).toBe(false);
    }
    expect(checkRow({ ...ok, manifest_before: null, manifest_after: 'sha-1' })).toBe(true);
    expect(checkRow({ ...ok, manifest_before: 3 })).toBe(false);
    expect(checkRow({ ...ok, error: ['a', 'b'] })).toBe(true);
    expect(checkRow({ ...ok, error: ['a', 1] })).toBe(false);
    expect(RowSchema.safeParse({ ...ok, error: ['a', 1] }).success).toBe(false);
    expect(checkRow({ ...ok, error: null })).toBe(false);
    expect(checkRow({ ...ok, ok: 'false' })).toBe(false);
    expect(checkRow({ ...ok, ok: null })).toBe(false);
    expect(checkRow({ ...ok, tenant_id: 7 })).toBe(false);
    expect(checkRow({ ...ok, unknown: { nested: [1] } })).toBe(true);
  });
});

describe('the failure rule as rows carry it (SPEC §1: failure when ok is false, or ok absent and error present and non-empty)', () => {
  const r = (extra: Partial<RawRow>): RawRow => ({
    ts: '2026-04-16T19:10:38Z', op: 'push', repo: 'r', scope: 's', machine: 'm', trigger: 't', files: 0, bytes: 0, dur_ms: 0, ...extra,
  });
  const isFailure = (raw: RawRow): boolean => {
    const row = toRow(raw as Record<string, unknown>, 0, 'log', 1, 'default');
    if (row === null) throw new Error('a valid row was refused');
    return row.failed;
  };
  it('ok:false is a failure, with or without an error', () => {
    expect(isFailure(r({ ok: false }))).toBe(true);
    expect(isFailure(r({ ok: false, error: '' }))).toBe(true);
    expect(isFailure(r({ ok: false, error: [] }))).toBe(true);
  });
  it('ok absent + error "x" is a failure; so is a non-empty chain', () => {
    expect(isFailure(r({ error: 'x' }))).toBe(true);
    expect(isFailure(r({ error: ['outer', 'inner'] }))).toBe(true);
  });
  it('ok absent + error "" is a success', () => {
    expect(isFailure(r({ error: '' }))).toBe(false);
  });
  it('ok absent + error [] is a success', () => {
    expect(isFailure(r({ error: [] }))).toBe(false);
  });
  it('ok:true + error "x" is a success (ok wins)', () => {
    expect(isFailure(r({ ok: true, error: 'x' }))).toBe(false);
    expect(isFailure(r({ ok: true, error: ['x'] }))).toBe(false);
  });
  it('neither ok nor error is a success', () => {
    expect(isFailure(r({}))).toBe(false);
  });
});

describe('the intern map behind row names', () => {
  it('never holds more than INTERN_MAX names, and interned names stay equal by value', () => {
    for (let i = 0; i < INTERN_MAX + 10; i++) expect(intern(`repo-${i}`)).toBe(`repo-${i}`);
    expect(internedCount()).toBeLessThanOrEqual(INTERN_MAX);
    expect(internedCount()).toBeGreaterThan(0);
  });
});
