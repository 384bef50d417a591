import type { OutputFrame } from '../core/snapshot.js';
import { buildFrame, buildSnapshot } from './snapshot.js';
import { map, share, Subject, zip, type Observable } from 'rxjs';
import { fanOut, guarded, OperatorFailure } from './fan-out.js';
import type { Batch } from '../core/batch.js';
import { ingest, type IngestOptions, type IngestResult } from './ingest.js';
import type { LineChunk } from '../source/lines.js';
import { pushesPerHour, initPushesPerHour } from '../../operators/metrics/pushes-per-hour.js';
import { bytesPerDay, initBytesPerDay } from '../../operators/metrics/bytes-per-day.js';
import { repoFailureRate, initRepoFailureRate } from '../../operators/metrics/repo-failure-rate.js';
import { lastSuccessPush, initLastSuccessPush } from '../../operators/metrics/last-success-push.js';
import { tenantTally, initTenantTally } from '../../operators/metrics/tenant-tally.js';
import { reorderByTs, initReorder, ARRIVAL_ONLY, type FileRank, type ReorderedBatch } from '../../operators/metrics/reorder-by-ts.js';
import { failureClusters, initFailureClusters } from '../../operators/metrics/failure-clusters.js';
import { aggregateRows, costPerTenantDay, initCost } from '../../operators/metrics/cost-per-tenant-day.js';
import { topErrors24h, initTopErrors24h } from '../../operators/metrics/top-errors-24h.js';
import { latency24h, initLatency24h } from '../../operators/metrics/latency-24h.js';
import { trend7d, initTrend7d } from '../../operators/metrics/trend-7d.js';
import { rejectsPerHour, initRejectsPerHour } from '../../operators/metrics/rejects-per-hour.js';
import { adoptPlain } from '../../operators/fold.js';
import { NO_REJECTS } from '../core/batch.js';
import { type Reject } from '../core/row.js';
import { NAMES, batchOf, EMPTY_BATCH, gather, gatherFrom, rowAt, type RowBatch } from '../core/columns.js';
import type { Cluster } from '../core/alerts.js';
import { initEngineState, type EngineConfig, type EngineState } from '../state/engine-state.js';

/** Lines per batch pushed through the operators (see Engine.feed). */
const SLICE_LINES = 4096;

/** What lints consume: every valid row as it arrived (future ones too) and every reject. */
export interface ArrivedBatch {
  readonly rows: RowBatch;
  readonly rejects: readonly Reject[];
  /** Each reject's ts when dated upstream (IngestResult.rejectTs); else the rows are its neighbours. */
  readonly rejectTs?: readonly number[];
}

export interface EngineOptions {
  readonly manifests?: boolean;
  readonly fileOrder?: readonly string[];
}

/**
 * Rows of equal ts from several files go in the order the files were named (then arrival):
 * the rank of each file name id, files not named (found later by a followed glob) after them.
 */
function fileRank(order: readonly string[] | undefined): FileRank {
  if (order === undefined || order.length < 2) return ARRIVAL_ONLY;
  const byName = new Map(order.map((name, k) => [name, k]));
  const ranks: number[] = [];
  return (id) => (ranks[id] ??= byName.get(NAMES.list[id]!) ?? order.length);
}

/** What the engine's composed stream carries after each batch: the batch and every operator's state. */
interface Step {
  readonly batch: Batch;
  readonly state: EngineState;
}

/**
 * The one scan: lines → validated rows → a shared stream of row batches, fanned out to one
 * operator per metric. Order-free counters take rows as they pass the NOW gate; the cluster and
 * cost operators take them through the lateness reorder. Each operator owns its state and emits
 * it after every batch; the engine zips those emissions into one `EngineState` per batch and,
 * for a batch that carries NOW (a tick or the end of input), into an `OutputFrame` on `frame$`,
 * which is all the sinks ever see.
 */
