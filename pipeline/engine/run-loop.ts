import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { asyncScheduler, EMPTY, interval, lastValueFrom, map, merge, ReplaySubject, Subject, takeUntil, type Observable, type SchedulerLike } from 'rxjs';
import { oneAtATime } from './one-at-a-time.js';
import type { EventSink } from '../core/events.js';
import { describeError } from '../core/io-error.js';
import { printEvent } from '../../sinks/notices.js';
import type { KvStore } from '../core/kv-store.js';
import { LineSplitter, type LineChunk } from '../source/lines.js';
import { FileTailer, headHashOfPath, planStart, sameFile } from '../source/file-tailer.js';
import { Session, type FileInput, type FlushReport, type FlushRequest, type FlushResult } from './session.js';
import { MergedReader, mergeStepBytes } from './merged-files.js';
import { FleetScan } from './fleet-scan.js';
import type { IngestResult } from './ingest.js';
import { ReplayOverlap, type Release } from '../source/replay-overlap.js';
import type { StateLayout } from '../core/layout.js';
import { type Reject } from '../core/row.js';
import { type FilePosition, type InputPosition } from '../source/position.js';
import { type EngineConfig } from '../state/engine-state.js';
import { MIN_PARALLEL_BYTES, scanInParallel } from './parallel-scan.js';

/** The scan worker's module, beside this one: a bundle's entry (`.mjs`), or tsc's output. */
const SCAN_WORKER = ((): URL => {
  const bundled = new URL('./scan-worker.mjs', import.meta.url);
  return existsSync(fileURLToPath(bundled)) ? bundled : new URL('./scan-worker.js', import.meta.url);
})();

/**
 * The run loop for every input mode:
 *
 * - file, batch: read from the checkpointed position to the end, one flush, done;
 * - file, follow (`--follow FILE`): read to the end, flush, then poll the path every `pollMs`
 *   (appends, rotation, truncation) and rebuild every output every `tickMs`;
 * - stdin (`run -`): feed what arrives, rebuild every `tickMs` while the stream stays open
 *   (follow), and finish as a batch at EOF.
 *
 * Reading, feeding and flushing are serialised (one at a time); time comes from the injected
 * scheduler only (ticks and polls are `interval(…, scheduler)`). `stop()` (SIGINT/SIGTERM)
 * ends the loop, flushes every output and the checkpoint, and resolves `done`.
 */
export interface LiveOptions {
  /** The files to read (one, or several as one input), or '-' for stdin. */
  readonly input: FileInputs | '-';
  readonly stateDir: string;
  readonly engine: EngineConfig;
  /** Keep following a file after its end (`--follow`). stdin always follows until EOF. */
  readonly follow: boolean;
  /** Rebuild outputs this often while following (ms). */
  readonly tickMs: number;
  /** How often to stat a followed file (ms, default 250). */
  readonly pollMs?: number;
  readonly scheduler?: SchedulerLike;
  readonly kv?: KvStore;
  readonly rebuild?: boolean;
  readonly checkpoints?: boolean;
  /** stdin stream (default process.stdin). */
  readonly stdin?: Readable;
  /** Tick while reading stdin (default true; false = plain one-shot read to EOF). */
  readonly stdinTicks?: boolean;
  /** Notices as typed events; default: printed on stderr (sinks/notices.ts). */
  readonly emit?: EventSink;
  /** After each step of reading (at most every few MiB): how far the run has read. */
  readonly onProgress?: (p: ReadProgress) => void;
  /** Threads for a batch over a file (`--threads`): this one plus N-1 scan workers; 1 = none. */
  readonly threads?: number;
  /** After each flush that wrote the outputs (tick, catch-up, final). */
  readonly onFlushed?: (f: FlushReport) => void;
}

/** How far a run has read: bytes so far, the file's size in a batch over a file (else null), rows read. */
export interface ReadProgress {
  readonly bytes: number;
  readonly total: number | null;
  readonly rows: number;
}

export interface LiveResult {
  readonly snapshot: FlushResult['snapshot'];
  readonly keysWritten: number;
  readonly layout: StateLayout;
  readonly firstRejects: Reject[];
  /** Ended by stop() (a signal) rather than by the end of the input. */
  readonly stopped: boolean;
  /** Continued from a checkpoint (rather than a fresh scan). */
  readonly resumed: boolean;
  /** Input files that could not be read (named on stderr as it happened; the others were read). */
  readonly inputErrors: number;
  /** Lines this process read (a resumed run: only what was new). */
  readonly readThisRun: number;
  /** Files read as one input (0: stdin). */
  readonly files: number;
}

