import * as z from 'zod/mini';
import type { StatusBody } from '../pipeline/core/status.js';

/** Seconds a computed /_status is reused when STATUS_CACHE_SECONDS is unset or not valid. */
export const DEFAULT_STATUS_CACHE_SECONDS = 30;
/** Beyond an hour a cached "ok" would hide an outage for longer than any monitor tolerates. */
export const MAX_STATUS_CACHE_SECONDS = 3600;

const WHOLE_SECONDS = /^\d{1,4}$/;
let warnedAboutSetting = false;

/**
 * STATUS_CACHE_SECONDS as a TTL: a whole number from 0 (no caching) to 3600, as a string or a
 * TOML number. Anything else falls back to the default, with one warning per isolate for
 * `wrangler tail`, so a typo never turns the cache off or makes it hold a status for a day.
 */
export function statusCacheSeconds(raw: unknown): number {
  if (raw === undefined || raw === '') return DEFAULT_STATUS_CACHE_SECONDS;
  const text = typeof raw === 'number' || typeof raw === 'string' ? String(raw).trim() : '';
  if (WHOLE_SECONDS.test(text) && Number(text) <= MAX_STATUS_CACHE_SECONDS) return Number(text);
  if (!warnedAboutSetting) {
    warnedAboutSetting = true;
    console.warn(`syncscope worker: STATUS_CACHE_SECONDS=${JSON.stringify(raw)} is not a whole number of seconds from 0 to ${MAX_STATUS_CACHE_SECONDS}; using ${DEFAULT_STATUS_CACHE_SECONDS}`);
  }
  return DEFAULT_STATUS_CACHE_SECONDS;
}

const cachedBodySchema = z.object({
  status: z.enum(['ok', 'degraded', 'no_data']),
  failing: z.number(),
  total: z.number(),
  ratio: z.number(),
  threshold: z.number(),
  checked_at: z.string(),
});

// Compile-time guard: what is read back from the cache is exactly what computeStatus returns.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const cachedBodyMatches: Same<z.output<typeof cachedBodySchema>, StatusBody> = true;
void cachedBodyMatches;

export interface CachedStatus {
  readonly body: StatusBody;
  /** Response headers saying how the body was served and how old it is. */
  readonly headers: Record<string, string>;
}

/**
 * The status body, from the data centre's Cache API entry while it is younger than `ttlSeconds`,
 * else from `compute` (the KV listing), stored for the next requests. One entry per hostname for
 * both `/_status` and `/_status?strict=1`: the strict answer is derived from the same body, so
 * the two never disagree and a TTL costs one listing, whichever variants are polled.
 */
export async function cachedStatus(requestUrl: string, ttlSeconds: number, compute: () => Promise<StatusBody>): Promise<CachedStatus> {
  if (ttlSeconds === 0) return { body: await compute(), headers: { 'x-syncscope-cache': 'off' } };

  const key = new URL('/_status', requestUrl).href;
  const cache = caches.default;
  const hit = await readEntry(await cache.match(key), ttlSeconds);
  if (hit !== null) return { body: hit.body, headers: freshness(ttlSeconds, hit.ageMs, 'hit') };

  const body = await compute();
  const entry = new Response(JSON.stringify(body), {
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': `max-age=${ttlSeconds}` },
  });
  // Awaited so the next poll finds it; a failed write costs only the next poll a listing.
  await cache.put(key, entry).catch((err: unknown) => console.error('syncscope worker: could not cache /_status', err));
  return { body, headers: freshness(ttlSeconds, 0, 'miss') };
}

/**
 * Drops this data centre's cached status: a report that makes a tenant start or stop failing
 * (or a new tenant) changes what /_status says, and a monitor or `syncscope doctor` expects to
 * see it now. Reports that change only counts leave it; they are most reports.
 */
export async function forgetCachedStatus(requestUrl: string): Promise<void> {
  await caches.default.delete(new URL('/_status', requestUrl).href).catch((err: unknown) => console.error('syncscope worker: could not drop the cached /_status', err));
}

/**
 * A cached body still within this Worker's TTL. The cache evicts by the max-age it was stored
 * with, but the TTL may have been lowered since (a redeploy), so the age is checked here too.
 */
async function readEntry(cached: Response | undefined, ttlSeconds: number): Promise<{ body: StatusBody; ageMs: number } | null> {
  if (cached === undefined) return null;
  let parsed: unknown;
  try {
    parsed = await cached.json();
  } catch {
    return null;
  }
  const body = cachedBodySchema.safeParse(parsed);
  if (!body.success) return null;
  const ageMs = Date.now() - Date.parse(body.data.checked_at);
  return ageMs >= 0 && ageMs < ttlSeconds * 1000 ? { body: body.data, ageMs } : null;
}

/** `Age` lets HTTP caches downstream count the time already spent here against max-age. */
function freshness(ttlSeconds: number, ageMs: number, served: 'hit' | 'miss'): Record<string, string> {
  return {
    'cache-control': `public, max-age=${ttlSeconds}`,
    age: String(Math.floor(ageMs / 1000)),
    'x-syncscope-cache': served,
  };
}