export class Engine {
  private readonly batches = new Subject<Batch>();
  private readonly arrivedSubject = new Subject<ArrivedBatch>();
  private readonly frameSubject = new Subject<OutputFrame>();
  private readonly failureSubject = new Subject<OperatorFailure>();
  readonly ingestOptions: IngestOptions;
  private current: EngineState;
  private resolvedQueue: Cluster[] = [];
  /** Tenants of rows past a fixed NOW in the batch being gated (tenant-tally keys them). */
  private tenantsAhead: string[] | null = null;
  /** Every valid row and reject, before the NOW gate: the lints' input. */
  readonly arrived$: Observable<ArrivedBatch> = this.arrivedSubject.asObservable();
  /** What the sinks show, at each NOW. */
  readonly frame$: Observable<OutputFrame> = this.frameSubject.asObservable();
  /** Operators that threw (each once): the run decides (batch: exit 1; follow: report, go on). */
  readonly failure$: Observable<OperatorFailure> = this.failureSubject.asObservable();
  readonly failures: OperatorFailure[] = [];

  /**
   * `manifests: false`: keep no manifest texts (what `run` does; the lints need them).
   * `fileOrder`: the input files as named, in argument order: rows of equal ts go by it.
   */
  constructor(readonly config: EngineConfig, seed?: EngineState, readonly options: EngineOptions = {}) {
    const init = initEngineState();
    const own = seed === undefined
      ? init
      : adoptPlain(structuredClone({ health: seed.health, latestTs: seed.latestTs, future: seed.future, lastRowTs: seed.lastRowTs, futureRejectTs: seed.futureRejectTs }));
    this.current = { ...init, health: own.health, latestTs: own.latestTs, future: own.future, lastRowTs: own.lastRowTs, futureRejectTs: own.futureRejectTs };
    this.ingestOptions = { defaultTenant: config.defaultTenant, manifests: options.manifests !== false };
    const report = (f: OperatorFailure): void => this.report(f);
    const rows$ = this.batches.pipe(share());
    // Rows in ts order within the lateness window; a frozen reorder passes no rows on.
    const ordered$ = rows$.pipe(
      guarded<Batch, ReorderedBatch>('reorder-by-ts', reorderByTs(config.maxLatenessMs, seed?.reorder, fileRank(options.fileOrder)),
        (last, b) => ({ ...b, rows: EMPTY_BATCH, reorder: last?.reorder ?? initReorder() }), report),
      share(),
    );
    const orderFree$ = fanOut(rows$, {
      hourly: { name: 'pushes-per-hour', operator: pushesPerHour(seed?.hourly), init: initPushesPerHour },
      daily: { name: 'bytes-per-day', operator: bytesPerDay(seed?.daily), init: initBytesPerDay },
      repos: { name: 'repo-failure-rate', operator: repoFailureRate(seed?.repos), init: initRepoFailureRate },
      machines: { name: 'last-success-push', operator: lastSuccessPush(seed?.machines), init: initLastSuccessPush },
      tenants: { name: 'tenant-tally', operator: tenantTally(seed?.tenants), init: initTenantTally },
      topErrors: { name: 'top-errors-24h', operator: topErrors24h(seed?.topErrors), init: initTopErrors24h },
      latency: { name: 'latency-24h', operator: latency24h(seed?.latency), init: initLatency24h },
      trend: { name: 'trend-7d', operator: trend7d(seed?.trend), init: initTrend7d },
      rejectsHourly: { name: 'rejects-per-hour', operator: rejectsPerHour(seed?.rejectsHourly), init: initRejectsPerHour },
    }, report);
    const ordered = fanOut(ordered$, {
      reorder: { name: 'reorder-by-ts', operator: map((b: Batch) => (b as ReorderedBatch).reorder), init: initReorder },
      clusters: { name: 'failure-clusters', operator: failureClusters(config.cluster, seed?.clusters), init: initFailureClusters },
      cost: { name: 'cost-per-tenant-day', operator: costPerTenantDay(config.prices, seed?.cost), init: initCost },
    }, report);
    zip([orderFree$, ordered]).subscribe({
      next: ([a, b]) => this.settle({ batch: a.batch, state: { ...this.current, ...a.states, ...b.states } }),
      error: (err: unknown) => report(new OperatorFailure('engine', err)),
    });
    // A first, empty batch: every operator emits its starting state, so `state` is whole at once.
    this.push(EMPTY_BATCH, NO_REJECTS, 0, null, false);
  }

  /** The state after the latest batch: each operator's own, plus the engine's input health and NOW gate. */
  get state(): EngineState {
    return this.current;
  }

  private report(f: OperatorFailure): void {
    this.failures.push(f);
    this.failureSubject.next(f);
  }

