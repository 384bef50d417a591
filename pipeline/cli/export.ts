import { createReadStream, existsSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import * as z from 'zod';
import { Engine } from '../engine/engine.js';
import { LineSplitter } from '../source/lines.js';
import { buildSnapshot } from '../engine/snapshot.js';
import { engineConfigFrom, parseOrUsage, checkInput } from './options.js';
import { aggregateRows } from '../../operators/metrics/cost-per-tenant-day.js';
import { type Snapshot, type AggregateRow } from '../core/snapshot.js';
import { parseExactJson } from '../core/exact.js';
import { stateLayout } from '../core/layout.js';
import { writeFileAtomic } from '../core/atomic-write.js';
import { type EngineConfig } from '../state/engine-state.js';
import { singleLine, UsageError } from '../core/io-error.js';
import { TABLES, type Table } from './export-tables.js';

/**
 * `syncscope export`: the snapshot's tables and the cost aggregates as CSV. Headers are the
 * SPEC's JSON field names, in SPEC order; times are the snapshot's RFC 3339 UTC strings; a null
 * is an empty cell; byte counts are exact integers (bigints included).
 */
export const HEADERS: Readonly<Record<Table, readonly string[]>> = {
  hourly: ['hour', 'pushes', 'failed'],
  daily: ['day', 'pushed_bytes', 'pulled_bytes'],
  repos: ['repo', 'ops_24h', 'failed_24h', 'ops_7d', 'failed_7d'],
  machines: ['machine', 'last_success_push'],
  aggregates: ['day', 'tenant_id', 'ops', 'push_bytes', 'pull_bytes', 'billable_egress_bytes', 'cost_usd_cents'],
};

const exact = z.union([z.number().int().min(0), z.bigint().min(0n)]);
const count = z.number().int().min(0);

/** The parts of sync-summary.json that export reads (SPEC §3). */
const SnapshotTables = z.object({
  pushes_per_hour: z.array(z.object({ hour: z.string(), pushes: count, failed: count })),
  bytes_per_day: z.array(z.object({ day: z.string(), pushed_bytes: exact, pulled_bytes: exact })),
  repos: z.array(z.object({ repo: z.string(), ops_24h: count, failed_24h: count, ops_7d: count, failed_7d: count })),
  machines: z.array(z.object({ machine: z.string(), last_success_push: z.string().nullable() })),
});

const AggregateLine = z.object({
  day: z.string(),
  tenant_id: z.string(),
  ops: count,
  push_bytes: exact,
  pull_bytes: exact,
  billable_egress_bytes: exact,
  cost_usd_cents: count,
});

export type SnapshotTablesData = z.output<typeof SnapshotTables>;

/** The latest snapshot; a missing file is a usage error that says to run `syncscope run`. */
export function readSnapshotTables(path: string): SnapshotTablesData {
  if (!existsSync(path)) {
    throw new UsageError(`no snapshot at ${path}: run \`syncscope run\` first (or pass a log file to export to recompute from it)`);
  }
  let data: unknown;
  try {
    data = parseExactJson(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`${path} is not valid JSON (${singleLine((err as Error).message)}): run \`syncscope run\` again to rebuild it`);
  }
  const r = SnapshotTables.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new UsageError(`${path} is not a syncscope snapshot (${i ? `${i.path.join('.')}: ${i.message}` : 'bad shape'}): run \`syncscope run\` again to rebuild it`);
  }
  return r.data;
}

/** evals.aggregate.ndjson; lines that are not aggregates are skipped and counted. */
export function readAggregatesFile(path: string): { rows: AggregateRow[]; skipped: number } {
  if (!existsSync(path)) {
    throw new UsageError(`no cost aggregates at ${path}: run \`syncscope run\` first (or pass a log file to export to recompute from it)`);
  }
  const rows: AggregateRow[] = [];
  let skipped = 0;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let o: unknown;
    try {
      o = parseExactJson(line);
    } catch {
      skipped++;
      continue;
    }
    const r = AggregateLine.safeParse(o);
    if (r.success) rows.push(r.data);
    else skipped++;
  }
  return { rows, skipped };
}

