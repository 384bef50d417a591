/**
 * Memory soak (not run in CI): streams generated rows straight into the pipeline's stdin —
 * never stored on disk — and reports its peak RSS, RSS along the way, and rows/s. SPEC §8 says
 * memory is bounded by the number of keys, never by the number of rows: the samples should
 * level off after the first few percent.
 *
 *   node dist/bench/soak.js [--rows 10000000] [--seed soak] [--days 30]
 *
 * rows/s is end to end, so it is capped by the generator (~200k rows/s on one core) when the
 * pipeline is faster than that.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { generateLines, writeLines } from './gen.js';
import { measure, readVmKiB, rssMethod, workerPid } from './measure.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist/cli/syncscope.mjs');

interface Sample {
  rowsWritten: number;
  rssMiB: number;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: { rows: { type: 'string' }, seed: { type: 'string' }, days: { type: 'string' } },
  });
  const rows = Number(values.rows ?? 10_000_000);
  const days = Number(values.days ?? 30);
  if (!Number.isSafeInteger(rows) || rows <= 0) throw new Error(`--rows must be a positive integer, got "${values.rows}"`);
  const seed = values.seed ?? 'soak';
  const state = mkdtempSync(join(tmpdir(), 'syncscope-soak-'));
  const samples: Sample[] = [];
  let written = 0;
  let feedError: unknown = null;

  // Counts rows as they are handed to the pipe, and samples the pipeline's RSS every ~5%.
  function* counted(): Generator<string> {
    const every = Math.max(1, Math.floor(rows / 20));
    for (const line of generateLines({ rows, seed, start: '2026-04-01T00:00:00Z', days })) {
      yield line;
      written++;
      if (written % every === 0) sample();
    }
  }
  let child: ChildProcess | null = null;
  const sample = (): void => {
    const kib = child === null ? null : readVmKiB(workerPid(child), 'VmRSS');
    if (kib !== null) samples.push({ rowsWritten: written, rssMiB: Math.round(kib / 1024) });
  };
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

  process.stderr.write(`soak: ${rows.toLocaleString('en-US')} rows → node dist/cli/syncscope.mjs run - (state ${state})\n`);
  try {
    const m = await measure(process.execPath, [CLI, 'run', '-', '--now', 'latest', '--state', state], { cwd: ROOT, feed, captureStdout: false });
    const report = {
      rows,
      rows_written: written,
      exit: m.code ?? m.signal,
      wall_s: Math.round(m.wallMs / 100) / 10,
      rows_per_s: Math.round(written / (m.wallMs / 1000)),
      peak_rss_mib: m.peakRssKiB === null ? null : Math.round(m.peakRssKiB / 1024),
      rss_method: rssMethod(),
      // "rows handed to the pipe → pipeline RSS MiB", every 5%: should level off
      rss_mib_along_the_way: samples.map((x) => `${x.rowsWritten}→${x.rssMiB}`).join(', '),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    if (m.code !== 0 || feedError !== null) {
      process.stderr.write(`soak: pipeline failed (exit ${m.code ?? m.signal})${feedError ? `, feeding stopped: ${String(feedError)}` : ''}\n${m.stderr.slice(-2000)}\n`);
      return 1;
    }
    return 0;
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`soak: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
