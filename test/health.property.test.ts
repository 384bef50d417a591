// Properties of the §3.1 outputs: the latency bucket rule against a BigInt reference, every
// §3.1 field against a direct computation over the lines (any chunking, any arrival order for
// the order-free parts, rejected lines dated by the valid row before them), the whole snapshot
// independent of arrival order within the lateness window, and a wall-clock NOW that moves
// (follow mode) agreeing with a batch at each NOW.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Engine } from '../pipeline/engine/engine.js';
import { LineSplitter } from '../pipeline/source/lines.js';
import { buildSnapshot } from '../pipeline/engine/snapshot.js';
import { endPreview } from '../pipeline/engine/session.js';
import { configKey, decodeCheckpoint, encodeCheckpoint } from '../pipeline/state/checkpoint.js';
import { formatTs, STALE_MACHINE_MS, type NowPolicy } from '../pipeline/core/time.js';
import { latencyBucket } from '../operators/metrics/latency-24h.js';
import { NO_ERROR_TEXT, TOP_ERRORS } from '../operators/metrics/top-errors-24h.js';
import { DAY, HOUR, MIN, engineConfig, ms, rawRow, splitAt } from './core-helpers.js';

/** SPEC §3.1 read literally, in BigInt: v < 256 its own bucket; else clear all but the top 8 bits. */
function bucketReference(v: number): number {
  const b = BigInt(v);
  if (b < 256n) return v;
  const e = BigInt(b.toString(2).length - 1);
  const unit = 1n << (e - 7n);
  return Number((b / unit) * unit);
}

describe('latencyBucket (integer math, no floating log2)', () => {
  it('equals the BigInt reference for every value below 2^17, and bounds the relative error below 0.8%', () => {
    for (let v = 0; v < 2 ** 17; v++) {
      const b = latencyBucket(v);
      if (b !== bucketReference(v)) expect(b, `v = ${v}`).toBe(bucketReference(v));
      if (b > v || (v - b) * 128 > v) expect.fail(`v = ${v}: bucket ${b} is not within 1/128 below it`);
    }
  });
  it('equals the reference at and around every power of two up to 2^53', () => {
    for (let e = 0; e <= 53; e++) {
      for (const d of [-2, -1, 0, 1, 2]) {
        const v = 2 ** e + d;
        if (v < 0 || v > Number.MAX_SAFE_INTEGER) continue;
        expect(latencyBucket(v), `v = 2^${e}${d >= 0 ? '+' : ''}${d}`).toBe(bucketReference(v));
      }
    }
  });
  it('equals the reference for any safe integer', () => {
    fc.assert(fc.property(fc.maxSafeNat(), (v) => latencyBucket(v) === bucketReference(v)), { numRuns: 20_000 });
  });
});

// ---- engine-level ------------------------------------------------------------------------------

const NOW = ms('2026-04-16T19:30:00Z');
const CLOCK = ms('2026-04-20T00:00:00Z');
const L = 5 * MIN;

interface Gen {
  t: number;
  op: 'push' | 'pull';
  failed: boolean;
  /** The outermost error text the row's failure carries ('' = none). */
  errorOf: string;
  form: Record<string, unknown>;
  bytes: number;
  dur: number;
  repo: string;
  machine: string;
}

/** How a failure's error is spelled: the outermost message is what counts. */
const failForms: Array<(m: string) => Record<string, unknown>> = [
  (m) => ({ error: m }),
  (m) => ({ error: [m, 'cause'] }),
  (m) => ({ ok: false, error: m }),
  () => ({ ok: false }),
  () => ({ ok: false, error: [] }),
  () => ({ ok: false, error: '' }),
];

const genRow = fc.record({
  t: fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: -30 * HOUR, max: 0 }).map((d) => NOW + d) },
    { weight: 3, arbitrary: fc.integer({ min: -15 * DAY, max: 0 }).map((d) => NOW + d) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 * HOUR }).map((d) => NOW + d) },
  ),
  op: fc.constantFrom('push' as const, 'pull' as const),
  failed: fc.boolean(),
  message: fc.constantFrom('timeout', 'Timeout', '403 Forbidden', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k'),
  formIndex: fc.nat(),
  bytes: fc.oneof(fc.nat({ max: 5000 }), fc.constantFrom(2 ** 52, 2 ** 53 - 1)),
  dur: fc.oneof(fc.nat({ max: 300 }), fc.nat({ max: 100_000 }), fc.constantFrom(255, 256, 511, 512, 513, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1)),
  repo: fc.constantFrom('alpha', 'beta', 'Gamma'),
  machine: fc.constantFrom('m1', 'm2', 'm3'),
});