/** The files of a run: as named (globs expanded), and for a followed glob how to match it again. */
export interface FileInputs {
  readonly files: readonly FileInput[];
  /** How notices name the input: the path, the glob, or the first file and how many more. */
  readonly name: string;
  /** A followed glob: its matches now (new files are read, files gone are let go). */
  readonly rescan?: () => readonly FileInput[];
  /** Named by a glob (its matches change: a checkpoint of earlier matches is continued); default: when `rescan` is given. */
  readonly glob?: boolean;
}

export interface LiveRun {
  readonly done: Promise<LiveResult>;
  /** SIGINT/SIGTERM: flush every output and the checkpoint, then resolve `done`. */
  stop(): void;
  /** SIGHUP: look at the followed path again now. */
  reopen(): void;
}

export const DEFAULT_POLL_MS = 250;
/** Bytes read per step before yielding to timers and signals. */
const READ_BUDGET = 8 << 20;
/** Steps of a merged read (merged-files.ts) between yields to timers and signals. */
const MERGE_STEPS_PER_YIELD = 16;

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));


export function startRun(opts: LiveOptions): LiveRun {
  const run = opts.input === '-' ? new StdinRun(opts) : new FileRun(opts);
  run.begin();
  return run;
}

type Request = 'tick' | 'work';

abstract class BaseRun implements LiveRun {
  done!: Promise<LiveResult>;
  protected readonly scheduler: SchedulerLike;
  protected readonly emit: EventSink;
  protected readonly session: Session;
  protected stopping = false;
  /** Emits once, on stop(): ends the stream of requests. */
  private readonly stop$ = new ReplaySubject<void>(1);
  /** Requests that come from the input itself: data arrived, more is waiting, caught up, SIGHUP. */
  private readonly wake$ = new Subject<Request>();
  private served: Promise<void> = Promise.resolve();
  /** Lines counted by the checkpoint this run continues from. */
  private readonly readBefore: number;
  private error: { err: unknown } | null = null;

  constructor(protected readonly opts: LiveOptions) {
    this.scheduler = opts.scheduler ?? asyncScheduler;
    this.emit = opts.emit ?? printEvent;
    this.session = Session.open({
      stateDir: opts.stateDir,
      engine: opts.engine,
      input: opts.input === '-' ? { kind: 'stdin' } : { kind: 'files', files: opts.input.files, glob: opts.input.glob ?? opts.input.rescan !== undefined, name: opts.input.name },
      scheduler: this.scheduler,
      kv: opts.kv,
      rebuild: opts.rebuild,
      checkpoints: opts.checkpoints,
      // A run that ends at the end of its input stops on an operator failure; one that follows goes on.
      failFast: opts.input === '-' ? opts.stdinTicks === false : !opts.follow,
      emit: this.emit,
      onFlushed: opts.onFlushed,
    });
    this.readBefore = this.session.engine.state.health.read;
  }

