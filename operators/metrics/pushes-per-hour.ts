import type { Batch } from '../../pipeline/core/batch.js';
import { seeded, foldBatches, pruneBelow, recentBuckets, type BucketCounts, type Counts, dict, pruneDue } from '../fold.js';
import { HOUR_MS } from '../../pipeline/core/time.js';
import { FAILED, PUSH } from '../../pipeline/core/columns.js';

/** Pushes and failed pushes per UTC hour, keyed by hour index; the 24h window is cut at view time. */
export interface PushesPerHourState {
  hours: BucketCounts;
}

export const initPushesPerHour = (): PushesPerHourState => ({ hours: dict() });

export function foldPushesPerHour(s: PushesPerHourState, b: Batch): void {
  const { flags, hour: hours, length } = b.rows;
  let hour = NaN;
  let cell: Counts = [0, 0];
  for (let i = 0; i < length; i++) {
    const f = flags[i]!;
    if ((f & PUSH) === 0) continue;
    const h = hours[i]!;
    if (h !== hour) {
      hour = h;
      cell = s.hours[h] ??= [0, 0];
    }
    cell[0]++;
    if ((f & FAILED) !== 0) cell[1]++;
  }
  if (pruneDue(s, b.nowFloor)) pruneBelow(s.hours, Math.floor(b.nowFloor / HOUR_MS) - 24);
}

export const pushesPerHour = (seed?: PushesPerHourState) =>
  foldBatches(seeded(seed, initPushesPerHour), foldPushesPerHour);

export interface HourEntry {
  hour: number;
  pushes: number;
  failed: number;
}

/** The 24 buckets [H-23h, H+1h), oldest first. */
export function pushesPerHourView(s: PushesPerHourState, now: number): HourEntry[] {
  return recentBuckets(s.hours, Math.floor(now / HOUR_MS), 24, (hour, c) => ({ hour, pushes: c ? c[0] : 0, failed: c ? c[1] : 0 }));
}
