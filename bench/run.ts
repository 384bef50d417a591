/**
 * `npm run bench` — throughput and peak memory of the pipeline against the floor (read + split +
 * JSON.parse) and jq, on generated logs of several sizes; `npm run bench:ci` — one size (200k
 * rows) with a correctness gate: every `run` (with 2 threads and with 1) is checked against the
 * independent oracle (bench/oracle.ts): the snapshot's §1–§3 numbers, and the §3.1–§6 outputs
 * under its state dir (what is wrong now, alerts, KV tallies, cost; see bench/oracle-outputs.ts).
 * Both also run a fleet: one generated file per machine (50 × 20k rows; --ci 8 × 5k), read by one
 * `run` over all the paths, as a shell expands `logs/*.ndjson`, against the floor over the same
 * files, and in --ci checked against the oracle over several files (computeOracleFromFiles).
 * `--phases` profiles one `run` per size instead and prints where the time goes (bench/phases.ts).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultThreads } from '../pipeline/engine/parallel-scan.js';
import { EVERY_FAULT, type FullFleetOptions, type FullGenOptions } from './gen.js';
import { cachedFleet, cachedLog, countLines, validRowsFile } from './log-cache.js';
import { measure, median, rssMethod, type Measurement } from './measure.js';
import { computeOracleFromFile, computeOracleFromFiles, diffWithOracle, type OracleSummary } from './oracle.js';
import { diffStateWithOracle } from './oracle-outputs.js';
import { scriptArgs } from './script-args.js';
import { mergeSummaries, renderPhases, renderTopFunctions, summariseProfile, type CpuProfile } from './phases.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BENCH_DIR = join(ROOT, '.tmp/bench');
/** What users run: the bundled CLI. */
const DEFAULT_CLI = join(ROOT, 'dist/cli/syncscope.mjs');
/** --phases maps profile frames to phases by their path under dist/, so it profiles tsc's output. */
const TSC_CLI = join(ROOT, 'dist/pipeline/cli/bin.js');
const FLOOR = join(ROOT, 'dist/bench/floor.js');
const JQ_PROGRAM = join(ROOT, 'bench/jq/summary.jq');
const RESULTS_JSON = join(ROOT, 'bench/results.json');
const RESULTS_MD = join(ROOT, 'bench/RESULTS.md');
const MARK_START = '<!-- bench:start -->';
const MARK_END = '<!-- bench:end -->';
/** The threads of the threaded `run` in --ci: fixed, so the check means the same on any CI machine. */
const CI_THREADS = 2;

const USAGE = `usage: node dist/bench/run.js [options]        (npm run bench / npm run bench:ci)

  --sizes N,N,…      rows of each generated log (default 100000,400000,1000000; --ci: 200000)
  --runs K           measured runs per contender and size (default 5; --ci: 3)
  --seed S           generator seed (default bench)
  --days D           span of the generated logs in days (default 30)
  --jq-max-rows N    run jq only on logs of at most N rows (default 100000; 0: never)
  --fleet FxR        also a fleet: F files (one per machine) of R rows each, read by one
                     \`run\` over all of them (default 50x20000; --ci: 8x5000; 0: none)
  --cli PATH         another build of the pipeline CLI (default dist/cli/syncscope.mjs; with
                     --phases dist/pipeline/cli/bin.js)
  --ci               the CI gate: every \`run\` (--threads ${CI_THREADS} and --threads 1) checked
                     against the oracle; exit 1 on any difference or crash; RESULTS.md untouched
  --phases           instead: one \`run\` per size under --cpu-prof, self time by phase (it maps
                     frames by file under dist/: give it tsc's output, not a bundled CLI)
  --threads N        with --phases: the run's --threads (default: the CLI's default)
  -h, --help         this text
`;

/** Everything that shapes a bench log besides its rows, seed and days, written out. */
const LOG_SHAPE = { start: '2026-04-01T00:00:00Z', tenants: 5, disorder: true, burstAt: null, ...EVERY_FAULT } as const;

