import { existsSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
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
import { alertFileName, type Cluster, type HistoryMark } from '../core/alerts.js';
import { openClusters } from '../../operators/metrics/failure-clusters.js';
import type { Engine } from './engine.js';

/** A cluster whose line went to the history: its file name and when it resolved. */
export interface Settled {
  readonly file: string;
  readonly cluster: Cluster;
  readonly resolvedAt: number;
}

/**
 * Appends to the history what the live engine resolved for good, and the open clusters whose
 * window ran out behind the reorder threshold. Rows reach the clusters in ts order, released
 * only below that threshold and never again below it (SPEC §2, rows later than --max-lateness
 * aside): what resolved so far resolved before it, and nothing still to come will, so the lines
 * go out in order as they come. Called after every chunk, it keeps memory flat in a long batch.
 * Returns what was written.
 */
export function settleHistory(history: ResolvedHistory, engine: Engine): Settled[] {
  const state = engine.state;
  const windowMs = engine.config.cluster.windowMs;
  const resolved = engine.takeResolved();
  const open = openClusters(state.clusters);
  const names = history.append(resolved, open, windowMs, state.reorder.threshold);
  if (names.length === 0) return [];
  // Rare (clusters, not rows): name the candidates again to pair each name with its cluster.
  const byName = new Map<string, Settled>();
  for (const c of open) byName.set(alertFileName(c), { file: alertFileName(c), cluster: c, resolvedAt: c.last_failure_at + windowMs });
  for (const c of resolved) byName.set(alertFileName(c), { file: alertFileName(c), cluster: c, resolvedAt: c.resolved_at as number });
  return names.map((n) => byName.get(n) as Settled);
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
 *
 * Alerts are announced as typed events, following the alert files: `alert-opened` when a flush
 * writes an open alert that was not shown before (not in alerts/ when the run started, nor written
 * by an earlier flush of this run), `alert-resolved` when a shown alert's cluster resolves (for
 * good, or in a flush's preview) and its file goes. A cluster that opens and resolves between two
 * flushes never had a file: it is announced by neither, only its history line says it happened.
 */
export class Outputs {
  readonly layout: StateLayout;
  readonly rejects: RejectsFile;
  readonly alerts: AlertFiles;
  readonly history: ResolvedHistory;
  readonly kv: KvStore;
  private kvDown = false;
  /** Tallies left in the KV reporter's outbox by the last publish (0 for a local KV). */
  outboxSize = 0;
  /** Alert files the person running syncscope has seen: those there at start, then those written. */
  private shown: Set<string>;

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
    this.shown = new Set(this.alerts.names());
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
    if (closed.length === 0) return;
    this.alerts.close(closed.map((s) => s.file));
    for (const s of closed) this.announceResolved(s);
  }

  /** Writes the preview's resolutions after the final lines (they may be withdrawn by the next flush). */
  resolveTentative(clusters: readonly Cluster[]): void {
    this.history.writeTail(clusters);
    if (this.shown.size === 0) return;
    for (const c of clusters) this.announceResolved({ file: alertFileName(c), cluster: c, resolvedAt: c.resolved_at as number });
  }

  /** The file outputs: open alerts, aggregates, snapshot and dashboard (atomic writes). */
  writeFiles(frame: OutputFrame): void {
    this.alerts.syncOpen(frame.open);
    this.announceOpened(frame.open);
    writeAggregates(this.layout.aggregates, frame.aggregates);
    writeSummary(this.layout, frame.snapshot);
  }

  private announceResolved(s: Settled): void {
    if (!this.shown.delete(s.file)) return;
    const c = s.cluster;
    this.emit({ kind: 'alert-resolved', tenantId: c.tenant_id, repo: c.repo, failures: c.failures.length, resolvedAt: s.resolvedAt, file: join(this.layout.alertsDir, s.file) });
  }

  /** Announces the open alerts not shown before; from now on exactly these are shown (a file that went without resolving, from other settings, is not announced). */
  private announceOpened(open: readonly Cluster[]): void {
    const now = new Set<string>();
    for (const c of open) {
      const name = alertFileName(c);
      now.add(name);
      if (this.shown.has(name)) continue;
      const since = c.failures[0]?.t ?? c.opened_at;
      this.emit({ kind: 'alert-opened', tenantId: c.tenant_id, repo: c.repo, failures: c.failures.length, openedAt: c.opened_at, since, file: join(this.layout.alertsDir, name) });
    }
    this.shown = now;
  }

  /** The KV tallies (SPEC §5); `final` waits out the one-write-per-second gap instead of skipping. */
  async publish(tallies: readonly TenantTally[], wallClock: number, final: boolean): Promise<number> {
    const written = await publishTallies(this.kv, tallies, wallClock, final);
    if (this.kv.flush !== undefined) {
      const r = await this.kv.flush();
      if (r.outboxDiscarded !== undefined) this.emit({ kind: 'outbox-unusable', ...r.outboxDiscarded });
      // Say it once when the Worker goes away and once when it is back, not at every tick.
      if (r.unreachable !== undefined && !this.kvDown) {
        this.emit({ kind: 'worker-unreachable', error: r.unreachable, queued: r.queued, keptIn: this.layout.internalDir });
      } else if (r.unreachable === undefined && this.kvDown) {
        this.emit({ kind: 'worker-reachable' });
      }
      this.kvDown = r.unreachable !== undefined;
      this.outboxSize = r.queued;
    }
    return written;
  }
}
