/**
 * Runs a child process and measures its wall time and peak resident memory.
 *
 * Peak RSS comes from GNU time (`/usr/bin/time -f %M`): the kernel's ru_maxrss of the child,
 * reported after it exits, so it is exact and cannot miss a late spike. Node's spawn gives no
 * rusage of a child, and polling /proc/<pid>/status VmHWM misses whatever happens after the
 * last poll, so polling is only the fallback when GNU time is absent (then marked approximate).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GNU_TIME = '/usr/bin/time';

export type RssMethod = 'gnu-time' | 'proc-poll' | 'none';

export interface Measurement {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  /** Peak RSS in KiB, or null when it could not be measured. */
  peakRssKiB: number | null;
  stdout: string;
  /** The last 8 KiB of stderr. */
  stderr: string;
}

let cachedMethod: RssMethod | undefined;

/** Which way peak RSS is measured here: probed once by timing `true`. */
export function rssMethod(): RssMethod {
  if (cachedMethod !== undefined) return cachedMethod;
  cachedMethod = process.platform === 'linux' && existsSync('/proc/self/status') ? 'proc-poll' : 'none';
  if (existsSync(GNU_TIME)) {
    const dir = mkdtempSync(join(tmpdir(), 'syncscope-time-'));
    try {
      const out = join(dir, 'rss');
      const probe = spawnSync(GNU_TIME, ['-f', '%M', '-o', out, 'true']);
      if (probe.status === 0 && parsePeakKiB(readFileSync(out, 'utf8')) !== null) cachedMethod = 'gnu-time';
    } catch {
      // not GNU time (BSD time has no -f): keep the fallback
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return cachedMethod;
}

/** GNU time may write "Command exited with non-zero status N" before the number. */
function parsePeakKiB(text: string): number | null {
  const last = text.trim().split('\n').pop() ?? '';
  return /^\d+$/.test(last) ? Number(last) : null;
}

export interface MeasureOptions {
  cwd?: string;
  /** Called with the child right after spawn (e.g. to feed its stdin). Default: stdin ignored. */
  feed?: (child: ChildProcess) => void;
  /** Keep stdout (default true; turn off for chatty children). */
  captureStdout?: boolean;
}

export async function measure(command: string, args: string[], opts: MeasureOptions = {}): Promise<Measurement> {
  const method = rssMethod();
  const dir = mkdtempSync(join(tmpdir(), 'syncscope-measure-'));
  const rssFile = join(dir, 'rss');
  const [cmd, argv] = method === 'gnu-time'
    ? [GNU_TIME, ['-f', '%M', '-o', rssFile, command, ...args]]
    : [command, args];
  const started = performance.now();
  const child = spawn(cmd, argv, {
    cwd: opts.cwd,
    stdio: [opts.feed ? 'pipe' : 'ignore', opts.captureStdout === false ? 'ignore' : 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-8192)));
  let polledKiB: number | null = null;
  const poller = method === 'proc-poll'
    ? setInterval(() => {
        const hwm = readVmKiB(child.pid, 'VmHWM');
        if (hwm !== null) polledKiB = Math.max(polledKiB ?? 0, hwm);
      }, 10)
    : null;
  opts.feed?.(child);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve([c, s]));
  }).finally(() => {
    if (poller !== null) clearInterval(poller);
  });
  const wallMs = performance.now() - started;
  let peakRssKiB: number | null = polledKiB;
  if (method === 'gnu-time') peakRssKiB = existsSync(rssFile) ? parsePeakKiB(readFileSync(rssFile, 'utf8')) : null;
  rmSync(dir, { recursive: true, force: true });
  return { code, signal, wallMs, peakRssKiB, stdout, stderr };
}

/** A `VmRSS` / `VmHWM` line of /proc/<pid>/status in KiB, or null (no such process, not Linux). */
export function readVmKiB(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number | null {
  if (pid === undefined) return null;
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * The process doing the work: under GNU time it is time's only child, found through
 * /proc/<pid>/task/<pid>/children; otherwise the child itself.
 */
export function workerPid(child: ChildProcess): number | undefined {
  if (child.pid === undefined || rssMethod() !== 'gnu-time') return child.pid;
  try {
    const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
    return kids === '' ? undefined : Number(kids.split(/\s+/)[0]);
  } catch {
    return undefined;
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
