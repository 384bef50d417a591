/**
 * Compares what `syncscope run` wrote under its state dir with the oracle's §3.1–§6 results: the
 * snapshot's `health`, `top_errors_24h`, `latency_24h`, `trend`, `cost` and `alerts`, the open
 * alert files in log/alerts/, log/alerts-resolved.ndjson, the KV ALERTS tallies (the embedded
 * file KV under kv/ALERTS/) and log/evals.aggregate.ndjson; and §1's rejects file (which file
 * and line each rejected line was). Entries and rejects name their file as given, so one input
 * or several (a fleet) are checked alike. Only
 * what the SPEC specifies is compared: the markdown of an alert file is checked for its front
 * matter and for each entry's facts in order, not for its layout.
 *
 * Two kinds of findings: `diffs` (the pipeline's numbers or facts differ: a failure) and
 * `deviations` (a known place where the pipeline stores a specified fact in another form than
 * the SPEC says, reported upstream; the facts themselves are still compared, wherever they are).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { OracleCluster } from './oracle-alerts.js';
import { byName, formatTs, parseJsonExact } from './oracle-common.js';
import { diffWhatIsWrongNowField, WHAT_IS_WRONG_NOW_FIELDS } from './oracle-health.js';
import type { OracleSummary } from './oracle.js';
import { TALLY_FIELDS } from './oracle-tenants.js';

export interface StateDiff {
  diffs: string[];
  deviations: string[];
}

export interface StateDiffOptions {
  /** Wall-clock bounds of the run (epoch ms): each KV `updated_at` must fall inside. */
  ranFrom?: number;
  ranTo?: number;
  limit?: number;
}

const AGGREGATE_FIELDS = ['day', 'tenant_id', 'ops', 'push_bytes', 'pull_bytes', 'billable_egress_bytes', 'cost_usd_cents'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? (x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : String(x)) : x));
/** JSON with keys sorted, so objects compare whatever their key order. */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : isObj(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => byName(a, b))) : x));

/** Integers are read as bigints (parseJsonExact), so compare via BigInt. */
function sameInt(got: unknown, want: number | bigint): boolean {
  return typeof got === 'bigint' && got === BigInt(want);
}

/** The same instant, whatever RFC 3339 spelling the pipeline chose. */
function sameInstant(got: unknown, wantMs: number): boolean {
  return typeof got === 'string' && Date.parse(got) === wantMs;
}

export function diffStateWithOracle(expected: OracleSummary, stateDir: string, opts: StateDiffOptions = {}): StateDiff {
  const out: StateDiff = { diffs: [], deviations: [] };
  const log = join(stateDir, 'log');
  checkSnapshot(expected, join(log, 'sync-summary.json'), out);
  checkOpenAlerts(expected.alerts.open, join(log, 'alerts'), out);
  checkResolvedAlerts(expected.alerts.resolved, log, out);
  checkKv(expected, join(stateDir, 'kv', 'ALERTS'), opts, out);
  checkAggregates(expected, join(log, 'evals.aggregate.ndjson'), out);
  checkRejects(expected, join(log, 'sync-events.rejects.ndjson'), out);
  const limit = opts.limit ?? 40;
  if (out.diffs.length > limit) out.diffs = [...out.diffs.slice(0, limit), `… and ${out.diffs.length - limit} more`];
  return out;
}

// ---- snapshot: §3.1, cost and alerts ------------------------------------------------------

