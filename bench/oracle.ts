/**
 * Test oracle: an independent, deliberately plain implementation of the SPEC §1–§3 numbers
 * (rows, pushes_per_hour, bytes_per_day, repos, machines), written from the SPEC text alone and
 * sharing no code with pipeline/, operators/ or sinks/. `npm run bench:ci` compares the
 * pipeline's sync-summary.json with it. Clarity over speed: maps keyed by hour and day, one pass.
 * The valid rows are also kept, so that §3.1 (health, top errors, latency, trend,
 * bench/oracle-health.ts), §4 (alerts, bench/oracle-alerts.ts), §5 (KV tallies,
 * bench/oracle-tenants.ts) and §6 (cost, bench/oracle-cost.ts) run over them stably sorted by
 * ts at the end; bench/oracle-outputs.ts compares those with the files `run` writes.
 *
 * Several files (a fleet, SPEC §8) are one input: computeOracleFromFiles reads each with its own
 * line numbers and name, then takes the valid rows of all of them stably sorted by ts.
 */
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { clusterFailures, DEFAULT_ALERT_OPTIONS, type AlertOptions, type AlertsResult } from './oracle-alerts.js';
import { byName, DAY, daysInMonth, formatTs, HOUR, type OracleRow } from './oracle-common.js';
import { computeCost, DEFAULT_PRICES, type OracleCost, type Prices } from './oracle-cost.js';
import { whatIsWrongNow, type WhatIsWrongNow } from './oracle-health.js';
import { tenantTallies, type OracleTally } from './oracle-tenants.js';

export { formatTs };

const MAX_LINE_BYTES = 64 * 1024;
const DEFAULT_MAX_LATENESS_MS = 5 * 60_000;

export interface RowCounts {
  read: number;
  valid: number;
  rejected: number;
  late: number;
  duplicate: number;
}
export interface HourEntry {
  hour: string;
  pushes: number;
  failed: number;
}
export interface DayEntry {
  day: string;
  pushed_bytes: number;
  pulled_bytes: number;
}
export interface RepoEntry {
  repo: string;
  ops_24h: number;
  /** The 24h ops with op "push", and with op "pull": together ops_24h. */
  pushes_24h: number;
  pulls_24h: number;
  failed_24h: number;
  ops_7d: number;
  failed_7d: number;
}
export interface MachineEntry {
  machine: string;
  last_success_push: string | null;
}

/** The snapshot fields the oracle checks, named as in sync-summary.json. */
export interface OracleSummary {
  now: string;
  rows: RowCounts;
  pushes_per_hour: HourEntry[];
  bytes_per_day: DayEntry[];
  repos: RepoEntry[];
  machines: MachineEntry[];
  /** §4: clusters open at the end of the batch and those that resolved. */
  alerts: AlertsResult;
  /** §5: one tally per tenant, as KV ALERTS should hold it (without updated_at). */
  tenants: OracleTally[];
  /** §6: aggregates and weekly totals. */
  cost: OracleCost;
  /** §3.1: health, top_errors_24h, latency_24h, trend. */
  whatIsWrong: WhatIsWrongNow;
  /** §1: every rejected line, by file (in argument order), then line. */
  rejects: RejectedLine[];
}

/** A rejected input line: the file as given to `run` ("-" for stdin) and its 1-based line. */
export interface RejectedLine {
  file: string;
  line: number;
}

/** A row that passed validation, reduced to what the outputs need (no file and line yet). */
export type ValidRow = Omit<OracleRow, 'file' | 'line'>;

export interface OracleOptions {
  /** Epoch ms, or 'latest' (default) = the newest valid row's ts. */
  now?: number | 'latest';
  maxLatenessMs?: number;
  /** tenant_id of rows without one (`--tenant`, default "default"). */
  tenant?: string;
  /** `--alert-failures` and `--alert-window` (defaults 3 and 10 min). */
  alerts?: AlertOptions;
  /** The input's name as given to `run` (alert entries name it); default "-". Several files: each is named by its path as given. */
  file?: string;
  /** `--price-base-usd`, `--egress-included`, `--egress-usd-per-gib` (defaults as in §6). */
  prices?: Partial<Prices>;
}

