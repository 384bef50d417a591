import { type Prices, add, mul, rational, roundCents, ZERO, type Rational } from '../../pipeline/core/money.js';
import type { AggregateRow, WeekCost } from '../../pipeline/core/snapshot.js';
import { formatDay, DAY_MS, daysInMonth } from '../../pipeline/core/time.js';
import type { Batch } from '../../pipeline/core/batch.js';
import { addExact, type Exact } from '../../pipeline/core/exact.js';
import { seeded, foldBatches, dict, slotsOf } from '../fold.js';
import { FAILED, NAMES, PUSH } from '../../pipeline/core/columns.js';

/**
 * Cost per (tenant_id, UTC day), SPEC §6. The fold keeps exact integer facts per aggregate
 * (ops, successful bytes, egress billed beyond the monthly allowance, which is used up in ts
 * order); the view turns them into exact rational cents. Needs ts-ordered rows.
 */

const GIB = 2n ** 30n;

export interface Aggregate {
  ops: number;
  push_bytes: Exact;
  pull_bytes: Exact;
  billable_egress_bytes: Exact;
  /** Any successful row: the tenant shares that day's base. */
  active: boolean;
}

export interface CostState {
  /** day index → tenant → aggregate */
  days: Record<number, Record<string, Aggregate>>;
  /** "YYYY-MM" → egress bytes of the allowance used so far (capped at the allowance). */
  allowanceUsed: Record<string, number>;
}

export const initCost = (): CostState => ({ days: dict(), allowanceUsed: dict() });

function monthOfDay(day: number): { key: string; year: number; month: number } {
  const d = new Date(day * DAY_MS);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + 1;
  return { key: `${year}-${String(month).padStart(2, '0')}`, year, month };
}

export function foldCost(s: CostState, b: Batch, prices: Prices): void {
  const { flags, tenant, day: days, bytes: byteCol, length } = b.rows;
  const names = NAMES.list;
  const included = prices.includedEgressBytes;
  let lastDay = NaN;
  let month = '';
  let dayAggs: Record<string, Aggregate> = dict();
  let slots = slotsOf(dayAggs);
  let used = 0;
  let pulled = false;
  for (let i = 0; i < length; i++) {
    const day = days[i]!;
    if (day !== lastDay) {
      lastDay = day;
      dayAggs = s.days[day] ??= dict();
      slots = slotsOf(dayAggs);
      const next = monthOfDay(day).key;
      if (next !== month) {
        // The month's allowance is kept in a local while its rows last, written back when it changes.
        if (pulled) s.allowanceUsed[month] = used;
        month = next;
        used = s.allowanceUsed[month] ?? 0;
        pulled = false;
      }
    }
    const id = tenant[i]!;
    let a = slots[id];
    if (a === undefined) {
      slots[id] = a = dayAggs[names[id]!] ??= { ops: 0, push_bytes: 0, pull_bytes: 0, billable_egress_bytes: 0, active: false };
    }
    a.ops++;
    const f = flags[i]!;
    if ((f & FAILED) !== 0) continue;
    a.active = true;
    const bytes = byteCol[i]!;
    if ((f & PUSH) !== 0) {
      a.push_bytes = addExact(a.push_bytes, bytes);
      continue;
    }
    a.pull_bytes = addExact(a.pull_bytes, bytes);
    pulled = true;
    const left = included - used;
    if (bytes <= left) {
      used += bytes;
    } else {
      used = included;
      a.billable_egress_bytes = addExact(a.billable_egress_bytes, left > 0 ? bytes - left : bytes);
    }
  }
  if (pulled) s.allowanceUsed[month] = used;
}

export const costPerTenantDay = (prices: Prices, seed?: CostState) =>
  foldBatches(seeded(seed, initCost), (s: CostState, b: Batch) => foldCost(s, b, prices));


/** Exact cents per tenant for one day: base share pro rata by bytes, plus overage. */
export function dayCosts(aggs: Record<string, Aggregate>, day: number, prices: Prices): Map<string, Rational> {
  const { year, month } = monthOfDay(day);
  const dayBase = mul(prices.baseCentsPerMonth, rational(1n, BigInt(daysInMonth(year, month))));
  const active = Object.keys(aggs).filter((t) => aggs[t]!.active);
  let total = 0n;
  for (const t of active) total += BigInt(aggs[t]!.push_bytes) + BigInt(aggs[t]!.pull_bytes);
  const out = new Map<string, Rational>();
  for (const t of Object.keys(aggs)) {
    const a = aggs[t]!;
    let base = ZERO;
    if (a.active) {
      base = total === 0n
        ? mul(dayBase, rational(1n, BigInt(active.length)))
        : mul(dayBase, rational(BigInt(a.push_bytes) + BigInt(a.pull_bytes), total));
    }
    const overage = mul(prices.egressCentsPerGiB, rational(BigInt(a.billable_egress_bytes), GIB));
    out.set(t, add(base, overage));
  }
  return out;
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);


/** Every aggregate in state, sorted by day then tenant. */
export function aggregateRows(s: CostState, prices: Prices): AggregateRow[] {
  const out: AggregateRow[] = [];
  const days = Object.keys(s.days).map(Number).sort((a, b) => a - b);
  for (const day of days) {
    const aggs = s.days[day]!;
    const costs = dayCosts(aggs, day, prices);
    for (const tenant of Object.keys(aggs).sort(byName)) {
      const a = aggs[tenant]!;
      out.push({
        day: formatDay(day),
        tenant_id: tenant,
        ops: a.ops,
        push_bytes: a.push_bytes,
        pull_bytes: a.pull_bytes,
        billable_egress_bytes: a.billable_egress_bytes,
        cost_usd_cents: Number(roundCents(costs.get(tenant) ?? ZERO)),
      });
    }
  }
  return out;
}


/** Exact cents of the days from ≤ day < to, in total and per tenant (never rounded here). */
export function exactCostOfDays(s: CostState, prices: Prices, from: number, to: number): { total: Rational; perTenant: Map<string, Rational> } {
  const perTenant = new Map<string, Rational>();
  let total = ZERO;
  for (let day = from; day < to; day++) {
    const aggs = s.days[day];
    if (aggs === undefined) continue;
    for (const [tenant, cents] of dayCosts(aggs, day, prices)) {
      perTenant.set(tenant, add(perTenant.get(tenant) ?? ZERO, cents));
      total = add(total, cents);
    }
  }
  return { total, perTenant };
}

/** Exact sums over the last-7d days [D-6d, D], rounded once (SPEC §6). */
export function weekCostView(s: CostState, prices: Prices, now: number): WeekCost {
  const d = Math.floor(now / DAY_MS);
  const { total, perTenant } = exactCostOfDays(s, prices, d - 6, d + 1);
  return {
    week_usd_cents: Number(roundCents(total)),
    by_tenant: [...perTenant.keys()].sort(byName).map((tenant_id) => ({
      tenant_id,
      week_usd_cents: Number(roundCents(perTenant.get(tenant_id)!)),
    })),
  };
}

/** §3.1 trend: the last 7d [D-6d, D+1d) and the 7 days before [D-13d, D-6d), each summed exactly and rounded once. */
export function costTrendView(s: CostState, prices: Prices, now: number): { cost_7d_usd_cents: number; cost_prev_7d_usd_cents: number } {
  const d = Math.floor(now / DAY_MS);
  return {
    cost_7d_usd_cents: Number(roundCents(exactCostOfDays(s, prices, d - 6, d + 1).total)),
    cost_prev_7d_usd_cents: Number(roundCents(exactCostOfDays(s, prices, d - 13, d - 6).total)),
  };
}
