import type { OutputFrame, Snapshot } from '../core/snapshot.js';
import { formatDay, formatHour, formatTs } from '../core/time.js';
import { pushesPerHourView } from '../../operators/metrics/pushes-per-hour.js';
import { bytesPerDayView } from '../../operators/metrics/bytes-per-day.js';
import { repoFailureRateView } from '../../operators/metrics/repo-failure-rate.js';
import { lastSuccessPushView } from '../../operators/metrics/last-success-push.js';
import { aggregateRows, weekCostView } from '../../operators/metrics/cost-per-tenant-day.js';
import { buildTallies } from './tallies.js';
import { openClusters } from '../../operators/metrics/failure-clusters.js';
import { type Prices } from '../core/money.js';
import { type Cluster, alertFileName } from '../core/alerts.js';
import { type EngineState } from '../state/engine-state.js';
import { topErrors24hView } from '../../operators/metrics/top-errors-24h.js';
import { latency24hView } from '../../operators/metrics/latency-24h.js';
import { trend7dView } from '../../operators/metrics/trend-7d.js';
import { rejects24hView } from '../../operators/metrics/rejects-per-hour.js';
import { costTrendView } from '../../operators/metrics/cost-per-tenant-day.js';
import { healthOf } from './health.js';


/** Pure: the same state, NOW and clock give the same snapshot. */
export function buildSnapshot(s: EngineState, prices: Prices, now: number, generatedAt: number): Snapshot {
  const open: Cluster[] = openClusters(s.clusters);
  const machines = lastSuccessPushView(s.machines).map((m) => ({
    machine: m.machine,
    last_success_push: m.last_success_push === null ? null : formatTs(m.last_success_push),
  }));
  const openAlerts = open.map((c) => ({
    file: alertFileName(c),
    tenant_id: c.tenant_id,
    repo: c.repo,
    opened_at: formatTs(c.opened_at),
    failures: c.failures.length,
  }));
  return {
    generated_at: formatTs(generatedAt),
    now: formatTs(now),
    rows: {
      read: s.health.read,
      valid: s.health.valid,
      rejected: s.health.rejected,
      late: s.reorder.late,
      duplicate: s.health.duplicate,
    },
    pushes_per_hour: pushesPerHourView(s.hourly, now).map((e) => ({ hour: formatHour(e.hour), pushes: e.pushes, failed: e.failed })),
    bytes_per_day: bytesPerDayView(s.daily, now).map((e) => ({
      day: formatDay(e.day),
      pushed_bytes: e.pushed_bytes,
      pulled_bytes: e.pulled_bytes,
    })),
    repos: repoFailureRateView(s.repos, now),
    machines,
    cost: weekCostView(s.cost, prices, now),
    alerts: { open: openAlerts, resolved: s.clusters.resolvedCount },
    // Rows reach the operators only at or before NOW, so latestTs is the newest such row.
    health: healthOf({ now, newestRowTs: s.latestTs, open: openAlerts, machines, rejects24h: rejects24hView(s.rejectsHourly, now) }),
    top_errors_24h: topErrors24hView(s.topErrors, now).map((e) => ({ error: e.error, count: e.count, repos: e.repos, last_ts: formatTs(e.last) })),
    latency_24h: latency24hView(s.latency, now),
    trend: { ...trend7dView(s.trend, now), ...costTrendView(s.cost, prices, now) },
  };
}

/** Pure: what every sink takes at NOW, with the wall clock as `generated_at` and `reported_at`. */
export function buildFrame(s: EngineState, prices: Prices, now: number, clock: number): OutputFrame {
  return {
    now,
    snapshot: buildSnapshot(s, prices, now, clock),
    open: openClusters(s.clusters),
    aggregates: aggregateRows(s.cost, prices),
    tallies: buildTallies(s, now, clock),
  };
}
