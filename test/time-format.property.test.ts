import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatTs } from '../pipeline/core/time.js';

/** The definition: ISO 8601 in UTC as toISOString gives it, without `.000` for whole seconds. */
const reference = (ms: number): string => {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
};

describe('formatTs (minute-cached fast path) against toISOString', () => {
  it('agrees on any instant, in bursts within a minute and across years, signs and fractions', () => {
    const instant = fc.oneof(
      fc.integer({ min: -62_198_755_200_000, max: 253_402_300_799_999 }),
      fc.integer({ min: 1_775_000_000_000, max: 1_775_000_600_000 }),
      fc.double({ min: -1e12, max: 1e13, noNaN: true }),
    );
    fc.assert(fc.property(fc.array(fc.tuple(instant, fc.array(fc.integer({ min: -2000, max: 70_000 }), { maxLength: 5 }))), (bursts) => {
      for (const [t, steps] of bursts) {
        expect(formatTs(t)).toBe(reference(t));
        for (const d of steps) expect(formatTs(t + d)).toBe(reference(t + d));
      }
    }), { numRuns: 500 });
  });
});
