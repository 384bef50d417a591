import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { Engine, type EngineConfig } from './engine.js';
import { LineSplitter } from './lines.js';
import { buildSnapshot, type Snapshot } from './snapshot.js';
import { buildTallies } from './tallies.js';
import type { KvStore } from './kv-store.js';
import type { Reject } from './ingest.js';
import { aggregateRows } from '../operators/cost-per-tenant-day.js';
import { openClusters } from '../operators/failure-clusters.js';
import { stateLayout, type StateLayout } from '../sinks/layout.js';
import { writeSummary } from '../sinks/summary-files.js';
import { RejectsFile } from '../sinks/rejects-file.js';
import { AlertFiles } from '../sinks/alert-files.js';
import { writeAggregates } from '../sinks/aggregates-file.js';
import { FileKv } from '../sinks/kv/file-kv.js';
import { publishTallies } from '../sinks/kv/tenant-tallies.js';

export interface RunOptions {
  /** A file path, or '-' for stdin. */
  readonly input: string;
  readonly stateDir: string;
  readonly engine: EngineConfig;
  /** Injected clock: the wall clock in production, virtual time in tests. */
  readonly scheduler?: SchedulerLike;
  readonly kv?: KvStore;
  /** Called with (bytesRead, totalBytes) after each chunk, for a progress bar. */
  readonly onProgress?: (bytes: number, total: number | null) => void;
}

export interface RunResult {
  readonly snapshot: Snapshot;
  readonly layout: StateLayout;
  readonly firstRejects: Reject[];
  readonly keysWritten: number;
}

const CHUNK = 1 << 20;
const FIRST_REJECTS = 5;

/** The sinks at the edge of the pipeline, rebuilt at each tick and at the end. */
export class Outputs {
  readonly layout: StateLayout;
  readonly rejects: RejectsFile;
  readonly alerts: AlertFiles;
  readonly kv: KvStore;

  constructor(stateDir: string, fresh: boolean, kv?: KvStore) {
    this.layout = stateLayout(stateDir);
    this.rejects = new RejectsFile(this.layout.rejects, fresh);
    this.alerts = new AlertFiles(this.layout);
    this.kv = kv ?? new FileKv(this.layout.kvDir);
  }

  /** Moves resolved clusters' files as soon as they resolve (keeps memory flat). */
  settle(engine: Engine): void {
    const resolved = engine.takeResolved();
    if (resolved.length > 0) this.alerts.resolve(resolved);
  }

  async flush(engine: Engine, now: number, wallClock: number, final: boolean): Promise<{ snapshot: Snapshot; keysWritten: number }> {
    this.settle(engine);
    const prices = engine.config.prices;
    const snapshot = buildSnapshot(engine.state, prices, now, wallClock);
    this.alerts.syncOpen(openClusters(engine.state.clusters));
    writeAggregates(this.layout.aggregates, aggregateRows(engine.state.cost, prices));
    const keysWritten = await publishTallies(this.kv, buildTallies(engine.state, now, wallClock), wallClock, final);
    writeSummary(this.layout, snapshot);
    return { snapshot, keysWritten };
  }
}

function openInput(input: string): { stream: Readable; total: number | null } {
  if (input === '-') return { stream: process.stdin, total: null };
  const total = statSync(input).size;
  return { stream: createReadStream(input, { highWaterMark: CHUNK }), total };
}

/** One-shot batch: read the input to its end in one scan, then write every output once. */
export async function runBatch(opts: RunOptions): Promise<RunResult> {
  const scheduler = opts.scheduler ?? asyncScheduler;
  const { stream, total } = openInput(opts.input);
  const engine = new Engine(opts.engine);
  const outputs = new Outputs(opts.stateDir, true, opts.kv);
  const splitter = new LineSplitter();
  const firstRejects: Reject[] = [];
  const keep = (rejects: Reject[]): void => {
    if (rejects.length === 0) return;
    outputs.rejects.append(rejects);
    for (const r of rejects) if (firstRejects.length < FIRST_REJECTS) firstRejects.push(r);
  };
  let bytes = 0;
  for await (const data of stream) {
    const buf = data as Buffer;
    bytes += buf.length;
    keep(engine.feed(splitter.push(buf), scheduler.now()));
    if (engine.state.clusters.resolved.length > 0) outputs.settle(engine);
    opts.onProgress?.(bytes, total);
  }
  keep(engine.feed(splitter.end(), scheduler.now()));
  const clock = scheduler.now();
  const now = engine.end(clock);
  const { snapshot, keysWritten } = await outputs.flush(engine, now, clock, true);
  return { snapshot, layout: outputs.layout, firstRejects, keysWritten };
}
