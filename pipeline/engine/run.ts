import { isAbsolute, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { SchedulerLike } from 'rxjs';
import type { KvStore } from '../core/kv-store.js';
import { startRun, type LiveRun, type ReadProgress } from './run-loop.js';
import type { FlushReport } from './session.js';
import type { StateLayout } from '../core/layout.js';
import { type Snapshot } from '../core/snapshot.js';
import { type Reject } from '../core/row.js';
import type { EventSink } from '../core/events.js';
import { type EngineConfig } from '../state/engine-state.js';

export { Outputs, type OutputsResume } from './outputs.js';

export interface RunOptions {
  /** A file path, or '-' for stdin. */
  readonly input: string;
  readonly stateDir: string;
  readonly engine: EngineConfig;
  /** Injected clock: the wall clock in production, virtual time in tests. */
  readonly scheduler?: SchedulerLike;
  readonly kv?: KvStore;
  /** Called after each step of reading, for the progress line. */
  readonly onProgress?: (p: ReadProgress) => void;
  /** Threads for a batch over a big file (`--threads`): this one plus N-1 scan workers; default 1. */
  readonly threads?: number;
  /** Discard the checkpoint and recompute from the input (`--rebuild`). */
  readonly rebuild?: boolean;
  /** Resume from and save checkpoints under STATE/.syncscope (default true). */
  readonly checkpoints?: boolean;
  /** Notices as typed events (recovery, rotation); default: printed on stderr. */
  readonly emit?: EventSink;
  /** stdin stream for input '-' (default process.stdin). */
  readonly stdin?: Readable;
}

export interface FollowRunOptions extends RunOptions {
  /** `--follow FILE`: keep following the file; stdin ('-') follows until EOF either way. */
  readonly follow: boolean;
  /** Rebuild every output this often (ms). */
  readonly tickMs: number;
  /** How often a followed file is stat'ed (ms, default 250). */
  readonly pollMs?: number;
  /** After each flush that wrote the outputs: what `--metrics-port` serves. */
  readonly onFlushed?: (f: FlushReport) => void;
}

export interface RunResult {
  readonly snapshot: Snapshot;
  readonly layout: StateLayout;
  readonly firstRejects: Reject[];
  readonly keysWritten: number;
  /** Ended by a signal (stop()) rather than by the end of the input. */
  readonly stopped: boolean;
  /** Continued from a checkpoint rather than a fresh scan. */
  readonly resumed: boolean;
}

function absolute(input: string): string {
  return input === '-' || isAbsolute(input) ? input : resolve(input);
}

/**
 * One-shot batch: read the input from the checkpoint (or the start) to its end in one scan, then
 * write every output once and save the checkpoint. A second run over the same, grown file reads
 * only the new bytes and writes the same outputs as one run over the whole file.
 */
export async function runBatch(opts: RunOptions): Promise<RunResult> {
  return startRun({
    ...opts,
    input: absolute(opts.input),
    inputLabel: opts.input,
    follow: false,
    tickMs: Infinity,
    stdinTicks: false,
  }).done;
}

/**
 * A run that may follow: `--follow FILE`, or stdin that stays open. Every `tickMs` it rebuilds
 * every output; `stop()` (SIGINT/SIGTERM) flushes outputs and the checkpoint, then `done` resolves.
 */
export function runLive(opts: FollowRunOptions): LiveRun {
  return startRun({ ...opts, input: absolute(opts.input), inputLabel: opts.input, stdinTicks: true });
}
