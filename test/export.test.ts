import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { DAY, HOUR, MIN, runCliSync, tempDir } from './core-helpers.js';
import { NOW, NOW_MS, engineAtNow, ev, writeLines } from './lint-helpers.js';
import { runBatch } from '../pipeline/engine/run.js';
import { HEADERS, readAggregatesFile, readSnapshotTables, recompute, tableRecords, toCsv } from '../pipeline/cli/export.js';
import { TABLES, type Table } from '../pipeline/cli/export-tables.js';
import { parseExactJson } from '../pipeline/core/exact.js';

const BIG = 2 ** 52 + 7; // two of these in one day exceed 2^53: the sums are bigints

function logLines(): string[] {
  return [
    ev(NOW_MS - 5 * DAY, { machine: 'mbpro-rb', bytes: 1234, tenant_id: 'acme' }),
    ev(NOW_MS - 2 * DAY, { machine: 'studio-rb', op: 'pull', bytes: 999, repo: 'notes' }),
    ev(NOW_MS - 3 * HOUR, { machine: 'ci-01', bytes: BIG, repo: 'we,ird "repo"' }),
    ev(NOW_MS - 2 * HOUR, { machine: 'ci-01', bytes: BIG, repo: 'we,ird "repo"' }),
    ev(NOW_MS - 90 * MIN, { machine: 'never-ok', ok: false, error: 'EACCES', tenant_id: 'acme' }),
    ev(NOW_MS - 30 * MIN, { machine: 'studio-rb', op: 'pull', bytes: 2 ** 41, repo: 'notes' }),
    ev(NOW_MS - 10 * MIN, { machine: 'mbpro-rb', bytes: 77, ok: false, error: 'timeout' }),
    'not json',
  ];
}

type Rec = Record<string, string>;

const asCells = (rows: ReadonlyArray<Record<string, unknown>>, header: readonly string[]): Rec[] =>
  rows.map((r) => Object.fromEntries(header.map((h) => [h, r[h] === null ? '' : String(r[h])])));

