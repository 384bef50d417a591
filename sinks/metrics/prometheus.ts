import { Counter, Gauge, Registry } from 'prom-client';
import type { HealthLevel, Snapshot } from '../../pipeline/core/snapshot.js';
import { parseTs } from '../../pipeline/core/time.js';

/** What the run itself knows besides the snapshot, as of the flush the text is rendered at. */
export interface RunStats {
  /** Flushes (ticks, catch-up, final) of this process so far, this one included. */
  readonly ticks: number;
  /** How long this flush took (wall clock). */
  readonly tickDurationSeconds: number;
  /** Tallies waiting in the HTTP reporter's outbox (0 with the embedded KV). */
  readonly outboxTallies: number;
  /** Wall clock at this flush minus the last successful checkpoint save of this process; null: none yet. */
  readonly checkpointAgeSeconds: number | null;
}

/** The Prometheus text format's content type, for the HTTP answer. */
export const METRICS_CONTENT_TYPE = new Registry().contentType;

const HEALTH_LEVELS: Readonly<Record<HealthLevel, number>> = { ok: 0, warn: 1, critical: 2 };

/**
 * The snapshot and the run's own numbers in the Prometheus text format. A fresh registry per
 * call: a repo, machine or tenant that left the snapshot leaves the text too, so the series are
 * exactly the snapshot's keys. prom-client escapes label values and help text.
 */
export async function renderMetrics(s: Snapshot, run: RunStats): Promise<string> {
  const registry = new Registry();
  const registers = [registry];
  const counter = (name: string, help: string, labelNames: string[] = []) => new Counter({ name, help, labelNames, registers });
  const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers });

  const rows = counter('syncscope_rows_total', 'Input lines read, by what became of them (valid, rejected, duplicate); they sum to the lines read.', ['outcome']);
  rows.inc({ outcome: 'valid' }, s.rows.valid);
  rows.inc({ outcome: 'rejected' }, s.rows.rejected);
  rows.inc({ outcome: 'duplicate' }, s.rows.duplicate);
  counter('syncscope_rows_late_total', 'Valid rows that arrived later than --max-lateness behind the newest row.').inc(s.rows.late);
  // Absent, not 0, when no valid row is at or before NOW: an age of 0 would look fresh.
  if (s.health.newest_row_age_s !== null) gauge('syncscope_newest_row_age_seconds', 'Seconds from the newest valid row at or before NOW to NOW, at the last tick.').set(s.health.newest_row_age_s);
  gauge('syncscope_health_level', 'What is wrong now: 0 ok, 1 warn, 2 critical.').set(HEALTH_LEVELS[s.health.level]);

  gauge('syncscope_tick_duration_seconds', 'Wall-clock seconds the last tick took to rebuild every output.').set(run.tickDurationSeconds);
  counter('syncscope_ticks_total', 'Ticks (output rebuilds) of this process.').inc(run.ticks);
  gauge('syncscope_kv_outbox_tallies', 'Tenant tallies waiting to be sent to the status Worker (0 with the embedded KV).').set(run.outboxTallies);
  if (run.checkpointAgeSeconds !== null) gauge('syncscope_checkpoint_age_seconds', 'Seconds since this process last saved the checkpoint, at the last tick.').set(run.checkpointAgeSeconds);

  const ops = gauge('syncscope_ops_24h', 'Operations in the last 24h per repo, by op (push, pull).', ['repo', 'op']);
  const failed = gauge('syncscope_failed_24h', 'Failed operations in the last 24h per repo.', ['repo']);
  for (const r of s.repos) {
    ops.set({ repo: r.repo, op: 'push' }, r.pushes_24h);
    ops.set({ repo: r.repo, op: 'pull' }, r.pulls_24h);
    failed.set({ repo: r.repo }, r.failed_24h);
  }
  // Every tenant with a cost gets a series, 0 when nothing is open, so "no alert" is a value.
  const open = gauge('syncscope_open_alerts', 'Open alerts per tenant.', ['tenant_id']);
  for (const t of s.cost.by_tenant) open.set({ tenant_id: t.tenant_id }, 0);
  for (const a of s.alerts.open) open.inc({ tenant_id: a.tenant_id });
  const lastPush = gauge('syncscope_last_success_push_timestamp_seconds', 'Unix time of each machine\'s last successful push (machines without one are left out).', ['machine']);
  for (const m of s.machines) if (m.last_success_push !== null) lastPush.set({ machine: m.machine }, parseTs(m.last_success_push) / 1000);
  const cost = gauge('syncscope_cost_week_usd_cents', 'Cost of the last 7 days per tenant, in exact US cents.', ['tenant_id']);
  for (const t of s.cost.by_tenant) cost.set({ tenant_id: t.tenant_id }, t.week_usd_cents);

  return registry.metrics();
}
