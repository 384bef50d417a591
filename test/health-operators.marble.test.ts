// The §3.1 operators (top errors, latency, trend, rejects per hour) in virtual time: a cold
// source of Batch messages, the operator, and a projection of its state to the view the snapshot
// uses, frame by frame; then healthOf and the dashboard's top section as pure functions.
import { describe, expect, it } from 'vitest';
import { map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { Batch } from '../pipeline/core/batch.js';
import { topErrors24h, topErrors24hView, NO_ERROR_TEXT } from '../operators/metrics/top-errors-24h.js';
import { latency24h, latency24hView } from '../operators/metrics/latency-24h.js';
import { trend7d, trend7dView } from '../operators/metrics/trend-7d.js';
import { rejectsPerHour, rejects24hView } from '../operators/metrics/rejects-per-hour.js';
import { formatHour, formatTs } from '../pipeline/core/time.js';
import { healthOf } from '../pipeline/engine/health.js';
import { renderDashboard } from '../sinks/render-dashboard.js';
import type { Snapshot } from '../pipeline/core/snapshot.js';
import { batch, fail, ms, okRow, row, HOUR, DAY } from './core-helpers.js';
import type { Row } from '../pipeline/core/row.js';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

function marble<V>(source: Record<string, Batch>, src: string, pipe: (o: Observable<Batch>) => Observable<V>, out: string, values: Record<string, V>): void {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(pipe(cold(src, source))).toBe(out, values);
  });
}

const NOW = ms('2026-04-16T19:30:00Z');
const NOW_ISO = '2026-04-16T19:30:00Z';

describe('topErrors24h', () => {
  const view = (now: number) => (s: Parameters<typeof topErrors24hView>[0]) =>
    topErrors24hView(s, now).map((e) => [e.error, e.count, e.repos, formatTs(e.last)]);
  it('groups failed rows of [H-23h, H+1h) by outermost message; count desc, then code-unit order; repos distinct', () => {
    marble(
      {
        a: batch([
          fail({ ts: '2026-04-16T19:10:00Z', error: ['timeout', 'dial tcp'], repo: 'a' }),
          fail({ ts: '2026-04-16T19:05:00Z', error: 'timeout', repo: 'b' }),
          okRow({ ts: '2026-04-16T19:06:00Z', error: 'ignored: ok is true' }),
          fail({ ts: '2026-04-16T18:00:00Z', error: 'Zebra', repo: 'a' }),
          fail({ ts: '2026-04-16T18:01:00Z', error: 'apple', repo: 'a' }),
        ], { nowFloor: NOW }),
        b: batch([
          row({ ts: '2026-04-15T20:00:00Z', ok: false, repo: 'c' }),
          row({ ts: '2026-04-15T19:59:59.999Z', error: 'timeout', repo: 'c' }),
          row({ ts: '2026-04-16T01:00:00Z', ok: false, error: '', repo: 'c' }),
          fail({ ts: '2026-04-16T19:01:00Z', error: 'timeout', repo: 'a' }),
        ], { nowFloor: NOW }),
        c: batch([], { now: NOW }),
      },
      'a-b-c|',
      (o) => o.pipe(topErrors24h(), map(view(NOW))),
      'a-b-c|',
      {
        a: [['timeout', 2, 2, '2026-04-16T19:10:00Z'], ['Zebra', 1, 1, '2026-04-16T18:00:00Z'], ['apple', 1, 1, '2026-04-16T18:01:00Z']],
        b: [['timeout', 3, 2, '2026-04-16T19:10:00Z'], [NO_ERROR_TEXT, 2, 1, '2026-04-16T01:00:00Z'], ['Zebra', 1, 1, '2026-04-16T18:00:00Z'],
          ['apple', 1, 1, '2026-04-16T18:01:00Z']],
        c: [['timeout', 3, 2, '2026-04-16T19:10:00Z'], [NO_ERROR_TEXT, 2, 1, '2026-04-16T01:00:00Z'], ['Zebra', 1, 1, '2026-04-16T18:00:00Z'],
          ['apple', 1, 1, '2026-04-16T18:01:00Z']],
      },
    );
  });
  it('at most 10 messages; as NOW moves (follow mode) old hours leave the window and are pruned', () => {
    const rows = Array.from({ length: 12 }, (_, i) => fail({ ts: '2026-04-16T19:00:00Z', error: `e${String(i).padStart(2, '0')}` }));
    const later = NOW + 25 * HOUR;
    const view = (s: Parameters<typeof topErrors24hView>[0]) => ({
      atNow: topErrors24hView(s, NOW).map((e) => e.error),
      later: topErrors24hView(s, later).map((e) => e.error),
      hours: Object.keys(s.hours).length,
    });
    marble(
      {
        a: batch([...rows, fail({ ts: '2026-04-16T19:00:00Z', error: 'e11' })], { nowFloor: NOW }),
        b: batch([fail({ ts: later, error: 'fresh' })], { nowFloor: later, now: later }),
      },
      'a-b|',
      (o) => o.pipe(topErrors24h(), map(view)),
      'a-b|',
      {
        a: { atNow: ['e11', 'e00', 'e01', 'e02', 'e03', 'e04', 'e05', 'e06', 'e07', 'e08'], later: [], hours: 1 },
        // NOW moved 25h: the 19:00 hour of 04-16 left every window it can still be asked for, and was pruned.
        b: { atNow: [], later: ['fresh'], hours: 1 },
      },
    );
  });
});