function checkSnapshot(expected: OracleSummary, path: string, out: StateDiff): void {
  const d = out.diffs;
  let snap: Obj;
  try {
    snap = parseJsonExact(readFileSync(path, 'utf8')) as Obj;
  } catch (err) {
    d.push(`snapshot: cannot read ${path}: ${(err as Error).message}`);
    return;
  }
  const cost = isObj(snap.cost) ? snap.cost : {};
  if (!sameInt(cost.week_usd_cents, expected.cost.week_usd_cents)) {
    d.push(`snapshot cost.week_usd_cents: got ${show(cost.week_usd_cents)}, expected ${expected.cost.week_usd_cents}`);
  }
  const byTenant = Array.isArray(cost.by_tenant) ? (cost.by_tenant as unknown[]) : [];
  const want = expected.cost.by_tenant;
  if (byTenant.length !== want.length) d.push(`snapshot cost.by_tenant: ${byTenant.length} tenants, expected ${want.length}`);
  want.forEach((w, i) => {
    const g = byTenant[i];
    if (!isObj(g) || g.tenant_id !== w.tenant_id || !sameInt(g.week_usd_cents, w.week_usd_cents)) {
      d.push(`snapshot cost.by_tenant[${i}]: got ${show(g)}, expected ${show(w)}`);
    }
  });
  checkWhatIsWrongNow(expected, snap, out);

  const alerts = isObj(snap.alerts) ? snap.alerts : {};
  const open = (Array.isArray(alerts.open) ? (alerts.open as unknown[]) : []).filter(isObj).sort((a, b) => byName(String(a.file), String(b.file)));
  const wantOpen = expected.alerts.open;
  if (open.length !== wantOpen.length) d.push(`snapshot alerts.open: ${open.length} alerts, expected ${wantOpen.length}`);
  wantOpen.forEach((c, i) => {
    const g = open[i];
    const ok = g !== undefined && g.file === c.file && g.tenant_id === c.tenant_id && g.repo === c.repo &&
      sameInstant(g.opened_at, c.opened_at) && sameInt(g.failures, c.entries.length);
    if (!ok) {
      d.push(`snapshot alerts.open[${i}]: got ${show(g)}, expected ${show({ file: c.file, tenant_id: c.tenant_id, repo: c.repo, opened_at: formatTs(c.opened_at), failures: c.entries.length })}`);
    }
  });
  if (!sameInt(alerts.resolved, expected.alerts.resolved.length)) {
    d.push(`snapshot alerts.resolved: got ${show(alerts.resolved)}, expected ${expected.alerts.resolved.length}`);
  }
}

