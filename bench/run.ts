/**
 * `npm run bench` — throughput and peak memory of the pipeline against the floor (read + split +
 * JSON.parse) and jq, on one generated log; `npm run bench:ci` — the same at 200k rows, plus a
 * correctness gate against the independent oracle (bench/oracle.ts): the snapshot's §1–§3
 * numbers, and the §4–§6 outputs under the state dir (alerts, KV tallies, cost; see
 * bench/oracle-outputs.ts).
 *
 *   node dist/bench/run.js [--rows N] [--ci] [--runs K] [--seed S] [--days D] [--no-jq] [--cli PATH]
 *
 * `--cli` points at another build of the pipeline CLI (default the bundle, dist/cli/syncscope.mjs), e.g. to
 * compare against a baseline checkout.
 *
 * Every contender runs as a child process on the same file with a warm page cache, K times
 * (5, or 3 with --ci), interleaved so a noisy neighbour hurts all alike; the median wall time
 * counts. Exit code: 1 when the pipeline crashes or its snapshot differs from the oracle, else 0
 * (slowness never fails a build: shared CI machines are too noisy to gate on).
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GENERATOR_VERSION, generateLines, writeLines, type GenOptions } from './gen.js';
import { measure, median, rssMethod, type Measurement } from './measure.js';
import { computeOracleFromFile, diffWithOracle, validateRow, type OracleSummary } from './oracle.js';
import { diffStateWithOracle } from './oracle-outputs.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEFAULT_CLI = join(ROOT, 'dist/cli/syncscope.mjs');
const FLOOR = join(ROOT, 'dist/bench/floor.js');
const JQ_PROGRAM = join(ROOT, 'bench/jq/summary.jq');
const RESULTS_JSON = join(ROOT, 'bench/results.json');
const RESULTS_MD = join(ROOT, 'bench/RESULTS.md');
const MARK_START = '<!-- bench:start -->';
const MARK_END = '<!-- bench:end -->';

interface Args {
  rows: number;
  ci: boolean;
  runs: number;
  seed: string;
  days: number;
  jq: boolean;
  cli: string;
}

function parseCli(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      rows: { type: 'string' },
      ci: { type: 'boolean' },
      runs: { type: 'string' },
      seed: { type: 'string' },
      days: { type: 'string' },
      'no-jq': { type: 'boolean' },
      cli: { type: 'string' },
    },
  });
  const ci = values.ci === true;
  const int = (name: string, text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got "${text}"`);
    return n;
  };
  return {
    rows: int('rows', values.rows, ci ? 200_000 : 1_000_000),
    ci,
    runs: int('runs', values.runs, ci ? 3 : 5),
    seed: values.seed ?? 'bench',
    days: int('days', values.days, 30),
    jq: values['no-jq'] !== true && onPath('jq'),
    cli: values.cli === undefined ? DEFAULT_CLI : resolve(values.cli),
  };
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, cmd)));
}

// ---- input files -------------------------------------------------------------------------

/** The generated log under .tmp/bench/, reused when one with the same generator version, rows, seed and days exists. */
async function benchFile(args: Args): Promise<string> {
  const dir = join(ROOT, '.tmp/bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `sync-events-v${GENERATOR_VERSION}-${args.rows}r-${args.seed}-${args.days}d.ndjson`);
  if (existsSync(file)) return file;
  const opts: GenOptions = { rows: args.rows, seed: args.seed, start: '2026-04-01T00:00:00Z', days: args.days };
  log(`generating ${args.rows.toLocaleString('en-US')} rows → ${relative(file)}`);
  await writeFileAtomically(file, (out) => writeLines(generateLines(opts), out));
  return file;
}

/** jq stops at the first bad line, so it gets a copy holding only the rows the validator accepts. */
async function validRowsFile(file: string): Promise<string> {
  const clean = file.replace(/\.ndjson$/, '.valid.ndjson');
  if (existsSync(clean)) return clean;
  await writeFileAtomically(clean, (out) => writeLines(validLines(file), out));
  return clean;
}

async function* splitLines(file: string): AsyncGenerator<string> {
  let carry = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const parts = (carry + (chunk as string)).split('\n');
    carry = parts.pop() as string;
    yield* parts;
  }
  if (carry !== '') yield carry;
}

async function* validLines(file: string): AsyncGenerator<string> {
  for await (const line of splitLines(file)) {
    try {
      if ('row' in validateRow(JSON.parse(line))) yield line;
    } catch {
      // not JSON: left out
    }
  }
}

async function writeFileAtomically(file: string, write: (out: NodeJS.WritableStream) => Promise<void>): Promise<void> {
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  await write(out);
  out.end();
  await once(out, 'finish');
  renameSync(partial, file);
}

async function countLines(file: string): Promise<number> {
  let n = 0;
  for await (const line of splitLines(file)) if (line !== '') n++;
  return n;
}

