import type { Cluster } from './alerts.js';
import type { Exact } from './exact.js';
import type { TenantTally } from './kv-store.js';

/** Lines read and what became of them (SPEC §3 `rows`, without `late`). */
export interface InputHealth {
  read: number;
  valid: number;
  rejected: number;
  duplicate: number;
}

export interface RepoEntry {
  repo: string;
  ops_24h: number;
  /** ops_24h split by op: pushes_24h + pulls_24h = ops_24h. */
  pushes_24h: number;
  pulls_24h: number;
  failed_24h: number;
  ops_7d: number;
  failed_7d: number;
}

export interface WeekCost {
  week_usd_cents: number;
  by_tenant: Array<{ tenant_id: string; week_usd_cents: number }>;
}

/** SPEC §3.1: is anything wrong right now. */
export type HealthLevel = 'ok' | 'warn' | 'critical';

export interface Health {
  level: HealthLevel;
  /** Short sentences, most severe first; at most MAX_HEALTH_REASONS. */
  reasons: string[];
  /** The newest valid row at or before NOW (null: none). */
  newest_row_ts: string | null;
  /** Whole seconds from that row to NOW (null: none). */
  newest_row_age_s: number | null;
}

export const MAX_HEALTH_REASONS = 5;

export interface TopError {
  error: string;
  count: number;
  repos: number;
  last_ts: string;
}

export interface LatencyEntry {
  repo: string;
  p50_ms: number;
  p95_ms: number;
  max_ms: number;
}

export interface Trend {
  ops_7d: number;
  ops_prev_7d: number;
  failed_7d: number;
  failed_prev_7d: number;
  bytes_7d: Exact;
  bytes_prev_7d: Exact;
  cost_7d_usd_cents: number;
  cost_prev_7d_usd_cents: number;
}

/** One row of the aggregates file (SPEC §6). */
export interface AggregateRow {
  day: string;
  tenant_id: string;
  ops: number;
  push_bytes: Exact;
  pull_bytes: Exact;
  billable_egress_bytes: Exact;
  cost_usd_cents: number;
}

/** sync-summary.json, SPEC §3 and §3.1, field for field. */
export interface Snapshot {
  generated_at: string;
  now: string;
  rows: InputHealth & { late: number };
  pushes_per_hour: Array<{ hour: string; pushes: number; failed: number }>;
  bytes_per_day: Array<{ day: string; pushed_bytes: Exact; pulled_bytes: Exact }>;
  repos: RepoEntry[];
  machines: Array<{ machine: string; last_success_push: string | null }>;
  cost: WeekCost;
  alerts: {
    open: Array<{ file: string; tenant_id: string; repo: string; opened_at: string; failures: number }>;
    resolved: number;
  };
  health: Health;
  top_errors_24h: TopError[];
  latency_24h: LatencyEntry[];
  trend: Trend;
}

/**
 * Everything the sinks show at one NOW, as plain data built once from the engine's state:
 * the snapshot (dashboard and JSON), the open clusters (alert files), the aggregates file's rows
 * and the per-tenant KV tallies.
 */
export interface OutputFrame {
  readonly now: number;
  readonly snapshot: Snapshot;
  readonly open: readonly Cluster[];
  readonly aggregates: readonly AggregateRow[];
  readonly tallies: readonly TenantTally[];
}
