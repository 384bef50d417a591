import { EMPTY_BATCH, gather, NAMES, type RowBatch } from '../core/columns.js';
import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { concat, defer, last, map, of, share, type Observable } from 'rxjs';
import { Engine } from '../engine/engine.js';
import { LineSplitter } from '../source/lines.js';
import { type SyncLists, loadSyncLists, noSyncLists, noSyncListsNotice } from '../core/sync-lists.js';
import { formatTs, parseDuration } from '../core/time.js';
import { LINT_SEVERITY, settle, type Finding, type LintBatch, type LintContext, type LintId, type LintOperator, type LintTally, LINT_IDS } from '../../operators/lint/common.js';
import { RowWindow } from '../../operators/lint/window.js';
import { lintStaleMachine } from '../../operators/lint/stale-machine.js';
import { lintMassChange } from '../../operators/lint/mass-change.js';
import { lintManifestBreak } from '../../operators/lint/manifest-break.js';
import { lintFutureTs } from '../../operators/lint/future-ts.js';
import { lintRejects } from '../../operators/lint/rejects.js';
import { lintPrivacy } from '../../operators/lint/privacy.js';
import { lintAlertThreshold } from '../../operators/lint/alert-threshold.js';
import { type InputHealth } from '../core/snapshot.js';
import { type Reject } from '../core/row.js';
import { type ClusterRule } from '../core/alerts.js';
import { resolve } from 'node:path';
import * as z from 'zod';
import { engineConfigFrom, parseOrUsage } from './options.js';
import { batchInputs } from './inputs.js';
import type { FileInputs } from '../engine/run-loop.js';
import { MergedReader, type MergedFile } from '../engine/merged-files.js';
import type { IngestResult } from '../engine/ingest.js';
import { FileTailer } from '../source/file-tailer.js';
import { printEvent } from '../../sinks/notices.js';
import { type EngineConfig } from '../state/engine-state.js';
import { describeError, UsageError } from '../core/io-error.js';

/**
 * `syncscope lint` as a function: one scan of the log through the engine, every selected lint an
 * operator on the engine's `arrived$` (all valid rows as they arrived, future ones too, and every
 * reject). One pass, whatever the number of lints. Used by the lint command and by doctor.
 */
export interface LintScanOptions {
  /** A file path, '-' for stdin, or several files read as one input (merged by ts, as `run` does). */
  readonly input: string | FileInputs;
  /** The engine config (run's flags). A wall-clock NOW is pinned to the clock at the start. */
  readonly engine: EngineConfig;
  /** With --tenant: lint only that tenant's rows (rejects belong to no tenant and are kept). */
  readonly tenant: string | null;
  readonly lints: readonly LintId[];
  /** Findings kept per lint; counts are exact regardless. */
  readonly keep: number;
  /** Row lints report rows with ts > NOW − sinceMs (Infinity: the whole input). */
  readonly sinceMs: number;
  readonly lists: SyncLists;
  readonly clock?: () => number;
}

export interface LintReport {
  readonly now: number;
  /** The row lints' window (Infinity: the whole input). */
  readonly sinceMs: number;
  readonly lints: readonly LintId[];
  /** Exact number of findings per selected lint. */
  readonly counts: Partial<Record<LintId, number>>;
  /** The kept findings, grouped by lint in REPORT_ORDER. */
  readonly findings: Finding[];
  readonly errors: number;
  readonly warnings: number;
  readonly health: InputHealth;
  /** Input files that could not be read (named on stderr; the others were linted). */
  readonly inputErrors: number;
  /** Files read as one input (1 for one file or stdin): with several, every finding names its file. */
  readonly files: number;
}

const CHUNK = 1 << 20;

/** The row lints' window when --since is not given. */
export const DEFAULT_SINCE_MS = 24 * 3600_000;

/** Report order: error lints first (so a --max-findings cap never hides them behind warnings), each group in SPEC order. */
export const REPORT_ORDER: readonly LintId[] = [
  ...LINT_IDS.filter((id) => LINT_SEVERITY[id] === 'error'),
  ...LINT_IDS.filter((id) => LINT_SEVERITY[id] === 'warning'),
];

function openInput(input: string): Readable {
  return input === '-' ? process.stdin : createReadStream(input, { highWaterMark: CHUNK });
}

