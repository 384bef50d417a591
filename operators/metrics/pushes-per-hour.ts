import type { Batch } from '../../pipeline/core/batch.js';
import { seeded, foldBatches, pruneBelow, recentBuckets, type BucketCounts, type Counts, dict, pruneDue } from '../fold.js';
import { HOUR_MS } from '../../pipeline/core/time.js';

/** Pushes and failed pushes per UTC hour, keyed by hour index; the 24h window is cut at view time. */
export interface PushesPerHourState {
  hours: BucketCounts;
}

export const initPushesPerHour = (): PushesPerHourState => ({ hours: dict() });

export function foldPushesPerHour(s: PushesPerHourState, b: Batch): void {
  const rows = b.rows;
  let hour = NaN;
  let cell: Counts = [0, 0];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (!r.push) continue;
    if (r.hour !== hour) {
      hour = r.hour;
      cell = s.hours[hour] ??= [0, 0];
    }
    cell[0]++;
    if (r.failed) cell[1]++;
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
