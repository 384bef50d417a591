// The bench oracle's §3.1 ("what is wrong now": health, top_errors_24h, latency_24h, trend) on
// small logs worked out by hand, so that a slip in the oracle shows here and not as a "product
// bug" in bench:ci; then the comparison itself: strict once the snapshot has `health`, a warning
// while the product has no §3.1 at all.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeOracle, computeOracleFromFile, type OracleSummary } from '../bench/oracle.js';
import { diffWhatIsWrongNowField, latencyBucket, nearestRank, type WhatIsWrongNow } from '../bench/oracle-health.js';
import { diffStateWithOracle } from '../bench/oracle-outputs.js';
import { ensureBuilt, REPO_ROOT, runCli, tempDir } from './core-helpers.js';

// NOW 12:30 on 2026-05-20: the last 24h are [2026-05-19T13:00Z, NOW], the last 7d are days
// 05-14 … 05-20, the 7 days before them 05-07 … 05-13.
const NOW = '2026-05-20T12:30:00Z';
const NOW_MS = Date.parse(NOW);

function row(ts: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ ts, op: 'push', repo: 'web', scope: 'state', files: 1, bytes: 100, dur_ms: 10, trigger: 'cron', machine: 'm1', ok: true, ...extra });
}
const failed = (ts: string, error: unknown, extra: Record<string, unknown> = {}): string => {
  const o: Record<string, unknown> = { ok: false, ...extra };
  if (error !== undefined) o.error = error;
  return row(ts, o);
};
const oracle = (lines: string[], now = NOW_MS): OracleSummary => computeOracle(lines, { now });
const wrong = (lines: string[], now = NOW_MS): WhatIsWrongNow => oracle(lines, now).whatIsWrong;

describe('latency buckets and nearest rank', () => {
  it('keeps values below 256, then 8 significant binary digits (low edge)', () => {
    const cases: Array<[number, number]> = [
      [0, 0], [255, 255], [256, 256], [257, 256], [258, 258], [511, 510], [512, 512], [513, 512], [515, 512], [516, 516],
      [1023, 1020], [1024, 1024], [1031, 1024], [1032, 1032], [65535, 65280], [65536, 65536],
      // 2^53 − 1: Math.log2 rounds it to 53; the exact e is 52, so the width is 2^45.
      [Number.MAX_SAFE_INTEGER, 255 * 2 ** 45],
    ];
    for (const [v, low] of cases) expect([v, latencyBucket(v)]).toEqual([v, low]);
  });

  it('nearest rank is ⌈p·n/100⌉', () => {
    expect([1, 2, 8, 19, 20, 21, 100].map((n) => [nearestRank(50, n), nearestRank(95, n)])).toEqual([
      [1, 1], [1, 2], [4, 8], [10, 19], [10, 19], [11, 20], [50, 95],
    ]);
  });

  it('latency_24h per repo: p50/p95 the bucket of the nearest-rank value, max exact; rows outside the 24h left out', () => {
    const lines = [
      // Outside the window: before H-23h and after NOW (huge values that would show).
      row('2026-05-19T12:59:59Z', { repo: 'lat', dur_ms: 9_000_000 }),
      row('2026-05-20T12:30:01Z', { repo: 'lat', dur_ms: 9_000_000 }),
      // lat: 8 values, every op and outcome counts. Sorted: 255 256 257 511 512 1023 1024 65535;
      // p50 = rank 4 = 511 → 510; p95 = rank ⌈7.6⌉ = 8 = 65535 → 65280; max 65535.
      ...[1024, 257, 65535, 255, 1023, 512, 256].map((d, i) => row(`2026-05-20T0${i}:00:00Z`, { repo: 'lat', dur_ms: d })),
      failed('2026-05-19T13:00:00Z', 'x', { repo: 'lat', op: 'pull', dur_ms: 511 }),
      // ranks: 1001 … 1020; p50 = rank 10 = 1010 → 1008; p95 = rank 19 = 1019 → 1016; max 1020.
      ...Array.from({ length: 20 }, (_, i) => row(`2026-05-20T10:${String(i).padStart(2, '0')}:00Z`, { repo: 'ranks', dur_ms: 1020 - i })),
      row('2026-05-20T11:00:00Z', { repo: 'Zero', dur_ms: 0 }),
      row('2026-05-20T11:00:00Z', { repo: 'huge', dur_ms: Number.MAX_SAFE_INTEGER }),
    ];
    expect(wrong(lines).latency_24h).toEqual([
      { repo: 'Zero', p50_ms: 0, p95_ms: 0, max_ms: 0 },
      { repo: 'huge', p50_ms: 255 * 2 ** 45, p95_ms: 255 * 2 ** 45, max_ms: Number.MAX_SAFE_INTEGER },
      { repo: 'lat', p50_ms: 510, p95_ms: 65280, max_ms: 65535 },
      { repo: 'ranks', p50_ms: 1008, p95_ms: 1016, max_ms: 1020 },
    ]);
  });
});

