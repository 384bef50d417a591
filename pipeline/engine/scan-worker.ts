import { parentPort, workerData } from 'node:worker_threads';
import { closeScan, openForScan, scanChunk, type ChunkTask } from './scan-chunk.js';
import { NAMES } from '../core/columns.js';
import { toTransfer, type ScanSetup, type WorkerReply } from './scan-protocol.js';

/**
 * A scan worker: reads and validates the chunks it is sent, and posts each back as columns
 * (typed arrays transferred, not copied) with the names it has not sent before, so the main
 * thread can re-key its ids (a dictionary delta, as in Arrow's IPC format). A task names its own
 * file when it is one of several (a fleet); each file is opened once.
 */
const setup = workerData as ScanSetup;
const port = parentPort!;
const fds = new Map<string, number>();
let namesSent = 0;

function fdOf(path: string): number {
  let fd = fds.get(path);
  if (fd === undefined) fds.set(path, (fd = openForScan(path)));
  return fd;
}

port.on('message', (task: ChunkTask | null) => {
  if (task === null) {
    for (const fd of fds.values()) closeScan(fd);
    port.close();
    return;
  }
  let reply: WorkerReply;
  try {
    const chunk = scanChunk(fdOf(task.path ?? setup.path), task, task.label ?? setup.label, { defaultTenant: setup.defaultTenant, manifests: setup.manifests });
    const names = NAMES.list.slice(namesSent);
    namesSent = NAMES.list.length;
    const { message, transfer } = toTransfer(chunk, names);
    port.postMessage(message, transfer);
    return;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    reply = { index: task.index, error: { message: e.message, code: e.code ?? null } };
  }
  port.postMessage(reply);
});