// ---- validation (SPEC §1) ----------------------------------------------------------------

// RFC 3339 §5.6: "T" and "Z" may be lower case.
const TS_PATTERN = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * RFC 3339 date-time to epoch ms (UTC), or NaN. Seconds are required, a fraction is optional
 * (milliseconds = its first three digits), and the zone must be `Z` or `±HH:MM`.
 */
export function parseRfc3339(text: string): number {
  const m = TS_PATTERN.exec(text);
  if (m === null) return NaN;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return NaN;
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  let offsetMin = 0;
  if (m[8] !== undefined) {
    const oh = Number(m[9]);
    const om = Number(m[10]);
    if (oh > 23 || om > 59) return NaN;
    offsetMin = (m[8] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d); // not Date.UTC: that maps years 0–99 to 1900–1999
  date.setUTCHours(h, mi, s, ms);
  return date.getTime() - offsetMin * 60_000;
}

const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Validates one parsed line against sync-events v1; returns the row or the reason it fails. */
export function validateRow(o: unknown, defaultTenant = 'default'): { row: ValidRow } | { reason: string } {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return { reason: 'not an object' };
  const r = o as Record<string, unknown>;
  if (typeof r.ts !== 'string') return { reason: 'ts: not a string' };
  const t = parseRfc3339(r.ts);
  if (Number.isNaN(t)) return { reason: 'ts: not RFC 3339 with Z or offset' };
  if (r.op !== 'push' && r.op !== 'pull') return { reason: 'op: not push or pull' };
  for (const k of ['repo', 'scope', 'machine', 'trigger']) {
    if (!isNonEmptyString(r[k])) return { reason: `${k}: not a non-empty string` };
  }
  for (const k of ['files', 'bytes', 'dur_ms']) {
    if (!isCount(r[k])) return { reason: `${k}: not a non-negative safe integer` };
  }
  for (const k of ['manifest_before', 'manifest_after']) {
    if (k in r && r[k] !== null && typeof r[k] !== 'string') return { reason: `${k}: not a string or null` };
  }
  if ('ok' in r && typeof r.ok !== 'boolean') return { reason: 'ok: not a boolean' };
  const error = r.error;
  if ('error' in r && typeof error !== 'string' && !(Array.isArray(error) && error.every((e) => typeof e === 'string'))) {
    return { reason: 'error: not a string or an array of strings' };
  }
  if ('tenant_id' in r && typeof r.tenant_id !== 'string') return { reason: 'tenant_id: not a string' };
  if ('files_total' in r && !isCount(r.files_total)) return { reason: 'files_total: not a non-negative safe integer' };
  // Failure: ok is false, or ok is absent and error is present and non-empty.
  const failed = 'ok' in r ? r.ok === false : (error as string | string[] | undefined) !== undefined && (error as string | string[]).length > 0;
  const errors = typeof error === 'string' ? (error === '' ? [] : [error]) : Array.isArray(error) ? (error as string[]) : [];
  return {
    row: {
      t, op: r.op, repo: r.repo as string, machine: r.machine as string, bytes: r.bytes as number, dur_ms: r.dur_ms as number, failed,
      // An empty tenant_id counts as none given (the pipeline's reading; §1 does not say).
      tenant: typeof r.tenant_id === 'string' && r.tenant_id !== '' ? r.tenant_id : defaultTenant,
      scope: r.scope as string, trigger: r.trigger as string, errors,
    },
  };
}

// ---- the one pass --------------------------------------------------------------------------

interface Tally {
  a: number;
  b: number;
}

function bump(map: Map<number, Tally>, key: number, a: number, b: number): void {
  const cur = map.get(key);
  if (cur === undefined) map.set(key, { a, b });
  else {
    cur.a += a;
    cur.b += b;
  }
}

/**
 * One input file's lines as `run` reads them: numbered from 1, a BOM on the first line and CR
 * endings tolerated, blank lines skipped, each non-blank line valid or rejected. Whether a valid
 * row is late is judged against the rows before it in this file (see computeOracleFromFiles for
 * why that is also the merged stream's judgement); a rejected line takes the ts of the nearest
 * valid row before it in this file (§3.1).
 */
class InputFile {
  private lineNo = 0;
  private maxSeen = -Infinity;
  private lastValidT: number | null = null;

  constructor(
    private readonly file: string,
    private readonly opts: OracleOptions,
    private readonly to: { read(): void; valid(row: OracleRow, late: boolean): void; rejected(at: number | null, where: RejectedLine): void },
  ) {}

  addLine(raw: string): void {
    this.lineNo++;
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (this.lineNo === 1 && line.startsWith('\uFEFF')) line = line.slice(1);
    if (line.trim() === '') return; // blank lines are tolerated and not counted
    this.to.read();
    const v = Buffer.byteLength(line) > MAX_LINE_BYTES ? null : parseAndValidate(line, this.opts.tenant);
    if (v === null) {
      this.to.rejected(this.lastValidT, { file: this.file, line: this.lineNo });
      return;
    }
    // Every valid line of one input counts, byte-identical or not (duplicates exist only at a
    // stdin restart, which the oracle never sees).
    const row: OracleRow = { ...v, file: this.file, line: this.lineNo };
    this.lastValidT = row.t;
    const late = row.t < this.maxSeen - (this.opts.maxLatenessMs ?? DEFAULT_MAX_LATENESS_MS);
    if (row.t > this.maxSeen) this.maxSeen = row.t;
    this.to.valid(row, late);
  }
}

function parseAndValidate(line: string, tenant: string | undefined): ValidRow | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return null;
  }
  const v = validateRow(parsed, tenant);
  return 'row' in v ? v.row : null;
}