/** Recomputes the snapshot and aggregates from a log in memory (one engine scan, nothing written). */
export async function recompute(input: string, config: EngineConfig, clock: number = Date.now()): Promise<{ snapshot: Snapshot; aggregates: AggregateRow[] }> {
  const engine = new Engine(config);
  const splitter = new LineSplitter();
  const stream: Readable = input === '-' ? process.stdin : createReadStream(input, { highWaterMark: 1 << 20 });
  for await (const data of stream) engine.feed(splitter.push(data as Buffer), clock, input);
  engine.feed(splitter.end(), clock, input);
  const now = engine.end(clock);
  return { snapshot: buildSnapshot(engine.state, config.prices, now, clock), aggregates: aggregateRows(engine.state.cost, config.prices) };
}

type Cell = string | number | bigint | null;

/** The rows of one table, as objects keyed by the headers. */
export function tableRecords(table: Table, snap: SnapshotTablesData | Snapshot | null, aggregates: readonly AggregateRow[] | null): Array<Record<string, Cell>> {
  if (table === 'aggregates') return (aggregates ?? []).map((a) => ({ ...a }));
  if (snap === null) return [];
  switch (table) {
    case 'hourly': return snap.pushes_per_hour.map((h) => ({ ...h }));
    case 'daily': return snap.bytes_per_day.map((d) => ({ ...d }));
    case 'repos': return snap.repos.map((r) => ({ ...r }));
    case 'machines': return snap.machines.map((m) => ({ ...m }));
  }
}

function cellText(v: Cell | undefined): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : v.toString();
}

/** CSV with a header row, `\n` line ends; every cell rendered exactly. */
export function toCsv(table: Table, records: ReadonlyArray<Record<string, Cell>>): string {
  const header = HEADERS[table];
  const rows = records.map((r) => {
    const o: Record<string, string> = {};
    for (const h of header) o[h] = cellText(r[h]);
    return o;
  });
  return stringify(rows, { header: true, columns: [...header] });
}

const ExportFlags = z.object({
  format: z.literal('csv'),
  table: z.enum(TABLES, { message: `--table must be one of ${TABLES.join(', ')}` }),
  out: z.string().min(1).optional(),
});

/** Flags that shape a recomputation from a log FILE; the snapshot already has its own NOW, tenant and prices. */
const FILE_ONLY_FLAGS: Readonly<Record<string, string>> = {
  now: '--now',
  tenant: '--tenant',
  maxLateness: '--max-lateness',
  priceBaseUsd: '--price-base-usd',
  egressIncluded: '--egress-included',
  egressUsdPerGib: '--egress-usd-per-gib',
  config: '--config',
};

/** Without FILE these flags would be silently ignored: say so instead (exit 2). */
function refuseFileOnlyFlags(raw: Record<string, unknown>): void {
  const given = Object.keys(FILE_ONLY_FLAGS).filter((k) => raw[k] !== undefined).map((k) => FILE_ONLY_FLAGS[k]);
  if (given.length === 0) return;
  throw new UsageError(
    `export: ${given.join(', ')} ${given.length === 1 ? 'applies' : 'apply'} only with a log FILE to recompute from; ` +
    'without one, export prints the latest snapshot as the last run computed it (its NOW is the snapshot\'s "now")',
  );
}

/** `syncscope export`: commander has parsed FILE and the flags (commands.ts). */
export async function exportCommand(file: string | undefined, raw: Record<string, unknown>): Promise<void> {
  if (raw.table === undefined) throw new UsageError(`--table is required: one of ${TABLES.join(', ')}`);
  const flags = parseOrUsage(ExportFlags, raw);
  if (file === undefined) refuseFileOnlyFlags(raw);
  const { cli, engine } = engineConfigFrom(raw);
  let csv: string;
  if (file !== undefined) {
    checkInput(file);
    const { snapshot, aggregates } = await recompute(file, engine);
    csv = toCsv(flags.table, tableRecords(flags.table, snapshot, aggregates));
  } else {
    const layout = stateLayout(cli.state);
    if (flags.table === 'aggregates') {
      const { rows, skipped } = readAggregatesFile(layout.aggregates);
      if (skipped > 0) process.stderr.write(`syncscope: skipped ${skipped} line(s) of ${layout.aggregates} that are not aggregates\n`);
      csv = toCsv('aggregates', tableRecords('aggregates', null, rows));
    } else {
      csv = toCsv(flags.table, tableRecords(flags.table, readSnapshotTables(layout.summaryJson), null));
    }
  }
  if (flags.out !== undefined) writeFileAtomic(flags.out, csv);
  else process.stdout.write(csv);
}
