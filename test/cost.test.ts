// SPEC §6 with hand-computed cents: base 500 / (days in month) per day, split pro rata among
// tenants with a successful row; 1 TiB egress allowance per calendar month used in ts order,
// then 1 cent per GiB; exact rationals rounded half up, sub-cent → 1; weekly totals rounded once.
import { describe, expect, it } from 'vitest';
import { aggregateRows, foldCost, initCost, weekCostView } from '../operators/metrics/cost-per-tenant-day.js';
import { rational, DEFAULT_PRICES, type Prices } from '../pipeline/core/money.js';
import { Engine } from '../pipeline/engine/engine.js';
import { LineSplitter } from '../pipeline/source/lines.js';
import { batch, engineConfig, fail, ms, row, rawRow, type RowSpec } from './core-helpers.js';
import { type Row } from '../pipeline/core/row.js';

const GiB = 2 ** 30;
const TiB = 2 ** 40;

function fold(rows: Row[], prices: Prices = DEFAULT_PRICES) {
  const s = initCost();
  // one row per batch and all in one batch must agree
  const s2 = initCost();
  for (const r of rows) foldCost(s, batch([r]), prices);
  foldCost(s2, batch(rows), prices);
  expect(s2).toEqual(s);
  return {
    state: s,
    rows: aggregateRows(s, prices).map((a) => ({ day: a.day, tenant: a.tenant_id, ops: a.ops, push: a.push_bytes, pull: a.pull_bytes, billable: a.billable_egress_bytes, cents: a.cost_usd_cents })),
    week: (nowIso: string) => weekCostView(s, prices, ms(nowIso)),
  };
}

const push = (ts: string, extra: Partial<RowSpec> = {}): Row => row({ ts, op: 'push', ...extra });
const pull = (ts: string, bytes: number, extra: Partial<RowSpec> = {}): Row => row({ ts, op: 'pull', bytes, ...extra });