describe('latency24h', () => {
  const view = (now: number) => (s: Parameters<typeof latency24hView>[0]) => latency24hView(s, now);
  it('per repo, every row (push or pull, ok or not) of [H-23h, H+1h): bucket low edges at nearest rank, max exact; sorted by repo', () => {
    marble(
      {
        a: batch([
          row({ ts: '2026-04-16T19:00:00Z', repo: 'web', durMs: 842 }),
          row({ ts: '2026-04-16T19:01:00Z', repo: 'web', durMs: 5, op: 'pull' }),
          fail({ ts: '2026-04-16T19:02:00Z', repo: 'web', durMs: 5 }),
          row({ ts: '2026-04-16T10:00:00Z', repo: 'Api', durMs: 255 }),
        ], { nowFloor: NOW }),
        b: batch([
          row({ ts: '2026-04-15T19:59:59.999Z', repo: 'old', durMs: 1 }),
          row({ ts: '2026-04-15T20:00:00Z', repo: 'Api', durMs: 1_000_003 }),
        ], { nowFloor: NOW }),
        c: batch([], { now: NOW }),
      },
      'a-b-c|',
      (o) => o.pipe(latency24h(), map(view(NOW))),
      'a-b-c|',
      {
        a: [{ repo: 'Api', p50_ms: 255, p95_ms: 255, max_ms: 255 }, { repo: 'web', p50_ms: 5, p95_ms: 840, max_ms: 842 }],
        // Api: 255, 1000003 → p50 rank 1 = 255; p95 rank 2: ⌊1000003 / 2^12⌋ · 2^12 = 999424, below max.
        b: [{ repo: 'Api', p50_ms: 255, p95_ms: 999_424, max_ms: 1_000_003 }, { repo: 'web', p50_ms: 5, p95_ms: 840, max_ms: 842 }],
        c: [{ repo: 'Api', p50_ms: 255, p95_ms: 999_424, max_ms: 1_000_003 }, { repo: 'web', p50_ms: 5, p95_ms: 840, max_ms: 842 }],
      },
    );
  });
  it('a percentile never exceeds the exact max (one value: all three equal its bucket, capped)', () => {
    marble(
      { a: batch([row({ ts: '2026-04-16T19:00:00Z', durMs: 1023 }), row({ ts: '2026-04-16T19:00:00Z', durMs: 1020 })], { now: NOW }) },
      'a|',
      (o) => o.pipe(latency24h(), map(view(NOW))),
      'a|',
      // 1020 and 1023 share the bucket 1020 (unit 4); max 1023.
      { a: [{ repo: 'snappy-os', p50_ms: 1020, p95_ms: 1020, max_ms: 1023 }] },
    );
  });
  it('follow mode: as NOW moves the window moves, and hours below it are pruned', () => {
    const later = NOW + 23 * HOUR;
    marble(
      {
        a: batch([row({ ts: '2026-04-16T19:00:00Z', durMs: 7 }), row({ ts: '2026-04-16T20:00:00Z', durMs: 9 })], { nowFloor: NOW + HOUR }),
        b: batch([], { nowFloor: later + 2 * HOUR, now: later + 2 * HOUR }),
      },
      'a-b|',
      (o) => o.pipe(latency24h(), map((s) => ({ at: latency24hView(s, later).map((e) => e.max_ms), hours: Object.keys(s.repos['snappy-os']!).map((k) => formatHour(Number(k))) }))),
      'a-b|',
      {
        a: { at: [9], hours: ['2026-04-16T19:00:00Z', '2026-04-16T20:00:00Z'] },
        b: { at: [9], hours: ['2026-04-16T20:00:00Z'] },
      },
    );
  });
});

