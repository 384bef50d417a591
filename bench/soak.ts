/**
 * Memory soak (not run in CI): peak RSS and RSS along the way of a long batch `run`, on both
 * input paths. SPEC §8 says memory is bounded by the number of keys, never by the number of
 * rows: the samples should level off after the first few percent. Target: peak RSS < 200 MiB
 * at 1M rows with threads on, and flat up to 10M.
 *
 *   stdin  generated rows piped straight into `run -` (one thread; never stored on disk); RSS
 *          sampled every 5% of the rows handed to the pipe. rows/s is end to end, so it is capped
 *          by the generator (~200k rows/s on one core) when the pipeline is faster than that.
 *   file   `run FILE` on a generated file of the same rows (worker threads on: the CLI's default
 *          threads, or --threads), cached under .tmp/bench/ like the bench's logs (10M rows is
 *          ~2.7 GB); RSS sampled every 5% of the bytes the process has read.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { EVERY_FAULT, generateLines, writeLines, type FullGenOptions } from './gen.js';
import { cachedLog } from './log-cache.js';
import { scriptArgs } from './script-args.js';
import { measure, readVmKiB, rssMethod, workerPid, type Measurement } from './measure.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist/cli/syncscope.mjs');
const BENCH_DIR = join(ROOT, '.tmp/bench');

const USAGE = `usage: node dist/bench/soak.js [options]        (npm run bench:soak -- [options])

Peak RSS (GNU time) and RSS along the way of one long \`syncscope run\`. Target: peak RSS
< 200 MiB at 1M rows with threads on, flat up to 10M.

  --rows N        rows to generate (default 10000000)
  --mode M        stdin: pipe generated rows into \`run -\` (one thread)
                  file: \`run FILE\` on a generated file (threads on; cached under .tmp/bench/)
                  both (default): file, then stdin
  --threads N     file mode: the run's --threads (default: the CLI's default)
  --seed S        generator seed (default soak)
  --days D        span of the generated rows in days (default 30)
  -h, --help      this text
`;

type Mode = 'stdin' | 'file';

interface Args {
  rows: number;
  modes: Mode[];
  threads: number | undefined;
  seed: string;
  days: number;
}

function parseCli(argv: string[]): Args {
  const values = scriptArgs({ name: 'soak', npm: 'bench:soak', usage: USAGE }, argv, {
    rows: { type: 'string' },
    mode: { type: 'string' },
    threads: { type: 'string' },
    seed: { type: 'string' },
    days: { type: 'string' },
  });
  const int = (name: string, text: string): number => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isSafeInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got "${text}"`);
    return n;
  };
  const mode = values.mode ?? 'both';
  if (mode !== 'stdin' && mode !== 'file' && mode !== 'both') throw new Error(`--mode must be stdin, file or both, got "${mode}"`);
  return {
    rows: values.rows === undefined ? 10_000_000 : int('rows', values.rows),
    modes: mode === 'both' ? ['file', 'stdin'] : [mode],
    threads: values.threads === undefined ? undefined : int('threads', values.threads),
    seed: values.seed ?? 'soak',
    days: values.days === undefined ? 30 : int('days', values.days),
  };
}

/** Everything that shapes the soak's rows, written out, so a change of the generator's defaults never changes what is measured. */
function logOptions(args: Args): FullGenOptions {
  return { rows: args.rows, seed: args.seed, start: '2026-04-01T00:00:00Z', days: args.days, tenants: 5, disorder: true, burstAt: null, ...EVERY_FAULT };
}

interface Report {
  mode: Mode;
  command: string;
  rows: number;
  exit: number | string | null;
  wall_s: number;
  rows_per_s: number;
  peak_rss_mib: number | null;
  rss_method: string;
  /** "progress → pipeline RSS MiB" every 5%: should level off. */
  rss_mib_along_the_way: string;
}