function logOptions(rows: number, args: Args): FullGenOptions {
  return { rows, seed: args.seed, days: args.days, ...LOG_SHAPE };
}

function fleetOptions(fleet: Fleet, args: Args): FullFleetOptions {
  return { machines: fleet.files, ...logOptions(fleet.rowsPerFile, args) };
}

/** A fleet: this many files, one per machine, of this many rows each. */
interface Fleet {
  files: number;
  rowsPerFile: number;
}

interface Args {
  sizes: number[];
  ci: boolean;
  runs: number;
  seed: string;
  days: number;
  jqMaxRows: number;
  cli: string;
  phases: boolean;
  threads: number | undefined;
  fleet: Fleet | null;
}

function parseCli(argv: string[]): Args {
  const values = scriptArgs({ name: 'bench', npm: 'bench', usage: USAGE }, argv, {
    sizes: { type: 'string' },
    ci: { type: 'boolean' },
    runs: { type: 'string' },
    seed: { type: 'string' },
    days: { type: 'string' },
    'jq-max-rows': { type: 'string' },
    cli: { type: 'string' },
    phases: { type: 'boolean' },
    threads: { type: 'string' },
    fleet: { type: 'string' },
  });
  const ci = values.ci === true;
  const int = (name: string, text: string, min = 1): number => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isSafeInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${text}"`);
    return n;
  };
  const sizes = (values.sizes ?? (ci ? '200000' : '100000,400000,1000000')).split(',').map((s) => int('sizes', s));
  if (values.threads !== undefined && values.phases !== true) throw new Error('--threads goes with --phases (the bench measures default threads and --threads 1)');
  const fleetText = values.fleet ?? (ci ? '8x5000' : '50x20000');
  const fleetMatch = /^(\d+)x(\d+)$/.exec(fleetText);
  if (fleetText !== '0' && fleetMatch === null) throw new Error(`--fleet must be FILESxROWS (e.g. 50x20000) or 0, got "${fleetText}"`);
  return {
    sizes: [...new Set(sizes)].sort((a, b) => a - b),
    ci,
    runs: values.runs === undefined ? (ci ? 3 : 5) : int('runs', values.runs),
    seed: values.seed ?? 'bench',
    days: values.days === undefined ? 30 : int('days', values.days),
    jqMaxRows: values['jq-max-rows'] === undefined ? 100_000 : int('jq-max-rows', values['jq-max-rows'], 0),
    cli: values.cli !== undefined ? resolve(values.cli) : values.phases === true ? TSC_CLI : DEFAULT_CLI,
    phases: values.phases === true,
    threads: values.threads === undefined ? undefined : int('threads', values.threads),
    fleet: fleetMatch === null ? null : { files: int('fleet', fleetMatch[1] as string), rowsPerFile: int('fleet', fleetMatch[2] as string) },
  };
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, cmd)));
}

async function benchLog(rows: number, args: Args): Promise<string> {
  return cachedLog(BENCH_DIR, logOptions(rows, args), (file) => log(`generating ${rows.toLocaleString('en-US')} rows → ${relative(file)}`));
}

// ---- contenders --------------------------------------------------------------------------

