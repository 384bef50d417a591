// SPEC §6 as a property: an independent formulation of cost telemetry written from the SPEC text
// alone (BigInt fractions; the 1 TiB monthly allowance consumed literally, successful pull by
// successful pull, in ts order; weekly totals summed exactly and rounded once), checked against
// the BUILT CLI run as a child process over random logs: month boundaries, allowance crossings,
// several tenants, failed rows, rows sharing a ts, a few swapped neighbours. It reads only the
// outputs the SPEC names (evals.aggregate.ndjson, the snapshot's `cost`), no internal module.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli, tempDir } from './core-helpers.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const GiB = 2 ** 30;
const TiB = 2 ** 40;

// ---- the formulation -------------------------------------------------------------------------

/** An exact non-negative rational, always in lowest terms. */
class Q {
  readonly n: bigint;
  readonly d: bigint;
  constructor(n: bigint, d = 1n) {
    let [a, b] = [n, d];
    while (b !== 0n) [a, b] = [b, a % b];
    this.n = a === 0n ? 0n : n / a;
    this.d = a === 0n ? 1n : d / a;
  }
  plus(o: Q): Q {
    return new Q(this.n * o.d + o.n * this.d, this.d * o.d);
  }
  times(o: Q): Q {
    return new Q(this.n * o.n, this.d * o.d);
  }
  /** §6: nearest cent, half up; any positive amount under one cent is 1; exactly 0 stays 0. */
  cents(): bigint {
    if (this.n === 0n) return 0n;
    if (this.n < this.d) return 1n;
    return (2n * this.n + this.d) / (2n * this.d);
  }
}

interface LogRow {
  t: number;
  op: 'push' | 'pull';
  tenant: string;
  bytes: number;
  failed: boolean;
}

interface Aggregate {
  day: string;
  tenant_id: string;
  ops: bigint;
  push_bytes: bigint;
  pull_bytes: bigint;
  billable_egress_bytes: bigint;
  exact: Q;
}

const dayOf = (t: number): string => new Date(t).toISOString().slice(0, 10);
const daysInMonthOf = (day: string): bigint => {
  const [y, m] = day.split('-').map(Number) as [number, number];
  return BigInt(new Date(Date.UTC(y, m, 0)).getUTCDate()); // day 0 of the next month = the last of this one
};

/** What §6 says the outputs are, for rows in file order and a fixed NOW. */
function specCost(fileRows: readonly LogRow[], now: number) {
  // Rows after NOW are left out; the rest in ts order, equal ts in file order (§2).
  const rows = fileRows.filter((r) => r.t <= now).map((r, i) => ({ r, i })).sort((a, b) => a.r.t - b.r.t || a.i - b.i).map((x) => x.r);

  const aggs = new Map<string, Aggregate>();
  const agg = (r: LogRow): Aggregate => {
    const key = `${dayOf(r.t)}|${r.tenant}`;
    let a = aggs.get(key);
    if (a === undefined) {
      a = { day: dayOf(r.t), tenant_id: r.tenant, ops: 0n, push_bytes: 0n, pull_bytes: 0n, billable_egress_bytes: 0n, exact: new Q(0n) };
      aggs.set(key, a);
    }
    return a;
  };
  // The allowance, literally: what is left of this month's 1 TiB, spent by each successful pull in turn.
  const left = new Map<string, bigint>();
  for (const r of rows) {
    const a = agg(r);
    a.ops += 1n;
    if (r.failed) continue;
    if (r.op === 'push') {
      a.push_bytes += BigInt(r.bytes);
      continue;
    }
    a.pull_bytes += BigInt(r.bytes);
    const month = dayOf(r.t).slice(0, 7);
    const before = left.get(month) ?? BigInt(TiB);
    const covered = BigInt(r.bytes) < before ? BigInt(r.bytes) : before;
    left.set(month, before - covered);
    a.billable_egress_bytes += BigInt(r.bytes) - covered;
  }
  // Base share: 500 / (days in month) cents a day, among the tenants with a successful row that
  // day, pro rata to their successful push + pull bytes (equally when those are all 0).
  for (const day of new Set([...aggs.values()].map((a) => a.day))) {
    const sharers = [...aggs.values()].filter((a) => a.day === day && rows.some((r) => !r.failed && dayOf(r.t) === day && r.tenant === a.tenant_id));
    const total = sharers.reduce((s, a) => s + a.push_bytes + a.pull_bytes, 0n);
    for (const a of sharers) {
      const part = total === 0n ? new Q(1n, BigInt(sharers.length)) : new Q(a.push_bytes + a.pull_bytes, total);
      a.exact = a.exact.plus(new Q(500n, daysInMonthOf(day)).times(part));
    }
  }
  // Overage: 1 cent per GiB beyond the allowance.
  for (const a of aggs.values()) a.exact = a.exact.plus(new Q(a.billable_egress_bytes, BigInt(GiB)));

  // Weekly totals: the exact amounts of the last 7 days [D-6d, D+1d), summed, rounded once.
  const D = Math.floor(now / DAY);
  const inWeek = [...aggs.values()].filter((a) => Math.floor(Date.parse(`${a.day}T00:00:00Z`) / DAY) >= D - 6);
  const tenants = [...new Set(inWeek.map((a) => a.tenant_id))].sort();
  const sum = (list: Aggregate[]): bigint => list.reduce((s, a) => s.plus(a.exact), new Q(0n)).cents();
  return {
    aggregates: [...aggs.values()]
      .map(({ exact, ...a }) => ({ ...a, cost_usd_cents: exact.cents() }))
      .sort((x, y) => (x.day + x.tenant_id < y.day + y.tenant_id ? -1 : 1)),
    week: { week_usd_cents: sum(inWeek), by_tenant: tenants.map((t) => ({ tenant_id: t, week_usd_cents: sum(inWeek.filter((a) => a.tenant_id === t)) })) },
  };
}

