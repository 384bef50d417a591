import { closeSync, openSync, readFileSync, rmSync, writeSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from './options.js';

/**
 * One run per state folder: two processes resuming from and saving the same checkpoint would
 * count rows twice. `state/.syncscope/run.lock` holds the owner's pid and the folder's absolute
 * path; a lock whose process is gone (crash, SIGKILL) or that was copied from another folder
 * (doctor's simulation works on a copy) is taken over.
 */
export const LOCK_FILE = 'run.lock';

interface LockBody {
  pid: number;
  dir: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holder(path: string): LockBody | null {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockBody>;
    return typeof o.pid === 'number' && typeof o.dir === 'string' ? { pid: o.pid, dir: o.dir } : null;
  } catch {
    return null;
  }
}

/** Takes the lock or throws a UsageError naming the running process; returns the release function. */
export function lockStateDir(internalDir: string): () => void {
  mkdirSync(internalDir, { recursive: true });
  const dir = resolve(internalDir);
  const path = join(dir, LOCK_FILE);
  const body = JSON.stringify({ pid: process.pid, dir } satisfies LockBody);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, body);
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const h = holder(path);
        if (h !== null && h.pid === process.pid) rmSync(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const h = holder(path);
    if (h !== null && h.dir === dir && alive(h.pid)) {
      throw new UsageError(`another syncscope run (pid ${h.pid}) is using ${dir}; stop it first, or give this run its own --state`);
    }
    rmSync(path, { force: true }); // stale: its process is gone, or it was copied from elsewhere
  }
  throw new UsageError(`could not take the lock ${path}`);
}
