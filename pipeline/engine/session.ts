import { mkdirSync } from 'node:fs';
import type { SchedulerLike } from 'rxjs';
import { Engine, trialEngineState } from './engine.js';
import type { OperatorFailure } from './fan-out.js';
import { formatTs } from '../core/time.js';
import { describeError } from '../core/io-error.js';
import type { KvStore, TenantTally } from '../core/kv-store.js';
import type { LineChunk } from '../source/lines.js';
import { checkpointPath, configKey, diffConfig, discardCheckpoint, encodeCheckpointWith, encodeEngineState, loadCheckpoint, saveCheckpoint, type Checkpoint } from '../state/checkpoint.js';
import { Outputs } from './outputs.js';
import type { IngestResult } from './ingest.js';
import { stateLayout } from '../core/layout.js';
import { lockStateDir } from '../state/state-lock.js';
import type { EventSink, InputName } from '../core/events.js';
import { type Reject } from '../core/row.js';
import type { OutputFrame, Snapshot } from '../core/snapshot.js';
import { type Cluster } from '../core/alerts.js';
import { type InputPosition } from '../source/position.js';
import { type EngineConfig } from '../state/engine-state.js';

/**
 * One run over one input: the live engine, the output sinks and the checkpoint, flushed
 * together. The live engine only ever sees complete lines and never the end-of-input flush:
 * every flush (each follow tick, the end of a batch, a signal) rebuilds the outputs from a
 * deep copy that is taken through `end()` — reorder buffer released, clusters settled at NOW —
 * while the checkpoint keeps the state from before that. So outputs at any moment are exactly
 * those of a batch run over the lines read so far, and a later run continues from the state a
 * batch would have had before its end, which makes "one run" and "many runs" agree.
 */
/** One input file: `path` is absolute (the checkpoint's identity); `label` is the path as given, named in rejects and alerts. */
export interface FileInput {
  readonly path: string;
  readonly label: string;
}

export type InputId =
  /**
   * One or more files, read as one input. `glob`: the set is a pattern's matches, which change
   * (a checkpoint of earlier matches is continued even when none of them matches any more);
   * `name` is how notices name the input.
   */
  | { readonly kind: 'files'; readonly files: readonly FileInput[]; readonly glob: boolean; readonly name: string }
  | { readonly kind: 'stdin' };

/** Complete-so-far lines of one file that count in a flush's outputs but not in its checkpoint. */
export interface TailLines {
  readonly chunk: LineChunk;
  readonly label: string;
}

export interface SessionOptions {
  readonly stateDir: string;
  readonly engine: EngineConfig;
  readonly input: InputId;
  readonly scheduler: SchedulerLike;
  readonly kv?: KvStore;
  /** Discard any checkpoint and recompute from the input. */
  readonly rebuild?: boolean;
  /** Read and write checkpoints (default true). */
  readonly checkpoints?: boolean;
  /** An operator that throws ends the run (batch) rather than being reported and left frozen (follow). */
  readonly failFast?: boolean;
  /** Where notices go (recovery, rotation, config changes): typed events, rendered by the consumer. */
  readonly emit: EventSink;
  /** After each flush that wrote the outputs (the metrics endpoint renders from this). */
  readonly onFlushed?: (f: FlushReport) => void;
}

/** One flush, as the metrics endpoint sees it. */
export interface FlushReport {
  readonly snapshot: Snapshot;
  /** Wall-clock time the flush took. */
  readonly durationMs: number;
  /** Scheduler clock of this process's last successful checkpoint save; null: none yet. */
  readonly checkpointSavedAt: number | null;
  /** Tallies waiting in the KV reporter's outbox (0 for the embedded KV). */
  readonly outboxSize: number;
}

export interface FlushRequest {
  /** Where the next unread line starts: saved in the checkpoint. */
  readonly position: InputPosition;
  /** Last flush of this process (waits out the KV one-write-per-second gap instead of skipping). */
  readonly final: boolean;
  /** Lines that count in this flush's outputs but not in the checkpoint (each file's final unterminated line, which may still grow). */
  readonly tails?: readonly TailLines[];
}

export interface FlushResult {
  readonly snapshot: Snapshot;
  readonly keysWritten: number;
}

export interface Preview {
  /** A detached copy of the live engine, taken through end(): what a batch run would output. */
  readonly engine: Engine;
  readonly now: number;
  /** Rejects among the tail lines (they go to the rejects file, past the committed length). */
  readonly tailRejects: Reject[];
  /** Clusters resolved only in the preview (tentative lines of the history). */
  readonly resolved: Cluster[];
  /** What the sinks show: the engine's frame at NOW. */
  readonly frame: OutputFrame;
}

/**
 * What the outputs show at `clock`: a deep copy of the live state, plus the tail lines, taken
 * through end(). The live engine is not touched.
 */
export function endPreview(live: Engine, clock: number, tails: readonly TailLines[] = []): Preview {
  return endInPlace(new Engine(live.config, live.state, live.options), clock, tails);
}