describe('base share per day', () => {
  it('month boundary: Jan 31 carries 500/31 (16.13 → 16), Feb 1 2026 carries 500/28 (17.86 → 18)', () => {
    const f = fold([push('2026-01-31T23:59:59Z'), push('2026-02-01T00:00:00Z')]);
    expect(f.rows).toEqual([
      { day: '2026-01-31', tenant: 'default', ops: 1, push: 0, pull: 0, billable: 0, cents: 16 },
      { day: '2026-02-01', tenant: 'default', ops: 1, push: 0, pull: 0, billable: 0, cents: 18 },
    ]);
    // the week of Feb 1 (Jan 26 – Feb 1): 500/31 + 500/28 = 33.99 → 34
    expect(f.week('2026-02-01T12:00:00Z')).toEqual({ week_usd_cents: 34, by_tenant: [{ tenant_id: 'default', week_usd_cents: 34 }] });
  });

  it('28-day February 2026: 7 days = 7·500/28 = 125 exactly, though the 7 rows say 18 each (126)', () => {
    const rows = Array.from({ length: 28 }, (_, i) => push(`2026-02-${String(i + 1).padStart(2, '0')}T12:00:00Z`));
    const f = fold(rows);
    expect(f.rows).toHaveLength(28);
    expect(f.rows.every((r) => r.cents === 18)).toBe(true);
    expect(f.week('2026-02-07T12:00:00Z').week_usd_cents).toBe(125);
    // last week of February: Feb 22–28, again 125
    expect(f.week('2026-02-28T23:59:59Z').week_usd_cents).toBe(125);
    // week Feb 25 – Mar 3 with rows only in February: 4 · 500/28 = 71.43 → 71
    expect(f.week('2026-03-03T00:00:00Z').week_usd_cents).toBe(71);
  });

  it('leap February 2028: 500/29 a day (17.24 → 17); a week is 3500/29 = 120.69 → 121', () => {
    const rows = Array.from({ length: 7 }, (_, i) => push(`2028-02-${23 + i}T01:00:00Z`));
    const f = fold(rows);
    expect(f.rows.map((r) => [r.day, r.cents])).toEqual(Array.from({ length: 7 }, (_, i) => [`2028-02-${23 + i}`, 17]));
    expect(f.week('2028-02-29T12:00:00Z').week_usd_cents).toBe(121);
    // Feb 28 → Mar 1 2028: 500/29 vs 500/31
    const g = fold([push('2028-02-28T00:00:00Z'), push('2028-03-01T00:00:00Z')]);
    expect(g.rows.map((r) => r.cents)).toEqual([17, 16]);
  });

  it('split pro rata by successful push + pull bytes of the day', () => {
    // April: 50/3 a day. a: 100 + 200 = 300, b: 100 → a 12.5, b 4.17
    const f = fold([push('2026-04-16T01:00:00Z', { tenant: 'a', bytes: 100 }), pull('2026-04-16T02:00:00Z', 200, { tenant: 'a' }),
      push('2026-04-16T03:00:00Z', { tenant: 'b', bytes: 100 })]);
    expect(f.rows.map((r) => [r.tenant, r.cents])).toEqual([['a', 13], ['b', 4]]);
    expect(f.week('2026-04-16T12:00:00Z')).toEqual({ week_usd_cents: 17, by_tenant: [{ tenant_id: 'a', week_usd_cents: 13 }, { tenant_id: 'b', week_usd_cents: 4 }] });
  });

  it('equal split when all bytes are 0: three tenants get 50/9 = 5.56 → 6 each (18 summed, day is 16.67)', () => {
    const f = fold(['a', 'b', 'c'].map((t) => push('2026-04-16T05:00:00Z', { tenant: t, bytes: 0 })));
    expect(f.rows.map((r) => [r.tenant, r.cents])).toEqual([['a', 6], ['b', 6], ['c', 6]]);
    expect(f.week('2026-04-16T12:00:00Z').week_usd_cents).toBe(17);
  });

  it('failed rows do not share the base (and count as ops)', () => {
    const f = fold([push('2026-04-16T01:00:00Z', { tenant: 'a', bytes: 100 }), fail({ ts: '2026-04-16T02:00:00Z', op: 'pull', bytes: 10 ** 9, tenant: 'b' }),
      fail({ ts: '2026-04-16T02:30:00Z', op: 'push', bytes: 10 ** 9, tenant: 'b' })]);
    expect(f.rows).toEqual([
      { day: '2026-04-16', tenant: 'a', ops: 1, push: 100, pull: 0, billable: 0, cents: 17 },
      { day: '2026-04-16', tenant: 'b', ops: 2, push: 0, pull: 0, billable: 0, cents: 0 },
    ]);
    expect(f.week('2026-04-16T12:00:00Z').by_tenant).toEqual([{ tenant_id: 'a', week_usd_cents: 17 }, { tenant_id: 'b', week_usd_cents: 0 }]);
  });

  it('a sub-cent share rounds up to 1; exactly 0 stays 0', () => {
    const f = fold([push('2026-04-16T01:00:00Z', { tenant: 'tiny', bytes: 1 }), push('2026-04-16T01:00:00Z', { tenant: 'big', bytes: 10 ** 9 })]);
    expect(f.rows.map((r) => [r.tenant, r.cents])).toEqual([['big', 17], ['tiny', 1]]);
  });
});

