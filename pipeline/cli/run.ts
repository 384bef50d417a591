import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as z from 'zod';
import { engineConfigFrom, parseOrUsage } from './options.js';
import { batchInputs, followInputs, isGlob } from './inputs.js';
import type { FileInputs } from '../engine/run-loop.js';
import { runLive, type RunResult } from '../engine/run.js';
import { DEFAULT_POLL_MS, type LiveRun } from '../engine/run-loop.js';
import { defaultThreads } from '../engine/parallel-scan.js';
import { createProgress, drawsProgress, type ProgressLine } from './progress.js';
import { runReporter } from './run-report.js';
import type { FlushReport } from '../engine/session.js';
import { HttpKvStore } from '../../sinks/kv/http-kv.js';
import { stateLayout } from '../core/layout.js';
import type { KvStore } from '../core/kv-store.js';
import { onStopSignal } from './stop-signals.js';
import { UsageError } from '../core/io-error.js';
import { staleLogNotice } from '../engine/health.js';

/** Where --metrics-port listens without --metrics-host: this machine only. */
const DEFAULT_METRICS_HOST = '127.0.0.1';

/** Hard limit between SIGINT/SIGTERM and exit (the contract says within 2 s). */
const EXIT_DEADLINE_MS = 1900;

/** Poll interval of a followed file; SYNCSCOPE_POLL_MS overrides it (tests, slow disks). */
function pollMs(): number {
  const env = process.env.SYNCSCOPE_POLL_MS;
  const n = env === undefined ? NaN : Number(env);
  return Number.isFinite(n) && n >= 10 ? n : DEFAULT_POLL_MS;
}

/** How the run reports (run-report.ts): flags of `run` alone (export and lint have a --format of their own). */
const ReportOptions = z.object({
  quiet: z.boolean().default(false),
  format: z.enum(['text', 'json']).default('text'),
});

/** What `run` reads: stdin, or files (named, globbed, or followed). */
function runInput(args: readonly string[], follow: string | undefined, stateDir: string): FileInputs | '-' {
  if (args.length > 0 && follow !== undefined) throw new UsageError('give the log either as FILE… or as --follow FILE, not both');
  if (follow === '-') return '-';
  if (follow !== undefined) {
    // A followed file may be missing for a while (tail -F waits); it must not be a folder.
    if (!isGlob(follow) && existsSync(follow) && !statSync(follow).isFile()) throw new UsageError(`input is not a regular file: ${follow}`);
    return followInputs(follow, stateDir);
  }
  if (args.includes('-')) {
    if (args.length > 1) throw new UsageError('- (stdin) cannot be read together with files');
    return '-';
  }
  return batchInputs(args.length > 0 ? args : [resolve(stateDir, 'log', 'sync-events.ndjson')], stateDir);
}

/** `syncscope run`: commander has parsed FILE… and the flags (commands.ts); validate them and run. */
export async function runCommand(args: readonly string[], raw: Record<string, unknown>): Promise<void> {
  const { cli, engine } = engineConfigFrom(raw);
  const { quiet, format } = parseOrUsage(ReportOptions, { quiet: raw.quiet, format: raw.format });
  const follow = cli.follow !== undefined && cli.follow !== '-';
  const input = runInput(args, cli.follow, cli.state);
  // Absolute from here on: a follow whose working folder is deleted must not resolve against it
  // (mkdir of a relative path under a deleted folder never returns).
  const stateDir = resolve(cli.state);

  const live = follow || input === '-';
  if (cli.metricsPort === undefined && cli.metricsHost !== undefined) throw new UsageError('--metrics-host needs --metrics-port');
  // A batch ends at its one flush: there would be nothing left to scrape.
  if (cli.metricsPort !== undefined && !live) throw new UsageError('--metrics-port needs a following run (--follow FILE, or - for stdin)');

  const kv = cli.kvUrl === undefined ? undefined : workerKv(cli.kvUrl, stateDir);
  // Listens before anything is read: a port in use stops the start (exit 2).
  const metrics = cli.metricsPort === undefined ? null : await (await import('./metrics-server.js')).serveMetrics(cli.metricsHost ?? DEFAULT_METRICS_HOST, cli.metricsPort);
  const draw = drawsProgress({ wanted: cli.progress, quiet, isTTY: process.stderr.isTTY === true, term: process.env.TERM });
  const progress: ProgressLine | null = draw ? await createProgress() : null;
  const reporter = runReporter({ quiet, format, live }, {
    err: progress === null ? (text) => process.stderr.write(text) : progress.print,
    out: (text) => new Promise((done) => process.stdout.write(text, () => done())),
  });
  const started = Date.now();
  // A signal may have come while the CLI was loading (the entry caught it): then this run
  // stops right after it starts, which flushes every output.
  let run: LiveRun | null = null;
  let signalled = false;
  onStopSignal((sig) => {
    if (signalled) {
      process.stderr.write(`syncscope: ${sig} again: exiting now\n`);
      process.exit(0);
    }
    signalled = true;
    run?.stop();
    setTimeout(() => {
      process.stderr.write(`syncscope: ${sig}: flushing took longer than ${EXIT_DEADLINE_MS} ms; exiting (the checkpoint was written first)\n`);
      process.exit(0);
    }, EXIT_DEADLINE_MS).unref();
  });
  process.on('SIGHUP', () => run?.reopen());
  if (live) reporter.emit({ kind: 'run-following', input: { path: input === '-' ? null : input.name }, tickMs: cli.tick, outputs: join(stateDir, 'log'), ...(metrics === null ? {} : { metricsUrl: metrics.url }) });
  run = runLive({
    input,
    stateDir,
    engine,
    follow,
    tickMs: cli.tick,
    pollMs: pollMs(),
    rebuild: cli.rebuild,
    threads: cli.threads ?? defaultThreads(),
    emit: reporter.emit,
    ...(progress === null ? {} : { onProgress: progress.update }),
    ...(kv === undefined ? {} : { kv }),
    ...(metrics === null ? {} : { onFlushed: (f: FlushReport) => metrics.update(f) }),
  });
  if (signalled) run.stop();
  // The handlers stay until exit (they do not keep the process alive): a signal that lands
  // after the last flush still exits 0 instead of killing the process by default action.
  let result: RunResult;
  try {
    result = await run.done;
  } finally {
    progress?.stop();
  }
  // An old or empty log must not pass for a quiet, healthy one: one line says so.
  const stale = staleLogNotice(result.snapshot);
  if (stale !== null) reporter.emit(stale);
  await reporter.finish(result, (Date.now() - started) / 1000);
  // One of several input files could not be read (named when it happened): the others were.
  if (result.inputErrors > 0) process.exitCode = 1;
  if (result.stopped) {
    // stdin may still be open (tail -f): do not wait for it.
    process.exit(process.exitCode ?? 0);
  }
}

/** The HTTP reporter; its outbox lives with the checkpoint, so unsent tallies survive restarts. */
function workerKv(url: string, stateDir: string): KvStore {
  try {
    return new HttpKvStore({ baseUrl: url, outboxPath: join(stateLayout(stateDir).internalDir, 'kv-outbox.json') });
  } catch (err) {
    throw new UsageError(`--kv-url: ${(err as Error).message}`);
  }
}