  /** Starts the run (after the subclass is fully constructed). */
  begin(): void {
    this.done = this.main()
      .then((res) => {
        if (this.error !== null) throw this.error.err;
        return res;
      })
      .finally(() => {
        this.stop(); // ends the ticks and polls whatever ended the run
        this.session.close();
      });
  }

  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.stop$.next();
    this.stop$.complete();
  }

  reopen(): void {
    // Only a followed file has something to reopen.
  }

  protected abstract main(): Promise<LiveResult>;

  /** One unit of reading; returns true when more is waiting right now. */
  protected abstract work(): boolean;

  protected abstract position(): InputPosition;

  protected result(out: FlushResult, stopped: boolean): LiveResult {
    return {
      snapshot: out.snapshot,
      keysWritten: out.keysWritten,
      layout: this.session.outputs.layout,
      firstRejects: this.session.firstRejects,
      stopped,
      resumed: this.session.resumeFrom !== null,
      inputErrors: 0,
      readThisRun: out.snapshot.rows.read - this.readBefore,
      files: 0,
    };
  }

  /**
   * The live loop as one stream: tick and poll intervals from the injected scheduler, merged with
   * the input's own requests, ended by stop(), and run one step at a time (a tick first). The
   * returned promise settles when stop() was called and the last step has finished.
   */
  protected serve(o: { ticks: boolean; polls: boolean }): Promise<void> {
    const every = (ms: number, r: Request): Observable<Request> => interval(ms, this.scheduler).pipe(map(() => r));
    const requests$ = merge(
      o.ticks ? every(this.opts.tickMs, 'tick') : EMPTY,
      o.polls ? every(this.opts.pollMs ?? DEFAULT_POLL_MS, 'work') : EMPTY,
      this.wake$,
    ).pipe(takeUntil(this.stop$));
    this.served = lastValueFrom(requests$.pipe(oneAtATime((r) => this.step(r), ['tick', 'work'])), { defaultValue: null })
      .then(() => {}, (err: unknown) => this.fail(err));
    return this.served;
  }

  protected request(what: Request): void {
    if (!this.stopping) this.wake$.next(what);
  }

  /** Resolves when stop() was called and no reading or tick is in progress. */
  protected async untilStopped(): Promise<void> {
    await lastValueFrom(this.stop$, { defaultValue: undefined });
    await this.served;
  }

  /** A read error: stop, flush what was read (outputs and checkpoint), then reject `done`. */
  protected fail(err: unknown): void {
    if (this.error === null) this.error = { err };
    this.stop();
  }

  private async step(r: Request): Promise<void> {
    if (r === 'tick') {
      try {
        await this.session.flush({ position: this.position(), final: false });
      } catch (err) {
        // A failed rebuild (disk full, …) must not end a months-long follow: retried next tick.
        this.emit({ kind: 'rebuild-failed', error: describeError(err) });
      }
      return;
    }
    if (this.work()) {
      await yieldToLoop();
      this.request('work');
    }
  }

  protected progress(bytes: number, total: number | null): void {
    this.opts.onProgress?.({ bytes, total, rows: this.session.engine.state.health.read });
  }

  protected flush(req: FlushRequest): Promise<FlushResult> {
    return this.session.flush(req);
  }
}

/** Positions a checkpoint holds for files: one file's, or a fleet's. */
function savedPositions(p: InputPosition | null): FilePosition[] {
  if (p === null || p.kind === 'stdin') return [];
  return p.kind === 'file' ? [p] : p.files.slice();
}

/**
 * The saved position of the file now at `path` when it was saved under another name (renamed
 * within a glob, while following or between runs): the same device, inode and birth time, and
 * the same first line (an inode reused by a new file is not it). Its rows are counted already;
 * reading it again from the start would count them twice.
 */
function renamedFrom(path: string, positions: readonly FilePosition[]): FilePosition | null {
  let st;
  try {
    st = statSync(path, { bigint: true });
  } catch {
    return null;
  }
  const id = { dev: st.dev.toString(), ino: st.ino.toString(), birth: st.birthtimeNs.toString() };
  for (const p of positions) {
    const fp = p.fingerprint;
    if (fp !== null && sameFile(id, fp) && (fp.head === null || fp.head === headHashOfPath(path))) return p;
  }
  return null;
}

/** How often a followed glob is matched again at most (ms): new files appear within a tick. */
const RESCAN_MS = 1000;

/** A file being read: its tailer; `failed` once a read failed (left out from then on). */
interface TrackedFile {
  readonly input: FileInput;
  readonly tailer: FileTailer;
  failed: boolean;
}

/**
 * One file or several read as one input. A batch over several files merges them by ts
 * (merged-files.ts); a follow merges what the files hold at start the same way, then feeds each
 * file's new lines as they come (the lateness reorder orders them), picks up files a followed
 * glob matches later, and lets go of files that are gone (their rows stay counted). Each file
 * keeps its own checkpoint position; a file read earlier but not named now keeps its position too.
 */
class FileRun extends BaseRun {
  private readonly files: TrackedFile[] = [];
  /** Checkpoint positions of files not read now (not named this time, gone, or unreadable). */
  private carried: FilePosition[];
  private readonly spec: FileInputs;
  private caughtUp = false;
  private lastScan = -Infinity;
  private inputErrors = 0;