  private settle(step: Step): void {
    this.current = step.state;
    const resolved = step.state.clusters.resolved;
    for (let i = 0; i < resolved.length; i++) this.resolvedQueue.push(resolved[i]!);
    const now = step.batch.now;
    if (now === null) return;
    let frame: OutputFrame;
    try {
      frame = buildFrame(step.state, this.config.prices, now, step.batch.clock);
    } catch (err) {
      this.report(new OperatorFailure('snapshot', err));
      return;
    }
    this.frameSubject.next(frame);
  }

  /**
   * Validates a chunk of lines and pushes its rows through; returns the rejects for the sink.
   * A big chunk is cut into batches of SLICE_LINES lines, so the columns alive at any moment stay
   * small while each operator loop still runs over thousands of rows.
   */
  feed(chunk: LineChunk, clock: number, file: string): Reject[] {
    const n = chunk.lines.length;
    let rejects: Reject[] = [];
    for (let from = 0; from < n; from += SLICE_LINES) {
      const r = this.feedSlice(chunk, from, Math.min(n, from + SLICE_LINES), clock, file);
      if (r.length > 0) rejects = rejects.length === 0 ? r : rejects.concat(r);
    }
    return rejects;
  }

  /** Lines dropped as a replayed overlap (SPEC §3 `duplicate`): read, but never rows. */
  countDuplicates(n: number): void {
    this.current.health.read += n;
    this.current.health.duplicate += n;
  }

  private feedSlice(chunk: LineChunk, from: number, to: number, clock: number, file: string): Reject[] {
    const res = ingest(chunk, from, to, file, this.ingestOptions);
    this.feedRows(res, clock);
    return res.rejects;
  }

  /** Rows validated elsewhere (a scan worker), pushed through exactly like fed lines. */
  feedRows(res: IngestResult, clock: number): void {
    const h = this.current.health;
    h.read += res.read;
    h.valid += res.rows.length;
    h.rejected += res.rejects.length;
    if (res.rows.length > 0 || res.rejects.length > 0) {
      this.arrivedSubject.next(res.rejectTs === undefined ? { rows: res.rows, rejects: res.rejects } : { rows: res.rows, rejects: res.rejects, rejectTs: res.rejectTs });
    }
    const rejectedTs = res.rejects.length === 0 ? NO_REJECTS : this.gateRejects(res.rejectTs ?? this.rejectTimes(res), clock);
    this.push(this.gate(res.rows, clock), rejectedTs, clock, null, false);
    if (res.rows.length > 0) this.noteLastRows(res.rows);
  }

  /**
   * The ts each reject takes (SPEC §3.1): that of the nearest valid row before it in its file,
   * from this batch (rows and rejects are both in line order) or an earlier one; NaN when none.
   */
  private rejectTimes(res: IngestResult): number[] {
    const { rows, rejects } = res;
    const names = NAMES.list;
    const last = new Map<string, number>();
    const out: number[] = [];
    let i = 0;
    for (const rej of rejects) {
      for (; i < rows.length && rows.line[i]! < rej.line; i++) last.set(names[rows.file[i]!]!, rows.t[i]!);
      out.push(last.get(rej.file) ?? this.current.lastRowTs[rej.file] ?? NaN);
    }
    return out;
  }

  /** Each file's last valid row of this batch (pre-gate: a row after NOW is valid too). */
  private noteLastRows(rows: RowBatch): void {
    const names = NAMES.list;
    const last = this.current.lastRowTs;
    const done = new Set<number>();
    for (let i = rows.length - 1; i >= 0; i--) {
      const f = rows.file[i]!;
      if (done.has(f)) continue;
      done.add(f);
      last[names[f]!] = rows.t[i]!;
    }
  }

  /** End of a batch run: flushes the reorder buffer and settles clusters at NOW (a frame on frame$). */
  end(clock: number): number {
    const now = this.nowAt(clock);
    this.push(this.gate(EMPTY_BATCH, clock), this.gateRejects(NO_REJECTS, clock), clock, now, true);
    this.arrivedSubject.complete();
    return now;
  }

  /** NOW per SPEC §2 for this policy. */
  nowAt(clock: number): number {
    const p = this.config.nowPolicy;
    if (p.kind === 'fixed') return p.ms;
    if (p.kind === 'latest') return this.current.latestTs ?? clock;
    return clock;
  }

