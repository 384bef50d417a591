/**
 * Exact money: amounts are non-negative rationals of cents (BigInt numerator/denominator).
 * `roundCents` is the one place rounding happens (SPEC §6): nearest cent, half up; any positive
 * amount below one cent rounds up to 1; exactly 0 stays 0.
 */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

export const ZERO: Rational = { num: 0n, den: 1n };

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

export function rational(num: bigint, den: bigint = 1n): Rational {
  if (den === 0n) throw new RangeError('zero denominator');
  if (den < 0n) [num, den] = [-num, -den];
  const g = gcd(num, den);
  return g > 1n ? { num: num / g, den: den / g } : { num, den };
}

export function add(a: Rational, b: Rational): Rational {
  if (a.den === b.den) return rational(a.num + b.num, a.den);
  return rational(a.num * b.den + b.num * a.den, a.den * b.den);
}

export function mul(a: Rational, b: Rational): Rational {
  return rational(a.num * b.num, a.den * b.den);
}

export function sum(values: Iterable<Rational>): Rational {
  let acc = ZERO;
  for (const v of values) acc = add(acc, v);
  return acc;
}

export function roundCents(x: Rational): bigint {
  const { num, den } = x.den < 0n ? { num: -x.num, den: -x.den } : x;
  if (num < 0n) throw new RangeError('negative amount');
  if (num === 0n) return 0n;
  if (num < den) return 1n;
  // floor(x + 1/2) = floor((2·num + den) / (2·den))
  return (2n * num + den) / (2n * den);
}

/** "5", "5.00", "0.01", "1e-2"-free decimal text to an exact rational; NaN-free: throws. */
export function parseDecimal(text: string): Rational {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) throw new Error(`not a non-negative decimal number: "${text}"`);
  const frac = m[2] ?? '';
  return rational(BigInt(`${m[1]}${frac}`), 10n ** BigInt(frac.length));
}

/** USD decimal text to a rational of cents. */
export function usdToCents(text: string): Rational {
  return mul(parseDecimal(text), rational(100n));
}

/** Cents as a plain number for JSON (safe far beyond any real bill). */

/** The price list of SPEC §6 (every amount exact). */
export interface Prices {
  /** Subscription per month, in cents. */
  readonly baseCentsPerMonth: Rational;
  /** Outbound bytes included per calendar month (a safe integer). */
  readonly includedEgressBytes: number;
  /** Cents per GiB of outbound transfer beyond the allowance. */
  readonly egressCentsPerGiB: Rational;
}

export const DEFAULT_PRICES: Prices = {
  baseCentsPerMonth: rational(500n),
  includedEgressBytes: 2 ** 40,
  egressCentsPerGiB: rational(1n),
};
