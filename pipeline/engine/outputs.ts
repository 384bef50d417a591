import { existsSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import type { KvStore, TenantTally } from '../core/kv-store.js';
import { stateLayout, type StateLayout } from '../core/layout.js';
import { writeSummary } from '../../sinks/summary-files.js';
import { RejectsFile } from '../../sinks/rejects-file.js';
import { AlertFiles } from '../../sinks/alert-files.js';
import { writeAggregates } from '../../sinks/aggregates-file.js';
import { FileKv } from '../../sinks/kv/file-kv.js';
import { publishTallies } from '../../sinks/kv/tenant-tallies.js';
import type { OutputFrame } from '../core/snapshot.js';
import type { EventSink } from '../core/events.js';
import { alertFileName, type Cluster } from '../core/alerts.js';

/** What a resumed run knows about the outputs the previous run left. */
export interface OutputsResume {
  /** Rejects-file length that matches the checkpointed state; anything after it is re-derived. */
  readonly rejectsBytes: number;
  /** Resolved alert files written from a preview only (may be withdrawn). */
  readonly tentativeResolved: readonly string[];
}

/**
 * The sinks at the edge of the pipeline, rebuilt at each tick and at the end.
 *
 * Resolved alerts come from two places: the live engine (final: a row or W of quiet behind the
 * newest row resolved them for good) and the end-of-input preview of a flush (tentative: a row
 * still inside the lateness window could reopen the cluster, as it would in a batch run over the
 * longer input). A tentative file that a later flush no longer produces is withdrawn, so the
 * files always match a batch run over the same lines.
 */
export class Outputs {
  readonly layout: StateLayout;
  readonly rejects: RejectsFile;
  readonly alerts: AlertFiles;
  readonly kv: KvStore;
  private tentative: Set<string>;
  private readonly finalSinceFlush = new Set<string>();
  private kvDown = false;

  constructor(stateDir: string, fresh: boolean, private readonly emit: EventSink, kv?: KvStore, resume?: OutputsResume) {
    this.layout = stateLayout(stateDir);
    if (!fresh && resume !== undefined && existsSync(this.layout.rejects)) {
      // Rejects appended after the checkpoint (a crash between ticks, or a batch's unterminated
      // last line) are written again when their lines are read again: cut them first.
      if (statSync(this.layout.rejects).size > resume.rejectsBytes) truncateSync(this.layout.rejects, resume.rejectsBytes);
    }
    this.rejects = new RejectsFile(this.layout.rejects, fresh);
    this.alerts = new AlertFiles(this.layout);
    this.kv = kv ?? new FileKv(this.layout.kvDir);
    this.tentative = new Set(resume?.tentativeResolved ?? []);
  }

  /** Current length of the rejects file. */
  rejectsSize(): number {
    try {
      return statSync(this.layout.rejects).size;
    } catch {
      return 0;
    }
  }

  /** Moves clusters resolved for good to alerts-resolved/ as soon as they resolve (keeps memory flat). */
  settle(resolved: readonly Cluster[]): void {
    if (resolved.length === 0) return;
    this.alerts.resolve(resolved);
    if (this.tentative.size === 0) return;
    // Only names of tentative files matter (they must not be withdrawn): bounded by that set.
    for (const c of resolved) {
      const name = alertFileName(c);
      if (this.tentative.has(name)) this.finalSinceFlush.add(name);
    }
  }

  /** Writes the preview's resolved clusters and withdraws earlier tentative files it no longer has. */
  resolveTentative(clusters: readonly Cluster[]): void {
    if (clusters.length > 0) this.alerts.resolve(clusters);
    const next = new Set(clusters.map(alertFileName));
    for (const name of this.tentative) {
      if (!next.has(name) && !this.finalSinceFlush.has(name)) rmSync(join(this.layout.resolvedDir, name), { force: true });
    }
    this.tentative = next;
    this.finalSinceFlush.clear();
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