describe('top_errors_24h', () => {
  const lines = [
    failed('2026-05-19T12:59:59Z', '503 SlowDown'), // before the window
    failed('2026-05-20T12:30:01Z', '503 SlowDown'), // after NOW
    failed('2026-05-19T13:00:00Z', '503 SlowDown', { repo: 'a' }),
    failed('2026-05-20T01:00:00Z', '503 SlowDown', { repo: 'b' }),
    failed('2026-05-20T00:00:00Z', '503 SlowDown', { repo: 'a' }), // out of order: last_ts is 01:00
    // A chain counts under its outermost message, with the lone string.
    failed('2026-05-20T02:00:00Z', ['push failed: upload state.tar', 'read ECONNRESET'], { repo: 'c' }),
    failed('2026-05-20T02:10:00Z', ['push failed: upload state.tar', 'socket hang up'], { repo: 'c' }),
    failed('2026-05-20T03:00:00.250Z', 'push failed: upload state.tar', { repo: 'd' }),
    // ok:false without error, with an empty one, or an empty chain: no error text.
    failed('2026-05-20T04:00:00Z', undefined),
    failed('2026-05-20T04:01:00Z', ''),
    failed('2026-05-20T04:02:00Z', []),
    // Successes, whatever their error field says, are not failures.
    row('2026-05-20T05:00:00Z', { error: 'ignored: ok is true' }),
    row('2026-05-20T05:00:00Z', { ok: undefined, error: [] }),
    // Singles: code-unit order puts upper case before lower case, and é after z.
    ...['été', 'alpha', 'Zeta', 'E6', 'E5', 'E4', 'E3', 'E2', 'E1'].map((e, i) => failed(`2026-05-20T06:0${i}:00Z`, e)),
  ];

  it('counts failures by outermost message, most first then code-unit order, at most 10', () => {
    expect(wrong(lines).top_errors_24h).toEqual([
      { error: '(no error text)', count: 3, repos: 1, last_ts: '2026-05-20T04:02:00Z' },
      { error: '503 SlowDown', count: 3, repos: 2, last_ts: '2026-05-20T01:00:00Z' },
      { error: 'push failed: upload state.tar', count: 3, repos: 2, last_ts: '2026-05-20T03:00:00.250Z' },
      ...['E1', 'E2', 'E3', 'E4', 'E5', 'E6', 'Zeta'].map((e, i) => ({ error: e, count: 1, repos: 1, last_ts: `2026-05-20T06:0${8 - i}:00Z` })),
    ]);
  });
});

