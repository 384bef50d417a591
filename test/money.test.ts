// SPEC §6 rounding: exact rationals, nearest cent half up, any positive amount below a cent → 1,
// exactly 0 stays 0; and a day's base shares add up exactly to the day's base.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { add, parseDecimal, rational, roundCents, sum, usdToCents, ZERO, type Rational, DEFAULT_PRICES } from '../pipeline/core/money.js';
import { dayCosts, type Aggregate } from '../operators/metrics/cost-per-tenant-day.js';
import { DAY_MS } from '../pipeline/core/time.js';

const bigNat = (max: bigint) => fc.bigInt({ min: 0n, max });
const posDen = fc.bigInt({ min: 1n, max: 10n ** 12n });
const amount: fc.Arbitrary<Rational> = fc.oneof(
  fc.tuple(bigNat(10n ** 15n), posDen).map(([n, d]) => rational(n, d)),
  fc.tuple(bigNat(1000n), fc.bigInt({ min: 1n, max: 1000n })).map(([n, d]) => rational(n, d)),
  fc.bigInt({ min: 0n, max: 10n ** 6n }).map((k) => rational(2n * k + 1n, 2n)), // exact halves
  fc.tuple(fc.bigInt({ min: 1n, max: 999n }), fc.constant(1000n)).map(([n, d]) => rational(n, d)), // sub-cent
);

/** Reference: nearest integer, half up, via exact comparison. */
function refRound(x: Rational): bigint {
  if (x.num === 0n) return 0n;
  if (x.num < x.den) return 1n;
  const floor = x.num / x.den;
  const rem = x.num - floor * x.den; // x = floor + rem/den
  return 2n * rem >= x.den ? floor + 1n : floor;
}

const lt = (a: Rational, b: Rational): boolean => a.num * b.den < b.num * a.den;
const le = (a: Rational, b: Rational): boolean => a.num * b.den <= b.num * a.den;