  /** Clusters resolved since the last call (the alert sink moves their files). */
  takeResolved(): Cluster[] {
    const out = this.resolvedQueue;
    this.resolvedQueue = [];
    return out;
  }

  private gate(rows: RowBatch, clock: number): RowBatch {
    const p = this.config.nowPolicy;
    const s = this.current;
    let out = rows;
    if (p.kind === 'fixed') {
      if (newest(rows) > p.ms) {
        // Left out of the outputs, but their tenants still get a KV key (SPEC §5).
        const ahead = (this.tenantsAhead ??= []);
        for (let i = 0; i < rows.length; i++) if (rows.t[i]! > p.ms) ahead.push(NAMES.list[rows.tenant[i]!]!);
        out = atOrBefore(rows, p.ms);
      }
    } else if (p.kind === 'wall') {
      if (s.future.length > 0) {
        const due = s.future.filter((r) => r.t <= clock);
        if (due.length > 0) {
          s.future = s.future.filter((r) => r.t > clock);
          out = concatBatches(batchOf(due), rows);
        }
      }
      if (newest(rows) > clock) {
        for (let i = 0; i < out.length; i++) if (out.t[i]! > clock) s.future.push(rowAt(out, i));
        out = atOrBefore(out, clock);
      }
    }
    const latest = Math.max(s.latestTs ?? -Infinity, newest(out));
    if (latest > -Infinity) s.latestTs = latest;
    return out;
  }

  /** The reject ts the NOW gate lets through, as `gate` does for rows (NaN always passes). */
  private gateRejects(ts: readonly number[], clock: number): readonly number[] {
    const p = this.config.nowPolicy;
    if (p.kind === 'fixed') return ts.some((t) => t > p.ms) ? ts.filter((t) => !(t > p.ms)) : ts;
    if (p.kind !== 'wall') return ts;
    const s = this.current;
    let out = ts;
    if (s.futureRejectTs.length > 0) {
      const due = s.futureRejectTs.filter((t) => t <= clock);
      if (due.length > 0) {
        s.futureRejectTs = s.futureRejectTs.filter((t) => t > clock);
        out = due.concat(ts);
      }
    }
    if (out.some((t) => t > clock)) {
      for (const t of out) if (t > clock) s.futureRejectTs.push(t);
      out = out.filter((t) => !(t > clock));
    }
    return out;
  }

  private push(rows: RowBatch, rejectedTs: readonly number[], clock: number, now: number | null, end: boolean): void {
    const p = this.config.nowPolicy;
    const nowFloor = p.kind === 'fixed' ? p.ms : p.kind === 'latest' ? (this.current.latestTs ?? -Infinity) : clock;
    const tenantsAhead = this.tenantsAhead;
    this.tenantsAhead = null;
    this.batches.next({ rows, nowFloor, now, end, clock, tenantsAhead, rejectedTs });
  }
}

function newest(b: RowBatch): number {
  let max = -Infinity;
  const t = b.t;
  for (let i = 0; i < t.length; i++) if (t[i]! > max) max = t[i]!;
  return max;
}

/** The rows with ts ≤ limit, in order. */
function atOrBefore(b: RowBatch, limit: number): RowBatch {
  const keep = new Int32Array(b.length);
  let n = 0;
  for (let i = 0; i < b.length; i++) if (b.t[i]! <= limit) keep[n++] = i;
  return gather(b, keep, n);
}

function concatBatches(a: RowBatch, b: RowBatch): RowBatch {
  const n = a.length + b.length;
  const which = new Int32Array(n);
  const index = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    which[i] = i < a.length ? 0 : 1;
    index[i] = i < a.length ? i : i - a.length;
  }
  return gatherFrom([a, b], which, index, n);
}

/** A restored state is usable: rebuilding outputs from it must not throw (a checkpoint's trial). */
export function trialEngineState(state: EngineState, config: EngineConfig, clock: number): void {
  const e = new Engine(config, structuredClone(state));
  const now = e.end(clock);
  const snap = buildSnapshot(e.state, config.prices, now, clock);
  for (const v of Object.values(snap.rows)) if (!Number.isSafeInteger(v) || v < 0) throw new Error('row counts are not whole numbers');
  aggregateRows(e.state.cost, config.prices);
}