// ---- random logs -----------------------------------------------------------------------------

/** Just before a month's end, so most logs cross into the next month (Feb 2024 is a leap one). */
const ANCHORS = ['2026-01-31T22:00:00Z', '2026-02-28T23:30:00Z', '2024-02-29T23:00:00Z', '2026-04-30T20:00:00Z', '2026-12-31T23:59:00Z'].map(Date.parse);
/** `undefined` leaves tenant_id out (so the row is `default`'s). */
const TENANTS = [undefined, 'default', 'acme', 'globex', 'Umbrella Corp'];

type Outcome = 'ok' | 'failed' | 'legacy-ok' | 'legacy-failed' | 'silent';
const OUTCOMES: Record<Outcome, { fields: Record<string, unknown>; failed: boolean }> = {
  ok: { fields: { ok: true }, failed: false },
  failed: { fields: { ok: false, error: ['pull failed', '503 SlowDown'] }, failed: true },
  'legacy-ok': { fields: { error: '' }, failed: false }, // an old client: no ok, empty error
  'legacy-failed': { fields: { error: 'connection reset' }, failed: true },
  silent: { fields: {}, failed: false },
};

const bytesArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 5_000_000 }) },
  // Two of these nearly fill the allowance; a third crosses it.
  { weight: 3, arbitrary: fc.integer({ min: -4 * GiB, max: 4 * GiB }).map((d) => TiB / 2 + d) },
  { weight: 2, arbitrary: fc.integer({ min: -4 * GiB, max: 4 * GiB }).map((d) => TiB + d) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, GiB / 2, GiB, TiB - 1, TiB, TiB + 1) },
);

/** Gap to the previous row: 0 (a shared ts), minutes (with milliseconds), or hours. */
const stepArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 180 * MIN }) },
  { weight: 2, arbitrary: fc.integer({ min: 2, max: 40 }).map((h) => h * HOUR) },
);

const logArb = fc.record({
  anchor: fc.constantFrom(...ANCHORS),
  lead: fc.integer({ min: 0, max: 3 * DAY }),
  rows: fc.array(
    fc.record({
      step: stepArb,
      op: fc.constantFrom<'push' | 'pull'>('push', 'pull', 'pull'),
      tenant: fc.constantFrom(...TENANTS),
      bytes: bytesArb,
      outcome: fc.constantFrom<Outcome>('ok', 'ok', 'ok', 'failed', 'legacy-ok', 'legacy-failed', 'silent'),
      swap: fc.boolean(),
    }),
    { minLength: 1, maxLength: 40 },
  ),
  /** NOW = the ts of one of the rows (later rows are left out), plus up to two days. */
  nowRow: fc.nat(),
  nowExtra: fc.integer({ min: 0, max: 2 * DAY }),
});