describe('trend: the last 7d against the 7 days before', () => {
  const big = Number.MAX_SAFE_INTEGER;
  const lines = [
    // One successful push a day, 1000 × the day of the month bytes, from 05-05 to 05-21; 05-08 fails.
    ...Array.from({ length: 17 }, (_, i) => {
      const day = 5 + i;
      const ts = `2026-05-${String(day).padStart(2, '0')}T06:00:00Z`;
      return day === 8 ? failed(ts, 'x', { bytes: 8000 }) : row(ts, { bytes: 1000 * day });
    }),
    failed('2026-05-10T07:00:00Z', 'x'), // prev: failed
    failed('2026-05-15T07:00:00Z', 'x', { op: 'pull', bytes: 999_999 }), // 7d: failed, no bytes
    row('2026-05-13T23:59:59.999Z', { op: 'pull', bytes: 5 }), // the last instant of prev
    row('2026-05-14T00:00:00Z', { op: 'pull', bytes: 7 }), // the first instant of the 7d
    row('2026-05-16T08:00:00Z', { bytes: big }), // byte sums beyond 2^53 stay exact
    row('2026-05-16T09:00:00Z', { bytes: big }),
    row('2026-05-20T12:30:01Z', { bytes: 123 }), // after NOW
  ];

  it('ops, failed and successful bytes per window; cost summed exactly and rounded once', () => {
    expect(wrong(lines).trend).toEqual({
      // 7d: pushes of 05-14…05-20 (7), the failed pull, the 00:00 pull, the two big pushes.
      ops_7d: 11, failed_7d: 1, bytes_7d: 1000n * (14n + 15n + 16n + 17n + 18n + 19n + 20n) + 7n + 2n * BigInt(big),
      // prev: 05-07…05-13 (7, 05-08 failed), the failed 05-10 push, the 23:59:59.999 pull.
      ops_prev_7d: 9, failed_prev_7d: 2, bytes_prev_7d: 1000n * (7n + 9n + 10n + 11n + 12n + 13n) + 5n,
      // One tenant: each day with a success carries 500/31 cents (May); 7 days = 3500/31 = 112.9…
      // → 113; prev has no success on 05-08: 3000/31 = 96.8… → 97 (not 6 × round(16.1) = 96).
      cost_7d_usd_cents: 113n, cost_prev_7d_usd_cents: 97n,
    });
  });
});

describe('health', () => {
  const fresh = [row('2026-05-20T12:00:00Z', { machine: 'm1' }), row('2026-05-20T12:10:00Z', { machine: 'm2' })];
  const health = (lines: string[], now = NOW_MS): WhatIsWrongNow['health'] => wrong(lines, now).health;

  it('ok: every machine pushed within 24h, nothing rejected, no open alert; newest row and its age', () => {
    expect(health([...fresh, row('2026-05-20T12:31:00Z', { machine: 'm3' })])).toEqual({
      level: 'ok', newest_row_ts: '2026-05-20T12:10:00Z', newest_row_age_s: 1200, causes: [],
    });
  });

  it('critical with an open alert (3 failures within 10 min, the last at NOW)', () => {
    const burst = ['12:20:00', '12:25:00', '12:30:00'].map((t) => failed(`2026-05-20T${t}Z`, '503 SlowDown', { op: 'pull' }));
    expect(health([...fresh, ...burst])).toMatchObject({ level: 'critical', causes: ['open-alerts'], newest_row_age_s: 0 });
  });

  it('a stale machine: last successful push more than 24h before NOW, or never; exactly 24h is not stale', () => {
    expect(health([...fresh, row('2026-05-19T12:30:00Z', { machine: 'm3' })]).level).toBe('ok');
    expect(health([...fresh, row('2026-05-19T12:29:59Z', { machine: 'm3' })])).toMatchObject({ level: 'warn', causes: ['stale-machine'] });
    expect(health([...fresh, row('2026-05-20T11:00:00Z', { machine: 'm3', op: 'pull' })])).toMatchObject({ level: 'warn', causes: ['stale-machine'] });
    expect(health([...fresh, failed('2026-05-20T11:00:00Z', 'x', { machine: 'm3' })])).toMatchObject({ level: 'warn', causes: ['stale-machine'] });
  });

  it('a rejected line takes the ts of the nearest valid row before it in its file; first in the file counts as the last 24h', () => {
    const old = row('2026-05-18T00:00:00Z', { machine: 'm2', op: 'pull' });
    // After an old row (in file order, though a fresh row follows): outside the 24h.
    expect(health([old, 'not json', ...fresh]).causes).toEqual([]);
    // After a row later than NOW: outside too.
    expect(health([...fresh, row('2026-05-21T00:00:00Z', { machine: 'm2' }), '{"ts":"bad"}']).causes).toEqual([]);
    // After a row in the window, or before any valid row.
    expect(health([...fresh, 'not json'])).toMatchObject({ level: 'warn', causes: ['rejected-24h'] });
    expect(health(['[1,2]', ...fresh])).toMatchObject({ level: 'warn', causes: ['rejected-24h'] });
    // At the window's first instant, H-23h.
    expect(health([row('2026-05-19T13:00:00Z', { machine: 'm2', op: 'pull' }), 'x', ...fresh]).causes).toEqual(['rejected-24h']);
    expect(health([row('2026-05-19T12:59:59.999Z', { machine: 'm2', op: 'pull' }), 'x', ...fresh]).causes).toEqual([]);
  });

  it('an old log: newest row more than 24h before NOW (stale machines too); exactly 24h is not old', () => {
    expect(health([row('2026-05-19T12:30:00Z')])).toEqual({ level: 'ok', newest_row_ts: '2026-05-19T12:30:00Z', newest_row_age_s: 86_400, causes: [] });
    expect(health([row('2026-05-19T12:29:59Z')])).toEqual({
      level: 'warn', newest_row_ts: '2026-05-19T12:29:59Z', newest_row_age_s: 86_401, causes: ['stale-machine', 'old-log'],
    });
    // A row after NOW is not the newest row "at or before NOW"; the age counts whole seconds.
    expect(health([row('2026-05-20T12:29:58.750Z'), row('2026-05-20T13:00:00Z')])).toMatchObject({ newest_row_ts: '2026-05-20T12:29:58.750Z', newest_row_age_s: 1 });
  });

  it('no valid row at or before NOW: null newest row, warn', () => {
    for (const lines of [[], ['not json'], [row('2026-05-20T12:30:01Z')]]) {
      expect(health(lines)).toMatchObject({ level: 'warn', newest_row_ts: null, newest_row_age_s: null });
      expect(health(lines).causes).toContain('old-log');
    }
  });
});

