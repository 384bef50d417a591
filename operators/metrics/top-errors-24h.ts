import type { Batch } from '../../pipeline/core/batch.js';
import { FAILED, NAMES } from '../../pipeline/core/columns.js';
import { HOUR_MS } from '../../pipeline/core/time.js';
import { dict, firstLiveHour, foldBatches, pruneBelow, pruneDue, seeded } from '../fold.js';

/**
 * Failed rows of the last 24h grouped by their outermost error message (SPEC §3.1), per UTC
 * hour so the window can move: per hour and message, the rows, the newest ts and the repos.
 */
export interface ErrorTally {
  count: number;
  last: number;
  /** Repo names (keys only). */
  repos: Record<string, true>;
}

export interface TopErrors24hState {
  /** hour index → outermost message → tally. */
  hours: Record<number, Record<string, ErrorTally>>;
}

export const initTopErrors24h = (): TopErrors24hState => ({ hours: dict() });

/** The message of a failure whose chain is empty or starts with an empty string. */
export const NO_ERROR_TEXT = '(no error text)';

/** The list's length at most (SPEC §3.1). */
export const TOP_ERRORS = 10;

export function foldTopErrors24h(s: TopErrors24hState, b: Batch): void {
  const rows = b.rows;
  const { flags, repo, hour: hours, t, errorsFrom, errorText, texts, length } = rows;
  const names = NAMES.list;
  const live = firstLiveHour(b.nowFloor);
  for (let i = 0; i < length; i++) {
    if ((flags[i]! & FAILED) === 0 || hours[i]! < live) continue;
    const first = errorsFrom[i]!;
    const outer = first < errorsFrom[i + 1]! ? texts[errorText[first]!]! : '';
    const message = outer === '' ? NO_ERROR_TEXT : outer;
    const byMessage = (s.hours[hours[i]!] ??= dict());
    const tally = (byMessage[message] ??= { count: 0, last: t[i]!, repos: dict() });
    tally.count++;
    if (t[i]! > tally.last) tally.last = t[i]!;
    tally.repos[names[repo[i]!]!] = true;
  }
  if (pruneDue(s, b.nowFloor)) pruneBelow(s.hours, Math.floor(b.nowFloor / HOUR_MS) - 24);
}

export const topErrors24h = (seed?: TopErrors24hState) => foldBatches(seeded(seed, initTopErrors24h), foldTopErrors24h);

export interface TopErrorEntry {
  error: string;
  count: number;
  repos: number;
  /** Epoch ms. */
  last: number;
}

/** At most 10 messages of [H-23h, H+1h), by count descending, then message (code-unit order). */
export function topErrors24hView(s: TopErrors24hState, now: number): TopErrorEntry[] {
  const h = Math.floor(now / HOUR_MS);
  const merged = new Map<string, { count: number; last: number; repos: Set<string> }>();
  for (let k = h - 23; k <= h; k++) {
    const byMessage = s.hours[k];
    if (byMessage === undefined) continue;
    for (const message in byMessage) {
      const tally = byMessage[message]!;
      let m = merged.get(message);
      if (m === undefined) merged.set(message, (m = { count: 0, last: tally.last, repos: new Set() }));
      m.count += tally.count;
      if (tally.last > m.last) m.last = tally.last;
      for (const r in tally.repos) m.repos.add(r);
    }
  }
  return [...merged]
    .sort(([ma, a], [mb, b]) => b.count - a.count || (ma < mb ? -1 : ma > mb ? 1 : 0))
    .slice(0, TOP_ERRORS)
    .map(([error, m]) => ({ error, count: m.count, repos: m.repos.size, last: m.last }));
}