describe('egress overage', () => {
  it('the 1 TiB allowance crossed mid-pull: 2 GiB of the second pull billed, 2 cents, to that pull\'s tenant and day', () => {
    const f = fold([
      pull('2026-04-01T10:00:00Z', TiB - GiB, { tenant: 'a' }),
      pull('2026-04-02T10:00:00Z', 3 * GiB, { tenant: 'b' }),
      pull('2026-04-03T10:00:00Z', 10, { tenant: 'c' }),
    ]);
    expect(f.rows).toEqual([
      { day: '2026-04-01', tenant: 'a', ops: 1, push: 0, pull: TiB - GiB, billable: 0, cents: 17 },
      // 50/3 + 2 = 18.67
      { day: '2026-04-02', tenant: 'b', ops: 1, push: 0, pull: 3 * GiB, billable: 2 * GiB, cents: 19 },
      // allowance gone: all 10 bytes billable (10/2^30 of a cent on top of 50/3)
      { day: '2026-04-03', tenant: 'c', ops: 1, push: 0, pull: 10, billable: 10, cents: 17 },
    ]);
    expect(f.state.allowanceUsed).toEqual({ '2026-04': TiB });
    // week: 3·50/3 + 2 + 10/2^30 = 52.00000001 → 52
    expect(f.week('2026-04-03T12:00:00Z').week_usd_cents).toBe(52);
  });

  it('a pull exactly using up the allowance bills nothing; pushes and failed pulls never use it', () => {
    const f = fold([
      push('2026-04-01T09:00:00Z', { bytes: 5 * TiB }),
      fail({ ts: '2026-04-01T09:30:00Z', op: 'pull', bytes: 4 * TiB }),
      pull('2026-04-01T10:00:00Z', TiB),
      pull('2026-04-01T11:00:00Z', 0),
    ]);
    expect(f.rows[0]).toMatchObject({ pull: TiB, billable: 0, cents: 17 });
    const g = fold([pull('2026-04-01T10:00:00Z', TiB), pull('2026-04-01T11:00:00Z', 1)]);
    expect(g.rows[0]).toMatchObject({ billable: 1 });
  });

  it('the allowance resets per calendar month (UTC)', () => {
    const f = fold([
      pull('2026-04-30T23:00:00Z', TiB + GiB),
      pull('2026-05-01T00:00:00Z', TiB),
      pull('2026-05-31T23:59:59Z', GiB / 2),
    ]);
    expect(f.rows).toEqual([
      // 50/3 + 1 = 17.67 → 18
      { day: '2026-04-30', tenant: 'default', ops: 1, push: 0, pull: TiB + GiB, billable: GiB, cents: 18 },
      // May: 500/31 = 16.13 → 16, fresh allowance
      { day: '2026-05-01', tenant: 'default', ops: 1, push: 0, pull: TiB, billable: 0, cents: 16 },
      // 500/31 + 0.5 = 16.63 → 17
      { day: '2026-05-31', tenant: 'default', ops: 1, push: 0, pull: GiB / 2, billable: GiB / 2, cents: 17 },
    ]);
  });

  it('the allowance is used up in ts order even when rows arrive out of order (within max-lateness)', () => {
    const engine = new Engine(engineConfig({ kind: 'fixed', ms: ms('2026-04-02T00:00:00Z') }));
    const lines = [
      rawRow({ ts: '2026-04-01T10:02:00Z', op: 'pull', bytes: 3 * GiB, tenant: 'b' }),
      rawRow({ ts: '2026-04-01T10:00:00Z', op: 'pull', bytes: TiB - GiB, tenant: 'a' }),
    ].map((o) => JSON.stringify(o)).join('\n');
    const sp = new LineSplitter();
    engine.feed(sp.push(Buffer.from(`${lines}\n`)), 0, 'log.ndjson');
    engine.end(0);
    const rows = aggregateRows(engine.state.cost, DEFAULT_PRICES);
    expect(rows.map((r) => [r.tenant_id, r.billable_egress_bytes])).toEqual([['a', 0], ['b', 2 * GiB]]);
  });
});

describe('rounding of totals (SPEC §6: weekly totals summed exactly, rounded once)', () => {
  it('three aggregates of ⅓ cent each: every row says 1, the week total says 1', () => {
    // base 30 cents a month → 1 cent a day in April, split equally among three tenants.
    const prices: Prices = { ...DEFAULT_PRICES, baseCentsPerMonth: rational(30n) };
    const f = fold(['a', 'b', 'c'].map((t) => push('2026-04-16T05:00:00Z', { tenant: t })), prices);
    expect(f.rows.map((r) => r.cents)).toEqual([1, 1, 1]);
    const w = f.week('2026-04-16T12:00:00Z');
    expect(w.week_usd_cents).toBe(1);
    // per tenant, each week total is ⅓ cent: sub-cent, reported as 1
    expect(w.by_tenant).toEqual([
      { tenant_id: 'a', week_usd_cents: 1 }, { tenant_id: 'b', week_usd_cents: 1 }, { tenant_id: 'c', week_usd_cents: 1 },
    ]);
  });

  it('weekly total covers exactly the days [D-6d, D]; older days are left out', () => {
    const f = fold([push('2026-04-09T23:59:59Z'), push('2026-04-10T00:00:00Z'), push('2026-04-16T23:59:59Z')]);
    // only 04-10 and 04-16: 2 · 50/3 = 33.33 → 33
    expect(f.week('2026-04-16T00:00:00Z').week_usd_cents).toBe(33);
    // nothing in the week
    expect(f.week('2026-05-30T00:00:00Z')).toEqual({ week_usd_cents: 0, by_tenant: [] });
  });

  it('half a cent exactly rounds up: week of 1.5 cents → 2', () => {
    const prices: Prices = { ...DEFAULT_PRICES, baseCentsPerMonth: rational(45n) }; // April: 1.5 cents a day
    const f = fold([push('2026-04-16T05:00:00Z')], prices);
    expect(f.rows.map((r) => r.cents)).toEqual([2]);
    expect(f.week('2026-04-16T12:00:00Z').week_usd_cents).toBe(2);
  });
});
