import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { SchedulerLike } from 'rxjs';
import type { KvStore } from '../core/kv-store.js';
import { startRun, type FileInputs, type LiveRun, type ReadProgress } from './run-loop.js';
import type { FileInput, FlushReport } from './session.js';
import type { StateLayout } from '../core/layout.js';
import { type Snapshot } from '../core/snapshot.js';
import { type Reject } from '../core/row.js';
import type { EventSink } from '../core/events.js';
import { type EngineConfig } from '../state/engine-state.js';

export { Outputs, type OutputsResume } from './outputs.js';

export interface RunOptions {
  /** A file path, several read as one input (a fleet), the CLI's expanded inputs, or '-' for stdin. */
  readonly input: string | readonly string[] | FileInputs;
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
  /** Input files that could not be read (the others were): the run exits 1. */
  readonly inputErrors: number;
  /** Lines this process read (a resumed run: only what was new since the checkpoint). */
  readonly readThisRun: number;
  /** Files read as one input, counting those only the checkpoint remembers (0: stdin). */
  readonly files: number;
}

function absolute(path: string): string {
  return isAbsolute(path) ? path : resolve(path);
}

/** The file a path names, whatever the name (symlinks and hard links alike); a missing one: the path itself. */
function fileIdentity(path: string): string {
  try {
    const st = statSync(path, { bigint: true });
    return `${st.dev}:${st.ino}`;
  } catch {
    return path;
  }
}

/** Paths as named, the same file named twice (or through a link) read once, to what the run loop reads. */
export function fileInputs(paths: readonly string[]): FileInputs {
  const files: FileInput[] = [];
  const seen = new Set<string>();
  for (const label of paths) {
    const path = absolute(label);
    const id = fileIdentity(path);
    if (seen.has(id)) continue;
    seen.add(id);
    files.push({ path, label });
  }
  return { files, name: inputName(files.map((f) => f.label)) };
}

/** How notices name a set of files: the one path, or the first and how many more. */
export function inputName(labels: readonly string[]): string {
  if (labels.length === 1) return labels[0]!;
  if (labels.length === 0) return 'no file';
  return `${labels[0]} and ${labels.length - 1} more file${labels.length === 2 ? '' : 's'}`;
}

function liveInput(input: RunOptions['input']): FileInputs | '-' {
  if (input === '-') return '-';
  if (typeof input === 'string') return fileInputs([input]);
  if ('files' in input) return input;
  return fileInputs(input);
}

/**
 * One-shot batch: read the input from the checkpoint (or the start) to its end in one scan, then
 * write every output once and save the checkpoint. A second run over the same, grown file reads
 * only the new bytes and writes the same outputs as one run over the whole file.
 */
export async function runBatch(opts: RunOptions): Promise<RunResult> {
  return startRun({
    ...opts,
    input: liveInput(opts.input),
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
  return startRun({ ...opts, input: liveInput(opts.input), stdinTicks: true });
}
