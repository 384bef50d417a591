// The BUILT CLI (`node dist/cli/syncscope.mjs run …`) on hand-made fixture logs, with every number
// of the snapshot computed by hand (SPEC §1–§3, §6).
import { beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ensureBuilt, FIXTURES, readSnapshot, REPO_ROOT, runCli, tempDir } from './core-helpers.js';
import { FileKv, listAll } from '../sinks/kv/file-kv.js';

const BASIC = join(FIXTURES, 'basic.ndjson');
const NOW = '2026-04-16T19:30:00Z';

const state = (): string => tempDir('cli');

beforeAll(() => ensureBuilt());

/** 24 hourly entries from H-23h, zero except the given hours. */
function hours(from: string, nonZero: Record<string, [number, number]>) {
  const start = Date.parse(from);
  return Array.from({ length: 24 }, (_, i) => {
    const hour = new Date(start + i * 3_600_000).toISOString().replace('.000Z', 'Z');
    const [pushes, failed] = nonZero[hour] ?? [0, 0];
    return { hour, pushes, failed };
  });
}

function days(from: string, nonZero: Record<string, [number, number]>) {
  const start = Date.parse(`${from}T00:00:00Z`);
  return Array.from({ length: 7 }, (_, i) => {
    const day = new Date(start + i * 86_400_000).toISOString().slice(0, 10);
    const [pushed_bytes, pulled_bytes] = nonZero[day] ?? [0, 0];
    return { day, pushed_bytes, pulled_bytes };
  });
}

// basic.ndjson, by hand (NOW 2026-04-16T19:30:00Z; H = 19:00, D = 04-16):
//  L1 04-09 23:59:59 push omega/ancient 400 (outside 7d; machine still listed)
//  L2 04-10 00:00 pull zeta/old-mac 300 (first day of the week: counted)
//  L3 blank (not read)
//  L4 04-15 19:59:59.999 push zeta/mbpro-rb 200 (outside the 24h hours, inside 7d)
//  L5 04-15 20:00 push alpha/linux-box 100 (first hour of the 24h window)
//  L6 04-16 10:00 pull alpha, error chain, ok absent → failed, 777 bytes not counted
//  L7 04-16 18:20+02:00 = 16:20Z pull alpha 5000 ok
//  L8 04-16 18:05 push snappy-os failed 1000
//  L9 04-16 19:10:38 push snappy-os 12483
//  L10 04-16 19:00 push snappy-os 10, tenant acme — 10m38s behind 19:10:38: late
//  L11 04-16 19:30 push alpha 50 (= NOW: counted)
//  L12 04-16 19:30:01 push future/future-box 999999 (> NOW: valid, in no output)
//  L13 byte-identical to L11: a second real push (every line of a file counts), on time
const BASIC_EXPECTED = {
  now: NOW,
  rows: { read: 12, valid: 12, rejected: 0, late: 1, duplicate: 0 },
  pushes_per_hour: hours('2026-04-15T20:00:00Z', {
    '2026-04-15T20:00:00Z': [1, 0],
    '2026-04-16T18:00:00Z': [1, 1],
    '2026-04-16T19:00:00Z': [4, 0],
  }),
  bytes_per_day: days('2026-04-10', {
    '2026-04-10': [0, 300],
    '2026-04-15': [300, 0],
    '2026-04-16': [12483 + 10 + 50 + 50, 5000],
  }),
  repos: [
    { repo: 'alpha', ops_24h: 5, pushes_24h: 3, pulls_24h: 2, failed_24h: 1, ops_7d: 5, failed_7d: 1 },
    { repo: 'snappy-os', ops_24h: 3, pushes_24h: 3, pulls_24h: 0, failed_24h: 1, ops_7d: 3, failed_7d: 1 },
    { repo: 'zeta', ops_24h: 0, pushes_24h: 0, pulls_24h: 0, failed_24h: 0, ops_7d: 2, failed_7d: 0 },
  ],
  machines: [
    { machine: 'ancient', last_success_push: '2026-04-09T23:59:59Z' },
    { machine: 'linux-box', last_success_push: '2026-04-16T19:30:00Z' },
    { machine: 'mbpro-rb', last_success_push: '2026-04-16T19:10:38Z' },
    { machine: 'old-mac', last_success_push: null },
  ],
  // April: 500/30 = 50/3 cents a day. Days with rows in the week: 04-10, 04-15, 04-16 → 50 exactly.
  // acme: 50/3 · 10/17593 = 0.0095 → 1; default: 49.9905 → 50.
  cost: { week_usd_cents: 50, by_tenant: [{ tenant_id: 'acme', week_usd_cents: 1 }, { tenant_id: 'default', week_usd_cents: 50 }] },
  alerts: { open: [], resolved: 0 },
  // §3.1: no open alert or reject, the newest row is NOW; ancient and old-mac are stale → warn.
  health: {
    level: 'warn',
    reasons: ['2 stale machines, no successful push in the last 24h (ancient, old-mac)'],
    newest_row_ts: NOW,
    newest_row_age_s: 0,
  },
  // L8 and L6, outermost messages; equal counts → code-unit order ('5' < 'p').
  top_errors_24h: [
    { error: '503 SlowDown', count: 1, repos: 1, last_ts: '2026-04-16T18:05:00Z' },
    { error: 'pull failed: 403 Forbidden', count: 1, repos: 1, last_ts: '2026-04-16T10:00:00Z' },
  ],
  // snappy-os: 5, 5, 842 → p95 at rank ⌈2.85⌉ = 3: 842's bucket is ⌊842/4⌋·4 = 840.
  latency_24h: [
    { repo: 'alpha', p50_ms: 5, p95_ms: 5, max_ms: 5 },
    { repo: 'snappy-os', p50_ms: 5, p95_ms: 840, max_ms: 842 },
  ],
  // [04-10, 04-16] against [04-03, 04-09] (only L1: 400 bytes, one April day's base: 50/3 → 17).
  trend: {
    ops_7d: 10, ops_prev_7d: 1, failed_7d: 2, failed_prev_7d: 0,
    bytes_7d: 300 + 200 + 100 + 5000 + 12483 + 10 + 50 + 50, bytes_prev_7d: 400,
    cost_7d_usd_cents: 50, cost_prev_7d_usd_cents: 17,
  },
};