/** §3.1's four fields, each compared exactly; a missing one is a difference. */
function checkWhatIsWrongNow(expected: OracleSummary, snap: Obj, out: StateDiff): void {
  const missing = WHAT_IS_WRONG_NOW_FIELDS.filter((f) => !(f in snap));
  if (missing.length > 0) out.diffs.push(`snapshot has no ${missing.map((f) => `\`${f}\``).join(', ')} (what is wrong now)`);
  for (const field of WHAT_IS_WRONG_NOW_FIELDS) {
    if (field in snap) out.diffs.push(...diffWhatIsWrongNowField(field, expected.whatIsWrong, snap[field]).map((line) => `snapshot ${line}`));
  }
}

// ---- alert files --------------------------------------------------------------------------

/** The `key: value` lines of a leading `---` block; JSON-quoted values are unquoted. */
function frontMatter(text: string): Map<string, string> | null {
  const m = /^---\r?\n([\s\S]*?)\r?\n---(?:\r?\n|$)/.exec(text);
  if (m === null) return null;
  const fields = new Map<string, string>();
  for (const line of (m[1] as string).split(/\r?\n/)) {
    const kv = /^([A-Za-z_]+):\s*(.*)$/.exec(line);
    if (kv === null) continue;
    const raw = (kv[2] as string).trim();
    fields.set(kv[1] as string, raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
  }
  return fields;
}

/** Checks one open alert file's front matter and that each entry's facts appear, in entry order. */
function checkAlertText(where: string, text: string, c: OracleCluster, d: string[]): void {
  const fm = frontMatter(text);
  if (fm === null) {
    d.push(`${where}: no front matter`);
    return;
  }
  const want: Array<[string, string | number | null]> = [
    ['tenant_id', c.tenant_id], ['repo', c.repo], ['opened_at', c.opened_at], ['last_failure_at', c.last_failure_at],
    ['failures', String(c.entries.length)], ['status', 'open'],
  ];
  for (const [k, v] of want) {
    const got = fm.get(k);
    const ok = typeof v === 'number' ? got !== undefined && Date.parse(got) === v : got === v;
    if (!ok) d.push(`${where}: front matter ${k} is ${show(got)}, expected ${show(typeof v === 'number' ? formatTs(v) : v)}`);
  }
  // Entries: each one's region runs from its ts to the next entry's, and must name its machine,
  // op, scope, trigger, every error of its chain (in chain order) and its input file and line.
  // Searched from the end, last entry first, so a ts the summary above also mentions is skipped.
  // Only what §4 asks for is assumed, not the layout.
  const body = text.slice(text.indexOf('\n---', 3) + 4);
  let end = body.length;
  for (let i = c.entries.length - 1; i >= 0; i--) {
    const e = c.entries[i] as OracleCluster['entries'][number];
    const start = body.lastIndexOf(formatTs(e.t), end - 1);
    if (start < 0) {
      d.push(`${where}: entry ${i + 1} (input line ${e.line}): ts ${formatTs(e.t)} not found in order`);
      return;
    }
    const region = body.slice(start, end);
    const missing = [e.machine, e.op, e.scope, e.trigger].filter((x) => !region.includes(x));
    let from = 0;
    for (const part of e.errors.flatMap((x) => x.split(/\r?\n/)).filter((x) => x !== '')) {
      const found = region.indexOf(part, from);
      if (found < 0) missing.push(part);
      else from = found + part.length;
    }
    const fileAt = e.file === '-' ? 0 : indexOfPath(region, e.file);
    if (fileAt < 0) missing.push(e.file);
    else if (!new RegExp(`(?<!\\d)${e.line}(?!\\d)`).test(region.slice(fileAt + (e.file === '-' ? 0 : e.file.length)))) missing.push(`line ${e.line}`);
    if (missing.length > 0) d.push(`${where}: entry ${i + 1} (input line ${e.line}) does not name ${show(missing)}`);
    end = start;
  }
}

/**
 * Where `path` appears in `text` as a whole path, not as the tail or head of a longer one
 * (`logs/a.ndjson` inside `old-logs/a.ndjson` or `logs/a.ndjson.1`), which several input files
 * make possible; -1 when it does not.
 */
function indexOfPath(text: string, path: string): number {
  const pathChar = /[^\s`'"()[\]<>,;]/;
  for (let at = text.indexOf(path); at >= 0; at = text.indexOf(path, at + 1)) {
    const before = text[at - 1];
    const after = text[at + path.length];
    if ((before === undefined || !pathChar.test(before)) && (after === undefined || !pathChar.test(after) || after === ':')) return at;
  }
  return -1;
}

function alertFilesIn(dir: string): string[] {
  return readdirSync(dir).filter((f) => !statSync(join(dir, f)).isDirectory()).sort(byName);
}

function checkOpenAlerts(open: readonly OracleCluster[], dir: string, out: StateDiff): void {
  if (!existsSync(dir)) {
    out.diffs.push(`log/alerts/ does not exist (it must exist even when empty), expected ${open.length} open alert file(s)`);
    return;
  }
  const names = alertFilesIn(dir);
  const want = open.map((c) => c.file);
  if (names.join('\n') !== want.join('\n')) out.diffs.push(`log/alerts/ holds ${show(names)}, expected ${show(want)}`);
  for (const c of open) {
    if (Buffer.byteLength(c.file) > 160) out.diffs.push(`alert name ${c.file} exceeds 160 bytes`);
    if (names.includes(c.file)) checkAlertText(`log/alerts/${c.file}`, readFileSync(join(dir, c.file), 'utf8'), c, out.diffs);
  }
}

/**
 * `alerts-resolved.ndjson` exactly as §4 specifies it: one line per resolved cluster, in the order
 * they resolved (ties by file), each with the SPEC's keys in the SPEC's order; no file per cluster.
 */
