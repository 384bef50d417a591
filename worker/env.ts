/** Bindings the Worker expects: see wrangler.toml (KV) and `wrangler secret put` (the two secrets). */
export interface Env {
  readonly ALERTS: KVNamespace;
  /** HMAC key: a tenant's report token is hex HMAC-SHA256(REPORT_SECRET, tenant_id). */
  readonly REPORT_SECRET?: string;
  /** Bearer token for GET /_status/tenants, the only endpoint that names tenants. */
  readonly ADMIN_TOKEN?: string;
  /** wrangler.toml [vars]: seconds GET /_status is served from the cache (0 = off; default 30). */
  readonly STATUS_CACHE_SECONDS?: string | number;
}