  constructor(opts: LiveOptions) {
    super(opts);
    this.spec = opts.input as FileInputs;
    const saved = savedPositions(this.session.resumeFrom);
    const unnamed = saved.filter((p) => !this.spec.files.some((i) => i.path === p.path));
    const used = new Set<FilePosition>();
    try {
      const several = this.spec.files.length > 1 || this.spec.rescan !== undefined;
      for (const input of this.spec.files) {
        try {
          // A batch needs its files (ENOENT otherwise); a follow waits for them. A FIFO would block the open for good.
          if (!opts.follow && !statSync(input.path).isFile()) throw new Error(`${input.label} is not a regular file`);
          const pos = saved.find((p) => p.path === input.path) ?? renamedFrom(input.path, unnamed.filter((p) => !used.has(p)));
          this.track(input, pos);
          if (pos !== null) used.add(pos);
        } catch (err) {
          if (!several) throw err;
          this.inputFailed(input, err);
        }
      }
    } catch (err) {
      for (const f of this.files) f.tailer.close();
      this.session.close();
      throw err;
    }
    this.carried = saved.filter((p) => !used.has(p));
    if (opts.follow && this.spec.rescan !== undefined && this.spec.files.length === 0) this.emit({ kind: 'glob-no-match', pattern: this.spec.name });
  }

  /** Starts reading `input`, from `pos` (saved for it, maybe under an earlier name) or from its start. */
  private track(input: FileInput, pos: FilePosition | null): TrackedFile {
    const chunkBytes = this.spec.files.length > 1 ? mergeStepBytes(this.spec.files.length) : undefined;
    const tailer = new FileTailer(input.path, { emit: this.emit, plan: planStart(input.path, pos, this.emit), ...(chunkBytes === undefined ? {} : { chunkBytes }) });
    const f: TrackedFile = { input, tailer, failed: false };
    this.files.push(f);
    return f;
  }

  private inputFailed(input: FileInput, err: unknown): void {
    this.inputErrors++;
    this.emit({ kind: 'input-unreadable', path: input.label, error: describeError(err), exitStatus: 1 });
  }

  override reopen(): void {
    if (this.stopping || !this.opts.follow) return;
    for (const f of this.files) {
      if (f.failed) continue;
      this.emit({ kind: 'sighup-reopen', path: f.input.path });
      try {
        f.tailer.reopen((c) => this.session.feed(c, f.input.label));
      } catch (err) {
        this.fail(err);
      }
    }
    this.request('work');
  }

  protected position(): InputPosition {
    const own = this.files.map((f) => f.tailer.position());
    if (own.length === 1 && this.carried.length === 0 && this.spec.rescan === undefined) return own[0]!;
    return { kind: 'files', files: [...own, ...this.carried] };
  }

  protected override result(out: FlushResult, stopped: boolean): LiveResult {
    return { ...super.result(out, stopped), inputErrors: this.inputErrors, files: this.files.length + this.carried.length };
  }

  protected work(): boolean {
    this.rescan();
    let more = false;
    let read = 0;
    for (const f of this.files) {
      if (f.failed) continue;
      try {
        if (f.tailer.read((c: LineChunk) => this.session.feed(c, f.input.label), READ_BUDGET, this.opts.follow)) more = true;
      } catch (err) {
        if (this.files.length === 1 && this.spec.rescan === undefined) throw err;
        f.failed = true;
        this.inputFailed(f.input, err);
      }
      read += f.tailer.progress?.read ?? 0;
    }
    // A followed file has no end to count down to: rows only.
    if (this.opts.onProgress !== undefined) this.progress(read, null);
    if (!more && !this.caughtUp) {
      // Caught up with the files: first outputs now rather than a whole tick later.
      this.caughtUp = true;
      this.request('tick');
    }
    return more;
  }

