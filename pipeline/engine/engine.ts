import type { InputHealth } from '../core/snapshot.js';
import { Subject, share, type Observable } from 'rxjs';
import type { Batch } from '../core/batch.js';
import { adoptPlain, dict } from '../../operators/fold.js';
import { ingest, type IngestOptions } from './ingest.js';
import type { LineChunk } from '../source/lines.js';
import type { NowPolicy } from '../core/time.js';
import { pushesPerHour, initPushesPerHour, type PushesPerHourState } from '../../operators/metrics/pushes-per-hour.js';
import { bytesPerDay, initBytesPerDay, type BytesPerDayState } from '../../operators/metrics/bytes-per-day.js';
import { repoFailureRate, initRepoFailureRate, type RepoFailureRateState } from '../../operators/metrics/repo-failure-rate.js';
import { lastSuccessPush, initLastSuccessPush, type LastSuccessPushState } from '../../operators/metrics/last-success-push.js';
import { tenantTally, initTenantTally, type TenantTallyState } from '../../operators/metrics/tenant-tally.js';
import { reorderByTs, initReorder, type ReorderState } from '../../operators/metrics/reorder-by-ts.js';
import { failureClusters, initFailureClusters, takeResolved, type FailureClustersState } from '../../operators/metrics/failure-clusters.js';
import { costPerTenantDay, initCost, type CostState } from '../../operators/metrics/cost-per-tenant-day.js';
import { type Reject, type Row } from '../core/row.js';
import { type Cluster, type ClusterRule } from '../core/alerts.js';
import { type Prices } from '../core/money.js';

/** Lines per slice pushed through the operators (see Engine.feed). */
const SLICE_LINES = 512;

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
  hourly: PushesPerHourState;
  daily: BytesPerDayState;
  repos: RepoFailureRateState;
  machines: LastSuccessPushState;
  tenants: TenantTallyState;
  reorder: ReorderState;
  clusters: FailureClustersState;
  cost: CostState;
}

export function initEngineState(): EngineState {
  return {
    health: { read: 0, valid: 0, rejected: 0, duplicate: 0 },
    latestTs: null,
    future: [],
    hourly: initPushesPerHour(),
    daily: initBytesPerDay(),
    repos: initRepoFailureRate(),
    machines: initLastSuccessPush(),
    tenants: initTenantTally(),
    reorder: initReorder(),
    clusters: initFailureClusters(),
    cost: initCost(),
  };
}

/** What lints consume: every valid row as it arrived (future ones too) and every reject. */
export interface ArrivedBatch {
  readonly rows: readonly Row[];
  readonly rejects: readonly Reject[];
}

/**
 * The one scan: lines → validated rows → a shared stream of row chunks, fanned out to one
 * operator per metric. Order-free counters take rows as they pass the NOW gate; the cluster
 * and cost operators take them through the lateness reorder buffer.
 */
export class Engine {
  readonly state: EngineState;
  private readonly ingestOptions: IngestOptions;
  private readonly gated$ = new Subject<Batch>();
  private readonly arrivedSubject = new Subject<ArrivedBatch>();
  /** Every valid row and reject, before the NOW gate: the lints' input. */
  readonly arrived$: Observable<ArrivedBatch> = this.arrivedSubject.asObservable();

  constructor(readonly config: EngineConfig, seed?: EngineState) {
    const s = (this.state = seed ? adoptPlain(seed) : initEngineState());
    this.ingestOptions = { defaultTenant: config.defaultTenant };
    const rows$ = this.gated$.pipe(share());
    rows$.pipe(pushesPerHour(s.hourly)).subscribe();
    rows$.pipe(bytesPerDay(s.daily)).subscribe();
    rows$.pipe(repoFailureRate(s.repos)).subscribe();
    rows$.pipe(lastSuccessPush(s.machines)).subscribe();
    rows$.pipe(tenantTally(s.tenants)).subscribe();
    const ordered$ = rows$.pipe(reorderByTs(config.maxLatenessMs, s.reorder), share());
    ordered$.pipe(failureClusters(config.cluster, s.clusters)).subscribe();
    ordered$.pipe(costPerTenantDay(config.prices, s.cost)).subscribe();
  }