function operatorFor(id: LintId, ctx: LintContext, o: LintScanOptions, rule: ClusterRule): LintOperator {
  switch (id) {
    case 'stale-machine': return lintStaleMachine(ctx);
    case 'mass-change': return lintMassChange(ctx);
    case 'manifest-break': return lintManifestBreak(ctx, o.engine.maxLatenessMs);
    case 'future-ts': return lintFutureTs(ctx);
    case 'rejects': return lintRejects(ctx);
    case 'privacy': return lintPrivacy(ctx, o.lists);
    case 'alert-threshold': return lintAlertThreshold(ctx, rule);
  }
}

/** The rows of `b` whose tenant is `tenant`: the batch itself when they all are. */
function rowsOfTenant(b: RowBatch, tenant: string): RowBatch {
  const id = NAMES.find(tenant);
  if (id < 0) return EMPTY_BATCH;
  const col = b.tenant;
  const keep = new Int32Array(b.length);
  let n = 0;
  for (let i = 0; i < b.length; i++) if (col[i] === id) keep[n++] = i;
  return n === b.length ? b : gather(b, keep, n);
}

export async function lintScan(o: LintScanOptions): Promise<LintReport> {
  const clock = o.clock ?? Date.now;
  const started = clock();
  const policy = o.engine.nowPolicy.kind === 'wall' ? { kind: 'fixed' as const, ms: started } : o.engine.nowPolicy;
  const engine = new Engine({ ...o.engine, nowPolicy: policy }, undefined, { fileOrder: typeof o.input === 'string' ? [] : o.input.files.map((f) => f.label) });
  const window = new RowWindow(o.sinceMs, policy.kind === 'fixed' ? policy.ms : null);
  const ctx: LintContext = { nowCut: policy.kind === 'fixed' ? policy.ms : Infinity, keep: o.keep, window };
  const tenant = o.tenant;
  const lastRowTs = new Map<number, number>();

  const input$: Observable<LintBatch> = concat(
    engine.arrived$.pipe(map((a): LintBatch => {
      window.see(a.rows);
      return {
        rows: tenant === null ? a.rows : rowsOfTenant(a.rows, tenant),
        rejects: a.rejects,
        rejectTs: a.rejectTs === undefined ? dateRejects(a.rows, a.rejects, lastRowTs) : a.rejectTs.map((t) => (t === t ? t : null)),
        now: null,
        end: false,
      };
    })),
    defer(() => of<LintBatch>({ rows: EMPTY_BATCH, rejects: [], rejectTs: [], now: engine.nowAt(started), end: true })),
  ).pipe(share());

  const results = new Map<LintId, LintTally>();
  for (const id of LINT_IDS) {
    if (!o.lints.includes(id)) continue;
    input$.pipe(operatorFor(id, ctx, o, o.engine.cluster), last()).subscribe((s) => results.set(id, s.out));
  }

  const inputErrors = typeof o.input === 'string' || o.input.files.length === 1
    ? await readOne(engine, typeof o.input === 'string' ? o.input : o.input.files[0]!.label, started)
    : await readMerged(engine, o.input, started);
  const now = engine.end(started);

  const counts: Partial<Record<LintId, number>> = {};
  const findings: Finding[] = [];
  let errors = 0;
  let warnings = 0;
  for (const id of REPORT_ORDER) {
    const t = results.get(id);
    if (t === undefined) continue;
    settle(t, window.startAt(now), o.keep);
    counts[id] = t.count;
    findings.push(...t.findings);
    if (LINT_SEVERITY[id] === 'error') errors += t.count;
    else warnings += t.count;
  }
  return { now, sinceMs: o.sinceMs, lints: REPORT_ORDER.filter((id) => results.has(id)), counts, findings, errors, warnings, health: { ...engine.state.health }, inputErrors, files: typeof o.input === 'string' ? 1 : o.input.files.length };
}

/** One file (or stdin) into the engine; returns the files that could not be read (none). */
async function readOne(engine: Engine, input: string, clock: number): Promise<number> {
  const splitter = new LineSplitter();
  for await (const data of openInput(input)) engine.feed(splitter.push(data as Buffer), clock, input);
  engine.feed(splitter.end(), clock, input);
  return 0;
}

/**
 * Several files into the engine merged by ts, as `run` reads them; a file that cannot be read is
 * named on stderr and left out. Returns how many were.
 */
