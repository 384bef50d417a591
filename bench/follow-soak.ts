/**
 * Follow-mode soak: streams generated rows into `syncscope run -` (stdin held open, ticks on, as
 * from `tail -f`) and samples the process's resident memory (RSS) over time. Memory must stay
 * flat: it is bounded by the number of keys (tenants, repos, machines, open clusters, days of
 * cost aggregates), never by the number of rows.
 *
 *   node dist/bench/follow-soak.js [--rows 10000000] [--days 120] [--tick 1s] [--seed soak] [--json]
 *
 * Linux: RSS from /proc/<pid>/status (VmRSS); elsewhere from `ps -o rss=`.
 */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EVERY_FAULT, generateLines, writeLines, type FullGenOptions } from './gen.js';
import { scriptArgs } from './script-args.js';

export interface SoakSample {
  /** Seconds since the pipeline started. */
  t: number;
  /** Rows written to its stdin so far. */
  rows: number;
  rssMiB: number;
}

export interface SoakResult {
  rows: number;
  days: number;
  seconds: number;
  rowsPerSecond: number;
  samples: SoakSample[];
  /** RSS once warmed up (median of the samples between 10% and 20% of the rows). */
  warmMiB: number;
  /** RSS over the last 20% of the rows (median) and the highest sample after warm-up. */
  lastMiB: number;
  maxMiB: number;
  /** Least-squares slope of RSS over rows after warm-up, MiB per million rows. */
  slopeMiBPerMillion: number;
  exitCode: number | null;
}

function rssMiB(pid: number): number | null {
  try {
    if (existsSync(`/proc/${pid}/status`)) {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : null;
    }
    const kb = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim());
    return Number.isFinite(kb) && kb > 0 ? kb / 1024 : null;
  } catch {
    return null; // exited
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)]!;
};

/** Everything that shapes the rows, written out: a change of the generator's defaults never changes what is measured. */
function logOptions(opts: { rows: number; days: number; seed: string }): FullGenOptions {
  return { rows: opts.rows, seed: opts.seed, start: '2026-01-01T00:00:00Z', days: opts.days, tenants: 5, disorder: true, burstAt: null, ...EVERY_FAULT };
}

export async function soak(opts: { rows: number; days: number; tick: string; seed: string; log?: (msg: string) => void }): Promise<SoakResult> {
  const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'syncscope.mjs');
  const state = mkdtempSync(join(tmpdir(), 'syncscope-soak-'));
  const log = opts.log ?? (() => {});
  const child = spawn(process.execPath, [cli, 'run', '-', '--state', state, '--tick', opts.tick, '--now', 'latest', '--no-progress'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d.length > 4096 ? d.slice(-4096) : d));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  const started = Date.now();
  let sent = 0;
  const samples: SoakSample[] = [];
  let nextReport = 0.1;
  const sampler = setInterval(() => {
    const rss = child.pid === undefined ? null : rssMiB(child.pid);
    if (rss === null) return;
    samples.push({ t: (Date.now() - started) / 1000, rows: sent, rssMiB: rss });
    if (sent >= nextReport * opts.rows) {
      log(`${(sent / 1e6).toFixed(1)}M rows  RSS ${rss.toFixed(1)} MiB  ${((Date.now() - started) / 1000).toFixed(0)} s`);
      nextReport += 0.1;
    }
  }, 500);
  function* counted(): Generator<string> {
    for (const line of generateLines(logOptions(opts))) {
      sent++;
      yield line;
    }
  }
  try {
    await writeLines(counted(), child.stdin);
    child.stdin.end();
    const exitCode = await exited;
    const seconds = (Date.now() - started) / 1000;
    const warm = samples.filter((s) => s.rows >= 0.1 * opts.rows && s.rows <= 0.2 * opts.rows).map((s) => s.rssMiB);
    const late = samples.filter((s) => s.rows >= 0.8 * opts.rows).map((s) => s.rssMiB);
    const after = samples.filter((s) => s.rows >= 0.1 * opts.rows);
    const n = after.length;
    const mx = after.reduce((a, s) => a + s.rows, 0) / n;
    const my = after.reduce((a, s) => a + s.rssMiB, 0) / n;
    const cov = after.reduce((a, s) => a + (s.rows - mx) * (s.rssMiB - my), 0);
    const varx = after.reduce((a, s) => a + (s.rows - mx) ** 2, 0);
    if (exitCode !== 0) throw new Error(`syncscope exited ${exitCode}: ${stderr}`);
    return {
      rows: opts.rows,
      days: opts.days,
      seconds,
      rowsPerSecond: Math.round(opts.rows / seconds),
      samples,
      warmMiB: median(warm),
      lastMiB: median(late),
      maxMiB: Math.max(...after.map((s) => s.rssMiB)),
      slopeMiBPerMillion: varx > 0 ? (cov / varx) * 1e6 : 0,
      exitCode,
    };
  } finally {
    clearInterval(sampler);
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(state, { recursive: true, force: true });
  }
}

const USAGE = `usage: node dist/bench/follow-soak.js [options]   (npm run bench:follow-soak -- [options])

Streams generated rows into \`syncscope run -\` (stdin held open, ticks on) and samples its
resident memory, which must stay flat however many rows pass.

  --rows N     rows to stream (default 10000000)
  --days D     span of the generated log in days (default 120)
  --tick DUR   the run's --tick, with a unit (default 1s)
  --seed S     generator seed (default soak)
  --json       print the result as one JSON object
  -h, --help   this text
`;

async function main(): Promise<void> {
  const values = scriptArgs({ name: 'follow-soak', npm: 'bench:follow-soak', usage: USAGE }, process.argv.slice(2), {
    rows: { type: 'string', default: '10000000' },
    days: { type: 'string', default: '120' },
    tick: { type: 'string', default: '1s' },
    seed: { type: 'string', default: 'soak' },
    json: { type: 'boolean', default: false },
  });
  const rows = Number(values.rows);
  const days = Number(values.days);
  const r = await soak({ rows, days, tick: values.tick!, seed: values.seed!, log: (m) => process.stderr.write(`soak: ${m}\n`) });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  process.stdout.write(
    `follow soak: ${(rows / 1e6).toFixed(1)}M rows over ${days} days into \`syncscope run -\` (tick ${values.tick}), ` +
    `${r.seconds.toFixed(0)} s (${r.rowsPerSecond.toLocaleString('en-US')} rows/s)\n` +
    `RSS warmed up (10–20% of rows): ${r.warmMiB.toFixed(1)} MiB; last 20%: ${r.lastMiB.toFixed(1)} MiB; ` +
    `max after warm-up: ${r.maxMiB.toFixed(1)} MiB; trend ${r.slopeMiBPerMillion >= 0 ? '+' : ''}${r.slopeMiBPerMillion.toFixed(2)} MiB per million rows\n`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`follow-soak: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
