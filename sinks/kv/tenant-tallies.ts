import type { KvStore, TallyMetadata, TenantTally } from '../../pipeline/kv-store.js';
import { tallyFacts, tenantKey } from '../../pipeline/kv-store.js';

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
): Promise<number> {
  let written = 0;
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
        const since = wallClock - Date.parse(prev.updated_at);
        const changed = tallyFacts(prev) !== tallyFacts(t);
        if (!changed && since < HEARTBEAT_MS) continue;
        if (since < MIN_WRITE_GAP_MS) {
          if (!waitForGap) continue;
          await new Promise((r) => setTimeout(r, MIN_WRITE_GAP_MS - since));
          t = { ...t, updated_at: new Date(Date.parse(prev.updated_at) + MIN_WRITE_GAP_MS).toISOString() };
        }
      }
    }
    const metadata: TallyMetadata = { failing: t.failing, updated_at: t.updated_at };
    await kv.put(key, JSON.stringify(t), { metadata });
    written++;
  }
  return written;
}
