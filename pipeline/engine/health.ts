import { MAX_HEALTH_REASONS, type Health, type Snapshot } from '../core/snapshot.js';
import { formatTs, humanDuration, STALE_MACHINE_MS } from '../core/time.js';
import type { PipelineEvent } from '../core/events.js';

/** A log whose newest row is older than this before NOW looks old, not quiet. */
export const OLD_LOG_MS = 24 * 3_600_000;

/** How many names a reason lists before "…". */
const NAMED = 3;

function listed(names: readonly string[]): string {
  return names.length <= NAMED ? names.join(', ') : `${names.slice(0, NAMED).join(', ')}, …`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export interface HealthInputs {
  readonly now: number;
  /** The newest valid row at or before NOW, or null. */
  readonly newestRowTs: number | null;
  readonly open: Snapshot['alerts']['open'];
  readonly machines: Snapshot['machines'];
  /** Rejected lines whose ts is in the last 24h (or that have none). */
  readonly rejects24h: number;
}

/**
 * SPEC §3.1 `health`: critical with an open alert; warn with a stale machine, a rejected line in
 * the last 24h, or no valid row in the 24h before NOW (an old log must never look like a quiet,
 * healthy one); else ok. Reasons are short sentences, most severe first.
 */
export function healthOf(h: HealthInputs): Health {
  const reasons: string[] = [];
  let level: Health['level'] = 'ok';
  if (h.open.length > 0) {
    level = 'critical';
    reasons.push(`${plural(h.open.length, 'open alert')} (${listed(h.open.map((a) => `${a.tenant_id}/${a.repo}`))})`);
  }
  const old = oldLogReason(h.now, h.newestRowTs);
  if (old !== null) reasons.push(old);
  const stale = h.machines.filter((m) => m.last_success_push === null || h.now - Date.parse(m.last_success_push) > STALE_MACHINE_MS);
  if (stale.length > 0) {
    reasons.push(`${plural(stale.length, 'stale machine')}, no successful push in the last 24h (${listed(stale.map((m) => m.machine))})`);
  }
  if (h.rejects24h > 0) reasons.push(`${plural(h.rejects24h, 'rejected line')} in the last 24h (see sync-events.rejects.ndjson)`);
  if (level === 'ok' && reasons.length > 0) level = 'warn';
  return {
    level,
    reasons: reasons.slice(0, MAX_HEALTH_REASONS),
    newest_row_ts: h.newestRowTs === null ? null : formatTs(h.newestRowTs),
    newest_row_age_s: h.newestRowTs === null ? null : Math.floor((h.now - h.newestRowTs) / 1000),
  };
}

/** The reason for an empty or old log, or null when a row is at most 24h before NOW. */
function oldLogReason(now: number, newest: number | null): string | null {
  if (newest === null) return `no valid row at or before NOW (${formatTs(now)}): an empty log, or only rows after NOW? try --now latest`;
  if (now - newest <= OLD_LOG_MS) return null;
  return `newest row (${formatTs(newest)}) is ${humanDuration(now - newest)} before NOW (${formatTs(now)}): an old log? try --now latest`;
}

/** The notice `run` prints when the snapshot's log is empty or old (null when it is neither). */
export function staleLogNotice(s: Snapshot): PipelineEvent | null {
  const h = s.health;
  if (h.newest_row_ts !== null && oldLogReason(Date.parse(s.now), Date.parse(h.newest_row_ts)) === null) return null;
  return { kind: 'log-stale', now: s.now, newestRowTs: h.newest_row_ts, newestRowAgeS: h.newest_row_age_s };
}