function parsed(text: string): { header: string[]; rows: Rec[] } {
  const all = parse(text, { relax_column_count: false }) as string[][];
  const header = all[0] ?? [];
  return { header, rows: all.slice(1).map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']))) };
}

const twoBig = (2n * BigInt(BIG)).toString();

describe('syncscope export --format csv', () => {
  let state = '';
  let log = '';
  /** The CLI's CSV of every table from the snapshot, one spawn each. */
  const csv = {} as Record<Table, string>;

  beforeAll(async () => {
    state = join(tempDir(), 'state');
    log = writeLines(join(state, 'log', 'sync-events.ndjson'), logLines());
    await runBatch({ input: log, stateDir: state, engine: engineAtNow() });
    for (const table of TABLES) {
      const r = runCliSync(['export', '--format', 'csv', '--table', table, '--state', state]);
      expect(r.stderr, table).toBe('');
      expect(r.code, table).toBe(0);
      csv[table] = r.stdout;
    }
  });

  it('every table, parsed back, equals the snapshot (and the aggregates file)', () => {
    const snap = parseExactJson(readFileSync(join(state, 'log', 'sync-summary.json'), 'utf8')) as Record<string, Array<Record<string, unknown>>>;
    const aggregates = readFileSync(join(state, 'log', 'evals.aggregate.ndjson'), 'utf8').trim().split('\n')
      .map((l) => parseExactJson(l) as Record<string, unknown>);
    const source: Record<Table, Array<Record<string, unknown>>> = {
      hourly: snap.pushes_per_hour!,
      daily: snap.bytes_per_day!,
      repos: snap.repos!,
      machines: snap.machines!,
      aggregates,
    };
    for (const table of TABLES) {
      const { header, rows } = parsed(csv[table]);
      expect(header).toEqual([...HEADERS[table]]);
      expect(rows).toEqual(asCells(source[table], HEADERS[table]));
      expect(rows.length, table).toBe(source[table].length);
    }
    // Spot checks that the comparison above is about real values.
    expect(source.hourly).toHaveLength(24);
    expect(source.daily).toHaveLength(7);
    const today = source.daily.at(-1)!;
    expect(typeof today.pushed_bytes).toBe('bigint');
    expect(String(today.pushed_bytes)).toBe(twoBig);
    expect(source.machines.find((m) => m.machine === 'never-ok')!.last_success_push).toBeNull();
    expect(source.repos.map((r) => r.repo)).toContain('we,ird "repo"');
    expect(source.aggregates.length).toBeGreaterThanOrEqual(3);
  });

  it('writes exact bigints, empty cells for null, quotes and ISO UTC times', () => {
    expect(csv.daily.split('\n').at(-2)).toBe(`2026-04-16,${twoBig},${2 ** 41}`);
    expect(csv.machines).toBe([
      'machine,last_success_push',
      'ci-01,2026-04-16T10:00:00Z',
      'mbpro-rb,2026-04-11T12:00:00Z',
      'never-ok,',
      'studio-rb,',
      '',
    ].join('\n'));
    expect(csv.repos).toContain('\n"we,ird ""repo""",2,0,2,0\n');
    const hourly = parsed(csv.hourly).rows;
    expect(hourly[0]!.hour).toBe('2026-04-15T13:00:00Z');
    expect(hourly.at(-1)).toEqual({ hour: '2026-04-16T12:00:00Z', pushes: '0', failed: '0' });
    expect(hourly.find((h) => h.hour === '2026-04-16T11:00:00Z')).toEqual({ hour: '2026-04-16T11:00:00Z', pushes: '1', failed: '1' });
  });

  it('reads the snapshot in-process to the same CSV', () => {
    const snap = readSnapshotTables(join(state, 'log', 'sync-summary.json'));
    const { rows, skipped } = readAggregatesFile(join(state, 'log', 'evals.aggregate.ndjson'));
    expect(skipped).toBe(0);
    for (const table of TABLES) expect(toCsv(table, tableRecords(table, snap, rows)), table).toBe(csv[table]);
  });

  it('recomputes from a log in memory: the same CSV as from the snapshot, and nothing written', async () => {
    const { snapshot, aggregates } = await recompute(log, engineAtNow());
    for (const table of TABLES) expect(toCsv(table, tableRecords(table, snapshot, aggregates)), table).toBe(csv[table]);
    const empty = tempDir();
    const r = runCliSync(['export', '--table', 'aggregates', log, '--now', NOW, '--state', empty]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(csv.aggregates);
    expect(r.stdout.split('\n')[0]).toBe('day,tenant_id,ops,push_bytes,pull_bytes,billable_egress_bytes,cost_usd_cents');
    expect(parsed(r.stdout).rows.find((a) => a.tenant_id === 'default' && a.day === '2026-04-16')).toMatchObject({
      ops: '4', push_bytes: twoBig, pull_bytes: String(2 ** 41),
    });
    expect(readdirSync(empty)).toEqual([]);
  });

  it('--out writes the file atomically and prints nothing', () => {
    const out = join(tempDir(), 'sub', 'repos.csv');
    const r = runCliSync(['export', '--table', 'repos', '--state', state, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe(csv.repos);
    expect(readdirSync(join(out, '..'))).toEqual(['repos.csv']);
  });

  it('exits 2 without a snapshot, without --table, or with a bad table or format', () => {
    const empty = tempDir();
    const noSnap = runCliSync(['export', '--table', 'hourly', '--state', empty]);
    expect(noSnap.code).toBe(2);
    expect(noSnap.stderr).toContain(`no snapshot at ${join(empty, 'log', 'sync-summary.json')}: run \`syncscope run\` first`);
    const noAgg = runCliSync(['export', '--table', 'aggregates', '--state', empty]);
    expect(noAgg.code).toBe(2);
    expect(noAgg.stderr).toContain('run `syncscope run` first');
    const noTable = runCliSync(['export', '--state', state]);
    expect(noTable.code).toBe(2);
    expect(noTable.stderr).toContain('--table is required');
    expect(runCliSync(['export', '--table', 'hourly', '--format', 'xlsx', '--state', state]).code).toBe(2);
  });
});

describe('export helpers', () => {
  it('an empty table is its header', () => {
    expect(toCsv('repos', [])).toBe('repo,ops_24h,failed_24h,ops_7d,failed_7d\n');
  });

  it('parseExactJson keeps big integers exact and leaves everything else to JSON.parse', () => {
    const text = '{"a":9007199254740993,"b":"9007199254740993 \\" 12345678901234567890","c":[1.5e300,-12345678901234567890,12,3.0],"d":9007199254740991}';
    expect(parseExactJson(text)).toEqual({
      a: 9007199254740993n,
      b: '9007199254740993 " 12345678901234567890',
      c: [1.5e300, -12345678901234567890n, 12, 3],
      d: 9007199254740991,
    });
    expect(parseExactJson('[1,2]')).toEqual([1, 2]);
    expect(() => parseExactJson('{"a":')).toThrow();
  });

  it('rejects a snapshot that is not one', () => {
    const path = writeLines(join(tempDir(), 'sync-summary.json'), ['{"pushes_per_hour": 3}']);
    expect(() => readSnapshotTables(path)).toThrow(/is not a syncscope snapshot \(pushes_per_hour/);
  });
});
