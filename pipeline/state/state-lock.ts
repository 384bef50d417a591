import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { writeWholeFile } from '../core/atomic-write.js';
import { onFile, UsageError } from '../core/io-error.js';
import type { StateLayout } from '../core/layout.js';
import { removeStaleTemps } from '../core/stale-temps.js';

/**
 * One run per state folder: two processes resuming from and saving the same checkpoint would
 * count rows twice. `state/.syncscope/run.lock` holds the owner's pid, the folder's absolute path
 * and, where /proc exists, the process's start time and the boot id. A lock is taken over when
 * its process is gone (crash, SIGKILL), when its pid now names another process (the machine
 * rebooted, or the start time differs), or when it was copied from another folder (doctor's
 * simulation works on a copy). Without /proc, and for locks that hold no start time, only the
 * pid's liveness counts.
 */
export const LOCK_FILE = 'run.lock';

interface LockBody {
  pid: number;
  dir: string;
  /** Field 22 of /proc/<pid>/stat: clock ticks from boot to the process's start. */
  start_time?: string;
  boot_id?: string;
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // no /proc (not Linux), or the process is gone
  }
}

/** The process's start time; the name (field 2) may hold spaces and parentheses, so count after the last ')'. */
function startTime(pid: number): string | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

function bootId(): string | undefined {
  return readProc('/proc/sys/kernel/random/boot_id')?.trim() || undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock's content; null when it is gone or is not a lock (then it is stale). */
function holder(path: string): LockBody | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw onFile(err, 'read', path);
  }
  try {
    const o = JSON.parse(text) as Partial<LockBody>;
    if (typeof o.pid !== 'number' || typeof o.dir !== 'string') return null;
    return {
      pid: o.pid,
      dir: o.dir,
      ...(typeof o.start_time === 'string' ? { start_time: o.start_time } : {}),
      ...(typeof o.boot_id === 'string' ? { boot_id: o.boot_id } : {}),
    };
  } catch {
    return null;
  }
}

/** Whether the process that wrote this folder's lock still runs. */
function stillHeld(h: LockBody, dir: string): boolean {
  if (h.dir !== dir) return false; // copied from another folder
  const boot = bootId();
  if (h.boot_id !== undefined && boot !== undefined && h.boot_id !== boot) return false; // written before a reboot
  if (!alive(h.pid)) return false;
  const start = h.start_time === undefined ? undefined : startTime(h.pid);
  return start === undefined || start === h.start_time; // another start time: the pid was reused
}

function takeLock(internalDir: string): () => void {
  const path = join(internalDir, LOCK_FILE);
  try {
    mkdirSync(internalDir, { recursive: true });
  } catch (err) {
    throw onFile(err, 'write', path);
  }
  const dir = resolve(internalDir);
  const mine: LockBody = { pid: process.pid, dir };
  const start = startTime(process.pid);
  const boot = bootId();
  if (start !== undefined) mine.start_time = start;
  if (boot !== undefined) mine.boot_id = boot;
  const body = Buffer.from(JSON.stringify(mine));
  for (let attempt = 0; attempt < 3; attempt++) {
    // Exclusive create, not temp + rename: whoever creates the file holds the lock. No fsync: a
    // lock written before a power cut names another boot and is stale anyway.
    if (writeWholeFile(path, body, { exclusive: true })) {
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          if (holder(path)?.pid === process.pid) rmSync(path, { force: true });
        } catch {
          // the folder went away or turned unreadable: nothing left to release
        }
      };
    }
    const h = holder(path);
    if (h !== null && stillHeld(h, dir)) {
      throw new UsageError(`another syncscope run (pid ${h.pid}) is using ${dir}; stop it first, or give this run its own --state`);
    }
    try {
      rmSync(path, { force: true }); // stale: see stillHeld
    } catch (err) {
      throw onFile(err, 'remove', path);
    }
  }
  throw new UsageError(`could not take the lock ${path}`);
}

/**
 * Takes the state folder for this run: the lock (or a UsageError naming the running process),
 * then removes the temp files killed runs left behind. Returns the release function.
 */
export function lockStateDir(layout: StateLayout): () => void {
  const release = takeLock(layout.internalDir);
  try {
    removeStaleTemps([dirname(layout.summaryMd), layout.alertsDir, layout.kvDir, layout.internalDir]);
  } catch (err) {
    release();
    throw err;
  }
  return release;
}
