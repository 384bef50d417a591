import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { closeSync, openSync, readSync } from 'node:fs';
import { NAMES } from '../core/columns.js';
import { onFile } from '../core/io-error.js';
import type { ScannedChunk } from './scan-chunk.js';
import { fromTransfer, type ChunkMessage, type ScanSetup, type WorkerReply } from './scan-protocol.js';

/** Bytes per chunk a worker scans at a time. */
export const CHUNK_BYTES = 1 << 20;
/** Below this much to read, workers cost more than they save: one thread scans. */
export const MIN_PARALLEL_BYTES = 8 << 20;
/**
 * A worker's young generation (MiB): V8's default sizes it for a long-lived app and each worker
 * holds its own; a scan worker's garbage is short-lived per chunk, and this keeps `run`'s peak
 * memory with workers near that of one thread.
 */
export const WORKER_YOUNG_MB = 8;
/** Chunks sent ahead to each worker, so none waits for the next while the main thread merges. */
const AHEAD = 3;

/** `--threads` default: the cores there are, at most 4. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

export interface ParallelScanOptions extends ScanSetup {
  /** A line start (where reading stopped) and its line number. */
  readonly start: number;
  readonly line: number;
  /** The file's size when the scan was planned. */
  readonly size: number;
  readonly workers: number;
  /** Bytes per chunk (default CHUNK_BYTES; tests use tiny ones to cut lines everywhere). */
  readonly chunkBytes?: number;
  /** Each chunk, in input order, with absolute line numbers. */
  readonly onChunk: (c: ScannedChunk) => void;
  readonly stopped: () => boolean;
}

/** Where a parallel scan stopped: a line start and its line number. */
export interface ScanEnd {
  readonly offset: number;
  readonly line: number;
}

/** The start of the last line that is not complete (or `size` when the file ends with a newline). */
export function lastLineEnd(path: string, start: number, size: number): number {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    let to = size;
    while (to > start) {
      const from = Math.max(start, to - buf.length);
      const n = readSync(fd, buf, 0, to - from, from);
      const nl = buf.subarray(0, n).lastIndexOf(10);
      if (nl >= 0) return from + nl + 1;
      to = from;
    }
    return start;
  } finally {
    closeSync(fd);
  }
}

/**
 * Scans [start, last complete line) of a file with worker threads: the range is cut into
 * chunks of about CHUNK_BYTES, sent round-robin, and the results are handed to `onChunk` strictly
 * in input order, so everything downstream sees exactly what one thread would have fed it.
 * `stopped()` (a signal) ends it early at a chunk boundary.
 */
export async function scanInParallel(o: ParallelScanOptions, workerUrl: URL): Promise<ScanEnd> {
  const scanEnd = lastLineEnd(o.path, o.start, o.size);
  const chunkBytes = o.chunkBytes ?? CHUNK_BYTES;
  const count = Math.ceil((scanEnd - o.start) / chunkBytes);
  const setup: ScanSetup = { path: o.path, label: o.label, defaultTenant: o.defaultTenant, manifests: o.manifests };
  const workers = Array.from(
    { length: Math.min(o.workers, Math.max(1, count)) },
    () => new Worker(workerUrl, { workerData: setup, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB } }),
  );
  const remaps = workers.map((): number[] => []);
  const done = new Map<number, ChunkMessage>();
  let sent = 0;
  let next = 0;
  let offset = o.start;
  let line = o.line;
  const idOf = (name: string): number => NAMES.id(name);
  const send = (): void => {
    while (sent < count && sent < next + AHEAD * workers.length && !o.stopped()) {
      const from = o.start + sent * chunkBytes;
      workers[sent % workers.length]!.postMessage({ index: sent, from, to: Math.min(scanEnd, from + chunkBytes), scanStart: o.start, scanEnd });
      sent++;
    }
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const consume = (): void => {
        for (let m = done.get(next); m !== undefined; m = done.get(next)) {
          done.delete(next);
          const chunk = fromTransfer(m, remaps[next % workers.length]!, idOf, line);
          o.onChunk(chunk);
          offset = chunk.end;
          line += chunk.lines;
          next++;
        }
        if (next === count || (o.stopped() && next === sent)) resolve();
        else send();
      };
      workers.forEach((w, k) => {
        w.on('message', (reply: WorkerReply) => {
          if ('error' in reply) {
            const err = Object.assign(new Error(reply.error.message), { code: reply.error.code ?? undefined });
            reject(onFile(err, 'read', o.label));
            return;
          }
          // A worker's name deltas must be applied in the order it sent them: re-key on arrival.
          const own = remaps[k]!;
          for (let i = 0; i < reply.names.length; i++) own.push(idOf(reply.names[i]!));
          done.set(reply.index, { ...reply, names: [] });
          try {
            consume();
          } catch (err) {
            reject(err);
          }
        });
        w.on('error', reject);
      });
      if (count === 0) resolve();
      else send();
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return { offset, line };
}
