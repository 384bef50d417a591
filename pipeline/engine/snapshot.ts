import type { EngineState, InputHealth } from './engine.js';
import type { Exact } from '../core/exact.js';
import { formatDay, formatHour, formatTs } from '../core/time.js';
import { pushesPerHourView } from '../../operators/metrics/pushes-per-hour.js';
import { bytesPerDayView } from '../../operators/metrics/bytes-per-day.js';
import { repoFailureRateView, type RepoEntry } from '../../operators/metrics/repo-failure-rate.js';
import { lastSuccessPushView } from '../../operators/metrics/last-success-push.js';
import { weekCostView, type Prices, type WeekCost } from '../../operators/metrics/cost-per-tenant-day.js';
import { openClusters, type Cluster } from '../../operators/metrics/failure-clusters.js';
import { alertFileName } from '../core/alert-names.js';

/** sync-summary.json, SPEC §3, field for field. */
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
}

/** Pure: the same state, NOW and clock give the same snapshot. */
export function buildSnapshot(s: EngineState, prices: Prices, now: number, generatedAt: number): Snapshot {
  const open: Cluster[] = openClusters(s.clusters);
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
    machines: lastSuccessPushView(s.machines).map((m) => ({
      machine: m.machine,
      last_success_push: m.last_success_push === null ? null : formatTs(m.last_success_push),
    })),
    cost: weekCostView(s.cost, prices, now),
    alerts: {
      open: open.map((c) => ({
        file: alertFileName(c),
        tenant_id: c.tenant_id,
        repo: c.repo,
        opened_at: formatTs(c.opened_at),
        failures: c.failures.length,
      })),
      resolved: s.clusters.resolvedCount,
    },
  };
}
