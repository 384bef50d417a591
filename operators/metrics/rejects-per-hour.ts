import type { Batch } from '../../pipeline/core/batch.js';
import { HOUR_MS } from '../../pipeline/core/time.js';
import { dict, foldBatches, pruneBelow, pruneDue, seeded } from '../fold.js';

/**
 * Rejected lines per UTC hour of the ts they take (SPEC §3.1: the nearest valid row before them
 * in their file), for the health check's "a rejected line in the last 24h". A rejected line with
 * no valid row before it in its file has no ts: it counts as in every window (`undated`), so the
 * health warns rather than hiding it.
 */
export interface RejectsPerHourState {
  hours: Record<number, number>;
  undated: number;
}

export const initRejectsPerHour = (): RejectsPerHourState => ({ hours: dict(), undated: 0 });

export function foldRejectsPerHour(s: RejectsPerHourState, b: Batch): void {
  const ts = b.rejectedTs;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    if (t !== t) s.undated++;
    else {
      const h = Math.floor(t / HOUR_MS);
      s.hours[h] = (s.hours[h] ?? 0) + 1;
    }
  }
  if (pruneDue(s, b.nowFloor)) pruneBelow(s.hours, Math.floor(b.nowFloor / HOUR_MS) - 24);
}

export const rejectsPerHour = (seed?: RejectsPerHourState) => foldBatches(seeded(seed, initRejectsPerHour), foldRejectsPerHour);

/** Rejected lines in [H-23h, H+1h) (their ts ≤ NOW: the engine gates them), undated ones included. */
export function rejects24hView(s: RejectsPerHourState, now: number): number {
  const h = Math.floor(now / HOUR_MS);
  let n = s.undated;
  for (let k = h - 23; k <= h; k++) n += s.hours[k] ?? 0;
  return n;
}