describe('trend7d', () => {
  it('ops, failed and successful bytes of [D-6d, D+1d) against [D-13d, D-6d); days before D-13d pruned', () => {
    const view = (s: Parameters<typeof trend7dView>[0]) => ({ ...trend7dView(s, NOW), days: Object.keys(s.days).length });
    marble(
      {
        a: batch([
          row({ ts: '2026-04-16T19:30:00Z', bytes: 100 }),
          row({ ts: '2026-04-10T00:00:00Z', bytes: 7, op: 'pull' }),
          fail({ ts: '2026-04-12T00:00:00Z', bytes: 1000 }),
          row({ ts: '2026-04-09T23:59:59.999Z', bytes: 5 }),
          row({ ts: '2026-04-03T00:00:00Z', bytes: 2 ** 53 - 1 }),
          row({ ts: '2026-04-03T01:00:00Z', bytes: 2 ** 53 - 1 }),
          row({ ts: '2026-04-01T23:59:59Z', bytes: 1 }),
        ], { nowFloor: NOW }),
      },
      'a|',
      (o) => o.pipe(trend7d(), map(view)),
      'a|',
      {
        a: {
          ops_7d: 3, ops_prev_7d: 3, failed_7d: 1, failed_prev_7d: 0, bytes_7d: 107, bytes_prev_7d: 2n * (2n ** 53n - 1n) + 5n,
          days: 5, // 04-01 is more than 14 days back: pruned
        },
      },
    );
  });
});

describe('rejectsPerHour', () => {
  it('counts rejects by the hour of the ts they take; one without a ts counts in every window', () => {
    const t = (iso: string) => ms(iso);
    marble(
      {
        a: batch([], { nowFloor: NOW, rejectedTs: [t('2026-04-16T19:00:00Z'), t('2026-04-15T19:59:59Z'), NaN] }),
        b: batch([], { nowFloor: NOW + 2 * DAY, now: NOW + 2 * DAY, rejectedTs: [] }),
      },
      'a-b|',
      (o) => o.pipe(rejectsPerHour(), map((s) => ({ now: rejects24hView(s, NOW), later: rejects24hView(s, NOW + 2 * DAY), hours: Object.keys(s.hours).length }))),
      'a-b|',
      { a: { now: 2, later: 1, hours: 2 }, b: { now: 1, later: 1, hours: 0 } },
    );
  });
});

describe('healthOf', () => {
  const base = { now: NOW, newestRowTs: NOW - 60_000, open: [], machines: [{ machine: 'm1', last_success_push: formatTs(NOW - HOUR) }], rejects24h: 0 };
  it('ok: nothing wrong; newest row and its age in whole seconds', () => {
    expect(healthOf({ ...base, newestRowTs: NOW - 1500 })).toEqual({ level: 'ok', reasons: [], newest_row_ts: '2026-04-16T19:29:58.500Z', newest_row_age_s: 1 });
  });
  it('critical with an open alert, whatever else; reasons most severe first, names cut after three', () => {
    const open = ['a', 'b', 'c', 'd'].map((r) => ({ file: `f-${r}`, tenant_id: 'acme', repo: r, opened_at: formatTs(NOW), failures: 3 }));
    const h = healthOf({ ...base, open, rejects24h: 1, machines: [...base.machines, { machine: 'm2', last_success_push: null }] });
    expect(h.level).toBe('critical');
    expect(h.reasons).toEqual([
      '4 open alerts (acme/a, acme/b, acme/c, …)',
      '1 stale machine, no successful push in the last 24h (m2)',
      '1 rejected line in the last 24h (see sync-events.rejects.ndjson)',
    ]);
  });
  it('warn: a stale machine (last push more than 24h before NOW), a rejected line, an old or empty log', () => {
    const stale = formatTs(NOW - DAY - 1);
    expect(healthOf({ ...base, machines: [{ machine: 'm1', last_success_push: formatTs(NOW - DAY) }] }).level).toBe('ok');
    expect(healthOf({ ...base, machines: [{ machine: 'm1', last_success_push: stale }] }).level).toBe('warn');
    expect(healthOf({ ...base, rejects24h: 2 }).reasons).toEqual(['2 rejected lines in the last 24h (see sync-events.rejects.ndjson)']);
    expect(healthOf({ ...base, newestRowTs: NOW - DAY }).level).toBe('ok');
    const old = healthOf({ ...base, newestRowTs: ms('2026-04-06T19:10:38Z'), machines: [] });
    expect(old).toEqual({
      level: 'warn',
      reasons: ['newest row (2026-04-06T19:10:38Z) is 10d before NOW (2026-04-16T19:30:00Z): an old log? try --now latest'],
      newest_row_ts: '2026-04-06T19:10:38Z',
      newest_row_age_s: 10 * 86_400 + 19 * 60 + 22,
    });
    const empty = healthOf({ ...base, newestRowTs: null, machines: [] });
    expect(empty).toEqual({
      level: 'warn',
      reasons: ['no valid row at or before NOW (2026-04-16T19:30:00Z): an empty log, or only rows after NOW? try --now latest'],
      newest_row_ts: null,
      newest_row_age_s: null,
    });
  });
});