/** The end-of-input step on `engine` itself: for a final flush, after which it is not fed again. */
export function endInPlace(engine: Engine, clock: number, tails: readonly TailLines[] = []): Preview {
  const tailRejects: Reject[] = [];
  for (const t of tails) tailRejects.push(...engine.feed(t.chunk, clock, t.label));
  let frame: OutputFrame | null = null;
  const framed = engine.frame$.subscribe((f) => (frame = f));
  const now = engine.end(clock);
  framed.unsubscribe();
  if (frame === null) throw engine.failures[0] ?? new Error('the engine ended without a frame');
  return { engine, now, tailRejects, resolved: engine.takeResolved(), frame };
}

/** Tallies sent later than the frame was built say when they were sent. */
function restamp(tallies: readonly TenantTally[], wallClock: number): TenantTally[] {
  const at = formatTs(wallClock);
  return tallies.map((t) => ({ ...t, reported_at: at, updated_at: at }));
}

const FIRST_REJECTS = 5;
const KV_GAP_MS = 1000;

function describeInput(i: InputId): string {
  return i.kind === 'stdin' ? 'stdin' : i.name;
}

/** How rejects, alert entries and findings name stdin. */
const STDIN_LABEL = '-';

export class Session {
  readonly engine: Engine;
  readonly outputs: Outputs;
  /** The checkpointed position to continue from; null on a fresh scan. */
  readonly resumeFrom: InputPosition | null;
  readonly firstRejects: Reject[] = [];
  private lastKvAt = -Infinity;
  /** Lines were fed since the last flush (the KV tallies may have changed). */
  private dirty = false;
  private saveError: string | null = null;
  private savedAt: number | null = null;
  /** Operators that threw (named once each); the first one ends a batch run. */
  private readonly failed = new Set<string>();
  private fatal: OperatorFailure | null = null;

  private constructor(private readonly o: SessionOptions, resume: Checkpoint | null, private readonly unlock: () => void) {
    this.resumeFrom = resume?.input ?? null;
    // The outputs read no manifest: keep none (lint keeps them, for manifest-break).
    this.engine = new Engine(o.engine, resume?.engine, { manifests: false, fileOrder: o.input.kind === 'files' ? o.input.files.map((f) => f.label) : [] });
    this.engine.failure$.subscribe((f) => this.onFailure(f));
    this.outputs = new Outputs(
      o.stateDir,
      resume === null,
      o.emit,
      o.kv,
      resume === null ? undefined : { rejectsBytes: resume.rejects_bytes, history: resume.resolved_history },
    );
  }

  /** Loads (or discards, or recovers from) the checkpoint and decides: resume or fresh scan. */
  static open(o: SessionOptions): Session {
    const unlock = o.checkpoints === false ? () => {} : lockStateDir(stateLayout(o.stateDir));
    try {
      return new Session(o, Session.decide(o), unlock);
    } catch (err) {
      unlock();
      throw err;
    }
  }

  /** Releases the state folder (the checkpoint stays). */
  close(): void {
    this.unlock();
  }

  private static decide(o: SessionOptions): Checkpoint | null {
    if (o.checkpoints === false) return null;
    const dir = stateLayout(o.stateDir).internalDir;
    const input = describeInput(o.input);
    const named: InputName = { path: o.input.kind === 'stdin' ? null : o.input.name };
    if (o.rebuild === true) {
      if (discardCheckpoint(dir)) o.emit({ kind: 'checkpoint-discarded', input });
      return null;
    }
    const clock = o.scheduler.now();
    const loaded = loadCheckpoint(dir, o.engine, clock, (state) => trialEngineState(state, o.engine, clock));
    if (loaded.kind === 'none') return null;
    if (loaded.kind === 'corrupt') {
      o.emit({ kind: 'checkpoint-unusable', path: checkpointPath(dir), reason: loaded.reason, movedTo: loaded.movedTo, input: named });
      return null;
    }
    const cp = loaded.checkpoint;
    const diffs = diffConfig(cp.config, configKey(o.engine));
    if (diffs.length > 0) {
      o.emit({ kind: 'checkpoint-settings-differ', diffs, input: named });
      return null;
    }
    const saved = cp.input;
    const savedPaths = saved.kind === 'stdin' ? [] : saved.kind === 'file' ? [saved.path] : saved.files.map((p) => p.path);
    const savedName = saved.kind === 'stdin' ? null : savedPaths.length === 1 ? savedPaths[0]! : `${savedPaths.length} files`;
    if (o.input.kind === 'files') {
      // The same file, or a fleet that gained or lost files: each file goes on from its own offset.
      if (saved.kind !== 'stdin' && (o.input.glob || o.input.files.some((f) => savedPaths.includes(f.path)))) return cp;
      o.emit({ kind: 'checkpoint-for-other-input', saved: savedName, input: named });
      return null;
    }
    if (saved.kind === 'stdin' && !saved.ended) return cp;
    o.emit({ kind: 'checkpoint-for-other-input', saved: savedName, input: named });
    return null;
  }

  /** Lines a restarted stdin stream replayed (SPEC §3 `duplicate`). */
  countDuplicates(n: number): void {
    if (n === 0) return;
    this.dirty = true;
    this.engine.countDuplicates(n);
  }