async function readMerged(engine: Engine, input: FileInputs, clock: number): Promise<number> {
  let failed = 0;
  const report = (path: string, err: unknown): void => {
    failed++;
    printEvent({ kind: 'input-unreadable', path, error: describeError(err), exitStatus: 2 });
  };
  const files: MergedFile[] = [];
  for (const f of input.files) {
    try {
      // A FIFO would block the open for good; a folder fails only at the first read.
      if (!statSync(f.path).isFile()) throw new Error(`${f.label} is not a regular file`);
      files.push({ tailer: new FileTailer(f.path, { emit: printEvent, plan: [{ path: f.path, offset: 0, line: 1, final: false }] }), label: f.label });
    } catch (err) {
      report(f.label, err);
    }
  }
  const reader = new MergedReader(files, engine.ingestOptions, {}, (file, err) => {
    report(file.label, err);
    file.tailer.close();
  });
  const feed = (r: IngestResult): void => engine.feedRows(r, clock);
  while (await reader.step(feed));
  reader.drain(feed);
  // A lint reads each file whole: a last line without a newline counts.
  for (const f of files) {
    engine.feed(f.tailer.finish(), clock, f.label);
    f.tailer.close();
  }
  return failed;
}

/**
 * The ts each reject is judged at: that of the nearest valid row before it in its file (any
 * tenant's), or null when there is none. `lastRowTs` (by file name id) carries the last valid
 * row of each file across batches; a batch holds the rows and rejects of consecutive lines of
 * one file, each in line order.
 */
function dateRejects(rows: RowBatch, rejects: readonly Reject[], lastRowTs: Map<number, number>): (number | null)[] {
  const { t, line, file, length } = rows;
  const out: (number | null)[] = new Array<number | null>(rejects.length);
  let i = 0;
  for (let k = 0; k < rejects.length; k++) {
    const r = rejects[k]!;
    while (i < length && line[i]! < r.line) i++;
    if (i > 0) lastRowTs.set(file[i - 1]!, t[i - 1]!);
    out[k] = lastRowTs.get(NAMES.find(r.file)) ?? null;
  }
  if (length > 0) lastRowTs.set(file[length - 1]!, t[length - 1]!);
  return out;
}

/** `--only a,b` / `--skip c` to the selected lints; throws with the unknown ids named. */
export function selectLints(only: string | undefined, skip: string | undefined): LintId[] {
  const parse = (flag: string, text: string): LintId[] => {
    const ids = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const unknown = ids.filter((id) => !(LINT_IDS as readonly string[]).includes(id));
    if (unknown.length > 0) throw new Error(`${flag}: unknown lint ${unknown.map((u) => JSON.stringify(u)).join(', ')}; lints are ${LINT_IDS.join(', ')}`);
    if (ids.length === 0) throw new Error(`${flag} needs at least one lint id: ${LINT_IDS.join(', ')}`);
    return ids as LintId[];
  };
  let selected: LintId[] = only === undefined ? [...LINT_IDS] : parse('--only', only);
  if (skip !== undefined) {
    const skipped = parse('--skip', skip);
    selected = selected.filter((id) => !skipped.includes(id));
  }
  return LINT_IDS.filter((id) => selected.includes(id));
}

