/**
 * The key-value contract both ALERTS backends implement: a subset of the Workers KV API, so the
 * embedded file store, the HTTP reporter and the Worker's own binding look alike.
 */
export interface KvListKey {
  readonly name: string;
  readonly metadata?: unknown;
}

export interface KvListResult {
  readonly keys: KvListKey[];
  readonly list_complete: boolean;
  readonly cursor?: string;
}

export interface KvListOptions {
  readonly prefix?: string;
  readonly cursor?: string;
  /** Page size; 1000 when absent (the Workers KV maximum). */
  readonly limit?: number;
}

export interface KvStore {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options?: { readonly metadata?: unknown }): Promise<void>;
  list(options?: KvListOptions): Promise<KvListResult>;
  /**
   * Remote stores: deliver what is queued; says so when the remote is unreachable, and when the
   * queue kept from an earlier run was unreadable and set aside (its tallies are reported again).
   */
  flush?(): Promise<{ readonly queued: number; readonly unreachable?: string; readonly outboxDiscarded?: { readonly reason: string; readonly movedTo: string } }>;
}

/** SPEC §5: the one value per tenant, under `tenant:<tenant_id>`. Tenant-level facts only. */
export interface TenantTally {
  tenant_id: string;
  failing: boolean;
  open_alerts: number;
  ops_24h: number;
  failed_24h: number;
  last_alert_at: string | null;
  /** The reporter's wall clock when it computed the tally; the Worker refuses one older than it holds. */
  reported_at: string;
  /** When the value was written: the embedded KV's write clock, or the Worker's on receipt. */
  updated_at: string;
}

/** What `/_status` needs, stored as KV metadata so a status needs only list(). */
export interface TallyMetadata {
  failing: boolean;
  updated_at: string;
}

export const TENANT_KEY_PREFIX = 'tenant:';

export function tenantKey(tenantId: string): string {
  return `${TENANT_KEY_PREFIX}${tenantId}`;
}

/** A tally without its two clocks: what "changed" means for the write rules (SPEC §5). */
export function tallyFacts(tally: object): string {
  const { updated_at: _written, reported_at: _reported, ...facts } = tally as Record<string, unknown>;
  return JSON.stringify(facts);
}