  /** A followed glob, matched again: new files are read, files that are gone are let go. */
  private rescan(): void {
    const match = this.spec.rescan;
    if (match === undefined) return;
    const now = this.scheduler.now();
    if (now - this.lastScan < RESCAN_MS) return;
    this.lastScan = now;
    const current = match();
    const paths = new Set(current.map((i) => i.path));
    for (const f of this.files.slice()) {
      if (paths.has(f.input.path) || existsSync(f.input.path)) continue;
      // Gone: what its open descriptor still holds is read, then its position is kept.
      try {
        while (!f.failed && f.tailer.read((c) => this.session.feed(c, f.input.label), READ_BUDGET, false));
      } catch (err) {
        this.inputFailed(f.input, err);
      }
      this.carried.push(f.tailer.position());
      f.tailer.close();
      this.files.splice(this.files.indexOf(f), 1);
      this.emit({ kind: 'file-gone', path: f.input.label });
    }
    for (const input of current) {
      if (this.files.some((f) => f.input.path === input.path)) continue;
      const pos = this.carried.find((p) => p.path === input.path) ?? renamedFrom(input.path, this.carried);
      try {
        this.track(input, pos);
        this.carried = this.carried.filter((p) => p !== pos);
        this.emit({ kind: 'file-matched', path: input.label, resumed: pos !== null });
      } catch (err) {
        this.inputFailed(input, err);
      }
    }
  }

  protected async main(): Promise<LiveResult> {
    try {
      if (!this.opts.follow) return await this.batch();
      if (this.files.length > 1) await this.readMerged();
      this.serve({ ticks: true, polls: true });
      this.request('work');
      await this.untilStopped();
      return this.result(await this.flush({ position: this.position(), final: true }), true);
    } finally {
      for (const f of this.files) f.tailer.close();
    }
  }

  /**
   * The bulk of a big file scanned by worker threads, after which the tailer goes on from where
   * they stopped; null (decided at once, so a small batch starts reading synchronously) when the
   * file is too small for workers to pay off.
   */
  private scanWithWorkers(file: TrackedFile, threads: number): Promise<void> | null {
    const bulk = threads > 1 ? file.tailer.bulkRange() : null;
    if (bulk === null || bulk.size - bulk.start < MIN_PARALLEL_BYTES) return null;
    return scanInParallel({
      path: bulk.path,
      label: file.input.label,
      defaultTenant: this.opts.engine.defaultTenant,
      manifests: false,
      start: bulk.start,
      line: bulk.line,
      size: bulk.size,
      workers: threads - 1,
      onChunk: (c) => {
        this.session.feedRows(c);
        this.progress(c.end, bulk.size);
      },
      stopped: () => this.stopping,
    }, SCAN_WORKER).then((end) => file.tailer.skipTo(end.offset, end.line));
  }

  /** Every file to its end, merged by ts (without ticks: outputs come when it is done). */
  private async readMerged(): Promise<void> {
    const scan = this.opts.follow ? null : this.fleetScan(this.opts.threads ?? 1);
    const reader = new MergedReader(
      this.files.map((f) => ({ tailer: f.tailer, label: f.input.label })),
      this.session.engine.ingestOptions,
      this.session.engine.state.lastRowTs,
      (file, err) => {
        const f = this.files.find((t) => t.tailer === file.tailer)!;
        f.failed = true;
        this.inputFailed(f.input, err);
      },
      scan ?? undefined,
    );
    const deliver = (r: IngestResult): void => this.session.feedRows(r);
    let steps = 0;
    try {
      while (!this.stopping && await reader.step(deliver)) {
        if (++steps % MERGE_STEPS_PER_YIELD === 0) {
          this.progressOfFiles(reader);
          await yieldToLoop();
        }
      }
      // Stopped early: what was read counts (the checkpoint is past it).
      reader.drain(deliver);
    } finally {
      await scan?.close();
    }
    this.progressOfFiles();
  }

  /**
   * Worker threads to scan the files' bulk for a batch over several files, when there are
   * threads to spare and enough to read for them to pay off; else null (this thread reads).
   */
  private fleetScan(threads: number): FleetScan | null {
    if (threads < 2) return null;
    const bulk = this.files.map((f) => f.tailer.bulkRange());
    let bytes = 0;
    for (const b of bulk) if (b !== null) bytes += b.size - b.start;
    if (bytes < MIN_PARALLEL_BYTES) return null;
    return new FleetScan(
      bulk.map((b, k) => (b === null ? null : { ...b, label: this.files[k]!.input.label })),
      { workers: threads - 1, defaultTenant: this.opts.engine.defaultTenant, manifests: false, chunkBytes: mergeStepBytes(this.files.length) },
      SCAN_WORKER,
    );
  }

