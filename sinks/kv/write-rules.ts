import { tallyFacts } from '../../pipeline/core/kv-store.js';

/**
 * SPEC §5 write rules for one `tenant:<id>` key, written once here and applied by both writers:
 * publishTallies (every backend, against the stored value) and HttpKvStore (its coalesced sends,
 * against the last value the Worker acknowledged).
 *
 * - A tally is written again when its facts (everything but reported_at and updated_at) changed,
 *   or as a heartbeat once the last write is HEARTBEAT_MS old.
 * - Never twice within MIN_WRITE_GAP_MS for one key (Workers KV allows one write per second per key).
 *
 * The ordering rule (a report older than the stored one's reported_at is refused with 409) is the
 * Worker's; HttpKvStore treats that 409 as superseded.
 */
export const HEARTBEAT_MS = 3_600_000;
export const MIN_WRITE_GAP_MS = 1_000;

/** What the rules compare of a tally already written. */
export interface WrittenTally {
  /** The value without reported_at and updated_at: what "changed" means. */
  readonly facts: string;
  /** Its updated_at in ms; NaN when absent or unparsable, so a heartbeat is due and no gap holds. */
  readonly updatedAt: number;
}

export function writtenTally(tally: object): WrittenTally {
  const facts = tallyFacts(tally);
  const updatedAt = (tally as { updated_at?: unknown }).updated_at;
  return { facts, updatedAt: typeof updatedAt === 'string' ? Date.parse(updatedAt) : NaN };
}

/** Whether a tally with `nextFacts` must be written over `last` at `now`: its facts changed, or a heartbeat is due. */
export function writeDue(last: WrittenTally, nextFacts: string, now: number, heartbeatMs = HEARTBEAT_MS): boolean {
  return nextFacts !== last.facts || !(now - last.updatedAt < heartbeatMs);
}

/** How long to wait, at `now`, before writing again a key last written at `lastAt` (ms); 0 when it may be written now. */
export function gapWait(lastAt: number, now: number, minGapMs = MIN_WRITE_GAP_MS): number {
  const since = now - lastAt;
  return since < minGapMs ? minGapMs - since : 0;
}