/** Accumulates lines; `result()` gives the summary. */
export class Oracle {
  private readonly counts: RowCounts = { read: 0, valid: 0, rejected: 0, late: 0, duplicate: 0 };
  /** The newest valid ts of the whole input (NOW under --now latest). */
  private maxSeen = -Infinity;
  /** With --now latest every valid row is at or before NOW (the max), so rows count at once. */
  private readonly now: number;
  private readonly pushesByHour = new Map<number, Tally>(); // a = pushes, b = failed pushes
  private readonly bytesByDay = new Map<number, Tally>(); // a = pushed, b = pulled (successful only)
  private readonly repoHours = new Map<string, Map<number, Tally>>(); // a = ops, b = failed
  private readonly repoOpHours = new Map<string, Map<number, Tally>>(); // a = pushes, b = pulls
  private readonly repoDays = new Map<string, Map<number, Tally>>();
  private readonly lastSuccessPush = new Map<string, number | null>();
  /** Every valid row in input order, for §3.1–§6 (which need ts order, not one pass). */
  private readonly rows: OracleRow[] = [];
  /** The ts each rejected line takes, in input order. */
  private readonly rejectedAt: Array<number | null> = [];
  private readonly rejects: RejectedLine[] = [];
  /** The one input of addLine. */
  private readonly single: InputFile;

  constructor(private readonly opts: OracleOptions = {}) {
    this.now = typeof opts.now === 'number' ? opts.now : Infinity;
    this.single = new InputFile(opts.file ?? '-', opts, this);
  }

  addLine(raw: string): void {
    this.single.addLine(raw);
  }

  /** A non-blank line was read (called by an InputFile). */
  read(): void {
    this.counts.read++;
  }

  /** A rejected line, taking the ts `at` (called by an InputFile). */
  rejected(at: number | null, where: RejectedLine): void {
    this.counts.rejected++;
    this.rejectedAt.push(at);
    this.rejects.push(where);
  }

  /** A valid row, late or not in its input (called by an InputFile, or in ts order over several). */
  valid(row: OracleRow, late: boolean): void {
    this.rows.push(row);
    this.counts.valid++;
    if (late) this.counts.late++;
    if (row.t > this.maxSeen) this.maxSeen = row.t;
    this.count(row);
  }

