import type { Batch } from '../../pipeline/core/batch.js';
import { addExact, type Exact } from '../../pipeline/core/exact.js';
import { seeded, foldBatches, pruneBelow, recentBuckets, dict, pruneDue } from '../fold.js';
import { DAY_MS } from '../../pipeline/core/time.js';

/** Bytes of successful pushes and pulls per UTC day, keyed by day index. */
export interface BytesPerDayState {
  days: Record<number, { pushed: Exact; pulled: Exact }>;
}

export const initBytesPerDay = (): BytesPerDayState => ({ days: dict() });

export function foldBytesPerDay(s: BytesPerDayState, b: Batch): void {
  const rows = b.rows;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r.failed) continue;
    const d = (s.days[r.day] ??= { pushed: 0, pulled: 0 });
    if (r.push) d.pushed = addExact(d.pushed, r.bytes);
    else d.pulled = addExact(d.pulled, r.bytes);
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
