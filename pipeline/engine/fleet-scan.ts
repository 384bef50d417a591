import { Worker } from 'node:worker_threads';
import { NAMES } from '../core/columns.js';
import { onFile } from '../core/io-error.js';
import type { ScannedChunk } from './scan-chunk.js';
import { lastLineEnd, WORKER_YOUNG_MB, type ScanEnd } from './parallel-scan.js';
import { fromTransfer, type ChunkMessage, type ScanSetup, type WorkerReply } from './scan-protocol.js';

/** The unread bulk of one file of a fleet: from a line start to its size when planned. */
export interface FleetFile {
  readonly path: string;
  readonly label: string;
  readonly start: number;
  readonly line: number;
  readonly size: number;
}

export interface FleetScanOptions {
  readonly workers: number;
  readonly defaultTenant: string;
  readonly manifests: boolean;
  /** Bytes per chunk. */
  readonly chunkBytes: number;
}

/** Chunks asked for ahead of the merge, per file: the next one is mostly there when it is needed. */
const AHEAD = 2;

interface FileScan {
  readonly file: FleetFile;
  readonly scanEnd: number;
  readonly count: number;
  sent: number;
  taken: number;
  offset: number;
  line: number;
  readonly ready: Map<number, { message: ChunkMessage; worker: number }>;
  failed: unknown;
  waiter: (() => void) | null;
}

/**
 * Several files scanned by worker threads for a merge (merged-files.ts): each file's complete
 * lines are cut into chunks, asked for a few ahead of where the merge is in that file, and
 * handed out per file strictly in order, so the merge sees exactly what reading on this thread
 * would have given it. The workers validate; this thread only merges and folds.
 */
export class FleetScan {
  private readonly files: FileScan[];
  private readonly workers: Worker[];
  private readonly remaps: number[][];
  /** Task index → its file and chunk. */
  private readonly tasks = new Map<number, { f: number; k: number }>();
  private nextTask = 0;
  private rr = 0;

  /** `files[f]` null: file f is not scanned here (its tailer reads all of it). */
  constructor(files: readonly (FleetFile | null)[], private readonly o: FleetScanOptions, workerUrl: URL) {
    this.files = files.map((file) => {
      if (file === null) {
        return { file: { path: '', label: '', start: 0, line: 1, size: 0 }, scanEnd: 0, count: 0, sent: 0, taken: 0, offset: 0, line: 1, ready: new Map(), failed: null, waiter: null };
      }
      const scanEnd = lastLineEnd(file.path, file.start, file.size);
      return {
        file, scanEnd, count: Math.ceil((scanEnd - file.start) / o.chunkBytes), sent: 0, taken: 0,
        offset: file.start, line: file.line, ready: new Map(), failed: null, waiter: null,
      };
    });
    const setup: ScanSetup = { path: '', label: '', defaultTenant: o.defaultTenant, manifests: o.manifests };
    this.workers = Array.from({ length: o.workers }, () => new Worker(workerUrl, { workerData: setup, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB } }));
    this.remaps = this.workers.map(() => []);
    this.workers.forEach((w, k) => {
      w.on('message', (reply: WorkerReply) => this.receive(k, reply));
      w.on('error', (err) => this.failAll(err));
    });
    for (let f = 0; f < this.files.length; f++) this.send(f);
  }

  /** Bytes of the files handed out so far. */
  get bytesTaken(): number {
    let n = 0;
    for (const s of this.files) n += s.offset - s.file.start;
    return n;
  }

  /** File f's next chunk in order, or null once its planned range is all handed out. */
  async next(f: number): Promise<ScannedChunk | null> {
    const s = this.files[f]!;
    if (s.taken === s.count) return null;
    for (;;) {
      if (s.failed !== null) throw s.failed;
      const got = s.ready.get(s.taken);
      if (got !== undefined) {
        s.ready.delete(s.taken);
        const chunk = fromTransfer(got.message, this.remaps[got.worker]!, (name) => NAMES.id(name), s.line);
        s.taken++;
        s.offset = chunk.end;
        s.line += chunk.lines;
        this.send(f);
        return chunk;
      }
      await new Promise<void>((resolve) => (s.waiter = resolve));
    }
  }

  /** Where file f's scan stands: the line start after its last chunk handed out. */
  end(f: number): ScanEnd {
    const s = this.files[f]!;
    return { offset: s.offset, line: s.line };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private send(f: number): void {
    const s = this.files[f]!;
    while (s.sent < s.count && s.sent < s.taken + AHEAD) {
      const from = s.file.start + s.sent * this.o.chunkBytes;
      const index = this.nextTask++;
      this.tasks.set(index, { f, k: s.sent });
      const worker = this.rr++ % this.workers.length;
      this.workers[worker]!.postMessage({
        index, from, to: Math.min(s.scanEnd, from + this.o.chunkBytes), scanStart: s.file.start, scanEnd: s.scanEnd,
        path: s.file.path, label: s.file.label,
      });
      s.sent++;
    }
  }

  private receive(worker: number, reply: WorkerReply): void {
    const task = this.tasks.get(reply.index);
    if (task === undefined) return;
    this.tasks.delete(reply.index);
    const s = this.files[task.f]!;
    if ('error' in reply) {
      const err = Object.assign(new Error(reply.error.message), { code: reply.error.code ?? undefined });
      s.failed = onFile(err, 'read', s.file.label);
    } else {
      // A worker's new names arrive in the order it sent them: its id table grows here, now.
      const own = this.remaps[worker]!;
      for (let i = 0; i < reply.names.length; i++) own.push(NAMES.id(reply.names[i]!));
      s.ready.set(task.k, { message: { ...reply, names: [] }, worker });
    }
    const wake = s.waiter;
    s.waiter = null;
    wake?.();
  }

  private failAll(err: unknown): void {
    for (const s of this.files) {
      s.failed ??= err;
      const wake = s.waiter;
      s.waiter = null;
      wake?.();
    }
  }
}