  private progressOfFiles(reader?: MergedReader): void {
    if (this.opts.onProgress === undefined) return;
    let read = 0;
    let total = 0;
    this.files.forEach((f, k) => {
      const p = f.tailer.progress;
      if (p === null) return;
      read += reader === undefined ? p.read : reader.bytesRead(k);
      total += p.total;
    });
    this.progress(read, this.opts.follow ? null : total);
  }

  private async batch(): Promise<LiveResult> {
    const only = this.files.length === 1 ? this.files[0]! : null;
    if (only !== null) {
      const parallel = this.scanWithWorkers(only, this.opts.threads ?? 1);
      if (parallel !== null) await parallel;
      const feed = (c: LineChunk): void => this.session.feed(c, only.input.label);
      while (!this.stopping && only.tailer.read(feed, READ_BUDGET, false)) {
        this.progressOfFiles();
        await yieldToLoop();
      }
    } else await this.readMerged();
    const position = this.position();
    if (this.stopping) return this.result(await this.flush({ position, final: true }), true);
    this.progressOfFiles();
    // Each file's unterminated last line counts now but may still grow: outputs include it, the
    // checkpoint stays before it and the next run reads it again.
    const tails = this.files.filter((f) => !f.failed).map((f) => ({ chunk: f.tailer.finish(), label: f.input.label }));
    return this.result(await this.flush({ position, final: true, tails }), false);
  }
}

class StdinRun extends BaseRun {
  private readonly splitter = new LineSplitter();
  private readonly stream: Readable;
  private readonly queue: Buffer[] = [];
  private readonly replay: ReplayOverlap;
  private ended = false;
  private bytesFed = 0;

  constructor(opts: LiveOptions) {
    super(opts);
    this.stream = opts.stdin ?? process.stdin;
    const resume = this.session.resumeFrom;
    this.replay = new ReplayOverlap(resume !== null && resume.kind === 'stdin' ? resume.recent : []);
  }

  protected position(): InputPosition {
    return { kind: 'stdin', ended: this.ended, recent: this.replay.recent() };
  }

  private deliver(r: Release): void {
    this.session.countDuplicates(r.duplicates);
    for (const c of r.chunks) this.session.feed(c);
  }

  protected work(): boolean {
    // Chunks are fed in arrival order, between ticks (never while a flush is in progress).
    let n = 0;
    for (let buf = this.queue.shift(); buf !== undefined; buf = this.queue.shift()) {
      this.deliver(this.replay.push(this.splitter.push(buf)));
      this.bytesFed += buf.length;
      if (++n >= 64) break;
    }
    if (n > 0) this.progress(this.bytesFed, null);
    if (n >= 64) return this.queue.length > 0;
    if (this.stream.isPaused() && !this.ended && !this.stopping) this.stream.resume();
    return false;
  }

  protected async main(): Promise<LiveResult> {
    const ended = new Promise<void>((resolve, reject) => {
      this.stream.on('data', (buf: Buffer) => {
        this.queue.push(typeof buf === 'string' ? Buffer.from(buf) : buf);
        if (this.queue.length >= 16) this.stream.pause(); // backpressure: resumed once fed
        this.request('work');
      });
      this.stream.once('end', () => {
        this.ended = true;
        resolve();
      });
      this.stream.once('error', reject);
    });
    this.serve({ ticks: this.opts.stdinTicks !== false, polls: false });
    const outcome = await Promise.race([ended.then(() => 'end' as const), this.untilStopped().then(() => 'stop' as const)]);
    if (outcome === 'stop') {
      this.stream.pause();
      this.stream.removeAllListeners('data');
      this.stream.destroy();
      while (this.queue.length > 0) this.work(); // received: cannot be read again, so feed it
      this.deliver(this.replay.settle());
      // A partial last line is not fed: a restarted `tail -f` sends it again, whole.
      return this.result(await this.flush({ position: this.position(), final: true }), true);
    }
    this.stop();
    await this.untilStopped();
    this.work(); // chunks that arrived before EOF and were not fed yet
    while (this.queue.length > 0) this.work();
    // EOF: the stream is complete; its last line counts even without a newline.
    this.deliver(this.replay.push(this.splitter.end()));
    this.deliver(this.replay.settle());
    return this.result(await this.flush({ position: this.position(), final: true }), false);
  }
}