type LogSpec = typeof logArb extends fc.Arbitrary<infer T> ? T : never;
type Log = { lines: string[]; rows: LogRow[]; now: number };

function buildLog(g: LogSpec): Log {
  let t = g.anchor - g.lead;
  const rows = g.rows.map((r) => {
    t += r.step;
    return { ...r, t };
  });
  // Swap a few neighbours less than 4 min apart: out of order, yet within --max-lateness (5m).
  for (let i = 0; i + 1 < rows.length; i++) {
    const [a, b] = [rows[i]!, rows[i + 1]!];
    if (a.swap && b.t - a.t < 4 * MIN) [rows[i], rows[i + 1]] = [b, a];
  }
  const now = rows[g.nowRow % rows.length]!.t + g.nowExtra;
  return {
    now,
    lines: rows.map((r) =>
      JSON.stringify({
        ts: new Date(r.t).toISOString(), op: r.op, repo: 'snappy-os', scope: 'state', files: 1, bytes: r.bytes, dur_ms: 5,
        trigger: 'cron', machine: 'mbpro-rb', ...(r.tenant === undefined ? {} : { tenant_id: r.tenant }), ...OUTCOMES[r.outcome].fields,
      }),
    ),
    rows: rows.map((r) => ({ t: r.t, op: r.op, tenant: r.tenant ?? 'default', bytes: r.bytes, failed: OUTCOMES[r.outcome].failed })),
  };
}

// ---- the pipeline's outputs ------------------------------------------------------------------

const asBig = (v: unknown): bigint => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Error(`not a safe integer: ${String(v)}`);
  return BigInt(v);
};

async function pipelineCost(log: Log) {
  const dir = tempDir('syncscope-cost-prop-');
  try {
    const file = join(dir, 'sync-events.ndjson');
    writeFileSync(file, `${log.lines.join('\n')}\n`);
    const state = join(dir, 'state');
    const r = await runCli(['run', file, '--state', state, '--now', new Date(log.now).toISOString(), '--no-progress']);
    if (r.code !== 0) throw new Error(`run exited ${r.code}: ${r.stderr}`);
    const aggregates = readFileSync(join(state, 'log', 'evals.aggregate.ndjson'), 'utf8').split('\n').filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .map((o) => ({
        day: o.day, tenant_id: o.tenant_id, ops: asBig(o.ops), push_bytes: asBig(o.push_bytes), pull_bytes: asBig(o.pull_bytes),
        billable_egress_bytes: asBig(o.billable_egress_bytes), cost_usd_cents: asBig(o.cost_usd_cents),
      }))
      .sort((x, y) => (String(x.day) + String(x.tenant_id) < String(y.day) + String(y.tenant_id) ? -1 : 1));
    const cost = (JSON.parse(readFileSync(join(state, 'log', 'sync-summary.json'), 'utf8')) as { cost: { week_usd_cents: unknown; by_tenant: Array<{ tenant_id: unknown; week_usd_cents: unknown }> } }).cost;
    const week = { week_usd_cents: asBig(cost.week_usd_cents), by_tenant: cost.by_tenant.map((b) => ({ tenant_id: b.tenant_id, week_usd_cents: asBig(b.week_usd_cents) })) };
    return { aggregates, week };
  } finally {
    rmSync(dir, { recursive: true, force: true }); // each case's folder goes at once: 30+ runs
  }
}

const r = (step: number, op: 'push' | 'pull', tenant: string | undefined, bytes: number): LogSpec['rows'][number] =>
  ({ step, op, tenant, bytes, outcome: 'ok', swap: false });