  /** Feeds complete lines of the file named `label` (`-`: stdin) to the live engine; rejects go to the file at once. */
  feed(chunk: LineChunk, label: string = STDIN_LABEL): void {
    if (chunk.lines.length === 0 && chunk.tooLong.length === 0) return;
    this.dirty = true;
    const rejects = this.engine.feed(chunk, this.o.scheduler.now(), label);
    if (this.fatal !== null) throw this.fatal;
    if (rejects.length > 0) this.keepRejects(rejects);
    this.outputs.settle(this.engine);
  }

  /** Rows validated elsewhere (a scan worker, a merge of several files): like `feed`. */
  feedRows(res: IngestResult): void {
    if (res.rows.length === 0 && res.rejects.length === 0) return;
    this.dirty = true;
    this.engine.feedRows(res, this.o.scheduler.now());
    if (this.fatal !== null) throw this.fatal;
    if (res.rejects.length > 0) this.keepRejects(res.rejects);
    this.outputs.settle(this.engine);
  }

  /**
   * Rebuilds every output from an end-of-input preview and saves the checkpoint (the live,
   * pre-end state). Order: final history lines of the live state, checkpoint, then outputs, so a
   * crash anywhere leaves a checkpoint from which the next run rebuilds the same outputs.
   */
  async flush(req: FlushRequest): Promise<FlushResult> {
    const started = performance.now();
    const sched = this.o.scheduler;
    const clock = sched.now();
    this.outputs.settle(this.engine);
    const committedRejects = this.outputs.rejectsSize();
    const history = this.outputs.history.mark();
    const saving = this.o.checkpoints !== false && this.failed.size === 0;
    // The checkpoint holds the state before the end-of-input step. A final flush encodes it, then
    // ends the live engine itself (it is not fed again); a tick ends a deep copy.
    const engineJson = saving && req.final ? encodeEngineState(this.engine.state) : null;
    const { engine: preview, tailRejects, resolved, frame } = req.final
      ? endInPlace(this.engine, clock, req.tails)
      : endPreview(this.engine, clock, req.tails);
    for (const f of preview.failures) this.onFailure(f);
    if (this.fatal !== null) throw this.fatal;
    if (saving) {
      const rest = { config: configKey(this.o.engine), input: req.position, rejects_bytes: committedRejects, resolved_history: history };
      this.save(engineJson !== null ? encodeCheckpointWith(rest, engineJson, clock) : { ...rest, engine: this.engine.state }, clock);
    }
    const changed = this.dirty || (req.tails !== undefined && req.tails.length > 0);
    this.dirty = false;
    if (tailRejects.length > 0) this.keepRejects(tailRejects);
    this.outputs.resolveTentative(resolved);
    this.outputs.writeFiles(frame);
    let kvClock = clock;
    if (req.final && changed && clock - this.lastKvAt < KV_GAP_MS) {
      // A tally that changed since a write less than a second ago would make publishTallies wait
      // out that gap once per key; waiting it once here (files already written) keeps a
      // signal's exit well under 2 s.
      await new Promise<void>((r) => sched.schedule(() => r(), KV_GAP_MS - (clock - this.lastKvAt)));
      kvClock = sched.now();
    }
    const tallies = kvClock === clock ? frame.tallies : restamp(frame.tallies, kvClock);
    const keysWritten = await this.outputs.publish(tallies, kvClock, req.final);
    this.lastKvAt = kvClock;
    this.o.onFlushed?.({ snapshot: frame.snapshot, durationMs: performance.now() - started, checkpointSavedAt: this.savedAt, outboxSize: this.outputs.outboxSize });
    return { snapshot: frame.snapshot, keysWritten };
  }

  /**
   * The one handler for operators that threw. A batch run stops (exit 1, naming the operator);
   * a follow run says so once per operator and goes on with the other outputs, but writes no
   * checkpoint from then on, so a restart recounts from the last sound one.
   */
  private onFailure(f: OperatorFailure): void {
    if (this.failed.has(f.operator)) return;
    this.failed.add(f.operator);
    if (this.o.failFast === true) {
      this.fatal ??= f;
      return;
    }
    this.o.emit({ kind: 'operator-failed', operator: f.operator, error: describeError(f.cause) });
  }

  private save(cp: Checkpoint | string, clock: number): void {
    const dir = this.outputs.layout.internalDir;
    try {
      try {
        saveCheckpoint(dir, cp, clock);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        mkdirSync(dir, { recursive: true }); // the folder was removed while running
        saveCheckpoint(dir, cp, clock);
      }
      if (this.saveError !== null) this.o.emit({ kind: 'checkpoint-written-again' });
      this.saveError = null;
      this.savedAt = clock;
    } catch (err) {
      const msg = describeError(err);
      if (msg !== this.saveError) this.o.emit({ kind: 'checkpoint-write-failed', error: msg });
      this.saveError = msg;
    }
  }

  private keepRejects(rejects: readonly Reject[]): void {
    this.outputs.rejects.append(rejects);
    for (const r of rejects) if (this.firstRejects.length < FIRST_REJECTS) this.firstRejects.push(r);
  }
}
