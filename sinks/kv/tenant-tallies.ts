import { type KvStore, type TallyMetadata, type TenantTally, tallyFacts, tenantKey } from '../../pipeline/core/kv-store.js';
import { realSleep } from './retry.js';
import { formatTs } from '../../pipeline/core/time.js';
import { gapWait, writeDue, writtenTally, type WrittenTally } from './write-rules.js';

export { HEARTBEAT_MS, MIN_WRITE_GAP_MS } from './write-rules.js';

/**
 * Writes each tenant's tally under `tenant:<id>` by the SPEC §5 write rules (write-rules.ts):
 * when it changed apart from reported_at and updated_at, or as an hourly heartbeat, and never
 * twice within a second for one key. The stored value itself is the memory of the last write, so
 * restarts need no extra state. Returns the number of keys written.
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
    const last = storedTally(await kv.get(key));
    if (last !== null) {
      const now = wallClock + waited;
      if (!writeDue(last, tallyFacts(t), now)) continue;
      const wait = gapWait(last.updatedAt, now);
      if (wait > 0) {
        if (!waitForGap) continue;
        await sleep(wait);
        waited += wait;
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

/** The stored value as the write rules see it; null when there is none, or none that parses (it is then overwritten). */
function storedTally(text: string | null): WrittenTally | null {
  if (text === null) return null;
  let prev: unknown;
  try {
    prev = JSON.parse(text);
  } catch {
    return null;
  }
  return prev === null ? null : writtenTally(prev as object);
}
