/**
 * Oracle for SPEC §3.1 ("what is wrong now"): the snapshot's `health`, `top_errors_24h`,
 * `latency_24h` and `trend`, from rows already cut at NOW and stably sorted by ts. Written from
 * the SPEC text alone; integer math only (BigInt for the latency buckets and byte sums).
 * `reasons` is free text, so the oracle does not word it: it records which facts call for a
 * reason (`causes`), and the comparison checks that reasons exist, and that an old or empty log
 * suggests `--now latest`.
 */
import { byName, DAY, formatTs, HOUR, type OracleRow } from './oracle-common.js';
import type { OracleCost } from './oracle-cost.js';

/** The facts that make the level other than ok; an `old-log` reason must suggest `--now latest`. */
export type HealthCause = 'open-alerts' | 'stale-machine' | 'rejected-24h' | 'old-log';

export interface OracleHealth {
  level: 'ok' | 'warn' | 'critical';
  newest_row_ts: string | null;
  newest_row_age_s: number | null;
  causes: HealthCause[];
}

export interface TopError {
  error: string;
  count: number;
  repos: number;
  last_ts: string;
}

export interface RepoLatency {
  repo: string;
  p50_ms: number;
  p95_ms: number;
  max_ms: number;
}

export interface OracleTrend {
  ops_7d: number;
  ops_prev_7d: number;
  failed_7d: number;
  failed_prev_7d: number;
  bytes_7d: bigint;
  bytes_prev_7d: bigint;
  cost_7d_usd_cents: bigint;
  cost_prev_7d_usd_cents: bigint;
}

export interface WhatIsWrongNow {
  health: OracleHealth;
  top_errors_24h: TopError[];
  latency_24h: RepoLatency[];
  trend: OracleTrend;
}

/** The snapshot keys of §3.1, in the SPEC's order. */
export const WHAT_IS_WRONG_NOW_FIELDS = ['health', 'top_errors_24h', 'latency_24h', 'trend'] as const;

export const NO_ERROR_TEXT = '(no error text)';
const TOP_ERRORS = 10;

export interface WhatIsWrongNowInput {
  /** Valid rows with ts ≤ NOW, stably sorted by ts. */
  rows: readonly OracleRow[];
  /**
   * One entry per rejected line: the ts it takes (the nearest valid row before it in its file),
   * or null when no valid row comes before it, which counts as inside the last 24h.
   */
  rejectedAt: ReadonlyArray<number | null>;
  now: number;
  openAlerts: number;
  cost: OracleCost;
}

export function whatIsWrongNow(input: WhatIsWrongNowInput): WhatIsWrongNow {
  const { rows, now } = input;
  const from24h = Math.floor(now / HOUR) * HOUR - 23 * HOUR; // last 24h = [H-23h, H+1h), ts ≤ NOW
  const last24h = rows.filter((r) => r.t >= from24h);
  return {
    health: health(input, from24h),
    top_errors_24h: topErrors(last24h),
    latency_24h: latency(last24h),
    trend: trend(rows, now, input.cost),
  };
}

// ---- health ---------------------------------------------------------------------------------

function health({ rows, rejectedAt, now, openAlerts }: WhatIsWrongNowInput, from24h: number): OracleHealth {
  const causes: HealthCause[] = [];
  if (openAlerts > 0) causes.push('open-alerts');
  // §7 stale-machine, over the machines with a row at or before NOW (the snapshot's `machines`).
  const lastSuccessPush = new Map<string, number | null>();
  for (const r of rows) {
    const prev = lastSuccessPush.get(r.machine) ?? null;
    if (r.op === 'push' && !r.failed) lastSuccessPush.set(r.machine, prev === null ? r.t : Math.max(prev, r.t));
    else if (!lastSuccessPush.has(r.machine)) lastSuccessPush.set(r.machine, null);
  }
  if ([...lastSuccessPush.values()].some((t) => t === null || t < now - DAY)) causes.push('stale-machine');
  if (rejectedAt.some((t) => t === null || (t >= from24h && t <= now))) causes.push('rejected-24h');
  const newest = rows.length === 0 ? null : (rows[rows.length - 1] as OracleRow).t;
  if (newest === null || now - newest > DAY) causes.push('old-log');
  return {
    level: openAlerts > 0 ? 'critical' : causes.length > 0 ? 'warn' : 'ok',
    newest_row_ts: newest === null ? null : formatTs(newest),
    // Whole seconds elapsed (NOW and a row's ts may carry milliseconds).
    newest_row_age_s: newest === null ? null : Math.floor((now - newest) / 1000),
    causes,
  };
}

// ---- top errors -----------------------------------------------------------------------------

/** The outermost message of a failure: the string, or the chain's first element. */
export function outermostError(r: OracleRow): string {
  const first = r.errors[0];
  return first === undefined || first === '' ? NO_ERROR_TEXT : first;
}

function topErrors(last24h: readonly OracleRow[]): TopError[] {
  const groups = new Map<string, { count: number; repos: Set<string>; last: number }>();
  for (const r of last24h) {
    if (!r.failed) continue;
    const error = outermostError(r);
    const g = groups.get(error);
    if (g === undefined) groups.set(error, { count: 1, repos: new Set([r.repo]), last: r.t });
    else {
      g.count++;
      g.repos.add(r.repo);
      g.last = Math.max(g.last, r.t);
    }
  }
  return [...groups]
    .sort(([ea, a], [eb, b]) => b.count - a.count || byName(ea, eb))
    .slice(0, TOP_ERRORS)
    .map(([error, g]) => ({ error, count: g.count, repos: g.repos.size, last_ts: formatTs(g.last) }));
}