describe('renderDashboard: what is wrong now, first', () => {
  const snap = (over: Partial<Snapshot>): Snapshot => ({
    generated_at: '2026-04-16T19:30:05Z',
    now: '2026-04-16T19:30:00Z',
    rows: { read: 1234567, valid: 1234567, rejected: 0, late: 0, duplicate: 0 },
    pushes_per_hour: Array.from({ length: 24 }, (_, i) => ({ hour: formatHour(Math.floor(NOW / HOUR) - 23 + i), pushes: i === 23 ? 1 : 10, failed: 0 })),
    bytes_per_day: Array.from({ length: 7 }, (_, i) => ({ day: `2026-04-1${i}`, pushed_bytes: 12_345_678_901, pulled_bytes: 0 })),
    repos: [
      { repo: 'a-quiet', ops_24h: 10, pushes_24h: 10, pulls_24h: 0, failed_24h: 0, ops_7d: 10, failed_7d: 0 },
      { repo: 'b-some', ops_24h: 10, pushes_24h: 10, pulls_24h: 0, failed_24h: 1, ops_7d: 10, failed_7d: 1 },
      { repo: 'c-bad', ops_24h: 3, pushes_24h: 3, pulls_24h: 0, failed_24h: 3, ops_7d: 3, failed_7d: 3 },
      { repo: 'd-some', ops_24h: 20, pushes_24h: 20, pulls_24h: 0, failed_24h: 2, ops_7d: 20, failed_7d: 2 },
    ],
    machines: [],
    cost: { week_usd_cents: 123456, by_tenant: [] },
    alerts: { open: [{ file: 'sync-degraded-x.md', tenant_id: 'acme', repo: 'c-bad', opened_at: '2026-04-16T19:00:00Z', failures: 3 }], resolved: 2 },
    health: { level: 'critical', reasons: ['1 open alert (acme/c-bad)', '3 rejected lines in the last 24h (see sync-events.rejects.ndjson)'], newest_row_ts: NOW_ISO, newest_row_age_s: 0 },
    top_errors_24h: [{ error: 'timeout | with a pipe', count: 3, repos: 1, last_ts: '2026-04-16T19:00:00Z' }],
    latency_24h: [{ repo: 'c-bad', p50_ms: 840, p95_ms: 12_288, max_ms: 12_345 }],
    trend: { ops_7d: 43, ops_prev_7d: 40, failed_7d: 6, failed_prev_7d: 0, bytes_7d: 2048, bytes_prev_7d: 1024, cost_7d_usd_cents: 50, cost_prev_7d_usd_cents: 40 },
    ...over,
  });
  it('headline and reasons, then open alerts, top errors, latency, trend, then the tables', () => {
    const md = renderDashboard(snap({}));
    const lines = md.split('\n');
    expect(lines.slice(3, 10)).toEqual([
      '# Sync summary', '',
      '**CRITICAL**: failures are clustering right now:', '',
      '- 1 open alert (acme/c-bad)',
      '- 3 rejected lines in the last 24h (see sync-events.rejects.ndjson)', '',
    ]);
    const headings = lines.filter((l) => l.startsWith('## '));
    expect(headings).toEqual([
      '## Open alerts', '## Top errors (last 24h)', '## Latency (last 24h, dur_ms of every row)', '## Trend (last 7d against the 7 days before)',
      '## Pushes per hour (last 24h)', '## Bytes per day (last 7d, successful rows)', '## Failure rate per repo (failing first)',
      '## Last successful push per machine', '## Cost (last 7 days)', '## Input health',
    ]);
    expect(md).toContain('| timeout \\| with a pipe | 3 | 1 | 2026-04-16T19:00:00Z |');
    expect(md).toContain('| c-bad | 840 ms | 12,288 ms (12s) | 12,345 ms (12s) |');
    expect(md).toContain('| failed | 6 | 0 | new |');
    expect(md).toContain('| bytes (successful rows) | 2,048 B (2.0 KiB) | 1,024 B (1.0 KiB) | +100.0% |');
    expect(md).toContain('| cost (USD) | $0.50 | $0.40 | +25.0% |');
    expect(md).toContain('| 2026-04-10 | 12,345,678,901 | 11.5 GiB | 0 | 0 B |');
    expect(md).toContain('| 1,234,567 | 1,234,567 | 0 | 0 | 0 |');
    expect(md).toContain('Weekly total: **$1,234.56**');
  });
  it('repos with failures first, by 24h failure rate (exact), then name', () => {
    const lines = renderDashboard(snap({})).split('\n');
    const at = lines.indexOf('## Failure rate per repo (failing first)');
    expect(lines.slice(at + 4, at + 8).map((l) => l.split(' | ')[0])).toEqual(['| c-bad', '| b-some', '| d-some', '| a-quiet']);
  });
  it('the current hour is marked partial (sparkline and table); a low count there is not an outage', () => {
    const md = renderDashboard(snap({}));
    expect(md).toContain('`███████████████████████╎▁` 231 pushes, 0 failed');
    expect(md).toContain('The last bar (after ╎) is the current hour, counted to 19:30:00 only (partial).');
    expect(md).toContain('| 2026-04-16 19:00 (partial) | 1 | 0 |');
    // At the hour's last millisecond the hour is complete: no mark.
    const full = renderDashboard(snap({ now: '2026-04-16T19:59:59.999Z' }));
    expect(full).not.toContain('partial');
    expect(full).toContain('`███████████████████████▁` 231 pushes');
  });
  it('ok: one line, no bullets', () => {
    const md = renderDashboard(snap({ health: { level: 'ok', reasons: [], newest_row_ts: NOW_ISO, newest_row_age_s: 180 }, alerts: { open: [], resolved: 0 } }));
    expect(md.split('\n')[5]).toBe('**OK**: nothing wrong right now (no open alert, no stale machine, no rejected line in the last 24h; newest row 3m before NOW).');
    expect(md.split('\n')[7]).toBe('## Open alerts');
  });
});

