import { TENANT_KEY_PREFIX, type TallyMetadata } from '../pipeline/core/kv-store.js';
import { computeStatus, isActive } from '../pipeline/core/status.js';
import { isAdmin } from './auth.js';
import type { Env } from './env.js';
import { json, unauthorized } from './responses.js';
import { cachedStatus, statusCacheSeconds } from './status-cache.js';
import { tallyMetadataSchema } from './tally-schema.js';

interface ListedTally extends TallyMetadata {
  readonly tenant_id: string;
}

/**
 * Every `tenant:` key with its metadata, following the cursor past the 1,000-key page limit.
 * Only list() is used (no per-key get), so a status costs one KV operation per 1,000 tenants.
 * A key without valid metadata was not written by this Worker and is not counted.
 */
async function listTallies(kv: KVNamespace): Promise<ListedTally[]> {
  const tallies: ListedTally[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await kv.list<unknown>({ prefix: TENANT_KEY_PREFIX, cursor });
    for (const key of page.keys) {
      const meta = tallyMetadataSchema.safeParse(key.metadata);
      if (meta.success) tallies.push({ tenant_id: key.name.slice(TENANT_KEY_PREFIX.length), ...meta.data });
    }
    if (page.list_complete) return tallies;
    cursor = page.cursor;
  }
}

/**
 * GET /_status: counts only, never tenant IDs. 200 always; 503 with ?strict=1 when degraded or
 * no_data. Served from the Cache API for STATUS_CACHE_SECONDS, so polls within it cost no KV.
 */
export async function handleStatus(request: Request, env: Env): Promise<Response> {
  const { body, headers } = await cachedStatus(request.url, statusCacheSeconds(env.STATUS_CACHE_SECONDS), async () =>
    computeStatus(await listTallies(env.ALERTS), Date.now()),
  );
  const strict = new URL(request.url).searchParams.get('strict') === '1';
  return json(body, strict && body.status !== 'ok' ? 503 : 200, headers);
}

/** GET /_status/tenants (admin, rarely asked): the failing tenants, always listed fresh from KV. */
export async function handleFailingTenants(request: Request, env: Env): Promise<Response> {
  if (!(await isAdmin(request, env.ADMIN_TOKEN))) return unauthorized('admin token required');
  const now = Date.now();
  const tallies = await listTallies(env.ALERTS);
  const failing = tallies.filter((t) => t.failing && isActive(t.updated_at, now)).map((t) => ({ tenant_id: t.tenant_id, updated_at: t.updated_at }));
  return json({ ...computeStatus(tallies, now), tenants: failing });
}
