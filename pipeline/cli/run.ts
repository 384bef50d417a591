import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { engineConfigFrom, checkInput } from './options.js';
import { runLive, type RunResult } from '../engine/run.js';
import { DEFAULT_POLL_MS, type LiveRun } from '../engine/run-loop.js';
import { defaultThreads } from '../engine/parallel-scan.js';
import { createProgress } from './progress.js';
import { HttpKvStore } from '../../sinks/kv/http-kv.js';
import { stateLayout } from '../core/layout.js';
import type { KvStore } from '../core/kv-store.js';
import { onStopSignal } from './stop-signals.js';
import { UsageError } from '../core/io-error.js';
import { staleLogNotice } from '../engine/health.js';
import { printEvent } from '../../sinks/notices.js';

/** Hard limit between SIGINT/SIGTERM and exit (the contract says within 2 s). */
const EXIT_DEADLINE_MS = 1900;

/** Poll interval of a followed file; SYNCSCOPE_POLL_MS overrides it (tests, slow disks). */
function pollMs(): number {
  const env = process.env.SYNCSCOPE_POLL_MS;
  const n = env === undefined ? NaN : Number(env);
  return Number.isFinite(n) && n >= 10 ? n : DEFAULT_POLL_MS;
}

/** `syncscope run`: commander has parsed FILE and the flags (commands.ts); validate them and run. */
export async function runCommand(file: string | undefined, raw: Record<string, unknown>): Promise<void> {
  const { cli, engine } = engineConfigFrom(raw);
  if (file !== undefined && cli.follow !== undefined) throw new UsageError('give the log either as FILE or as --follow FILE, not both');
  const follow = cli.follow !== undefined && cli.follow !== '-';
  const input = cli.follow ?? file ?? resolve(cli.state, 'log', 'sync-events.ndjson');
  if (follow) {
    // A followed file may be missing for a while (tail -F waits); it must not be a folder.
    if (existsSync(input) && !statSync(input).isFile()) throw new UsageError(`input is not a regular file: ${input}`);
  } else checkInput(input);

  const kv = cli.kvUrl === undefined ? undefined : workerKv(cli.kvUrl, cli.state);
  const progress = cli.progress && input !== '-' && !follow ? await createProgress() : null;
  const started = Date.now();
  // A signal may have come while the CLI was loading (the entry caught it): then this run
  // stops right after it starts, which flushes every output.
  let live: LiveRun | null = null;
  let signalled = false;
  onStopSignal((sig) => {
    if (signalled) {
      process.stderr.write(`syncscope: ${sig} again: exiting now\n`);
      process.exit(0);
    }
    signalled = true;
    live?.stop();
    setTimeout(() => {
      process.stderr.write(`syncscope: ${sig}: flushing took longer than ${EXIT_DEADLINE_MS} ms; exiting (the checkpoint was written first)\n`);
      process.exit(0);
    }, EXIT_DEADLINE_MS).unref();
  });
  process.on('SIGHUP', () => live?.reopen());
  if (follow) process.stderr.write(`syncscope: following ${input}; outputs every ${cli.tick / 1000}s in ${resolve(cli.state, 'log')}\n`);
  live = runLive({
    input,
    stateDir: cli.state,
    engine,
    follow,
    tickMs: cli.tick,
    pollMs: pollMs(),
    rebuild: cli.rebuild,
    threads: cli.threads ?? defaultThreads(),
    onProgress: progress?.update,
    ...(kv === undefined ? {} : { kv }),
  });
  if (signalled) live.stop();
  // The handlers stay until exit (they do not keep the process alive): a signal that lands
  // after the last flush still exits 0 instead of killing the process by default action.
  let result: RunResult;
  try {
    result = await live.done;
  } finally {
    progress?.stop();
  }
  report(result, (Date.now() - started) / 1000);
  warnIfStale(result);
  if (result.stopped) {
    // stdin may still be open (tail -f): do not wait for it.
    process.exitCode = 0;
    process.exit(0);
  }
}

/** An old or empty log must not pass for a quiet, healthy one: one line says so. */
function warnIfStale(result: RunResult): void {
  const notice = staleLogNotice(result.snapshot);
  if (notice !== null) printEvent(notice);
}

/** The HTTP reporter; its outbox lives with the checkpoint, so unsent tallies survive restarts. */
function workerKv(url: string, stateDir: string): KvStore {
  try {
    return new HttpKvStore({ baseUrl: url, outboxPath: join(stateLayout(stateDir).internalDir, 'kv-outbox.json') });
  } catch (err) {
    throw new UsageError(`--kv-url: ${(err as Error).message}`);
  }
}

function report(result: RunResult, secs: number): void {
  const { rows } = result.snapshot;
  const how = result.stopped ? 'stopped; outputs and checkpoint flushed' : result.resumed ? 'totals; resumed from checkpoint' : 'full scan';
  process.stderr.write(
    `syncscope: ${rows.read} rows read, ${rows.valid} valid, ${rows.rejected} rejected, ${rows.duplicate} duplicate, ${rows.late} late in ${secs.toFixed(2)}s (${how})\n` +
    `syncscope: dashboard ${result.layout.summaryMd}\n`,
  );
  if (rows.rejected > 0 && result.firstRejects.length > 0) {
    const shown = result.firstRejects.map((r) => `  line ${r.line}: ${r.reason}`).join('\n');
    process.stderr.write(`syncscope: ${rows.rejected} line(s) rejected, written to ${result.layout.rejects}; first ${result.firstRejects.length} this run:\n${shown}\n`);
  }
}
