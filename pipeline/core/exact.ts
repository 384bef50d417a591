/** Integer sums that stay exact past 2^53: a number while safe, a bigint after. */
export type Exact = number | bigint;

export function addExact(a: Exact, b: number): Exact {
  if (typeof a === 'number') {
    const s = a + b;
    return s <= Number.MAX_SAFE_INTEGER ? s : BigInt(a) + BigInt(b);
  }
  return a + BigInt(b);
}

/** a + b for two exact sums. */
export function addExacts(a: Exact, b: Exact): Exact {
  return typeof b === 'number' ? addExact(a, b) : BigInt(a) + b;
}

const BIG_TAG = '__bigint__:';

/** JSON.stringify that writes bigints as plain JSON integers (exact digits). */
export function stringifyExact(value: unknown, space?: number): string {
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${BIG_TAG}${v}` : v), space);
  return text.replace(/"__bigint__:(\d+)"/g, '$1');
}

/**
 * JSON.parse that keeps integers beyond 2^53 exact: the snapshot and the aggregates file write
 * bigints as plain JSON integers (pipeline/exact.ts), which JSON.parse would round. Integer
 * literals outside strings that are not safe integers come back as bigints; everything else is
 * as JSON.parse gives it.
 */
const TAG = '\uE000exact-bigint:';

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function parseExactJson(text: string): unknown {
  let out = '';
  let copied = 0;
  const n = text.length;
  let i = 0;
  let tagged = false;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92) i += 2;
        else {
          i++;
          if (d === 34) break;
        }
      }
      continue;
    }
    if (c === 45 || isDigit(c)) {
      let j = i + (c === 45 ? 1 : 0);
      while (j < n && isDigit(text.charCodeAt(j))) j++;
      const next = text.charCodeAt(j);
      const integer = next !== 46 && next !== 101 && next !== 69;
      if (integer && j - i >= 16) {
        const digits = text.slice(i, j);
        if (!Number.isSafeInteger(Number(digits))) {
          out += `${text.slice(copied, i)}"${TAG}${digits}"`;
          copied = j;
          tagged = true;
        }
      }
      while (j < n) {
        const d = text.charCodeAt(j);
        if (isDigit(d) || d === 46 || d === 101 || d === 69 || d === 43 || d === 45) j++;
        else break;
      }
      i = j;
      continue;
    }
    i++;
  }
  if (!tagged) return JSON.parse(text);
  out += text.slice(copied);
  return JSON.parse(out, (_k, v: unknown) => (typeof v === 'string' && v.startsWith(TAG) ? BigInt(v.slice(TAG.length)) : v));
}