// ---- contenders --------------------------------------------------------------------------

interface Contender {
  name: string;
  command: string;
  /** Arguments for one run; `state` is a fresh empty directory. */
  args: (state: string) => string[];
  /** Exit codes that mean "worked" (lint exits 1 when it has findings). */
  okCodes: number[];
  /** Rows and bytes of the file it reads. */
  rows: number;
  bytes: number;
  /** Set when it cannot be measured: shown instead of numbers. */
  unavailable?: string;
  runs: Measurement[];
}

interface TableRow {
  name: string;
  rowsPerSec: number | null;
  mbPerSec: number | null;
  peakRssMiB: number | null;
  ratioToFloor: number | null;
  medianMs: number | null;
  note?: string;
}

async function main(): Promise<number> {
  const args = parseCli(process.argv.slice(2));
  if (!existsSync(FLOOR)) throw new Error('dist/bench/floor.js is missing: run `npm run build` first');
  const file = await benchFile(args);
  const rows = await countLines(file);
  const bytes = statSync(file).size;
  log(`input: ${relative(file)} — ${rows.toLocaleString('en-US')} rows, ${(bytes / 1e6).toFixed(1)} MB`);

  const oracleStart = performance.now();
  const expected = await computeOracleFromFile(file);
  log(`oracle: now=${expected.now}, read=${expected.rows.read} valid=${expected.rows.valid} rejected=${expected.rows.rejected}, ` +
    `${expected.alerts.open.length} open / ${expected.alerts.resolved.length} resolved alerts, ${expected.tenants.length} tenants, ` +
    `${expected.cost.aggregates.length} aggregates, week ${expected.cost.week_usd_cents} cents (${((performance.now() - oracleStart) / 1000).toFixed(1)} s)`);

  const cli = args.cli;
  const pipelineMissing = existsSync(cli) ? undefined : `${relative(cli)} is missing`;
  const contenders: Contender[] = [
    { name: 'floor (read + split + JSON.parse)', command: process.execPath, args: () => [FLOOR, file], okCodes: [0], rows, bytes, runs: [] },
    {
      name: 'pipeline `run` (every output)', command: process.execPath,
      args: (state) => [cli, 'run', file, '--now', 'latest', '--state', state],
      okCodes: [0], rows, bytes, unavailable: pipelineMissing, runs: [],
    },
    {
      name: 'pipeline `lint`', command: process.execPath,
      args: (state) => [cli, 'lint', file, '--now', 'latest', '--state', state],
      okCodes: [0, 1], rows, bytes, unavailable: pipelineMissing, runs: [],
    },
  ];
  if (args.jq) {
    const clean = await validRowsFile(file);
    contenders.push({
      name: 'jq 1.6 `summary.jq` (valid rows only)', command: 'jq', args: () => ['-n', '-f', JQ_PROGRAM, clean],
      okCodes: [0], rows: await countLines(clean), bytes: statSync(clean).size, runs: [],
    });
  }

  await measure(process.execPath, [FLOOR, file]); // warm the page cache; not counted
  const failures: string[] = [];
  const [floor, run, lint, jq] = contenders as [Contender, Contender, Contender, Contender | undefined];

  // The first run of each checks it works (and the outputs); the rest are measured alike.
  for (let k = 0; k < args.runs; k++) {
    for (const c of contenders) {
      if (c.unavailable !== undefined) continue;
      const state = mkdtempSync(join(tmpdir(), 'syncscope-bench-'));
      try {
        log(`run ${k + 1}/${args.runs}: ${c.name}`);
        const ranFrom = Date.now();
        const m = await measure(c.command, c.args(state), { cwd: ROOT });
        const ranTo = Date.now();
        if (m.code === null || !c.okCodes.includes(m.code)) {
          const stderr = lastLine(m.stderr);
          const why = `exit ${m.code ?? m.signal}${stderr === '' ? '' : `: ${stderr}`}`;
          if (c === run) failures.push(`pipeline run crashed (${why})`);
          c.unavailable = c === lint && k === 0 ? `n/a (${why})` : `failed (${why})`;
          continue;
        }
        c.runs.push(m);
        if (k === 0 && c === run) failures.push(...checkSnapshot(state, expected), ...checkStateDir(state, expected, ranFrom, ranTo));
        if (k === 0 && c === jq) checkJq(m.stdout, expected);
      } finally {
        rmSync(state, { recursive: true, force: true });
      }
    }
  }

  const floorRate = rate(floor);
  const table: TableRow[] = contenders.map((c) => {
    if (c.unavailable !== undefined || c.runs.length === 0) {
      return { name: c.name, rowsPerSec: null, mbPerSec: null, peakRssMiB: null, ratioToFloor: null, medianMs: null, note: c.unavailable ?? 'n/a' };
    }
    const ms = median(c.runs.map((m) => m.wallMs));
    const peaks = c.runs.map((m) => m.peakRssKiB).filter((p): p is number => p !== null);
    const perSec = rate(c);
    return {
      name: c.name,
      rowsPerSec: perSec,
      mbPerSec: c.bytes / 1e6 / (ms / 1000),
      peakRssMiB: peaks.length > 0 ? Math.max(...peaks) / 1024 : null,
      ratioToFloor: perSec !== null && floorRate !== null ? perSec / floorRate : null,
      medianMs: ms,
    };
  });

  const context = `${rows.toLocaleString('en-US')} rows (${(bytes / 1e6).toFixed(1)} MB, seed ${args.seed}, ${args.days} days), ` +
    `median of ${args.runs} runs, Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, ` +
    `peak RSS via ${rssMethod()}, load average ${loadavg()[0]?.toFixed(1)} at the end, ${new Date().toISOString().slice(0, 10)}`;
  const markdown = renderTable(table);
  process.stdout.write(`\n${context}\n\n${markdown}\n`);

  writeFileSync(RESULTS_JSON, `${JSON.stringify({
    generated_at: new Date().toISOString(), ci: args.ci, rows, bytes, seed: args.seed, days: args.days, runs: args.runs,
    node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, rss_method: rssMethod(),
    oracle: { now: expected.now, rows: expected.rows, ok: failures.length === 0, failures },
    load_average: loadavg().map((x) => Math.round(x * 100) / 100),
    results: table.map((r, i) => ({
      name: r.name,
      rows_per_s: round(r.rowsPerSec, 0),
      mb_per_s: round(r.mbPerSec, 1),
      peak_rss_mib: round(r.peakRssMiB, 1),
      ratio_to_floor: round(r.ratioToFloor, 3),
      median_ms: round(r.medianMs, 0),
      wall_ms: contenders[i]?.runs.map((m) => Math.round(m.wallMs)),
      peak_rss_kib: contenders[i]?.runs.map((m) => m.peakRssKiB),
      note: r.note,
    })),
  }, null, 2)}\n`);
  const sameTs = await sameTsCase(cli, args.runs);
  if (sameTs !== null) process.stdout.write(`\n${sameTs.line}\n`);
  // results.json gains the same-ts case (written above without it).
  const written = JSON.parse(readFileSync(RESULTS_JSON, 'utf8')) as Record<string, unknown>;
  writeFileSync(RESULTS_JSON, `${JSON.stringify({ ...written, same_ts: sameTs?.json ?? null }, null, 2)}\n`);
  if (!args.ci) updateResultsMd(`${context}\n\n${markdown}${sameTs === null ? '' : `\n\n${sameTs.line}`}`);

  if (failures.length > 0) {
    process.stderr.write(`\nbench: FAILED\n${failures.map((f) => `  - ${f}`).join('\n')}\n`);
    return 1;
  }
  if (run.unavailable !== undefined) {
    process.stderr.write(`\nbench: FAILED: pipeline ${run.unavailable}\n`);
    return 1;
  }
  log('pipeline snapshot and §4–§6 outputs match the oracle');
  return 0;
}