function checkResolvedAlerts(resolved: readonly OracleCluster[], log: string, out: StateDiff): void {
  const d = out.diffs;
  const file = join(log, 'alerts-resolved.ndjson');
  if (existsSync(join(log, 'alerts-resolved'))) d.push('log/alerts-resolved/ exists: resolved alerts are lines of log/alerts-resolved.ndjson, not files');
  if (!existsSync(file)) {
    if (resolved.length > 0) d.push(`log/alerts-resolved.ndjson is missing, expected ${resolved.length} line(s)`);
    return;
  }
  const text = readFileSync(file, 'utf8');
  if (text !== '' && !text.endsWith('\n')) d.push('alerts-resolved.ndjson: the last line has no newline');
  const lines = text.split('\n').filter((l) => l !== '');
  if (lines.length !== resolved.length) d.push(`alerts-resolved.ndjson: ${lines.length} lines, expected ${resolved.length}`);
  const seen = new Set<string>();
  lines.forEach((line, i) => {
    let got: unknown;
    try {
      got = parseJsonExact(line);
    } catch {
      d.push(`alerts-resolved.ndjson line ${i + 1} is not JSON: ${line.slice(0, 200)}`);
      return;
    }
    const name = isObj(got) ? String(got.file) : '';
    if (seen.has(name)) d.push(`alerts-resolved.ndjson line ${i + 1}: ${name} is written twice`);
    seen.add(name);
    const c = resolved[i];
    // Compared as written, so the keys' order counts too.
    if (c !== undefined && show(got) !== show(resolvedLine(c))) d.push(`alerts-resolved.ndjson line ${i + 1}: got ${line}, expected ${show(resolvedLine(c))}`);
  });
}

/** A resolved cluster as §4's line of alerts-resolved.ndjson (keys in the SPEC's order). */
function resolvedLine(c: OracleCluster): Obj {
  return {
    file: c.file, tenant_id: c.tenant_id, repo: c.repo, opened_at: formatTs(c.opened_at), last_failure_at: formatTs(c.last_failure_at),
    resolved_at: formatTs(c.resolved_at as number), failures: BigInt(c.entries.length),
    entries: c.entries.map((e) => ({
      ts: formatTs(e.t), machine: e.machine, op: e.op, scope: e.scope, trigger: e.trigger, errors: e.errors, file: e.file, line: BigInt(e.line),
    })),
  };
}

// ---- KV ALERTS ----------------------------------------------------------------------------

/** The embedded file KV: one `<name>.json` per key holding `{key, value, metadata}` (sinks/kv/file-kv.ts). */
function readFileKv(dir: string): Map<string, Obj> {
  const entries = new Map<string, Obj>();
  if (!existsSync(dir)) return entries;
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    const o = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Obj;
    const key = typeof o.key === 'string' ? o.key : Buffer.from(name.slice(0, -5), 'hex').toString('utf8');
    entries.set(key, o);
  }
  return entries;
}

function checkKv(expected: OracleSummary, dir: string, opts: StateDiffOptions, out: StateDiff): void {
  const d = out.diffs;
  const kv = readFileKv(dir);
  const wantKeys = expected.tenants.map((t) => `tenant:${t.tenant_id}`).sort(byName);
  const gotKeys = [...kv.keys()].sort(byName);
  if (gotKeys.join('\n') !== wantKeys.join('\n')) d.push(`kv/ALERTS keys: got ${show(gotKeys)}, expected ${show(wantKeys)}`);
  // reported_at (the client's clock when it computed the tally) travels with every report (§5).
  const allowed = new Set<string>([...TALLY_FIELDS, 'reported_at']);
  for (const want of expected.tenants) {
    const key = `tenant:${want.tenant_id}`;
    const entry = kv.get(key);
    if (entry === undefined) continue;
    let value: Obj;
    try {
      value = JSON.parse(String(entry.value)) as Obj;
    } catch {
      d.push(`kv ${key}: value is not JSON`);
      continue;
    }
    for (const [k, v] of Object.entries(want)) {
      if (value[k] !== v) d.push(`kv ${key}: ${k} is ${show(value[k])}, expected ${show(v)}`);
    }
    const updated = typeof value.updated_at === 'string' ? Date.parse(value.updated_at) : NaN;
    if (Number.isNaN(updated) || (opts.ranFrom !== undefined && updated < opts.ranFrom - 1000) || (opts.ranTo !== undefined && updated > opts.ranTo + 1000)) {
      d.push(`kv ${key}: updated_at ${show(value.updated_at)} is not the wall-clock time of the run`);
    }
    const meta = isObj(entry.metadata) ? entry.metadata : {};
    for (const [where, o] of [['value', value], ['metadata', meta]] as const) {
      const extra = Object.keys(o).filter((k) => !allowed.has(k));
      if (extra.length > 0) d.push(`kv ${key}: ${where} holds ${show(extra)}, beyond the tenant-level facts`);
    }
    for (const [k, v] of Object.entries(meta)) {
      if (canonical(v) !== canonical(value[k])) d.push(`kv ${key}: metadata ${k} is ${show(v)}, the value says ${show(value[k])}`);
    }
  }
}