/** Cases the SPEC singles out, run before the random ones (and counted in the coverage). */
const EXAMPLES: Array<[LogSpec]> = [
  // Two tenants' pulls at one ts cross the allowance, in both file orders: the one first in the
  // file (§2: a stable sort by ts) takes what is left of the allowance, the other pays overage.
  ...[['acme', 'globex'], ['globex', 'acme']].map(([first, second]): [LogSpec] => [{
    anchor: Date.parse('2026-03-31T23:00:00Z'), lead: 0, nowRow: 3, nowExtra: HOUR,
    rows: [r(0, 'pull', 'acme', TiB - 3 * GiB), r(30 * MIN, 'pull', first, 2 * GiB), r(0, 'pull', second, 2 * GiB + 7), r(0, 'push', undefined, 12_345)],
  }]),
  // A day whose successful rows move 0 bytes: its base is split equally (500/31/2 = 8.06 → 8).
  // The next day a 1-byte tenant's share is a tiny positive amount: it rounds up to 1 cent.
  [{
    anchor: Date.parse('2026-01-20T10:00:00Z'), lead: 0, nowRow: 4, nowExtra: 0,
    rows: [r(0, 'push', 'acme', 0), r(MIN, 'pull', 'globex', 0), r(DAY, 'push', 'acme', 1), r(0, 'push', 'globex', 1_000_000_000), r(HOUR, 'pull', 'globex', 5)],
  }],
];

/** What a log exercises, so the test shows it covered the cases it claims to (not only passed). */
function coverage(log: Log, expected: ReturnType<typeof specCost>): string[] {
  const kept = log.rows.filter((r) => r.t <= log.now);
  const weekRounded = expected.aggregates.filter((a) => Date.parse(`${a.day}T00:00:00Z`) >= (Math.floor(log.now / DAY) - 6) * DAY)
    .reduce((s, a) => s + a.cost_usd_cents, 0n);
  const cases: Array<[string, boolean]> = [
    ['allowance crossed', expected.aggregates.some((a) => a.billable_egress_bytes > 0n)],
    ['two months', new Set(kept.map((r) => dayOf(r.t).slice(0, 7))).size > 1],
    ['rows sharing a ts', new Set(kept.map((r) => r.t)).size < kept.length],
    ['failed rows', kept.some((r) => r.failed)],
    ['tenants sharing a day', new Set(expected.aggregates.map((a) => a.day)).size < expected.aggregates.length],
    ['rows after NOW', kept.length < log.rows.length],
    ['week total under the sum of rounded rows', expected.week.week_usd_cents < weekRounded],
    ['a day of 0 bytes split equally', new Set(expected.aggregates.filter((a) => a.ops > 0n && a.push_bytes + a.pull_bytes === 0n && a.cost_usd_cents > 1n).map((a) => a.day)).size > 0],
    ['a sub-cent share rounded up to 1', expected.aggregates.some((a) => a.push_bytes + a.pull_bytes === 1n && a.cost_usd_cents === 1n)],
  ];
  return cases.filter(([, hit]) => hit).map(([name]) => name);
}

describe('SPEC §6 cost, formulated independently, equals the CLI on random logs', () => {
  beforeAll(() => ensureBuilt(), 180_000);

  it('aggregates (exact, rounded per row) and weekly totals (summed exactly, rounded once)', async () => {
    const hits = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(logArb, async (g) => {
        const log = buildLog(g);
        const expected = specCost(log.rows, log.now);
        expect(await pipelineCost(log), `now ${new Date(log.now).toISOString()}, log:\n${log.lines.join('\n')}`).toEqual(expected);
        for (const c of coverage(log, expected)) hits.set(c, (hits.get(c) ?? 0) + 1);
      }),
      // ~0.5 s a run; a failure shrinks (more runs), bounded so the report still comes in time.
      { numRuns: 30, examples: EXAMPLES, interruptAfterTimeLimit: 150_000, markInterruptAsFailure: true },
    );
    expect([...hits.keys()].sort()).toEqual([
      'a day of 0 bytes split equally', 'a sub-cent share rounded up to 1', 'allowance crossed', 'failed rows', 'rows after NOW',
      'rows sharing a ts', 'tenants sharing a day', 'two months', 'week total under the sum of rounded rows',
    ]);
  }, 180_000);
});
