import { existsSync, statSync, truncateSync } from 'node:fs';
import type { KvStore, TenantTally } from '../core/kv-store.js';
import { stateLayout, type StateLayout } from '../core/layout.js';
import { writeSummary } from '../../sinks/summary-files.js';
import { RejectsFile } from '../../sinks/rejects-file.js';
import { AlertFiles } from '../../sinks/alert-files.js';
import { ResolvedHistory } from '../../sinks/resolved-history.js';
import { writeAggregates } from '../../sinks/aggregates-file.js';
import { FileKv } from '../../sinks/kv/file-kv.js';
import { publishTallies } from '../../sinks/kv/tenant-tallies.js';
import type { OutputFrame } from '../core/snapshot.js';
import type { EventSink } from '../core/events.js';
import { type Cluster, type HistoryMark } from '../core/alerts.js';
import { openClusters } from '../../operators/metrics/failure-clusters.js';
import type { Engine } from './engine.js';

/**
 * Appends to the history what the live engine resolved for good, and the open clusters whose
 * window ran out behind the reorder threshold. Rows reach the clusters in ts order, released
 * only below that threshold and never again below it (SPEC §2, rows later than --max-lateness
 * aside): what resolved so far resolved before it, and nothing still to come will, so the lines
 * go out in order as they come. Called after every chunk, it keeps memory flat in a long batch.
 * Returns the names written.
 */
export function settleHistory(history: ResolvedHistory, engine: Engine): string[] {
  const state = engine.state;
  return history.append(engine.takeResolved(), openClusters(state.clusters), engine.config.cluster.windowMs, state.reorder.threshold);
}

/** What a resumed run knows about the outputs the previous run left. */
export interface OutputsResume {
  /** Rejects-file length that matches the checkpointed state; anything after it is re-derived. */
  readonly rejectsBytes: number;
  /** alerts-resolved.ndjson as the checkpointed state left it. */
  readonly history: HistoryMark;
}

/**
 * The sinks at the edge of the pipeline, rebuilt at each tick and at the end.
 *
 * Resolved alerts come from two places: the live engine (final: a row or W of quiet behind the
 * newest row resolved them for good) and the end-of-input preview of a flush (tentative: a row
 * still inside the lateness window could reopen the cluster, as it would in a batch run over the
 * longer input). The history file takes the final ones as they come and rewrites the tentative
 * ones at every flush, so it always matches a batch run over the same lines.
 */
export class Outputs {
  readonly layout: StateLayout;
  readonly rejects: RejectsFile;
  readonly alerts: AlertFiles;
  readonly history: ResolvedHistory;
  readonly kv: KvStore;
  private kvDown = false;

  constructor(stateDir: string, fresh: boolean, private readonly emit: EventSink, kv?: KvStore, resume?: OutputsResume) {
    this.layout = stateLayout(stateDir);
    if (!fresh && resume !== undefined && existsSync(this.layout.rejects)) {
      // Rejects appended after the checkpoint (a crash between ticks, or a batch's unterminated
      // last line) are written again when their lines are read again: cut them first.
      if (statSync(this.layout.rejects).size > resume.rejectsBytes) truncateSync(this.layout.rejects, resume.rejectsBytes);
    }
    this.rejects = new RejectsFile(this.layout.rejects, fresh);
    this.history = new ResolvedHistory(this.layout.resolvedHistory, fresh ? null : (resume?.history ?? null));
    this.alerts = new AlertFiles(this.layout.alertsDir);
    this.kv = kv ?? new FileKv(this.layout.kvDir);
  }

  /** Current length of the rejects file. */
  rejectsSize(): number {
    try {
      return statSync(this.layout.rejects).size;
    } catch {
      return 0;
    }
  }

  /** Takes what the live engine resolved for good into the history; their open files go. */
  settle(engine: Engine): void {
    const closed = settleHistory(this.history, engine);
    if (closed.length > 0) this.alerts.close(closed);
  }

  /** Writes the preview's resolutions after the final lines (they may be withdrawn by the next flush). */
  resolveTentative(clusters: readonly Cluster[]): void {
    this.history.writeTail(clusters);
  }

  /** The file outputs: open alerts, aggregates, snapshot and dashboard (atomic writes). */
  writeFiles(frame: OutputFrame): void {
    this.alerts.syncOpen(frame.open);
    writeAggregates(this.layout.aggregates, frame.aggregates);
    writeSummary(this.layout, frame.snapshot);
  }

  /** The KV tallies (SPEC §5); `final` waits out the one-write-per-second gap instead of skipping. */
  async publish(tallies: readonly TenantTally[], wallClock: number, final: boolean): Promise<number> {
    const written = await publishTallies(this.kv, tallies, wallClock, final);
    if (this.kv.flush !== undefined) {
      const r = await this.kv.flush();
      // Say it once when the Worker goes away and once when it is back, not at every tick.
      if (r.unreachable !== undefined && !this.kvDown) {
        this.emit({ kind: 'worker-unreachable', error: r.unreachable, queued: r.queued, keptIn: this.layout.internalDir });
      } else if (r.unreachable === undefined && this.kvDown) {
        this.emit({ kind: 'worker-reachable' });
      }
      this.kvDown = r.unreachable !== undefined;
    }
    return written;
  }
}