// ---- many rows sharing one ts ------------------------------------------------------------

const SAME_TS_ROWS = 100_000;

/** 100k rows, every one at the same ts or each 1 s after the last; 5% failures over 20 repos. */
function sameTsLines(sameTs: boolean): string[] {
  const t0 = Date.parse('2026-04-10T00:00:00Z');
  const out: string[] = [];
  for (let i = 0; i < SAME_TS_ROWS; i++) {
    const ts = new Date(sameTs ? t0 : t0 + i * 1000).toISOString();
    const failed = i % 20 === 7 ? ',"ok":false,"error":"503 SlowDown"' : '';
    out.push(`{"ts":"${ts}","op":"${i % 3 === 0 ? 'pull' : 'push'}","repo":"repo-${i % 20}","scope":"state","files":1,"bytes":${1000 + (i % 977)},"dur_ms":${i % 400},"trigger":"cron","machine":"m-${i % 7}"${failed}}`);
  }
  return out;
}

/**
 * The same `run` over 100k rows sharing one ts and over 100k rows with distinct ts, interleaved:
 * rows with equal ts must cost about what distinct rows cost (target: within 3×).
 */
async function sameTsCase(cli: string, runs: number): Promise<{ line: string; json: Record<string, unknown> } | null> {
  if (!existsSync(cli)) return null;
  const dir = join(ROOT, '.tmp/bench');
  mkdirSync(dir, { recursive: true });
  const files = { same: join(dir, 'same-ts-100k.ndjson'), distinct: join(dir, 'distinct-ts-100k.ndjson') };
  for (const [kind, file] of Object.entries(files)) {
    if (!existsSync(file)) writeFileSync(file, `${sameTsLines(kind === 'same').join('\n')}\n`);
  }
  const wall: Record<'same' | 'distinct', number[]> = { same: [], distinct: [] };
  for (let k = 0; k < runs; k++) {
    for (const kind of ['same', 'distinct'] as const) {
      const state = mkdtempSync(join(tmpdir(), 'syncscope-bench-'));
      try {
        log(`run ${k + 1}/${runs}: 100k rows, ${kind === 'same' ? 'one shared ts' : 'distinct ts'}`);
        const m = await measure(process.execPath, [cli, 'run', files[kind], '--now', 'latest', '--state', state], { cwd: ROOT });
        if (m.code !== 0) {
          log(`warning: the ${kind}-ts run failed (exit ${m.code ?? m.signal}): ${lastLine(m.stderr)}`);
          return null;
        }
        wall[kind].push(m.wallMs);
      } finally {
        rmSync(state, { recursive: true, force: true });
      }
    }
  }
  const same = median(wall.same);
  const distinct = median(wall.distinct);
  const ratio = same / distinct;
  return {
    line: `100k rows sharing one ts: ${(same / 1000).toFixed(2)} s; 100k rows with distinct ts: ${(distinct / 1000).toFixed(2)} s; ratio ${ratio.toFixed(2)}× (target ≤ 3×)`,
    json: { rows: SAME_TS_ROWS, same_ts_median_ms: Math.round(same), distinct_ts_median_ms: Math.round(distinct), ratio: round(ratio, 2) },
  };
}