/** A row, or (garbage) a line that is rejected. */
const genLine = fc.oneof({ weight: 9, arbitrary: genRow.map((r) => ({ row: r })) }, { weight: 1, arbitrary: fc.constantFrom('not json', '{"ts":1}', '[]').map((g) => ({ garbage: g })) });

type Line = { row: Gen } | { garbage: string };

type RawGen = typeof genRow extends fc.Arbitrary<infer T> ? T : never;

function gen(r: RawGen): Gen {
  const form = r.failed ? failForms[r.formIndex % failForms.length]!(r.message) : {};
  const e = form.error;
  const errorOf = !r.failed ? '' : typeof e === 'string' ? e : Array.isArray(e) && e.length > 0 ? String(e[0]) : '';
  return { t: r.t, op: r.op, failed: r.failed, errorOf, form, bytes: r.bytes, dur: r.dur, repo: r.repo, machine: r.machine };
}

const genLines = fc.array(genLine, { minLength: 1, maxLength: 50 }).map((ls) => ls.map((l): Line => ('row' in l ? { row: gen(l.row) } : l)));

function textOf(l: Line, i: number): string {
  if ('garbage' in l) return l.garbage;
  const g = l.row;
  return JSON.stringify(rawRow({ ts: formatTs(g.t), op: g.op, bytes: g.bytes, repo: g.repo, machine: g.machine, dur_ms: g.dur, seq: i, ...g.form }));
}

function snapshotOf(lines: readonly Line[], policy: NowPolicy, cuts: number[] = [], clock = CLOCK) {
  const engine = new Engine(engineConfig(policy));
  const sp = new LineSplitter();
  for (const ch of splitAt(Buffer.from(`${lines.map(textOf).join('\n')}\n`), cuts)) engine.feed(sp.push(ch), clock, 'log.ndjson');
  const now = engine.end(clock);
  const { generated_at: _g, ...snap } = buildSnapshot(engine.state, engine.config.prices, now, clock);
  return snap;
}

const byCode = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** SPEC §3.1 computed directly from the lines (brute force: every value kept and sorted). */
function reference(lines: readonly Line[], now: number) {
  const H = Math.floor(now / HOUR);
  const D = Math.floor(now / DAY);
  const rows = lines.flatMap((l) => ('row' in l ? [l.row] : []));
  const vis = rows.filter((r) => r.t <= now);
  const in24 = (t: number): boolean => t >= (H - 23) * HOUR && t <= now;
  const day = (r: Gen): number => Math.floor(r.t / DAY);

  const groups = new Map<string, Gen[]>();
  for (const r of vis) {
    if (!r.failed || !in24(r.t)) continue;
    const m = r.errorOf === '' ? NO_ERROR_TEXT : r.errorOf;
    groups.set(m, [...(groups.get(m) ?? []), r]);
  }
  const top_errors_24h = [...groups]
    .sort(([ma, a], [mb, b]) => b.length - a.length || byCode(ma, mb))
    .slice(0, TOP_ERRORS)
    .map(([error, rs]) => ({ error, count: rs.length, repos: new Set(rs.map((r) => r.repo)).size, last_ts: formatTs(Math.max(...rs.map((r) => r.t))) }));

  const latency_24h = [...new Set(vis.filter((r) => in24(r.t)).map((r) => r.repo))].sort(byCode).map((repo) => {
    const values = vis.filter((r) => r.repo === repo && in24(r.t)).map((r) => r.dur).sort((a, b) => a - b);
    const max = values[values.length - 1]!;
    const at = (p: number): number => Math.min(bucketReference(values[Math.ceil((p * values.length) / 100) - 1]!), max);
    return { repo, p50_ms: at(50), p95_ms: at(95), max_ms: max };
  });

  const sumBig = (rs: Gen[]): number | bigint => {
    const s = rs.reduce((a, r) => a + BigInt(r.bytes), 0n);
    return s <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(s) : s;
  };
  const week = vis.filter((r) => day(r) >= D - 6 && day(r) <= D);
  const prev = vis.filter((r) => day(r) >= D - 13 && day(r) < D - 6);
  const trendCounts = {
    ops_7d: week.length,
    ops_prev_7d: prev.length,
    failed_7d: week.filter((r) => r.failed).length,
    failed_prev_7d: prev.filter((r) => r.failed).length,
    bytes_7d: sumBig(week.filter((r) => !r.failed)),
    bytes_prev_7d: sumBig(prev.filter((r) => !r.failed)),
  };

  // A rejected line takes the ts of the nearest valid row before it; none → always in the window.
  let before: number | null = null;
  let rejects = 0;
  for (const l of lines) {
    if ('row' in l) before = l.row.t;
    else if (before === null || in24(before)) rejects++;
  }
  const newest = vis.length === 0 ? null : Math.max(...vis.map((r) => r.t));
  const machines = [...new Set(vis.map((r) => r.machine))];
  const stale = machines.filter((m) => {
    const ok = vis.filter((r) => r.machine === m && r.op === 'push' && !r.failed).map((r) => r.t);
    return ok.length === 0 || now - Math.max(...ok) > STALE_MACHINE_MS;
  });
  return { top_errors_24h, latency_24h, trendCounts, rejects, newest, stale };
}