// ---- evals.aggregate.ndjson ---------------------------------------------------------------

function checkAggregates(expected: OracleSummary, path: string, out: StateDiff): void {
  const d = out.diffs;
  if (!existsSync(path)) {
    if (expected.cost.aggregates.length > 0) d.push('log/evals.aggregate.ndjson is missing');
    return;
  }
  const got = new Map<string, Obj>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const o = parseJsonExact(line) as Obj;
    const key = `${String(o.day)} ${String(o.tenant_id)}`;
    if (got.has(key)) d.push(`evals.aggregate.ndjson: two rows for ${key}`);
    got.set(key, o);
    const fields = Object.keys(o);
    if (fields.join() !== AGGREGATE_FIELDS.join() && [...fields].sort().join() !== [...AGGREGATE_FIELDS].sort().join()) {
      d.push(`evals.aggregate.ndjson ${key}: fields ${show(fields)}, expected ${show(AGGREGATE_FIELDS)}`);
    }
  }
  for (const a of expected.cost.aggregates) {
    const key = `${a.day} ${a.tenant_id}`;
    const g = got.get(key);
    got.delete(key);
    if (g === undefined) {
      d.push(`evals.aggregate.ndjson: no row for ${key}`);
      continue;
    }
    for (const f of ['ops', 'push_bytes', 'pull_bytes', 'billable_egress_bytes', 'cost_usd_cents'] as const) {
      if (!sameInt(g[f], a[f])) d.push(`evals.aggregate.ndjson ${key}: ${f} is ${show(g[f])}, expected ${a[f]} (exact cost ${a.exact.n}/${a.exact.d} cents)`);
    }
  }
  for (const key of got.keys()) d.push(`evals.aggregate.ndjson: unexpected row for ${key}`);
}

// ---- rejects ------------------------------------------------------------------------------

/**
 * §1: one line per rejected input line, naming its file (as given) and line. Compared as a set:
 * within one file they come in line order, but how `run` interleaves several files' rejects is
 * not specified.
 */
function checkRejects(expected: OracleSummary, path: string, out: StateDiff): void {
  const d = out.diffs;
  const key = (file: unknown, line: unknown): string => `${String(file)}:${String(line)}`;
  const want = expected.rejects.map((r) => key(r.file, r.line)).sort(byName);
  if (!existsSync(path)) {
    if (want.length > 0) d.push(`log/sync-events.rejects.ndjson is missing, expected ${want.length} line(s)`);
    return;
  }
  const got: string[] = [];
  readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').forEach((line, i) => {
    try {
      const o = parseJsonExact(line);
      got.push(isObj(o) ? key(o.file, o.line) : `line ${i + 1}: not an object`);
    } catch {
      got.push(`line ${i + 1}: not JSON`);
    }
  });
  got.sort(byName);
  if (got.join('\n') !== want.join('\n')) {
    const missing = want.filter((w) => !got.includes(w));
    const extra = got.filter((g) => !want.includes(g));
    d.push(`rejects: ${got.length} line(s), expected ${want.length}; missing ${show(missing.slice(0, 5))}, unexpected ${show(extra.slice(0, 5))}`);
  }
}
