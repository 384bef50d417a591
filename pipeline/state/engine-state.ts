import type { NowPolicy } from '../core/time.js';
import type { InputHealth } from '../core/snapshot.js';
import type { Row } from '../core/row.js';
import type { ClusterRule } from '../core/alerts.js';
import type { Prices } from '../core/money.js';
import { initPushesPerHour, type PushesPerHourState } from '../../operators/metrics/pushes-per-hour.js';
import { initBytesPerDay, type BytesPerDayState } from '../../operators/metrics/bytes-per-day.js';
import { initRepoFailureRate, type RepoFailureRateState } from '../../operators/metrics/repo-failure-rate.js';
import { initLastSuccessPush, type LastSuccessPushState } from '../../operators/metrics/last-success-push.js';
import { initTenantTally, type TenantTallyState } from '../../operators/metrics/tenant-tally.js';
import { initReorder, type ReorderState } from '../../operators/metrics/reorder-by-ts.js';
import { initFailureClusters, type FailureClustersState } from '../../operators/metrics/failure-clusters.js';
import { initCost, type CostState } from '../../operators/metrics/cost-per-tenant-day.js';
import { initTopErrors24h, type TopErrors24hState } from '../../operators/metrics/top-errors-24h.js';
import { initLatency24h, type Latency24hState } from '../../operators/metrics/latency-24h.js';
import { initTrend7d, type Trend7dState } from '../../operators/metrics/trend-7d.js';
import { initRejectsPerHour, type RejectsPerHourState } from '../../operators/metrics/rejects-per-hour.js';

/** What the engine is told: the settings that change the numbers. */
export interface EngineConfig {
  readonly nowPolicy: NowPolicy;
  readonly maxLatenessMs: number;
  readonly defaultTenant: string;
  readonly cluster: ClusterRule;
  readonly prices: Prices;
}


/** Everything a restart needs, as plain data (bigints aside: see exact.ts for the JSON codec). */
export interface EngineState {
  health: InputHealth;
  /** Newest ts of a row that reached the operators (NOW for `--now latest`). */
  latestTs: number | null;
  /** Rows ahead of a wall-clock NOW, held until NOW reaches them. */
  future: Row[];
  /** Per input file, the ts of its last valid row so far: the ts its next rejected line takes. */
  lastRowTs: Record<string, number>;
  /** The ts of rejected lines ahead of a wall-clock NOW, held like `future` rows. */
  futureRejectTs: number[];
  hourly: PushesPerHourState;
  daily: BytesPerDayState;
  repos: RepoFailureRateState;
  machines: LastSuccessPushState;
  tenants: TenantTallyState;
  reorder: ReorderState;
  clusters: FailureClustersState;
  cost: CostState;
  topErrors: TopErrors24hState;
  latency: Latency24hState;
  trend: Trend7dState;
  rejectsHourly: RejectsPerHourState;
}

export function initEngineState(): EngineState {
  return {
    health: { read: 0, valid: 0, rejected: 0, duplicate: 0 },
    latestTs: null,
    future: [],
    lastRowTs: Object.create(null) as Record<string, number>,
    futureRejectTs: [],
    hourly: initPushesPerHour(),
    daily: initBytesPerDay(),
    repos: initRepoFailureRate(),
    machines: initLastSuccessPush(),
    tenants: initTenantTally(),
    reorder: initReorder(),
    clusters: initFailureClusters(),
    cost: initCost(),
    topErrors: initTopErrors24h(),
    latency: initLatency24h(),
    trend: initTrend7d(),
    rejectsHourly: initRejectsPerHour(),
  };
}