const policies: Array<[string, NowPolicy]> = [['fixed NOW', { kind: 'fixed', ms: NOW }], ['--now latest', { kind: 'latest' }]];

describe.each(policies)('§3.1 outputs (%s)', (_name, policy) => {
  it('top errors, latency, trend counts and health equal a direct computation, for any chunking and arrival order of rows', () => {
    fc.assert(
      fc.property(genLines, fc.array(fc.nat(), { maxLength: 60 }), fc.array(fc.nat(), { maxLength: 6 }), (lines, keys, cuts) => {
        const order = lines.map((l, i) => ({ l, k: keys[i] ?? i })).sort((a, b) => a.k - b.k).map((x) => x.l);
        const snap = snapshotOf(order, policy, cuts);
        const now = Date.parse(snap.now);
        const ref = reference(order, now);
        expect(snap.top_errors_24h).toEqual(ref.top_errors_24h);
        expect(snap.latency_24h).toEqual(ref.latency_24h);
        const { cost_7d_usd_cents: _c, cost_prev_7d_usd_cents: _p, ...counts } = snap.trend;
        expect(counts).toEqual(ref.trendCounts);
        expect(snap.trend.cost_7d_usd_cents).toBe(snap.cost.week_usd_cents);
        const h = snap.health;
        expect(h.newest_row_ts).toBe(ref.newest === null ? null : formatTs(ref.newest));
        expect(h.newest_row_age_s).toBe(ref.newest === null ? null : Math.floor((now - ref.newest) / 1000));
        const old = ref.newest === null || now - ref.newest > DAY;
        const want = snap.alerts.open.length > 0 ? 'critical' : old || ref.stale.length > 0 || ref.rejects > 0 ? 'warn' : 'ok';
        expect(h.level).toBe(want);
        expect(h.reasons.some((r) => r.includes('try --now latest'))).toBe(old);
        expect(h.reasons.some((r) => r.includes('rejected line'))).toBe(ref.rejects > 0);
        if (ref.rejects > 0) expect(h.reasons).toContain(`${ref.rejects} rejected line${ref.rejects === 1 ? '' : 's'} in the last 24h (see sync-events.rejects.ndjson)`);
        expect(h.reasons.some((r) => r.includes('stale machine'))).toBe(ref.stale.length > 0);
        expect(h.reasons.length).toBeLessThanOrEqual(5);
      }),
      { numRuns: 200 },
    );
  });

  it('the whole snapshot equals the ts-sorted run while no row is later than max-lateness', () => {
    const rowsOnly = genLines.map((ls) => ls.filter((l): l is { row: Gen } => 'row' in l)).filter((ls) => ls.length > 0);
    fc.assert(
      fc.property(rowsOnly, fc.array(fc.integer({ min: 0, max: L }), { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { maxLength: 6 }), (lines, jitter, cuts) => {
        const arrival = lines.map((l, i) => ({ l, k: l.row.t + (jitter[i % jitter.length] ?? 0) })).sort((a, b) => a.k - b.k).map((x) => x.l);
        const sorted = arrival.map((l, i) => ({ l, i })).sort((a, b) => a.l.row.t - b.l.row.t || a.i - b.i).map((x) => x.l);
        const got = snapshotOf(arrival, policy, cuts);
        const want = snapshotOf(sorted, policy);
        expect(got.rows.late).toBe(0);
        expect({ ...got, rows: null }).toEqual({ ...want, rows: null });
      }),
      { numRuns: 150 },
    );
  });
});

/** The rows put in ts order, rejected lines left where they are: no row is late, however it is held. */
function inTsOrder(lines: readonly Line[]): Line[] {
  const rows = lines.filter((l): l is { row: Gen } => 'row' in l).sort((a, b) => a.row.t - b.row.t);
  let k = 0;
  return lines.map((l) => ('row' in l ? rows[k++]! : l));
}

describe('follow mode: a wall-clock NOW that moves', () => {
  it('a rejected line after a row ahead of the clock counts once the clock reaches that row (same hour too)', () => {
    const row = (t: number): Line => ({ row: { t, op: 'push', failed: false, errorOf: '', form: {}, bytes: 1, dur: 1, repo: 'r', machine: 'm' } });
    const lines: Line[] = [row(NOW - MIN), row(NOW + 10 * MIN), { garbage: 'not json' }];
    const live = new Engine(engineConfig({ kind: 'wall' }));
    const sp = new LineSplitter();
    live.feed(sp.push(Buffer.from(`${lines.map(textOf).join('\n')}\n`)), NOW, 'log.ndjson');
    const at = (clock: number) => {
      const pv = endPreview(live, clock);
      return buildSnapshot(pv.engine.state, pv.engine.config.prices, pv.now, clock).health;
    };
    expect(at(NOW)).toMatchObject({ level: 'ok', newest_row_ts: formatTs(NOW - MIN), newest_row_age_s: 60 });
    expect(at(NOW + 10 * MIN - 1).level).toBe('ok');
    expect(at(NOW + 10 * MIN)).toMatchObject({ level: 'warn', reasons: ['1 rejected line in the last 24h (see sync-events.rejects.ndjson)'], newest_row_age_s: 0 });
  });

  it('each tick shows what a batch with that NOW shows; rows and rejected lines ahead of the clock wait for it', () => {
    fc.assert(
      fc.property(genLines.map(inTsOrder), fc.array(fc.integer({ min: 0, max: 3 * HOUR }), { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 4 }), (lines, steps, cuts) => {
        const chunks = splitAt(Buffer.from(`${lines.map(textOf).join('\n')}\n`), cuts);
        const live = new Engine(engineConfig({ kind: 'wall' }));
        const sp = new LineSplitter();
        let clock = NOW - 2 * HOUR;
        let fed = 0;
        let complete = 0;
        for (const step of steps) {
          clock += step;
          if (fed < chunks.length) {
            const chunk = chunks[fed++]!;
            for (const b of chunk) if (b === 10) complete++;
            live.feed(sp.push(chunk), clock, 'log.ndjson');
          }
          const pv = endPreview(live, clock);
          const { generated_at: _g, ...got } = buildSnapshot(pv.engine.state, pv.engine.config.prices, pv.now, clock);
          const want = snapshotOf(lines.slice(0, complete), { kind: 'fixed', ms: clock }, [], clock);
          expect(got.now).toBe(want.now);
          expect(got.health).toEqual(want.health);
          expect(got.top_errors_24h).toEqual(want.top_errors_24h);
          expect(got.latency_24h).toEqual(want.latency_24h);
          expect(got.trend).toEqual(want.trend);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('restart: what a rejected line needs survives the checkpoint', () => {
  const okRow = (t: number): Line => ({ row: { t, op: 'push', failed: false, errorOf: '', form: {}, bytes: 1, dur: 1, repo: 'r', machine: 'm' } });
  /** Feeds `first`, saves and reloads a checkpoint (the file round trip), feeds `second` to the new process, ends at `end`. */
  function twoProcesses(policy: NowPolicy, first: Line[], second: Line[], clocks: { first: number; end: number }) {
    const config = engineConfig(policy);
    const a = new Engine(config);
    const sp = new LineSplitter();
    a.feed(sp.push(Buffer.from(`${first.map(textOf).join('\n')}\n`)), clocks.first, 'log.ndjson');
    const text = encodeCheckpoint({
      config: configKey(config),
      input: { kind: 'file', path: '/log', fingerprint: null, offset: sp.consumed, line: sp.lineNumber },
      rejects_bytes: 0,
      resolved_history: { bytes: 0, ahead: [] },
      engine: a.state,
    }, clocks.first);
    const b = new Engine(config, decodeCheckpoint(text).engine);
    const sp2 = new LineSplitter();
    b.feed(sp2.push(Buffer.from(`${second.map(textOf).join('\n')}\n`)), clocks.end, 'log.ndjson');
    const now = b.end(clocks.end);
    return buildSnapshot(b.state, config.prices, now, clocks.end).health;
  }

  it('the ts of the last row before the cut: a stray line right after a restart is dated by it (here: 3 days old, so not in the 24h)', () => {
    const h = twoProcesses({ kind: 'fixed', ms: NOW }, [okRow(NOW - 3 * DAY)], [{ garbage: 'not json' }, okRow(NOW - MIN)], { first: CLOCK, end: CLOCK });
    expect(h.reasons.filter((r) => r.includes('rejected'))).toEqual([]);
    expect(twoProcesses({ kind: 'fixed', ms: NOW }, [], [{ garbage: 'not json' }, okRow(NOW - MIN)], { first: CLOCK, end: CLOCK }).reasons)
      .toContain('1 rejected line in the last 24h (see sync-events.rejects.ndjson)');
  });

  it('a rejected line held ahead of a wall-clock NOW: counted once a later process reaches its ts', () => {
    const h = twoProcesses({ kind: 'wall' }, [okRow(NOW - MIN), okRow(NOW + 10 * MIN), { garbage: 'not json' }], [], { first: NOW, end: NOW + 20 * MIN });
    expect(h.reasons).toEqual(['1 rejected line in the last 24h (see sync-events.rejects.ndjson)']);
  });
});