  /**
   * Validates a chunk of lines and pushes its rows through; returns the rejects for the sink.
   * A big chunk is cut into slices of SLICE_LINES so the rows alive at any moment stay few:
   * short-lived rows keep the young-generation GC nearly free.
   */
  feed(chunk: LineChunk, clock: number, file: string): Reject[] {
    const n = chunk.lines.length;
    if (n <= SLICE_LINES) return this.feedSlice(chunk, clock, file);
    const rejects: Reject[] = [];
    for (let from = 0; from < n; from += SLICE_LINES) {
      const first = chunk.first + from;
      const end = first + SLICE_LINES;
      const part: LineChunk = {
        lines: chunk.lines.slice(from, from + SLICE_LINES),
        first,
        tooLong: chunk.tooLong.filter((t) => t.line >= first && t.line < end),
        endOffset: chunk.endOffset,
      };
      const r = this.feedSlice(part, clock, file);
      for (let i = 0; i < r.length; i++) rejects.push(r[i]!);
    }
    return rejects;
  }

  /** Lines dropped as a replayed overlap (SPEC §3 `duplicate`): read, but never rows. */
  countDuplicates(n: number): void {
    this.state.health.read += n;
    this.state.health.duplicate += n;
  }

  private feedSlice(chunk: LineChunk, clock: number, file: string): Reject[] {
    const res = ingest(chunk, file, this.ingestOptions);
    const h = this.state.health;
    h.read += res.read;
    h.valid += res.rows.length;
    h.rejected += res.rejects.length;
    if (res.rows.length > 0 || res.rejects.length > 0) this.arrivedSubject.next({ rows: res.rows, rejects: res.rejects });
    this.push(this.gate(res.rows, clock), clock, null, false);
    return res.rejects;
  }

  /** End of a batch run: flushes the reorder buffer and settles clusters at NOW. */
  end(clock: number): number {
    const now = this.nowAt(clock);
    this.push(this.gate([], clock), clock, now, true);
    this.arrivedSubject.complete();
    return now;
  }

  /** NOW per SPEC §2 for this policy. */
  nowAt(clock: number): number {
    const p = this.config.nowPolicy;
    if (p.kind === 'fixed') return p.ms;
    if (p.kind === 'latest') return this.state.latestTs ?? clock;
    return clock;
  }

  takeResolved(): Cluster[] {
    return takeResolved(this.state.clusters);
  }

  private gate(rows: Row[], clock: number): Row[] {
    const p = this.config.nowPolicy;
    const s = this.state;
    let out: Row[] = rows;
    if (p.kind === 'fixed') {
      out = [];
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]!;
        if (r.t <= p.ms) out.push(r);
        // Left out of the outputs, but its tenant still gets a KV key (SPEC §5).
        else s.tenants.tenants[r.tenant] ??= dict();
      }
    } else if (p.kind === 'wall') {
      if (s.future.length > 0) {
        const due = s.future.filter((r) => r.t <= clock);
        if (due.length > 0) {
          s.future = s.future.filter((r) => r.t > clock);
          out = due.concat(rows);
        }
      }
      if (rows.some((r) => r.t > clock)) {
        const ahead = out.filter((r) => r.t > clock);
        s.future.push(...ahead);
        out = out.filter((r) => r.t <= clock);
      }
    }
    let latest = s.latestTs ?? -Infinity;
    for (let i = 0; i < out.length; i++) if (out[i]!.t > latest) latest = out[i]!.t;
    if (latest > -Infinity) s.latestTs = latest;
    return out;
  }

  private push(rows: Row[], clock: number, now: number | null, end: boolean): void {
    const p = this.config.nowPolicy;
    const nowFloor = p.kind === 'fixed' ? p.ms : p.kind === 'latest' ? (this.state.latestTs ?? -Infinity) : clock;
    this.gated$.next({ rows, nowFloor, now, end });
  }
}