function round(v: number | null, digits: number): number | null {
  return v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits;
}

function rate(c: Contender): number | null {
  if (c.runs.length === 0) return null;
  return c.rows / (median(c.runs.map((m) => m.wallMs)) / 1000);
}

/** Compares <state>/log/sync-summary.json with the oracle; returns failure lines. */
function checkSnapshot(state: string, expected: OracleSummary): string[] {
  const path = join(state, 'log/sync-summary.json');
  if (!existsSync(path)) return ['pipeline run wrote no log/sync-summary.json'];
  let actual: unknown;
  try {
    actual = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return [`log/sync-summary.json is not JSON: ${(err as Error).message}`];
  }
  return diffWithOracle(expected, actual).map((d) => `snapshot differs from oracle: ${d}`);
}

/**
 * Compares the §4–§6 outputs under the state dir with the oracle; returns failure lines. Known
 * places where the pipeline keeps a fact in another form than the SPEC says are warnings.
 */
function checkStateDir(state: string, expected: OracleSummary, ranFrom: number, ranTo: number): string[] {
  const started = performance.now();
  const { diffs, deviations } = diffStateWithOracle(expected, state, { ranFrom, ranTo });
  for (const d of deviations) log(`warning: pipeline deviates from SPEC: ${d}`);
  log(`§4–§6 outputs checked against the oracle in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return diffs.map((d) => `state dir differs from oracle: ${d}`);
}

/** jq's numbers should match too (it never sees rejected lines, so `rows` is not compared). */
function checkJq(stdout: string, expected: OracleSummary): void {
  try {
    const diffs = diffWithOracle(expected, JSON.parse(stdout)).filter((d) => !d.startsWith('rows'));
    log(diffs.length === 0 ? 'jq summary matches the oracle' : `warning: jq summary differs from the oracle:\n  ${diffs.join('\n  ')}`);
  } catch {
    log('warning: jq output is not JSON');
  }
}

function renderTable(rows: TableRow[]): string {
  const fmt = (v: number | null, digits: number): string =>
    v === null ? '—' : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const lines = [
    '| what | rows/s | MB/s | peak RSS MiB | × floor |',
    '|---|---:|---:|---:|---:|',
    ...rows.map((r) => r.note !== undefined
      ? `| ${r.name} | ${r.note} | | | |`
      : `| ${r.name} | ${fmt(r.rowsPerSec, 0)} | ${fmt(r.mbPerSec, 1)} | ${fmt(r.peakRssMiB, 0)} | ${fmt(r.ratioToFloor, 2)} |`),
  ];
  return lines.join('\n');
}

function updateResultsMd(section: string): void {
  const block = `${MARK_START}\n${section}\n${MARK_END}`;
  const text = existsSync(RESULTS_MD) ? readFileSync(RESULTS_MD, 'utf8') : '';
  const start = text.indexOf(MARK_START);
  const end = text.indexOf(MARK_END);
  const next = start >= 0 && end > start
    ? text.slice(0, start) + block + text.slice(end + MARK_END.length)
    : `${text}${text.endsWith('\n') || text === '' ? '' : '\n'}\n${block}\n`;
  writeFileSync(RESULTS_MD, next);
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.slice(0, 200) ?? '';
}

function relative(path: string): string {
  return path.startsWith(ROOT) ? path.slice(ROOT.length) : path;
}

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