const BASIC_AGGREGATES = [
  { day: '2026-04-09', tenant_id: 'default', ops: 1, push_bytes: 400, pull_bytes: 0, billable_egress_bytes: 0, cost_usd_cents: 17 },
  { day: '2026-04-10', tenant_id: 'default', ops: 1, push_bytes: 0, pull_bytes: 300, billable_egress_bytes: 0, cost_usd_cents: 17 },
  { day: '2026-04-15', tenant_id: 'default', ops: 2, push_bytes: 300, pull_bytes: 0, billable_egress_bytes: 0, cost_usd_cents: 17 },
  { day: '2026-04-16', tenant_id: 'acme', ops: 1, push_bytes: 10, pull_bytes: 0, billable_egress_bytes: 0, cost_usd_cents: 1 },
  // 50/3 · 17583/17593 = 16.66 → 17
  { day: '2026-04-16', tenant_id: 'default', ops: 6, push_bytes: 12583, pull_bytes: 5000, billable_egress_bytes: 0, cost_usd_cents: 17 },
];

describe.concurrent('syncscope run (built CLI) on basic.ndjson', () => {
  it('exact sync-summary.json, aggregates, KV and dashboard with --now fixed; a re-run changes nothing', async () => {
    const dir = state();
    const r = await runCli(['run', BASIC, '--now', NOW, '--state', dir]);
    expect(r.stderr).toMatch(/12 rows read, 12 valid, 0 rejected, 0 duplicate, 1 late/);
    expect(r.code).toBe(0);
    const s = readSnapshot(dir);
    const { generated_at, ...rest } = s;
    expect(Number.isNaN(Date.parse(generated_at as string))).toBe(false);
    expect(generated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(rest).toEqual(BASIC_EXPECTED);
    // exactly these names, in this order
    expect(Object.keys(s)).toEqual(['generated_at', 'now', 'rows', 'pushes_per_hour', 'bytes_per_day', 'repos', 'machines', 'cost', 'alerts',
      'health', 'top_errors_24h', 'latency_24h', 'trend']);
    // cost rows
    const agg = readFileSync(join(dir, 'log', 'evals.aggregate.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(agg).toEqual(BASIC_AGGREGATES);
    // KV: one key per tenant, counts of the last 24h
    const kv = new FileKv(join(dir, 'kv', 'ALERTS'));
    const keys = await listAll(kv, 'tenant:');
    expect(keys.map((k) => k.name)).toEqual(['tenant:acme', 'tenant:default']);
    const def = JSON.parse((await kv.get('tenant:default'))!);
    expect(def).toMatchObject({ tenant_id: 'default', failing: false, open_alerts: 0, ops_24h: 7, failed_24h: 2, last_alert_at: null });
    const acme = JSON.parse((await kv.get('tenant:acme'))!);
    expect(acme).toMatchObject({ tenant_id: 'acme', failing: false, open_alerts: 0, ops_24h: 1, failed_24h: 0, last_alert_at: null });
    // no rejects
    expect(readFileSync(join(dir, 'log', 'sync-events.rejects.ndjson'), 'utf8')).toBe('');
    // alerts: none in steady state
    const alerts = join(dir, 'log', 'alerts');
    if (existsSync(alerts)) expect(readdirSync(alerts)).toEqual([]);

    // the dashboard: generated_at, now, every section, the same numbers
    const md = readFileSync(join(dir, 'log', 'sync-summary.md'), 'utf8');
    const lines = md.split('\n');
    expect(lines[0]).toMatch(/^generated_at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(lines[0]).toBe(`generated_at: ${readSnapshot(dir).generated_at}`);
    expect(lines[1]).toBe(`now: ${NOW}`);
    // What is wrong now first (the headline, then open alerts), then the 24h/7d summaries, then the tables.
    expect(lines[5]).toBe('**WARN**: something needs a look:');
    expect(lines[7]).toBe('- 2 stale machines, no successful push in the last 24h (ancient, old-mac)');
    const sections = [/open alerts/i, /top errors/i, /latency/i, /trend/i, /pushes per hour/i, /bytes per day/i, /failure rate per repo/i,
      /last successful push per machine/i, /cost/i, /input health/i];
    let at = 0;
    for (const re of sections) {
      const idx = lines.findIndex((l, i) => i >= at && /^#+ /.test(l) && re.test(l));
      expect(idx, String(re)).toBeGreaterThan(at - 1);
      // each section has a markdown table (or an explicit "none" line for empty lists)
      const next = lines.slice(idx + 1).findIndex((l) => /^#+ /.test(l));
      const body = lines.slice(idx + 1, next < 0 ? undefined : idx + 1 + next).join('\n');
      if (!/open alerts/i.test(re.source)) expect(body, String(re)).toMatch(/^\|.*\|$/m);
      at = idx + 1;
    }
    // NOW 19:30: the current hour is marked partial, in the table and in the sparkline.
    expect(md).toContain('2026-04-16 19:00 (partial) | 4 | 0');
    expect(md).toMatch(/^`[▁-█]{23}╎[▁-█]` 6 pushes, 1 failed$/m);
    // failing repos first, by 24h failure rate: snappy-os 1/3, alpha 1/5, zeta none
    const rates = lines.slice(lines.findIndex((l) => l.startsWith('## Failure rate per repo')));
    expect(rates.slice(4, 7).map((l) => l.split(' | ')[0])).toEqual(['| snappy-os', '| alpha', '| zeta']);
    expect(md).toContain('| 503 SlowDown | 1 | 1 | 2026-04-16T18:05:00Z |');
    expect(md).toContain('| snappy-os | 5 ms | 840 ms | 842 ms |');
    expect(md).toContain('| bytes (successful rows) | 18,193 B (17.8 KiB) | 400 B | +4448.3% |');
    expect(md).toContain('| cost (USD) | $0.50 | $0.17 | +194.1% |');
    expect(md).toMatch(/\| alpha \| 5 \| 1 \| 20\.0% \| 5 \| 1 \| 20\.0% \|/);
    expect(md).toMatch(/\$0\.50/);
    expect(md).toMatch(/\| 12 \| 12 \| 0 \| 1 \| 0 \|/);
    expect(md).toMatch(/old-mac \| never/);
    // stale flag: ancient's last push is a week old, linux-box's is fresh
    expect(lines.find((l) => l.startsWith('| ancient'))).toMatch(/stale/);
    expect(lines.find((l) => l.startsWith('| linux-box'))).not.toMatch(/stale/);
    // bytes per day, exact with thousands separators and in human units: 12,593 B pushed, 5,000 B pulled on 04-16
    const today = lines.find((l) => l.startsWith('| 2026-04-16 |'))!;
    expect(today).toBe('| 2026-04-16 | 12,593 | 12.3 KiB | 5,000 | 4.9 KiB |');

    // re-running over the same log with the same state: same numbers, nothing counted twice
    const aggBefore = readFileSync(join(dir, 'log', 'evals.aggregate.ndjson'), 'utf8');
    const again = await runCli(['run', BASIC, '--now', NOW, '--state', dir]);
    expect(again.code).toBe(0);
    const { generated_at: _g2, ...rest2 } = readSnapshot(dir);
    expect(rest2).toEqual(BASIC_EXPECTED);
    expect(readFileSync(join(dir, 'log', 'evals.aggregate.ndjson'), 'utf8')).toBe(aggBefore);
    expect(readFileSync(join(dir, 'log', 'sync-events.rejects.ndjson'), 'utf8')).toBe('');
  });

  it('a log that grows between runs gives the numbers of one run over the whole log (nothing lost, nothing twice)', async () => {
    const dir = state();
    const log = join(dir, 'sync-events.ndjson');
    const text = readFileSync(BASIC, 'utf8');
    const lines = text.split('\n');
    writeFileSync(log, `${lines.slice(0, 7).join('\n')}\n`);
    expect((await runCli(['run', log, '--now', NOW, '--state', dir])).code).toBe(0);
    expect(readSnapshot(dir).rows).toEqual({ read: 6, valid: 6, rejected: 0, late: 0, duplicate: 0 });
    appendFileSync(log, lines.slice(7).join('\n'));
    const r = await runCli(['run', log, '--now', NOW, '--state', dir]);
    expect(r.code).toBe(0);
    const { generated_at: _g, ...rest } = readSnapshot(dir);
    expect(rest).toEqual(BASIC_EXPECTED);
    expect(readFileSync(join(dir, 'log', 'evals.aggregate.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))).toEqual(BASIC_AGGREGATES);
  });

  it('--now latest: NOW is the newest row (19:30:01), so the future row counts', async () => {
    const dir = state();
    const r = await runCli(['run', BASIC, '--now', 'latest', '--state', dir]);
    expect(r.code).toBe(0);
    const s = readSnapshot(dir);
    expect(s.now).toBe('2026-04-16T19:30:01Z');
    expect(s.rows).toEqual({ read: 12, valid: 12, rejected: 0, late: 1, duplicate: 0 });
    expect(s.pushes_per_hour).toEqual(hours('2026-04-15T20:00:00Z', {
      '2026-04-15T20:00:00Z': [1, 0], '2026-04-16T18:00:00Z': [1, 1], '2026-04-16T19:00:00Z': [5, 0],
    }));
    expect(s.bytes_per_day[6]).toEqual({ day: '2026-04-16', pushed_bytes: 12593 + 999999, pulled_bytes: 5000 });
    expect(s.repos.map((x) => x.repo)).toEqual(['alpha', 'future', 'snappy-os', 'zeta']);
    expect(s.machines).toContainEqual({ machine: 'future-box', last_success_push: '2026-04-16T19:30:01Z' });
  });

  it('--now fixed leaves out rows after NOW everywhere (repo, machine, bytes, cost)', async () => {
    const dir = state();
    // NOW given with an offset is normalised to UTC (19:10Z)
    const r = await runCli(['run', BASIC, '--now', '2026-04-16T21:10:00+02:00', '--state', dir]);
    expect(r.code).toBe(0);
    const s = readSnapshot(dir);
    expect(s.now).toBe('2026-04-16T19:10:00Z');
    // left out: L9 (19:10:38), L11 (19:30), L12 and L13 (19:30): valid rows after NOW
    expect(s.rows).toEqual({ read: 12, valid: 12, rejected: 0, late: 0, duplicate: 0 });
    expect(s.pushes_per_hour[23]).toEqual({ hour: '2026-04-16T19:00:00Z', pushes: 1, failed: 0 });
    expect(s.bytes_per_day[6]).toEqual({ day: '2026-04-16', pushed_bytes: 10, pulled_bytes: 5000 });
    expect(s.machines).toEqual([
      { machine: 'ancient', last_success_push: '2026-04-09T23:59:59Z' },
      { machine: 'linux-box', last_success_push: '2026-04-16T19:00:00Z' },
      { machine: 'mbpro-rb', last_success_push: '2026-04-15T19:59:59.999Z' },
      { machine: 'old-mac', last_success_push: null },
    ]);
    expect(s.repos.map((x) => x.repo)).toEqual(['alpha', 'snappy-os', 'zeta']);
    const agg = readFileSync(join(dir, 'log', 'evals.aggregate.ndjson'), 'utf8');
    expect(agg).not.toContain('999999');
    expect(agg).not.toContain('12533');
    expect(agg).not.toContain('12583');
  });

  it('stdin input (run -), with a BOM and CRLF line ends, gives the same numbers as the file', async () => {
    const dir = state();
    const text = `\uFEFF${readFileSync(BASIC, 'utf8').replace(/\n/g, '\r\n')}`;
    const r = await runCli(['run', '-', '--now', NOW, '--state', dir], { input: text });
    expect(r.code).toBe(0);
    const { generated_at: _g, ...rest } = readSnapshot(dir);
    expect(rest).toEqual(BASIC_EXPECTED);
  });

  it('a repeat is a row, within or beyond the lateness window; --tenant names rows without one; byte sums stay exact past 2^53', async () => {
    const dir = state();
    const mk = (ts: string, bytes = 1) => `{"ts":"${ts}","op":"push","repo":"r","scope":"s","files":1,"bytes":${bytes},"dur_ms":1,"trigger":"t","machine":"m"}`;
    const a = mk('2026-04-16T10:00:00Z');
    const b = mk('2026-04-16T10:10:00Z');
    const c = mk('2026-04-16T10:06:00Z');
    const big1 = mk('2026-04-16T10:20:00Z', Number.MAX_SAFE_INTEGER);
    const big2 = mk('2026-04-16T10:21:00Z', Number.MAX_SAFE_INTEGER);
    // a, b, a again (10 min behind: a row, and late), c, c again (4 min behind: a row, on time)
    const r = await runCli(['run', '-', '--now', '2026-04-16T10:30:00Z', '--state', dir, '--tenant', 'solo'], { input: [a, b, a, c, c, big1, big2].join('\n') });
    expect(r.code).toBe(0);
    const s = readSnapshot(dir);
    expect(s.rows).toEqual({ read: 7, valid: 7, rejected: 0, late: 1, duplicate: 0 });
    expect(s.pushes_per_hour[23]).toEqual({ hour: '2026-04-16T10:00:00Z', pushes: 7, failed: 0 });
    // 5 + 2·(2^53 − 1) = 18014398509481987, written as exact JSON digits
    const raw = readFileSync(join(dir, 'log', 'sync-summary.json'), 'utf8');
    expect(raw).toMatch(/"pushed_bytes": 18014398509481987\b/);
    const agg = readFileSync(join(dir, 'log', 'evals.aggregate.ndjson'), 'utf8');
    expect(agg).toContain('"push_bytes":18014398509481987');
    expect(agg).toContain('"tenant_id":"solo"');
    const kv = new FileKv(join(dir, 'kv', 'ALERTS'));
    expect((await listAll(kv, 'tenant:')).map((k) => k.name)).toEqual(['tenant:solo']);
  });

  it('aggregates: a day no longer in the input (rotated away) is never deleted; no (day, tenant) twice; no temp files', async () => {
    const dir = state();
    expect((await runCli(['run', BASIC, '--now', NOW, '--state', dir])).code).toBe(0);
    const before = readFileSync(join(dir, 'log', 'evals.aggregate.ndjson'), 'utf8').trim().split('\n');
    // the log after rotation: only today's two lines from L9, L10
    const rotated = join(dir, 'rotated.ndjson');
    writeFileSync(rotated, readFileSync(BASIC, 'utf8').split('\n').slice(8, 10).join('\n') + '\n');
    expect((await runCli(['run', rotated, '--now', NOW, '--state', dir])).code).toBe(0);
    const after = readFileSync(join(dir, 'log', 'evals.aggregate.ndjson'), 'utf8').trim().split('\n');
    for (const day of ['2026-04-09', '2026-04-10', '2026-04-15']) {
      expect(after.filter((l) => l.includes(`"day":"${day}"`))).toEqual(before.filter((l) => l.includes(`"day":"${day}"`)));
    }
    const keys = after.map((l) => { const o = JSON.parse(l); return `${o.day}/${o.tenant_id}`; });
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toEqual(['2026-04-09/default', '2026-04-10/default', '2026-04-15/default', '2026-04-16/acme', '2026-04-16/default']);
    const logFiles = readdirSync(join(dir, 'log'));
    expect(logFiles.filter((f) => /tmp/i.test(f))).toEqual([]);
  });
});

describe.concurrent('bad input never stops the pipeline', () => {
  const LONG = `{"ts":"2026-04-16T19:10:38Z","op":"push","pad":"${'x'.repeat(100 * 1024)}"}`;
  const badFile = (): string => {
    const dir = state();
    const p = join(dir, 'bad.ndjson');
    writeFileSync(p, readFileSync(join(FIXTURES, 'bad-input.ndjson'), 'utf8').replace('@@LONG_LINE@@', LONG));
    return p;
  };

  it('each bad line is rejected with its line number and a reason naming the field; exit 0', async () => {
    const input = badFile();
    const dir = state();
    const r = await runCli(['run', input, '--now', NOW, '--state', dir]);
    expect(r.code).toBe(0);
    const s = readSnapshot(dir);
    // 13 lines, line 9 is whitespace only: 12 read, 2 valid (lines 1 and 11), 10 rejected
    expect(s.rows).toEqual({ read: 12, valid: 2, rejected: 10, late: 0, duplicate: 0 });
    expect(r.stderr).toMatch(/\b10 rejected\b/);
    expect(r.stderr).toMatch(/line 2: /);
    const rejects = readFileSync(join(dir, 'log', 'sync-events.rejects.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { file: string; line: number; reason: string; raw: string });
    for (const rj of rejects) expect(Object.keys(rj)).toEqual(['file', 'line', 'reason', 'raw']);
    for (const rj of rejects) expect(rj.file).toBe(input);
    // in input order, whatever the read-chunk boundaries (the over-long line 4 included)
    expect(rejects.map((x) => x.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 10, 12, 13]);
    const byLine = new Map(rejects.map((x) => [x.line, x]));
    expect([...byLine.keys()].sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 10, 12, 13]);
    expect(rejects).toHaveLength(10);
    expect(byLine.get(2)!.reason).toMatch(/JSON/i);
    expect(byLine.get(2)!.raw).toBe('this is not json');
    expect(byLine.get(3)!.reason).toMatch(/JSON/i);
    expect(byLine.get(4)!.reason).toMatch(/64 KiB/);
    expect(Buffer.byteLength(byLine.get(4)!.raw)).toBeLessThanOrEqual(1024);
    expect(byLine.get(4)!.raw).toBe(LONG.slice(0, 1024));
    expect(byLine.get(5)!.reason).toMatch(/\bbytes\b/);
    expect(byLine.get(6)!.reason).toMatch(/\bts\b/);
    expect(byLine.get(7)!.reason).toMatch(/\bts\b/);
    expect(byLine.get(8)!.reason).toMatch(/object/);
    expect(byLine.get(10)!.reason).toMatch(/object/);
    expect(byLine.get(12)!.reason).toMatch(/\bfiles\b/);
    expect(byLine.get(13)!.reason).toMatch(/\bmachine\b/);
    for (const rj of rejects) expect(Buffer.byteLength(rj.raw)).toBeLessThanOrEqual(1024);
    // the good rows still made it through
    expect(s.pushes_per_hour[23]).toEqual({ hour: '2026-04-16T19:00:00Z', pushes: 1, failed: 0 });
    expect(s.bytes_per_day[6]).toEqual({ day: '2026-04-16', pushed_bytes: 10, pulled_bytes: 20 });
    // a second run over the same input does not duplicate a reject
    expect((await runCli(['run', input, '--now', NOW, '--state', dir])).code).toBe(0);
    expect(readFileSync(join(dir, 'log', 'sync-events.rejects.ndjson'), 'utf8').trim().split('\n')).toHaveLength(10);
    expect(readSnapshot(dir).rows.rejected).toBe(10);
  });

  it('valid rows whose repo / tenant_id are "__proto__" / "constructor" do not crash the run and are counted', async () => {
    const dir = state();
    const mk = (ts: string, repo: string, extra = '') =>
      `{"ts":"${ts}","op":"push","repo":"${repo}","scope":"s","files":1,"bytes":1,"dur_ms":1,"trigger":"t","machine":"m"${extra}}`;
    const input = [
      mk('2026-04-16T19:00:00Z', '__proto__', ',"error":"x"'),
      mk('2026-04-16T19:01:00Z', 'constructor', ',"tenant_id":"constructor"'),
      mk('2026-04-16T19:02:00Z', 'plain'),
    ].join('\n');
    const r = await runCli(['run', '-', '--now', NOW, '--state', dir], { input });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const s = readSnapshot(dir);
    expect(s.rows).toEqual({ read: 3, valid: 3, rejected: 0, late: 0, duplicate: 0 });
    expect(s.repos.map((x) => x.repo)).toEqual(['__proto__', 'constructor', 'plain']);
    expect(s.cost.by_tenant.map((t: { tenant_id: string }) => t.tenant_id)).toEqual(['constructor', 'default']);
  });

  it('a missing input file: exit 2 with a clear message', async () => {
    const dir = state();
    const missing = join(dir, 'nope', 'sync-events.ndjson');
    const r = await runCli(['run', missing, '--now', NOW, '--state', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(missing);
    expect(r.stderr).toMatch(/not found|no such file/i);
    expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
  });

  for (const [flags, mention] of [
    [['--alert-failures', '0'], /--alert-failures/],
    [['--now', 'garbage'], /--now/],
    [['--max-lateness', 'x'], /--max-lateness/],
    [['--bogus-flag'], /bogus/],
  ] as Array<[string[], RegExp]>) {
    it(`bad flags ${flags.join(' ')}: exit 2 and the flag is named`, async () => {
      const dir = state();
      const r = await runCli(['run', BASIC, '--state', dir, ...flags]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(mention);
      expect(r.stderr).not.toMatch(/internal error/);
      expect(existsSync(join(dir, 'log', 'sync-summary.json'))).toBe(false);
    });
  }

  it('--help works for run and status (exit 0, usage on stdout)', async () => {
    const run = await runCli(['run', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Usage: syncscope run/);
    for (const f of ['--now', '--state', '--max-lateness', '--alert-failures', '--alert-window', '--tenant']) expect(run.stdout).toContain(f);
    const status = await runCli(['status', '--help']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/Usage: syncscope status/);
    for (const f of ['--strict', '--format', '--state']) expect(status.stdout).toContain(f);
  });

  it('--help works for lint, doctor and export too, and for the program', async () => {
    const expected: Record<string, readonly string[]> = {
      lint: ['--fail-on', '--only', '--max-findings', 'Severities:'],
      doctor: ['--simulate', '--max-age', '--kv-url'],
      export: ['--table', '--out', 'aggregates  day,tenant_id'],
    };
    for (const [command, flags] of Object.entries(expected)) {
      const r = await runCli([command, '--help']);
      expect(r.code, command).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Usage: syncscope ${command}`));
      for (const f of [...flags, '--state', '--now']) expect(r.stdout, `${command} ${f}`).toContain(f);
    }
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const c of ['run', 'status', 'lint', 'doctor', 'export']) expect(top.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
  });

  it('the built CLI is the file the tests run, and the package\'s bin', () => {
    expect(existsSync(CLI)).toBe(true);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(join(REPO_ROOT, pkg.bin.syncscope ?? '')).toBe(CLI);
  });
});