describe('roundCents', () => {
  it('hand values', () => {
    expect(roundCents(ZERO)).toBe(0n);
    expect(roundCents(rational(0n, 7n))).toBe(0n);
    expect(roundCents(rational(1n, 10n ** 18n))).toBe(1n);
    expect(roundCents(rational(1n, 3n))).toBe(1n);
    expect(roundCents(rational(1n, 2n))).toBe(1n);
    expect(roundCents(rational(999n, 1000n))).toBe(1n);
    expect(roundCents(rational(1n))).toBe(1n);
    expect(roundCents(rational(149n, 100n))).toBe(1n);
    expect(roundCents(rational(3n, 2n))).toBe(2n);
    expect(roundCents(rational(5n, 2n))).toBe(3n); // half up, not half even
    expect(roundCents(rational(50n, 3n))).toBe(17n);
    expect(roundCents(rational(500n, 31n))).toBe(16n); // 16.129
    expect(roundCents(rational(500n, 28n))).toBe(18n); // 17.857
    expect(roundCents(rational(500n, 29n))).toBe(17n); // 17.241
    expect(roundCents(rational(2n * 10n ** 20n + 1n, 2n))).toBe(10n ** 20n + 1n);
  });

  it('is an integer ≥ 0; 0 → 0; x > 0 → ≥ 1; for x ≥ 1 within ½ of x; equals nearest-half-up', () => {
    fc.assert(
      fc.property(amount, (x) => {
        const r = roundCents(x);
        expect(typeof r).toBe('bigint');
        expect(r >= 0n).toBe(true);
        if (x.num === 0n) expect(r).toBe(0n);
        else expect(r >= 1n).toBe(true);
        if (x.num >= x.den) {
          // |r - x| ≤ 1/2  ⇔  |2(r·den − num)| ≤ den
          const diff = 2n * (r * x.den - x.num);
          expect(diff <= x.den && -diff <= x.den).toBe(true);
          // exact half rounds up: r - x = +1/2, never -1/2
          expect(diff).not.toBe(-x.den);
        }
        expect(r).toBe(refRound(x));
      }),
      { numRuns: 3000 },
    );
  });

  it('half rounds up: k + ½ → k + 1', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 30n }), (k) => {
        expect(roundCents(rational(2n * k + 1n, 2n))).toBe(k + 1n);
        expect(roundCents(rational(2n * k + 1n, 2n)) - roundCents(rational(2n * k * 1000n + 999n, 2000n))).toBe(1n);
      }),
    );
  });

  it('is monotonic', () => {
    fc.assert(
      fc.property(amount, amount, (a, b) => {
        const [lo, hi] = le(a, b) ? [a, b] : [b, a];
        expect(roundCents(lo) <= roundCents(hi)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('is stable under representation: unreduced, scaled, negative/negative forms give the same cents', () => {
    fc.assert(
      fc.property(bigNat(10n ** 12n), posDen, fc.bigInt({ min: 1n, max: 10n ** 9n }), (n, d, k) => {
        const reduced = rational(n, d);
        const r = roundCents(reduced);
        expect(roundCents({ num: n * k, den: d * k })).toBe(r);
        expect(roundCents({ num: -n * k, den: -d * k })).toBe(r);
        expect(roundCents(rational(-n, -d))).toBe(r);
        expect(roundCents(add(rational(n, 2n * d), rational(n, 2n * d)))).toBe(r);
      }),
      { numRuns: 2000 },
    );
  });

  it('negative amounts are refused', () => {
    expect(() => roundCents({ num: -1n, den: 3n })).toThrow(RangeError);
    expect(() => roundCents({ num: 1n, den: -3n })).toThrow(RangeError);
  });

  it('sum of rounded aggregates ≥ exact total − ½ per aggregate; never below the total when all are sub-cent', () => {
    fc.assert(
      fc.property(fc.array(amount, { minLength: 1, maxLength: 12 }), (xs) => {
        const total = sum(xs);
        const rounded = xs.reduce((a, x) => a + roundCents(x), 0n);
        // rounded ≥ total − k/2  ⇔  2·rounded·den ≥ 2·num − k·den
        expect(2n * rounded * total.den >= 2n * total.num - BigInt(xs.length) * total.den).toBe(true);
        if (xs.every((x) => lt(x, rational(1n)))) expect(le(total, rational(rounded))).toBe(true);
        // …and the once-rounded total is within ½ of the exact total (or 1 when it is sub-cent)
        const once = roundCents(total);
        if (total.num >= total.den) {
          const diff = 2n * (once * total.den - total.num);
          expect(diff <= total.den && -diff <= total.den).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('sub-cent aggregates: three × ⅓ cent → 1 each, 3 in the file, 1 once summed', () => {
    const third = rational(1n, 3n);
    expect([third, third, third].map(roundCents)).toEqual([1n, 1n, 1n]);
    expect(roundCents(sum([third, third, third]))).toBe(1n);
  });
});

describe('parseDecimal / usdToCents', () => {
  it('parses exact decimals', () => {
    expect(usdToCents('5.00')).toEqual(rational(500n));
    expect(usdToCents('0.01')).toEqual(rational(1n));
    expect(usdToCents('0.001')).toEqual(rational(1n, 10n));
    expect(parseDecimal('12.50')).toEqual(rational(25n, 2n));
    for (const bad of ['-1', '1e-2', '', '.5', '5.', 'abc', 'NaN']) expect(() => parseDecimal(bad), bad).toThrow();
  });
});

describe('dayCosts base shares', () => {
  const agg = (push: number, pull: number, active = true, billable = 0): Aggregate => ({
    ops: 1, push_bytes: push, pull_bytes: pull, billable_egress_bytes: billable, active,
  });
  const dayIndex = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / DAY_MS;
  const daysIn = (iso: string): bigint => BigInt(new Date(Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)), 0)).getUTCDate());

  it('shares of a day add up exactly to 500 / (days in that month) before rounding', () => {
    const aggsArb = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 5 }),
      fc.record({ push: fc.oneof(fc.nat(), fc.constant(0)), pull: fc.oneof(fc.nat(), fc.constant(0)), active: fc.boolean() }),
      { minKeys: 1, maxKeys: 8 },
    );
    const dayArb = fc.integer({ min: Date.UTC(2024, 0, 1) / DAY_MS, max: Date.UTC(2030, 11, 31) / DAY_MS });
    fc.assert(
      fc.property(aggsArb, dayArb, (spec, day) => {
        const aggs: Record<string, Aggregate> = {};
        for (const [t, s] of Object.entries(spec)) aggs[t] = s.active ? agg(s.push, s.pull) : agg(0, 0, false);
        const costs = dayCosts(aggs, day, DEFAULT_PRICES);
        const iso = new Date(day * DAY_MS).toISOString().slice(0, 10);
        const anyActive = Object.values(aggs).some((a) => a.active);
        const total = sum(costs.values());
        expect(total).toEqual(anyActive ? rational(500n, daysIn(iso)) : ZERO);
        for (const [t, a] of Object.entries(aggs)) if (!a.active) expect(costs.get(t)).toEqual(ZERO);
      }),
      { numRuns: 1500 },
    );
  });

  it('pro rata by successful push + pull bytes; equally when all are 0', () => {
    const d = dayIndex('2026-04-16'); // April: 500/30 = 50/3 a day
    const pro = dayCosts({ a: agg(1, 2), b: agg(3, 0), c: agg(0, 0, false) }, d, DEFAULT_PRICES);
    expect(pro.get('a')).toEqual(rational(50n * 3n, 3n * 6n)); // 50/3 · 3/6
    expect(pro.get('b')).toEqual(rational(50n * 3n, 3n * 6n));
    expect(pro.get('c')).toEqual(ZERO);
    const eq = dayCosts({ a: agg(0, 0), b: agg(0, 0), c: agg(0, 0) }, d, DEFAULT_PRICES);
    for (const t of ['a', 'b', 'c']) expect(eq.get(t)).toEqual(rational(50n, 9n));
    const one = dayCosts({ a: agg(0, 7) }, d, DEFAULT_PRICES);
    expect(one.get('a')).toEqual(rational(50n, 3n));
  });

  it('overage is 1 cent per GiB on top of the share, exact for partial GiB', () => {
    const d = dayIndex('2026-04-16');
    const c = dayCosts({ a: agg(0, 10, true, 2 ** 30 * 3 + 2 ** 29) }, d, DEFAULT_PRICES);
    expect(c.get('a')).toEqual(add(rational(50n, 3n), rational(7n, 2n)));
  });
});