interface Contender {
  name: string;
  kind: 'floor' | 'run' | 'lint' | 'jq';
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

/** One generated input (a log, or a fleet of them) and everything measured on it. */
interface Size {
  /** Its column and table heading: "1,000,000 rows", "50 files × 20,000 rows". */
  label: string;
  /** Lines of all its files. */
  rows: number;
  files: string[];
  fleet: Fleet | null;
  bytes: number;
  expected: OracleSummary;
  contenders: Contender[];
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

async function prepareSize(rows: number, args: Args, jq: boolean): Promise<Size> {
  const file = await benchLog(rows, args);
  const lines = await countLines(file);
  const bytes = statSync(file).size;
  log(`input: ${relative(file)} — ${lines.toLocaleString('en-US')} rows, ${(bytes / 1e6).toFixed(1)} MB`);
  const oracleStart = performance.now();
  const expected = await computeOracleFromFile(file);
  log(`oracle: now=${expected.now}, read=${expected.rows.read} valid=${expected.rows.valid} rejected=${expected.rows.rejected}, ` +
    `${expected.alerts.open.length} open / ${expected.alerts.resolved.length} resolved alerts, ${expected.tenants.length} tenants, ` +
    `${expected.cost.aggregates.length} aggregates, week ${expected.cost.week_usd_cents} cents, ` +
    `health ${expected.whatIsWrong.health.level}${expected.whatIsWrong.health.causes.length > 0 ? ` (${expected.whatIsWrong.health.causes.join(', ')})` : ''} (${((performance.now() - oracleStart) / 1000).toFixed(1)} s)`);

  const cli = args.cli;
  const missing = existsSync(cli) ? undefined : `${relative(cli)} is missing`;
  const pipeline = (name: string, kind: 'run' | 'lint', extra: string[]): Contender => ({
    name, kind, command: process.execPath,
    args: (state) => [cli, kind, file, '--now', 'latest', '--state', state, ...extra],
    okCodes: kind === 'lint' ? [0, 1] : [0], rows: lines, bytes, runs: [], ...(missing === undefined ? {} : { unavailable: missing }),
  });
  const contenders: Contender[] = [
    { name: 'floor (read + split + JSON.parse)', kind: 'floor', command: process.execPath, args: () => [FLOOR, file], okCodes: [0], rows: lines, bytes, runs: [] },
    args.ci
      ? pipeline(`pipeline \`run\` (every output), \`--threads ${CI_THREADS}\``, 'run', ['--threads', String(CI_THREADS)])
      : pipeline(`pipeline \`run\` (every output), default threads (${defaultThreads()} here)`, 'run', []),
    pipeline('pipeline `run` (every output), `--threads 1`', 'run', ['--threads', '1']),
    // The whole log, as before lint judged the last 24h by default: the same findings to build.
    pipeline('pipeline `lint`', 'lint', ['--since', 'all']),
  ];
  if (jq && rows <= args.jqMaxRows) {
    const clean = await validRowsFile(file);
    contenders.push({
      name: 'jq 1.6 `summary.jq` (valid rows only)', kind: 'jq', command: 'jq', args: () => ['-n', '-f', JQ_PROGRAM, clean],
      okCodes: [0], rows: await countLines(clean), bytes: statSync(clean).size, runs: [],
    });
  }
  return { label: `${rows.toLocaleString('en-US')} rows`, rows, files: [file], fleet: null, bytes, expected, contenders };
}

/**
 * The fleet case: `run` over every file of a generated fleet, paths in code-unit order as a shell
 * expands `<folder>/*.ndjson`, against the floor over the same files.
 */
async function prepareFleet(fleet: Fleet, args: Args): Promise<Size> {
  const howMany = `${fleet.files} file${fleet.files === 1 ? '' : 's'}`;
  const label = `${howMany} × ${fleet.rowsPerFile.toLocaleString('en-US')} rows`;
  const files = await cachedFleet(BENCH_DIR, fleetOptions(fleet, args), (folder) => log(`generating a fleet of ${label} → ${relative(folder)}/`));
  let lines = 0;
  let bytes = 0;
  for (const f of files) {
    lines += await countLines(f);
    bytes += statSync(f).size;
  }
  log(`input: ${relative(dirname(files[0] ?? ''))}/*.ndjson — ${howMany}, ${lines.toLocaleString('en-US')} rows, ${(bytes / 1e6).toFixed(1)} MB`);
  const oracleStart = performance.now();
  const expected = await computeOracleFromFiles(files);
  log(`oracle over the fleet: now=${expected.now}, read=${expected.rows.read} valid=${expected.rows.valid} rejected=${expected.rows.rejected} late=${expected.rows.late}, ` +
    `${expected.alerts.open.length} open / ${expected.alerts.resolved.length} resolved alerts (${((performance.now() - oracleStart) / 1000).toFixed(1)} s)`);
  const cli = args.cli;
  const threads = args.ci ? ['--threads', String(CI_THREADS)] : [];
  const contenders: Contender[] = [
    { name: `floor, ${howMany} (read + split + JSON.parse)`, kind: 'floor', command: process.execPath, args: () => [FLOOR, ...files], okCodes: [0], rows: lines, bytes, runs: [] },
    {
      name: `pipeline \`run\` over ${howMany} (fleet), ${args.ci ? `\`--threads ${CI_THREADS}\`` : `default threads (${defaultThreads()} here)`}`,
      kind: 'run', command: process.execPath,
      args: (state) => [cli, 'run', ...files, '--now', 'latest', '--state', state, ...threads],
      okCodes: [0], rows: lines, bytes, runs: [], ...(existsSync(cli) ? {} : { unavailable: `${relative(cli)} is missing` }),
    },
  ];
  return { label, rows: lines, files, fleet, bytes, expected, contenders };
}

async function bench(args: Args): Promise<number> {
  if (!existsSync(FLOOR)) throw new Error('dist/bench/floor.js is missing: run `npm run build` first');
  const jq = args.jqMaxRows > 0 && onPath('jq');
  const sizes: Size[] = [];
  for (const rows of args.sizes) sizes.push(await prepareSize(rows, args, jq));
  if (args.fleet !== null) sizes.push(await prepareFleet(args.fleet, args));
  for (const s of sizes) await measure(process.execPath, [FLOOR, ...s.files]); // warm the page cache; not counted

  const failures: string[] = [];
  // Round-robin over every size and contender, so a noisy neighbour hurts all alike. Every
  // `run` is checked in --ci (a thread race could show only sometimes); in the bench, the first.
  for (let k = 0; k < args.runs; k++) {
    for (const size of sizes) {
      for (const c of size.contenders) {
        if (c.unavailable !== undefined) continue;
        const state = mkdtempSync(join(tmpdir(), 'syncscope-bench-'));
        try {
          log(`run ${k + 1}/${args.runs}, ${size.label}: ${c.name}`);
          const ranFrom = Date.now();
          const m = await measure(c.command, c.args(state), { cwd: ROOT });
          const ranTo = Date.now();
          if (m.code === null || !c.okCodes.includes(m.code)) {
            const stderr = lastLine(m.stderr);
            c.unavailable = `failed (exit ${m.code ?? m.signal}${stderr === '' ? '' : `: ${stderr}`})`;
            if (c.kind === 'run' || c.kind === 'lint') failures.push(`${size.label}, ${c.name}: ${c.unavailable}`);
            continue;
          }
          c.runs.push(m);
          if (c.kind === 'run' && (args.ci || k === 0)) {
            const where = `${size.label}, ${c.name}, run ${k + 1}`;
            failures.push(...[...checkSnapshot(state, size.expected), ...checkStateDir(state, size.expected, ranFrom, ranTo)].map((f) => `${where}: ${f}`));
          }
          if (k === 0 && c.kind === 'jq') checkJq(m.stdout, size.expected);
        } finally {
          rmSync(state, { recursive: true, force: true });
        }
      }
    }
  }

  const tables = sizes.map((s) => tableOf(s));
  const sameTs = await sameTsCase(args.cli, args.runs);
  const context = `seed ${args.seed}, ${args.days} days, median of ${args.runs} runs, Node ${process.version}, ` +
    `${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length} (default threads ${defaultThreads()}), ` +
    `peak RSS via ${rssMethod()}, load average ${loadavg()[0]?.toFixed(1)} at the end, ${new Date().toISOString().slice(0, 10)}`;
  const markdown = renderResults(sizes, tables);
  const section = `${context}\n\n${markdown}${sameTs === null ? '' : `\n\n${sameTs.line}`}`;
  process.stdout.write(`\n${section}\n`);

  writeFileSync(RESULTS_JSON, `${JSON.stringify({
    generated_at: new Date().toISOString(), ci: args.ci, seed: args.seed, days: args.days, log_shape: LOG_SHAPE, runs: args.runs,
    node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, default_threads: defaultThreads(), rss_method: rssMethod(),
    ok: failures.length === 0, failures,
    load_average: loadavg().map((x) => Math.round(x * 100) / 100),
    sizes: sizes.map((s, i) => ({
      label: s.label, rows: s.rows, bytes: s.bytes,
      ...(s.fleet === null ? { file: relative(s.files[0] ?? '') } : { fleet: { files: s.fleet.files, rows_per_file: s.fleet.rowsPerFile, dir: relative(dirname(s.files[0] ?? '')) } }),
      oracle: { now: s.expected.now, rows: s.expected.rows },
      results: (tables[i] as TableRow[]).map((r, j) => ({
        name: r.name,
        rows_per_s: round(r.rowsPerSec, 0),
        mb_per_s: round(r.mbPerSec, 1),
        peak_rss_mib: round(r.peakRssMiB, 1),
        ratio_to_floor: round(r.ratioToFloor, 3),
        median_ms: round(r.medianMs, 0),
        wall_ms: s.contenders[j]?.runs.map((m) => Math.round(m.wallMs)),
        peak_rss_kib: s.contenders[j]?.runs.map((m) => m.peakRssKiB),
        note: r.note,
      })),
    })),
    same_ts: sameTs?.json ?? null,
  }, null, 2)}\n`);
  if (!args.ci) updateResultsMd(section);

  if (failures.length > 0) {
    process.stderr.write(`\nbench: FAILED\n${failures.map((f) => `  - ${f}`).join('\n')}\n`);
    return 1;
  }
  log('every pipeline `run` matches the oracle (snapshot with what-is-wrong-now, alerts, KV tallies and cost aggregates)');
  return 0;
}

function tableOf(size: Size): TableRow[] {
  const floorRate = rate(size.contenders.find((c) => c.kind === 'floor'));
  return size.contenders.map((c) => {
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
  const files = { same: join(BENCH_DIR, 'same-ts-100k.ndjson'), distinct: join(BENCH_DIR, 'distinct-ts-100k.ndjson') };
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

// ---- where the time goes -----------------------------------------------------------------

/** One profiled `run` per size: self time by phase, main thread and workers, and the heaviest functions. */
async function phases(args: Args): Promise<number> {
  if (!existsSync(args.cli)) throw new Error(`${relative(args.cli)} is missing: run \`npm run build\` first`);
  const threads = args.threads === undefined ? [] : ['--threads', String(args.threads)];
  for (const rows of args.sizes) {
    const file = await benchLog(rows, args);
    await measure(process.execPath, [FLOOR, file]); // warm the page cache
    const dir = mkdtempSync(join(tmpdir(), 'syncscope-phases-'));
    try {
      const profiles = join(dir, 'profiles');
      const runArgs = [args.cli, 'run', file, '--now', 'latest', '--state', join(dir, 'state'), ...threads];
      log(`profiling: node --cpu-prof ${runArgs.map(relative).join(' ')}`);
      const m = await measure(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profiles, ...runArgs], { cwd: ROOT });
      if (m.code !== 0) {
        process.stderr.write(`bench: the profiled run failed (exit ${m.code ?? m.signal}): ${lastLine(m.stderr)}\n`);
        return 1;
      }
      // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; thread 0 is the main thread.
      const read = (name: string): CpuProfile => JSON.parse(readFileSync(join(profiles, name), 'utf8')) as CpuProfile;
      const names = readdirSync(profiles).filter((n) => n.endsWith('.cpuprofile'));
      const isMain = (n: string): boolean => n.split('.')[4] === '0';
      const mainName = names.find(isMain);
      if (mainName === undefined) throw new Error(`no main-thread profile in ${profiles}`);
      const main = summariseProfile(read(mainName));
      const workerNames = names.filter((n) => !isMain(n));
      const workers = workerNames.length === 0 ? null : mergeSummaries(workerNames.map((n) => summariseProfile(read(n))));
      const bytes = statSync(file).size;
      process.stdout.write(
        `\n### \`run\` over ${rows.toLocaleString('en-US')} rows (${(bytes / 1e6).toFixed(1)} MB), ` +
        `${args.threads === undefined ? `default threads (${defaultThreads()} here)` : `--threads ${args.threads}`}: ` +
        `${(m.wallMs / 1000).toFixed(2)} s wall, ${workerNames.length} worker thread${workerNames.length === 1 ? '' : 's'}\n\n` +
        `${renderPhases(main, workers, workerNames.length)}\n\n` +
        `Heaviest functions by self time, main thread:\n${renderTopFunctions(main, 15)}\n` +
        (workers === null ? '' : `Worker threads (summed):\n${renderTopFunctions(workers, 10)}\n`),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  process.stdout.write(
    `\nWall time includes Node's start before the profiler runs (~30 ms) and writing the profiles at exit. ` +
    `Self time under a built-in (JSON.parse, Buffer#toString, fs) counts for its caller's phase.\n`,
  );
  return 0;
}

// ---- checks and output -------------------------------------------------------------------

function round(v: number | null, digits: number): number | null {
  return v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits;
}

function rate(c: Contender | undefined): number | null {
  if (c === undefined || c.runs.length === 0) return null;
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
 * Compares the §3.1–§6 outputs under the state dir with the oracle; returns failure lines. Known
 * places where the pipeline keeps a fact in another form than the SPEC says are warnings.
 */
function checkStateDir(state: string, expected: OracleSummary, ranFrom: number, ranTo: number): string[] {
  const started = performance.now();
  const { diffs, deviations } = diffStateWithOracle(expected, state, { ranFrom, ranTo });
  for (const d of deviations) log(`warning: pipeline deviates from the contract: ${d}`);
  log(`what-is-wrong-now, alerts, KV tallies and cost aggregates checked against the oracle in ${((performance.now() - started) / 1000).toFixed(1)} s`);
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

const fmt = (v: number | null, digits: number): string =>
  v === null ? '—' : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/**
 * × floor (and median wall time) of every contender at every size, then one detailed table per
 * size, largest first, and the fleet's last (its own column and rows: the floor over its files).
 */
function renderResults(sizes: Size[], tables: TableRow[][]): string {
  const names = [...new Set(tables.flat().map((r) => r.name))];
  const summary = [
    `| × floor (median wall time) | ${sizes.map((s) => s.label).join(' | ')} |`,
    `|---|${sizes.map(() => '---:').join('|')}|`,
    ...names.map((name) => `| ${name} | ${tables.map((t) => {
      const r = t.find((x) => x.name === name);
      return r === undefined || r.note !== undefined ? '—' : `${fmt(r.ratioToFloor, 2)} (${fmt((r.medianMs ?? 0) / 1000, 2)} s)`;
    }).join(' | ')} |`),
  ].join('\n');
  const cases = sizes.map((s, i) => ({ s, t: tables[i] as TableRow[] }));
  const ordered = [...cases.filter((c) => c.s.fleet === null).reverse(), ...cases.filter((c) => c.s.fleet !== null)];
  const details = ordered.map(({ s, t }) => [
    s.fleet === null
      ? `${s.label} (${(s.bytes / 1e6).toFixed(1)} MB)`
      : `${s.label}, one \`run\` over all the files (${s.rows.toLocaleString('en-US')} rows, ${(s.bytes / 1e6).toFixed(1)} MB)`,
    '',
    '| what | rows/s | MB/s | peak RSS MiB | × floor | median s |',
    '|---|---:|---:|---:|---:|---:|',
    ...t.map((r) => r.note !== undefined
      ? `| ${r.name} | ${r.note} | | | | |`
      : `| ${r.name} | ${fmt(r.rowsPerSec, 0)} | ${fmt(r.mbPerSec, 1)} | ${fmt(r.peakRssMiB, 0)} | ${fmt(r.ratioToFloor, 2)} | ${fmt((r.medianMs ?? 0) / 1000, 2)} |`),
  ].join('\n'));
  return [summary, ...details].join('\n\n');
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

async function main(): Promise<number> {
  const args = parseCli(process.argv.slice(2));
  return args.phases ? phases(args) : bench(args);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