describe('24h histograms stay one day deep over a long batch', () => {
  it('keeps no hour a window can no longer show (before the NOW floor − 23h), also for a late row after the prune', () => {
    // A batch run over 30 days with a fixed NOW: the floor never moves, so the prune runs once;
    // rows of hours no window can show again must not be kept at all.
    const end = ms('2026-04-30T23:00:00Z');
    const live = Math.floor(end / HOUR) - 23;
    const rows: Row[] = [];
    for (let t = end - 30 * DAY; t <= end; t += HOUR) rows.push(fail({ ts: t, error: 'e', durMs: 300 + ((t / HOUR) % 500) }));
    const late = [fail({ ts: end - 10 * DAY, error: 'old', durMs: 1000 })];
    const latencyHours: number[][] = [];
    const errorHours: number[][] = [];
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      const src = cold<Batch>('ab|', { a: batch(rows, { nowFloor: end }), b: batch(late, { nowFloor: end }) });
      latency24h()(src).subscribe((s) => latencyHours.push(Object.values(s.repos).flatMap((h) => Object.keys(h).map(Number))));
      topErrors24h()(src).subscribe((s) => errorHours.push(Object.keys(s.hours).map(Number)));
      expectObservable(src.pipe(map(() => 'x'))).toBe('xx|', { x: 'x' });
    });
    expect(latencyHours).toHaveLength(2);
    for (const hours of [...latencyHours, ...errorHours]) {
      expect(hours).toHaveLength(24);
      expect(Math.min(...hours)).toBe(live);
    }
  });
});