  /** Adds a valid row's contribution; rows after NOW are left out of every output. */
  private count(row: OracleRow): void {
    if (row.t > this.now) return;
    const hour = Math.floor(row.t / HOUR);
    const day = Math.floor(row.t / DAY);
    const push = row.op === 'push';
    if (push) bump(this.pushesByHour, hour, 1, row.failed ? 1 : 0);
    if (!row.failed) bump(this.bytesByDay, day, push ? row.bytes : 0, push ? 0 : row.bytes);
    let hours = this.repoHours.get(row.repo);
    let days = this.repoDays.get(row.repo);
    if (hours === undefined || days === undefined) {
      this.repoHours.set(row.repo, (hours = new Map()));
      this.repoDays.set(row.repo, (days = new Map()));
    }
    bump(hours, hour, 1, row.failed ? 1 : 0);
    bump(days, day, 1, row.failed ? 1 : 0);
    let opHours = this.repoOpHours.get(row.repo);
    if (opHours === undefined) this.repoOpHours.set(row.repo, (opHours = new Map()));
    bump(opHours, hour, push ? 1 : 0, push ? 0 : 1);
    const prev = this.lastSuccessPush.get(row.machine) ?? null;
    if (push && !row.failed && (prev === null || row.t > prev)) this.lastSuccessPush.set(row.machine, row.t);
    else if (!this.lastSuccessPush.has(row.machine)) this.lastSuccessPush.set(row.machine, null);
  }

  result(): OracleSummary {
    const now = this.now === Infinity ? this.maxSeen : this.now;
    if (now === -Infinity) throw new Error('oracle: no valid rows, so --now latest is undefined');
    const H = Math.floor(now / HOUR);
    const D = Math.floor(now / DAY);
    const pushes_per_hour: HourEntry[] = [];
    for (let h = H - 23; h <= H; h++) {
      const c = this.pushesByHour.get(h);
      pushes_per_hour.push({ hour: formatTs(h * HOUR), pushes: c?.a ?? 0, failed: c?.b ?? 0 });
    }
    const bytes_per_day: DayEntry[] = [];
    for (let d = D - 6; d <= D; d++) {
      const c = this.bytesByDay.get(d);
      bytes_per_day.push({ day: formatTs(d * DAY).slice(0, 10), pushed_bytes: c?.a ?? 0, pulled_bytes: c?.b ?? 0 });
    }
    const repos: RepoEntry[] = [];
    for (const [repo, days] of this.repoDays) {
      const week = sum(days, D - 6, D);
      if (week.a === 0) continue;
      const lastDay = sum(this.repoHours.get(repo) as Map<number, Tally>, H - 23, H);
      const byOp = sum(this.repoOpHours.get(repo) as Map<number, Tally>, H - 23, H);
      repos.push({ repo, ops_24h: lastDay.a, pushes_24h: byOp.a, pulls_24h: byOp.b, failed_24h: lastDay.b, ops_7d: week.a, failed_7d: week.b });
    }
    repos.sort((x, y) => byName(x.repo, y.repo));
    const machines: MachineEntry[] = [...this.lastSuccessPush]
      .map(([machine, t]) => ({ machine, last_success_push: t === null ? null : formatTs(t) }))
      .sort((x, y) => byName(x.machine, y.machine));
    // §4–§6: rows after NOW are left out; the rest stably sorted by ts (Array#sort is stable).
    const sorted = this.rows.filter((r) => r.t <= now).sort((a, b) => a.t - b.t);
    const alerts = clusterFailures(sorted, now, this.opts.alerts ?? DEFAULT_ALERT_OPTIONS);
    const tenants = tenantTallies(sorted, new Set(this.rows.map((r) => r.tenant)), alerts, now);
    const cost = computeCost(sorted, now, { ...DEFAULT_PRICES, ...this.opts.prices });
    const whatIsWrong = whatIsWrongNow({ rows: sorted, rejectedAt: this.rejectedAt, now, openAlerts: alerts.open.length, cost });
    return {
      now: formatTs(now), rows: { ...this.counts }, pushes_per_hour, bytes_per_day, repos, machines, alerts, tenants, cost, whatIsWrong,
      rejects: [...this.rejects],
    };
  }
}

function sum(map: Map<number, Tally>, from: number, to: number): Tally {
  const total = { a: 0, b: 0 };
  for (let k = from; k <= to; k++) {
    const c = map.get(k);
    if (c !== undefined) {
      total.a += c.a;
      total.b += c.b;
    }
  }
  return total;
}

