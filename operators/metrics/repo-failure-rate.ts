import type { RepoEntry } from '../../pipeline/core/snapshot.js';
import type { Batch } from '../../pipeline/core/batch.js';
import { FAILED, NAMES, PUSH } from '../../pipeline/core/columns.js';
import { slotsOf, bumpCell, newCellCache, type CellCache, seeded, foldBatches, pruneBelow, sumBuckets, type BucketCounts, dict, pruneDue } from '../fold.js';
import { DAY_MS, HOUR_MS } from '../../pipeline/core/time.js';

/**
 * Ops and failed ops per repo, in hourly buckets (for 24h) and daily buckets (for 7d); pushes
 * and failed pushes per hour too, so the 24h ops split by op (pulls are the rest).
 */
export interface RepoFailureRateState {
  repos: Record<string, { hours: BucketCounts; pushHours: BucketCounts; days: BucketCounts }>;
}

export const initRepoFailureRate = (): RepoFailureRateState => ({ repos: dict() });

/** Per state, each repo's current hour and day cells. */
const cellsOf = new WeakMap<RepoFailureRateState, { hours: CellCache; pushHours: CellCache; days: CellCache }>();

export function foldRepoFailureRate(s: RepoFailureRateState, b: Batch): void {
  const { flags, repo, hour, day, length } = b.rows;
  const names = NAMES.list;
  const repos = s.repos;
  const slots = slotsOf(repos);
  let cells = cellsOf.get(s);
  if (cells === undefined) cellsOf.set(s, (cells = { hours: newCellCache(), pushHours: newCellCache(), days: newCellCache() }));
  for (let i = 0; i < length; i++) {
    const id = repo[i]!;
    let st = slots[id];
    if (st === undefined) slots[id] = st = (repos[names[id]!] ??= { hours: dict(), pushHours: dict(), days: dict() });
    const f = flags[i]!;
    const failed = (f & FAILED) !== 0;
    bumpCell(cells.hours, id, st.hours, hour[i]!, failed);
    if ((f & PUSH) !== 0) bumpCell(cells.pushHours, id, st.pushHours, hour[i]!, failed);
    bumpCell(cells.days, id, st.days, day[i]!, failed);
  }
  if (!pruneDue(s, b.nowFloor)) return;
  cellsOf.delete(s);
  const minHour = Math.floor(b.nowFloor / HOUR_MS) - 24;
  const minDay = Math.floor(b.nowFloor / DAY_MS) - 7;
  for (const name in repos) {
    const st = repos[name]!;
    pruneBelow(st.hours, minHour);
    pruneBelow(st.pushHours, minHour);
    pruneBelow(st.days, minDay);
  }
}

export const repoFailureRate = (seed?: RepoFailureRateState) =>
  foldBatches(seeded(seed, initRepoFailureRate), foldRepoFailureRate);


/** Every repo with a row in the last 7d, sorted by name (code-unit order). */
export function repoFailureRateView(s: RepoFailureRateState, now: number): RepoEntry[] {
  const h = Math.floor(now / HOUR_MS);
  const d = Math.floor(now / DAY_MS);
  const out: RepoEntry[] = [];
  for (const repo in s.repos) {
    const st = s.repos[repo]!;
    const week = sumBuckets(st.days, d - 6, d + 1);
    if (week[0] === 0) continue;
    const day = sumBuckets(st.hours, h - 23, h + 1);
    const pushes = sumBuckets(st.pushHours, h - 23, h + 1)[0];
    out.push({ repo, ops_24h: day[0], pushes_24h: pushes, pulls_24h: day[0] - pushes, failed_24h: day[1], ops_7d: week[0], failed_7d: week[1] });
  }
  return out.sort((a, b) => (a.repo < b.repo ? -1 : a.repo > b.repo ? 1 : 0));
}
