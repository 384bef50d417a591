import type { Batch } from '../../pipeline/core/batch.js';
import { addExact, type Exact } from '../../pipeline/core/exact.js';
import { seeded, foldBatches, pruneBelow, recentBuckets, dict, pruneDue } from '../fold.js';
import { DAY_MS } from '../../pipeline/core/time.js';
import { FAILED, PUSH } from '../../pipeline/core/columns.js';

/** Bytes of successful pushes and pulls per UTC day, keyed by day index. */
export interface BytesPerDayState {
  days: Record<number, { pushed: Exact; pulled: Exact }>;
}

export const initBytesPerDay = (): BytesPerDayState => ({ days: dict() });

export function foldBytesPerDay(s: BytesPerDayState, b: Batch): void {
  const { flags, day: days, bytes, length } = b.rows;
  let day = NaN;
  let d: { pushed: Exact; pulled: Exact } = { pushed: 0, pulled: 0 };
  for (let i = 0; i < length; i++) {
    const f = flags[i]!;
    if ((f & FAILED) !== 0) continue;
    if (days[i] !== day) {
      day = days[i]!;
      d = s.days[day] ??= { pushed: 0, pulled: 0 };
    }
    if ((f & PUSH) !== 0) d.pushed = addExact(d.pushed, bytes[i]!);
    else d.pulled = addExact(d.pulled, bytes[i]!);
  }
  if (pruneDue(s, b.nowFloor)) pruneBelow(s.days, Math.floor(b.nowFloor / DAY_MS) - 7);
}

export const bytesPerDay = (seed?: BytesPerDayState) => foldBatches(seeded(seed, initBytesPerDay), foldBytesPerDay);

export interface DayEntry {
  day: number;
  pushed_bytes: Exact;
  pulled_bytes: Exact;
}

/** The 7 buckets [D-6d, D+1d), oldest first. */
export function bytesPerDayView(s: BytesPerDayState, now: number): DayEntry[] {
  return recentBuckets(s.days, Math.floor(now / DAY_MS), 7, (day, c) => ({ day, pushed_bytes: c ? c.pushed : 0, pulled_bytes: c ? c.pulled : 0 }));
}