/** The findings to print: the first `max` in report order. */
export function printed(report: LintReport, max: number): Finding[] {
  return report.findings.slice(0, max);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One line for stderr (json) or the head of the text report: true counts, always. */
export function summaryLine(report: LintReport, shown: number): string {
  const total = report.errors + report.warnings;
  const per = report.lints.filter((id) => (report.counts[id] ?? 0) > 0).map((id) => `${id} ${report.counts[id]}`).join(', ');
  const capped = shown < total ? `; showing ${shown} of ${total} (--max-findings)` : '';
  return `syncscope lint: ${plural(report.errors, 'error')}, ${plural(report.warnings, 'warning')}${per ? ` (${per})` : ''}${capped}; ${windowText(report.sinceMs)}; NOW ${formatTs(report.now)}; ${report.health.read} rows read, ${report.health.valid} valid, ${report.health.rejected} rejected`;
}

/** Which rows the row lints judged, and how to judge the rest. */
function windowText(sinceMs: number): string {
  return sinceMs === Infinity ? 'the whole log' : `last ${sinceText(sinceMs)}; --since all for the whole log`;
}

/** A window length as --since takes it: 24h, 7d, 90m, 45s (days only from two on, as people say "the last 24h"). */
function sinceText(ms: number): string {
  const units: Array<[number, string]> = [[86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'm'], [1000, 's']];
  for (const [size, unit] of units) {
    if (ms % size === 0 && (unit !== 'd' || ms >= 2 * size)) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** `--since`: a duration like 24h or 7d, or `all`; Infinity for all. */
export function parseSince(text: string | undefined): number {
  if (text === undefined) return DEFAULT_SINCE_MS;
  if (text.trim() === 'all') return Infinity;
  const ms = parseDuration(text);
  if (!Number.isFinite(ms) || ms <= 0) throw new UsageError(`--since: must be a duration like 24h, 7d or 90m, or "all"; got "${text}"`);
  return ms;
}

/**
 * `line 12: ` when every finding is about one input file (the user named it); otherwise
 * `a.ndjson line 12: `, `a.ndjson lines 3, 9: `, or file and line each when they differ.
 */
function where(f: Finding, withFiles: boolean): string {
  if (f.lines.length === 0) return '';
  const lines = `${f.lines.length === 1 ? 'line' : 'lines'} ${f.lines.join(', ')}: `;
  if (!withFiles) return lines;
  const name = (file: string | undefined): string => (file === '-' ? 'stdin' : file ?? '?');
  const file = f.files[0];
  if (f.files.every((x) => x === file)) return `${name(file)} ${lines}`;
  return `${f.lines.map((l, i) => `${name(f.files[i])} line ${l}`).join(', ')}: `;
}

/** Human text: grouped by lint with exact counts, then the clean lints. */
export function renderText(report: LintReport, max: number): string {
  const show = printed(report, max);
  const withFiles = report.files > 1 || new Set(show.flatMap((f) => f.files)).size > 1;
  const out: string[] = [summaryLine(report, show.length), ''];
  const clean: LintId[] = [];
  for (const id of report.lints) {
    const count = report.counts[id] ?? 0;
    if (count === 0) {
      clean.push(id);
      continue;
    }
    const mine = show.filter((f) => f.lint === id);
    out.push(`${id} (${LINT_SEVERITY[id]}): ${plural(count, 'finding')}`);
    for (const f of mine) {
      out.push(`  ${where(f, withFiles)}${f.message}`);
    }
    if (mine.length < count) out.push(`  … ${count - mine.length} more not shown`);
    out.push('');
  }
  if (clean.length > 0) out.push(`clean: ${clean.join(', ')}`, '');
  return out.join('\n');
}

/** What makes `lint` exit 1: any finding (SPEC §7, the default), or only error findings. */
export type FailOn = 'warning' | 'error';

export function lintFails(report: { errors: number; warnings: number }, failOn: FailOn): boolean {
  return report.errors > 0 || (failOn === 'warning' && report.warnings > 0);
}

const LintFlags = z.object({
  format: z.enum(['text', 'json']),
  failOn: z.enum(['warning', 'error']),
  only: z.string().optional(),
  skip: z.string().optional(),
  maxFindings: z.string().optional().transform((v, ctx) => {
    if (v === undefined) return Infinity;
    if (!/^\d+$/.test(v.trim())) {
      ctx.addIssue({ code: 'custom', message: `--max-findings must be a whole number ≥ 0; got "${v}"` });
      return z.NEVER;
    }
    return Number(v);
  }),
});

/** `syncscope lint`: commander has parsed FILE and the flags (commands.ts). */
export async function lintCommand(args: readonly string[], raw: Record<string, unknown>): Promise<void> {
  const flags = parseOrUsage(LintFlags, raw);
  const { cli, engine } = engineConfigFrom(raw);
  let lints;
  try {
    lints = selectLints(flags.only, flags.skip);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (args.includes('-') && args.length > 1) throw new UsageError('- (stdin) cannot be read together with files');
  const input = args.length === 1 && args[0] === '-' ? '-' : batchInputs(args.length > 0 ? args : [resolve(cli.state, 'log', 'sync-events.ndjson')]);
  const sinceMs = parseSince(typeof raw.since === 'string' ? raw.since : undefined);
  const lists = loadSyncLists(cli.state);
  if (lints.includes('privacy') && noSyncLists(lists)) process.stderr.write(`${noSyncListsNotice(lists)}\n`);
  const report = await lintScan({
    input,
    engine,
    tenant: typeof raw.tenant === 'string' ? cli.tenant : null,
    lints,
    keep: flags.maxFindings,
    sinceMs,
    lists,
  });
  if (flags.format === 'json') {
    const shown = printed(report, flags.maxFindings);
    process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    process.stderr.write(`${summaryLine(report, shown.length)}\n`);
  } else {
    process.stdout.write(renderText(report, flags.maxFindings));
  }
  // An input file that could not be read is an I/O error (2), whatever the others hold.
  process.exitCode = report.inputErrors > 0 ? 2 : lintFails(report, flags.failOn) ? 1 : 0;
}