describe('the bench compares §3.1 strictly once the snapshot has `health`', () => {
  const dir = tempDir('oracle-health');
  const log = join(dir, 'log.ndjson');
  // warn: a rejected line before any valid row, and m1's last successful push is 2 days old.
  const lines = [
    'garbage first',
    failed('2026-05-20T10:00:00Z', ['push failed', 'ECONNRESET'], { dur_ms: 300, repo: 'api' }),
    row('2026-05-18T11:00:00Z', { dur_ms: 257 }),
    row('2026-05-20T12:00:00Z', { dur_ms: 1024, op: 'pull', bytes: 2000 }),
  ];

  /** The §3.1 fields as the product should write them (integers as JSON numbers). */
  function fieldsOf(w: WhatIsWrongNow, reasons: string[]): Record<string, unknown> {
    const { causes: _causes, ...health } = w.health;
    const numbers = (o: object): unknown => JSON.parse(JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)));
    return { health: { ...health, reasons }, top_errors_24h: numbers(w.top_errors_24h), latency_24h: numbers(w.latency_24h), trend: numbers(w.trend) };
  }

  it('the product\'s snapshot agrees with the oracle; any missing or different field is a difference', async () => {
    ensureBuilt();
    writeFileSync(log, `${lines.join('\n')}\n`);
    const state = join(dir, 'state');
    mkdirSync(state, { recursive: true });
    const r = await runCli(['run', log, '--now', NOW, '--state', state, '--no-progress']);
    expect(r.code, r.stderr).toBe(0);
    const expected = await computeOracleFromFile(log, { now: NOW_MS });
    const w = expected.whatIsWrong;
    expect(w.health).toEqual({ level: 'warn', newest_row_ts: '2026-05-20T12:00:00Z', newest_row_age_s: 1800, causes: ['stale-machine', 'rejected-24h'] });
    expect(w.top_errors_24h).toEqual([{ error: 'push failed', count: 1, repos: 1, last_ts: '2026-05-20T10:00:00Z' }]);
    expect(w.trend).toMatchObject({ ops_7d: 3, failed_7d: 1, bytes_7d: 2100n });

    const snapshotPath = join(state, 'log', 'sync-summary.json');
    const product = JSON.parse(readFileSync(snapshotPath, 'utf8')) as Record<string, unknown>;
    const compare = (snapshot: Record<string, unknown>): { diffs: string[]; deviations: string[] } => {
      writeFileSync(snapshotPath, JSON.stringify(snapshot));
      return diffStateWithOracle(expected, state);
    };
    const good = { ...product, ...fieldsOf(w, ['m1 has not pushed successfully for 2 days', '1 rejected line in the last 24h']) };

    expect(compare(product).diffs).toEqual([]);
    const ok = compare(good);
    expect(ok.diffs).toEqual([]);
    expect(ok.deviations).toEqual([]);

    const { trend: _trend, ...noTrend } = good;
    expect(compare(noTrend).diffs).toEqual(['snapshot has no `trend` (what is wrong now)']);
    const health = good.health as Record<string, unknown>;
    expect(compare({ ...good, health: { ...health, level: 'ok' } }).diffs).toEqual(['snapshot health.level: got "ok", expected "warn"']);
    expect(compare({ ...good, health: { ...health, reasons: [] } }).diffs).toEqual([
      'snapshot health.reasons: empty, expected a reason for level warn (stale-machine, rejected-24h)',
    ]);
    expect(compare({ ...good, health: { ...health, newest_row_age_s: 1800.5, extra: 1 } }).diffs).toEqual([
      'snapshot health.newest_row_age_s: got 1800.5, expected 1800',
      'snapshot health: unexpected ["extra"]',
    ]);
    const latency = good.latency_24h as Array<Record<string, unknown>>;
    expect(latency).toEqual([{ repo: 'api', p50_ms: 300, p95_ms: 300, max_ms: 300 }, { repo: 'web', p50_ms: 1024, p95_ms: 1024, max_ms: 1024 }]);
    expect(compare({ ...good, latency_24h: [latency[0], { ...latency[1], p95_ms: 1023 }] }).diffs).toEqual(['snapshot latency_24h[1].p95_ms: got 1023, expected 1024']);
    expect(compare({ ...good, latency_24h: [] }).diffs).toEqual(['snapshot latency_24h: 0 entries, expected 2']);
    const top = good.top_errors_24h as Array<Record<string, unknown>>;
    expect(compare({ ...good, top_errors_24h: [{ ...top[0], error: 'ECONNRESET' }] }).diffs).toEqual(['snapshot top_errors_24h[0].error: got "ECONNRESET", expected "push failed"']);
  });

  it('an old or empty log needs a reason that suggests `--now latest`; reasons are otherwise free text', () => {
    const w = wrong([row('2026-05-18T00:00:00Z')]);
    expect(w.health.causes).toEqual(['stale-machine', 'old-log']);
    // As parseJsonExact reads a snapshot: integers are bigints.
    const snapshotHealth = (reasons: unknown): unknown => ({ level: 'warn', newest_row_ts: '2026-05-18T00:00:00Z', newest_row_age_s: 217_800n, reasons });
    expect(diffWhatIsWrongNowField('health', w, snapshotHealth(['no rows in the last 60 hours; try --now latest']))).toEqual([]);
    expect(diffWhatIsWrongNowField('health', w, snapshotHealth(['no rows in the last 60 hours']))).toEqual([
      'health.reasons: ["no rows in the last 60 hours"] do not suggest `--now latest` (newest row "2026-05-18T00:00:00Z")',
    ]);
    expect(diffWhatIsWrongNowField('health', w, snapshotHealth('try --now latest'))).toEqual(['health.reasons: got "try --now latest", expected a list of strings']);
    const empty = wrong([]);
    expect(diffWhatIsWrongNowField('health', empty, { level: 'warn', newest_row_ts: null, newest_row_age_s: null, reasons: ['no rows at all: --now latest?'] })).toEqual([]);
    expect(diffWhatIsWrongNowField('health', empty, { level: 'warn', newest_row_ts: null, newest_row_age_s: 0n, reasons: [] })).toEqual([
      'health.newest_row_age_s: got 0, expected null',
      'health.reasons: empty, expected a reason for level warn (old-log)',
      'health.reasons: [] do not suggest `--now latest` (newest row null)',
    ]);
  });
});

describe('the oracle stays independent of the product', () => {
  it('bench/oracle*.ts import only node: modules and each other', () => {
    const files = readdirSync(join(REPO_ROOT, 'bench')).filter((f) => /^oracle.*\.ts$/.test(f));
    expect(files).toContain('oracle-health.ts');
    const specifiers = files.flatMap((f) => {
      const text = readFileSync(join(REPO_ROOT, 'bench', f), 'utf8');
      return [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms)].map((m) => [f, m[1]]);
    });
    expect(specifiers).toContainEqual(['oracle.ts', './oracle-health.js']);
    for (const [f, s] of specifiers) expect([f, s]).toEqual([f, expect.stringMatching(/^(node:|\.\/oracle(-[a-z]+)?\.js$)/)]);
  });
});