async function soakStdin(args: Args, state: string): Promise<{ report: Report; failed: string | null }> {
  const samples: string[] = [];
  let written = 0;
  let feedError: unknown = null;
  let child: ChildProcess | null = null;
  // Counts rows as they are handed to the pipe, and samples the pipeline's RSS every ~5%.
  const every = Math.max(1, Math.floor(args.rows / 20));
  function* counted(): Generator<string> {
    for (const line of generateLines(logOptions(args))) {
      yield line;
      written++;
      if (written % every === 0) {
        const kib = child === null ? null : readVmKiB(workerPid(child), 'VmRSS');
        if (kib !== null) samples.push(`${written} rows→${Math.round(kib / 1024)}`);
      }
    }
  }
  const feed = (c: ChildProcess): void => {
    child = c;
    const stdin = c.stdin;
    if (stdin === null) return;
    // If the pipeline dies, writing fails with EPIPE: stop feeding and report its exit instead.
    stdin.on('error', (err) => (feedError = err));
    writeLines(counted(), stdin).then(
      () => stdin.end(),
      (err: unknown) => (feedError = err),
    );
  };
  const runArgs = [CLI, 'run', '-', '--now', 'latest', '--state', state];
  log(`stdin: ${args.rows.toLocaleString('en-US')} generated rows → node ${runArgs.map(relative).join(' ')}`);
  const m = await measure(process.execPath, runArgs, { cwd: ROOT, feed, captureStdout: false });
  const failed = m.code !== 0 || feedError !== null
    ? `exit ${m.code ?? m.signal}${feedError === null ? '' : `, feeding stopped: ${String(feedError)}`}\n${m.stderr.slice(-2000)}`
    : null;
  return { report: reportOf('stdin', runArgs, written, m, samples), failed };
}

async function soakFile(args: Args, state: string): Promise<{ report: Report; failed: string | null }> {
  const file = await cachedLog(BENCH_DIR, logOptions(args), (f) => log(`generating ${args.rows.toLocaleString('en-US')} rows → ${relative(f)}`));
  const bytes = statSync(file).size;
  const threads = args.threads === undefined ? [] : ['--threads', String(args.threads)];
  const runArgs = [CLI, 'run', file, '--now', 'latest', '--state', state, ...threads];
  const samples: string[] = [];
  let poller: NodeJS.Timeout | null = null;
  // Samples RSS each time the process (all its threads) has read another 5% of the file.
  const watch = (child: ChildProcess): void => {
    child.stdin?.end(); // `run FILE` reads no stdin
    let next = 0.05;
    poller = setInterval(() => {
      const pid = workerPid(child);
      const read = readReadBytes(pid);
      const kib = readVmKiB(pid, 'VmRSS');
      if (read === null || kib === null || read < next * bytes) return;
      samples.push(`${Math.round(read / 1e6)} MB→${Math.round(kib / 1024)}`);
      while (next * bytes <= read) next += 0.05;
    }, 20);
  };
  log(`file: node ${runArgs.map(relative).join(' ')} (${(bytes / 1e6).toFixed(0)} MB)`);
  const m = await measure(process.execPath, runArgs, { cwd: ROOT, feed: watch, captureStdout: false }).finally(() => {
    if (poller !== null) clearInterval(poller);
  });
  const failed = m.code === 0 ? null : `exit ${m.code ?? m.signal}\n${m.stderr.slice(-2000)}`;
  return { report: reportOf('file', runArgs, args.rows, m, samples), failed };
}

/** Bytes a process has read so far (`rchar` of /proc/<pid>/io: every read, all threads), or null. */
function readReadBytes(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = /^rchar:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function reportOf(mode: Mode, runArgs: string[], rows: number, m: Measurement, samples: string[]): Report {
  return {
    mode,
    command: `node ${runArgs.map(relative).join(' ')}`,
    rows,
    exit: m.code ?? m.signal,
    wall_s: Math.round(m.wallMs / 100) / 10,
    rows_per_s: Math.round(rows / (m.wallMs / 1000)),
    peak_rss_mib: m.peakRssKiB === null ? null : Math.round(m.peakRssKiB / 1024),
    rss_method: rssMethod(),
    rss_mib_along_the_way: samples.join(', '),
  };
}

async function main(): Promise<number> {
  const args = parseCli(process.argv.slice(2));
  const reports: Report[] = [];
  let code = 0;
  for (const mode of args.modes) {
    const state = mkdtempSync(join(tmpdir(), 'syncscope-soak-'));
    try {
      const { report, failed } = mode === 'file' ? await soakFile(args, state) : await soakStdin(args, state);
      reports.push(report);
      log(`${mode}: peak RSS ${report.peak_rss_mib ?? '?'} MiB, ${report.wall_s} s (target: peak RSS < 200 MiB at 1M rows, flat to 10M)`);
      if (failed !== null) {
        log(`${mode}: pipeline failed (${failed})`);
        code = 1;
      }
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  }
  process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  return code;
}

function relative(path: string): string {
  return path.startsWith(ROOT) ? path.slice(ROOT.length) : path;
}

function log(message: string): void {
  process.stderr.write(`soak: ${message}\n`);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`soak: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
