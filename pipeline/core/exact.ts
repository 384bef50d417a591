/** Integer sums that stay exact past 2^53: a number while safe, a bigint after. */
export type Exact = number | bigint;

export function addExact(a: Exact, b: number): Exact {
  if (typeof a === 'number') {
    const s = a + b;
    return s <= Number.MAX_SAFE_INTEGER ? s : BigInt(a) + BigInt(b);
  }
  return a + BigInt(b);
}

export function sumExact(a: Exact, b: Exact): Exact {
  if (typeof a === 'number' && typeof b === 'number') {
    const s = a + b;
    if (s <= Number.MAX_SAFE_INTEGER) return s;
  }
  return BigInt(a) + BigInt(b);
}

const BIG_TAG = '__bigint__:';

/** JSON.stringify that writes bigints as plain JSON integers (exact digits). */
export function stringifyExact(value: unknown, space?: number): string {
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${BIG_TAG}${v}` : v), space);
  return text.replace(/"__bigint__:(\d+)"/g, '$1');
}

/** Replacer/reviver pair for checkpoints, where bigints must survive a round trip. */
export function checkpointReplacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? { $bigint: v.toString() } : v;
}

export function checkpointReviver(_k: string, v: unknown): unknown {
  if (v !== null && typeof v === 'object' && '$bigint' in v) {
    const s = (v as { $bigint: unknown }).$bigint;
    if (typeof s === 'string') return BigInt(s);
  }
  return v;
}