// ---- latency --------------------------------------------------------------------------------

/**
 * The low edge of v's histogram bucket: v itself below 256, else v with all but its 8 leading
 * binary digits cleared (⌊v / 2^(e−7)⌋ · 2^(e−7), e = ⌊log2 v⌋). BigInt, so e is exact where
 * Math.log2 would round (2^53 − 1).
 */
export function latencyBucket(v: number): number {
  if (v < 256) return v;
  const big = BigInt(v);
  const e = big.toString(2).length - 1;
  const width = 1n << BigInt(e - 7);
  return Number((big / width) * width);
}

/** The 1-based nearest rank ⌈p·n/100⌉, in integers. */
export function nearestRank(p: number, n: number): number {
  return Math.floor((p * n + 99) / 100);
}

function latency(last24h: readonly OracleRow[]): RepoLatency[] {
  const byRepo = new Map<string, number[]>();
  for (const r of last24h) {
    const list = byRepo.get(r.repo);
    if (list === undefined) byRepo.set(r.repo, [r.dur_ms]);
    else list.push(r.dur_ms);
  }
  return [...byRepo]
    .sort(([a], [b]) => byName(a, b))
    .map(([repo, values]) => {
      values.sort((a, b) => a - b);
      const max = values[values.length - 1] as number;
      const at = (p: number): number => Math.min(latencyBucket(values[nearestRank(p, values.length) - 1] as number), max);
      return { repo, p50_ms: at(50), p95_ms: at(95), max_ms: max };
    });
}

// ---- trend ----------------------------------------------------------------------------------

function trend(rows: readonly OracleRow[], now: number, cost: OracleCost): OracleTrend {
  const D = Math.floor(now / DAY);
  const t: OracleTrend = {
    ops_7d: 0, ops_prev_7d: 0, failed_7d: 0, failed_prev_7d: 0, bytes_7d: 0n, bytes_prev_7d: 0n,
    cost_7d_usd_cents: cost.week_usd_cents, cost_prev_7d_usd_cents: cost.prev_week_usd_cents,
  };
  for (const r of rows) {
    const day = Math.floor(r.t / DAY);
    const bytes = r.failed ? 0n : BigInt(r.bytes);
    if (day >= D - 6 && day <= D) {
      t.ops_7d++;
      if (r.failed) t.failed_7d++;
      t.bytes_7d += bytes;
    } else if (day >= D - 13 && day < D - 6) {
      t.ops_prev_7d++;
      if (r.failed) t.failed_prev_7d++;
      t.bytes_prev_7d += bytes;
    }
  }
  return t;
}

// ---- comparison -----------------------------------------------------------------------------

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? (x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : String(x)) : x));

/**
 * Compares one §3.1 field of a snapshot read with parseJsonExact (integers as bigints) with the
 * oracle: every value exactly, no key missing or extra; for `health.reasons`, only that it is a
 * list of strings, non-empty unless the level is ok, and (for an old or empty log) that one of
 * them suggests `--now latest`. Returns one line per difference.
 */
export function diffWhatIsWrongNowField(field: (typeof WHAT_IS_WRONG_NOW_FIELDS)[number], want: WhatIsWrongNow, got: unknown): string[] {
  const out: string[] = [];
  switch (field) {
    case 'health': {
      const { causes, ...exact } = want.health;
      diffRecord('health', { ...exact, reasons: undefined }, got, out);
      const reasons = isObj(got) ? got.reasons : undefined;
      if (!Array.isArray(reasons) || !reasons.every((r) => typeof r === 'string')) {
        out.push(`health.reasons: got ${show(reasons)}, expected a list of strings`);
      } else {
        if (want.health.level !== 'ok' && reasons.length === 0) out.push(`health.reasons: empty, expected a reason for level ${want.health.level} (${causes.join(', ')})`);
        if (causes.includes('old-log') && !reasons.some((r) => r.includes('--now latest'))) {
          out.push(`health.reasons: ${show(reasons)} do not suggest \`--now latest\` (newest row ${show(want.health.newest_row_ts)})`);
        }
      }
      break;
    }
    case 'top_errors_24h':
    case 'latency_24h': {
      const list: ReadonlyArray<TopError | RepoLatency> = want[field];
      if (!Array.isArray(got)) {
        out.push(`${field}: got ${show(got)}, expected ${list.length} entries`);
        break;
      }
      if (got.length !== list.length) out.push(`${field}: ${got.length} entries, expected ${list.length}`);
      for (let i = 0; i < Math.min(list.length, got.length); i++) diffRecord(`${field}[${i}]`, { ...(list[i] as TopError | RepoLatency) }, got[i], out);
      break;
    }
    case 'trend':
      diffRecord('trend', { ...want.trend }, got, out);
      break;
  }
  return out;
}

/** `want` values: strings and null compared as they are, numbers and bigints as exact integers; undefined = present, checked elsewhere. */
function diffRecord(path: string, want: Record<string, string | number | bigint | null | undefined>, got: unknown, out: string[]): void {
  if (!isObj(got)) {
    out.push(`${path}: got ${show(got)}, expected ${show(want)}`);
    return;
  }
  for (const [k, w] of Object.entries(want)) {
    if (w === undefined) continue;
    if (!(k in got)) out.push(`${path}.${k}: missing, expected ${show(w)}`);
    else if (typeof w === 'number' || typeof w === 'bigint' ? got[k] !== BigInt(w) : got[k] !== w) {
      out.push(`${path}.${k}: got ${show(got[k])}, expected ${show(w)}`);
    }
  }
  const extra = Object.keys(got).filter((k) => !(k in want));
  if (extra.length > 0) out.push(`${path}: unexpected ${show(extra)}`);
}
