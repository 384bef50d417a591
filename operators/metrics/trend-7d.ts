import type { Batch } from '../../pipeline/core/batch.js';
import { FAILED } from '../../pipeline/core/columns.js';
import { addExact, addExacts, type Exact } from '../../pipeline/core/exact.js';
import type { Trend } from '../../pipeline/core/snapshot.js';
import { DAY_MS } from '../../pipeline/core/time.js';
import { dict, foldBatches, pruneBelow, pruneDue, seeded } from '../fold.js';

/**
 * The last 7d against the 7 days before them (SPEC §3.1 `trend`): per UTC day, ops (push + pull
 * rows), failed ops and the bytes of successful rows, for the 14 days up to NOW. Cost comes from
 * the cost operator's exact per-day amounts (weekCostOf), not from here.
 */
export interface DayTotals {
  ops: number;
  failed: number;
  bytes: Exact;
}

export interface Trend7dState {
  days: Record<number, DayTotals>;
}

export const initTrend7d = (): Trend7dState => ({ days: dict() });

export function foldTrend7d(s: Trend7dState, b: Batch): void {
  const { flags, day: days, bytes, length } = b.rows;
  let day = NaN;
  let d: DayTotals = { ops: 0, failed: 0, bytes: 0 };
  for (let i = 0; i < length; i++) {
    if (days[i] !== day) {
      day = days[i]!;
      d = s.days[day] ??= { ops: 0, failed: 0, bytes: 0 };
    }
    d.ops++;
    if ((flags[i]! & FAILED) !== 0) d.failed++;
    else d.bytes = addExact(d.bytes, bytes[i]!);
  }
  if (pruneDue(s, b.nowFloor)) pruneBelow(s.days, Math.floor(b.nowFloor / DAY_MS) - 14);
}

export const trend7d = (seed?: Trend7dState) => foldBatches(seeded(seed, initTrend7d), foldTrend7d);

/** The trend without its cost, which the cost operator computes from its exact day sums. */
export type TrendCounts = Omit<Trend, 'cost_7d_usd_cents' | 'cost_prev_7d_usd_cents'>;

function sumDays(s: Trend7dState, from: number, to: number): DayTotals {
  const out: DayTotals = { ops: 0, failed: 0, bytes: 0 };
  for (let day = from; day < to; day++) {
    const d = s.days[day];
    if (d === undefined) continue;
    out.ops += d.ops;
    out.failed += d.failed;
    out.bytes = addExacts(out.bytes, d.bytes);
  }
  return out;
}

/** Days [D-6d, D+1d) against [D-13d, D-6d). */
export function trend7dView(s: Trend7dState, now: number): TrendCounts {
  const d = Math.floor(now / DAY_MS);
  const week = sumDays(s, d - 6, d + 1);
  const prev = sumDays(s, d - 13, d - 6);
  return {
    ops_7d: week.ops,
    ops_prev_7d: prev.ops,
    failed_7d: week.failed,
    failed_prev_7d: prev.failed,
    bytes_7d: week.bytes,
    bytes_prev_7d: prev.bytes,
  };
}
