/**
 * Plain helpers shared by the oracle's parts (bench/oracle*.ts): the row it keeps for §4–§6,
 * time formatting, code-unit order and an exact-integer JSON reader. Written from the SPEC
 * alone, like the rest of the oracle; nothing here comes from pipeline/, operators/ or sinks/.
 */

export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** A valid row with every field §3.1–§6 need; `line` is its 1-based line in `file`. */
export interface OracleRow {
  t: number;
  op: 'push' | 'pull';
  tenant: string;
  repo: string;
  scope: string;
  machine: string;
  trigger: string;
  bytes: number;
  dur_ms: number;
  failed: boolean;
  /** The error chain, outermost first (a lone string is a chain of one). */
  errors: string[];
  file: string;
  line: number;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Days in a month, `month` 1–12. */
export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeap(year) ? 29 : (MONTH_DAYS[month - 1] as number);
}

/** RFC 3339 UTC; milliseconds only when nonzero. */
export function formatTs(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, 19)}Z` : iso;
}

/** `YYYY-MM-DD` of an epoch-ms instant. */
export function formatDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Code-unit order, as Array.prototype.sort compares strings. */
export function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * JSON.parse, except that integers come back as bigints: aggregates may hold integers beyond
 * 2^53, which JSON.parse would round, and the oracle compares them exactly.
 */
export function parseJsonExact(text: string): unknown {
  const TAG = '\uE000int:';
  const tagged = text.replace(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g, (m) => (/^-?\d+$/.test(m) ? `"${TAG}${m}"` : m));
  return JSON.parse(tagged, (_k, v: unknown) => (typeof v === 'string' && v.startsWith(TAG) ? BigInt(v.slice(TAG.length)) : v));
}