export function computeOracle(lines: Iterable<string>, opts?: OracleOptions): OracleSummary {
  const oracle = new Oracle(opts);
  for (const line of lines) oracle.addLine(line);
  return oracle.result();
}

/** The oracle over a file, streamed. */
export async function computeOracleFromFile(path: string, opts?: OracleOptions): Promise<OracleSummary> {
  const oracle = new Oracle({ file: path, ...opts });
  for await (const lines of fileLines(path)) for (const line of lines) oracle.addLine(line);
  return oracle.result();
}

/**
 * The oracle over several files as one input (SPEC §8): `run` merges them by ts, so its outputs
 * equal those of the valid rows of all files stably sorted by ts (ties: argument order, then line
 * order), on which the one-file oracle then runs. Each file is read with its own line numbers and
 * named by its path as given (rejects, alert entries); a path named again (the same file,
 * resolved) is read once, under its first name. Rejected lines count as in one file.
 *
 * `late`: a row counts late when it is more than --max-lateness behind the newest row before it
 * in the merged stream. A k-way merge takes another file's row only when it is no later than
 * this file's current head, a row at or before this one in this file; so a row is late in the
 * merged stream exactly when it is late in its own file. `late` is the sum of each file's own
 * and the merge adds none (0 for files each in ts order). What the oracle assumes: each file's
 * own disorder stays within --max-lateness (the generator's ~4 min does), since only then is
 * the sorted result what `run` promises; a row further behind is counted late here and still
 * sorted into place, which `run` cannot do.
 */
export async function computeOracleFromFiles(paths: readonly string[], opts: OracleOptions = {}): Promise<OracleSummary> {
  const oracle = new Oracle(opts);
  const seen = new Set<string>();
  const held: Array<{ row: OracleRow; late: boolean }> = [];
  for (const path of paths) {
    if (seen.has(resolve(path))) continue;
    seen.add(resolve(path));
    const input = new InputFile(path, opts, {
      read: () => oracle.read(),
      rejected: (at, where) => oracle.rejected(at, where),
      valid: (row, late) => held.push({ row, late }),
    });
    for await (const lines of fileLines(path)) for (const line of lines) input.addLine(line);
  }
  held.sort((a, b) => a.row.t - b.row.t); // stable: argument order, then line order
  for (const { row, late } of held) oracle.valid(row, late);
  return oracle.result();
}

/** A file's lines, a chunk's worth at a time, split on '\n' (a last line without one still counts). */
async function* fileLines(path: string): AsyncGenerator<string[]> {
  let carry = '';
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const parts = (carry + (chunk as string)).split('\n');
    carry = parts.pop() as string;
    yield parts;
  }
  if (carry !== '') yield [carry];
}

// ---- comparison ----------------------------------------------------------------------------

export const COMPARED_FIELDS = ['rows', 'pushes_per_hour', 'bytes_per_day', 'repos', 'machines'] as const;

/**
 * Differences between the oracle and a sync-summary.json, one readable line each (at most
 * `limit`); empty when every compared field is equal.
 */
export function diffWithOracle(expected: OracleSummary, actual: unknown, limit = 20): string[] {
  const out: string[] = [];
  const a = (typeof actual === 'object' && actual !== null ? actual : {}) as Record<string, unknown>;
  for (const field of COMPARED_FIELDS) diffValue(field, expected[field], a[field], out, limit);
  return out;
}

function diffValue(path: string, want: unknown, got: unknown, out: string[], limit: number): void {
  if (out.length >= limit) return;
  if (Array.isArray(want) && Array.isArray(got)) {
    if (want.length !== got.length) out.push(`${path}: length ${got.length}, expected ${want.length}`);
    for (let i = 0; i < Math.min(want.length, got.length); i++) diffValue(`${path}[${i}]`, want[i], got[i], out, limit);
    return;
  }
  if (isPlainObject(want) && isPlainObject(got)) {
    for (const k of Object.keys(want)) diffValue(`${path}.${k}`, want[k], got[k], out, limit);
    return;
  }
  if (want !== got) out.push(`${path}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
