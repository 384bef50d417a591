import { type KvStore, type TallyMetadata, type TenantTally, tallyFacts, tenantKey } from '../../pipeline/core/kv-store.js';
import { realSleep } from './retry.js';
import { formatTs } from '../../pipeline/core/time.js';

export const HEARTBEAT_MS = 3_600_000;
export const MIN_WRITE_GAP_MS = 1_000;

/**
 * Writes each tenant's tally under `tenant:<id>` (SPEC §5): when it changed apart from
 * reported_at and updated_at, or as an hourly heartbeat, and never twice within a second for one key. The
 * stored value itself is the memory of the last write, so restarts need no extra state.
 * Returns the number of keys written.
 */
export async function publishTallies(
  kv: KvStore,
  tallies: readonly TenantTally[],
  wallClock: number,
  /** Final flush: wait out the one-second gap instead of leaving a change unwritten. */
  waitForGap = false,
  sleep: (ms: number) => Promise<void> = realSleep,
): Promise<number> {
  let written = 0;
  // Time already spent waiting out gaps: one wait covers every key, so a final flush over many
  // tenants written less than a second ago waits about a second, not a second per tenant.
  let waited = 0;
  for (let t of tallies) {
    const key = tenantKey(t.tenant_id);
    const prevText = await kv.get(key);
    if (prevText !== null) {
      let prev: TenantTally | null = null;
      try {
        prev = JSON.parse(prevText) as TenantTally;
      } catch {
        prev = null;
      }
      if (prev !== null) {
        const since = wallClock + waited - Date.parse(prev.updated_at);
        const changed = tallyFacts(prev) !== tallyFacts(t);
        if (!changed && since < HEARTBEAT_MS) continue;
        if (since < MIN_WRITE_GAP_MS) {
          if (!waitForGap) continue;
          await sleep(MIN_WRITE_GAP_MS - since);
          waited += MIN_WRITE_GAP_MS - since;
        }
      }
    }
    // Written after a wait: stamped with the time it is written at.
    if (waited > 0) t = { ...t, updated_at: formatTs(wallClock + waited) };
    const metadata: TallyMetadata = { failing: t.failing, updated_at: t.updated_at };
    await kv.put(key, JSON.stringify(t), { metadata });
    written++;
  }
  return written;
}
