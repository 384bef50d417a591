// zod/mini with only the English messages: ~50 KB in the bundle instead of ~750 KB for classic zod.
import * as z from 'zod/mini';
import { en } from 'zod/v4/locales';
import type { TallyMetadata, TenantTally } from '../pipeline/core/kv-store.js';

z.config(en());

const count = z.number().check(z.int(), z.nonnegative(), z.maximum(Number.MAX_SAFE_INTEGER));
const rfc3339 = z.iso.datetime({ offset: true });

/**
 * One tenant's tally as POST /report accepts it (SPEC §5). Strict: unknown fields are rejected,
 * so nothing beyond tenant-level facts (machine IDs, repo names, error text) can reach KV.
 * `updated_at` is still accepted, since reporters send the whole tally, but the Worker stamps its
 * own: a client clock must not decide how long a tenant is counted.
 */
export const tenantTallySchema = z
  .strictObject({
    tenant_id: z.string().check(z.minLength(1), z.maxLength(256)),
    failing: z.boolean(),
    open_alerts: count,
    ops_24h: count,
    failed_24h: count,
    last_alert_at: z.nullable(rfc3339),
    reported_at: rfc3339,
    updated_at: z.optional(rfc3339),
  })
  .check(z.refine((t) => t.failed_24h <= t.ops_24h, { message: 'failed_24h cannot exceed ops_24h', path: ['failed_24h'] }));

/** Metadata as the Worker writes it; list() entries that do not match are not counted. */
export const tallyMetadataSchema = z.object({ failing: z.boolean(), updated_at: z.string() });

type TallyReport = z.output<typeof tenantTallySchema>;

// Compile-time guard: the schema and the pipeline's interfaces must not drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesTally: Same<Omit<TallyReport, 'updated_at'>, Omit<TenantTally, 'updated_at'>> = true;
const metadataMatches: Same<z.output<typeof tallyMetadataSchema>, TallyMetadata> = true;
void schemaMatchesTally;
void metadataMatches;

/**
 * The stored value: fields in schema order, so the same tally is always the same bytes and a
 * resent report can be recognised as unchanged.
 */
export function canonicalTally(t: TenantTally): string {
  return JSON.stringify({
    tenant_id: t.tenant_id,
    failing: t.failing,
    open_alerts: t.open_alerts,
    ops_24h: t.ops_24h,
    failed_24h: t.failed_24h,
    last_alert_at: t.last_alert_at,
    reported_at: t.reported_at,
    updated_at: t.updated_at,
  });
}
