/**
 * Oracle for SPEC §6 (cost telemetry): per (tenant_id, UTC day) aggregate, its exact cost as a
 * BigInt fraction (base share + overage), the cents it rounds to, and the weekly totals summed
 * exactly and rounded once. Written from the SPEC text alone; never a float.
 */
import { byName, DAY, daysInMonth, formatDay, type OracleRow } from './oracle-common.js';

/** A non-negative rational n/d, d > 0, kept in lowest terms. */
export interface Frac {
  n: bigint;
  d: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

export function frac(n: bigint, d = 1n): Frac {
  const g = gcd(n, d);
  return g === 0n ? { n: 0n, d: 1n } : { n: n / g, d: d / g };
}

export function add(a: Frac, b: Frac): Frac {
  return frac(a.n * b.d + b.n * a.d, a.d * b.d);
}

/** §6 rounding: nearest cent, half up; a positive amount under one cent is 1; 0 stays 0. */
export function roundCents(x: Frac): bigint {
  if (x.n === 0n) return 0n;
  if (x.n < x.d) return 1n;
  return (2n * x.n + x.d) / (2n * x.d);
}

export interface Prices {
  /** Subscription per month, in cents (default $5.00). */
  baseCentsPerMonth: bigint;
  /** Outbound transfer included per calendar month, in bytes (default 1 TiB). */
  includedEgressBytes: bigint;
  /** Overage per GiB, in cents (default $0.01 = 1 cent). */
  egressCentsPerGiB: Frac;
}

export const DEFAULT_PRICES: Prices = { baseCentsPerMonth: 500n, includedEgressBytes: 2n ** 40n, egressCentsPerGiB: frac(1n) };

const GIB = 2n ** 30n;

export interface OracleAggregate {
  day: string;
  tenant_id: string;
  /** Every row of the tenant that day, push or pull, failed or not. */
  ops: number;
  /** Bytes of successful pushes / pulls. */
  push_bytes: bigint;
  pull_bytes: bigint;
  billable_egress_bytes: bigint;
  /** Exact base share + overage, in cents. */
  exact: Frac;
  cost_usd_cents: bigint;
}

export interface OracleCost {
  /** Sorted by day, then tenant_id. */
  aggregates: OracleAggregate[];
  /** The last 7d (`[D-6d, D+1d)`), summed exactly and rounded once. */
  week_usd_cents: bigint;
  /** Every tenant with an aggregate in the last 7d, by tenant_id. */
  by_tenant: Array<{ tenant_id: string; week_usd_cents: bigint }>;
  /** §3.1 trend: the 7 days before the last 7d (`[D-13d, D-6d)`), rounded once. */
  prev_week_usd_cents: bigint;
}

interface Agg extends OracleAggregate {
  dayIndex: number;
  /** Had a successful row that day: shares the day's base. */
  shares: boolean;
}

/** `rows`: valid rows with ts ≤ NOW, stably sorted by ts (the allowance goes in that order). */
export function computeCost(rows: readonly OracleRow[], now: number, prices: Prices = DEFAULT_PRICES): OracleCost {
  const aggs = new Map<string, Agg>();
  const allowanceLeft = new Map<string, bigint>(); // per 'YYYY-MM'
  for (const r of rows) {
    const dayIndex = Math.floor(r.t / DAY);
    const key = `${dayIndex}\n${r.tenant}`;
    let a = aggs.get(key);
    if (a === undefined) {
      a = {
        day: formatDay(r.t), tenant_id: r.tenant, ops: 0, push_bytes: 0n, pull_bytes: 0n,
        billable_egress_bytes: 0n, exact: frac(0n), cost_usd_cents: 0n, dayIndex, shares: false,
      };
      aggs.set(key, a);
    }
    a.ops++;
    if (r.failed) continue;
    a.shares = true;
    const bytes = BigInt(r.bytes);
    if (r.op === 'push') {
      a.push_bytes += bytes;
      continue;
    }
    a.pull_bytes += bytes;
    const month = a.day.slice(0, 7);
    const left = allowanceLeft.get(month) ?? prices.includedEgressBytes;
    a.billable_egress_bytes += bytes > left ? bytes - left : 0n;
    allowanceLeft.set(month, bytes > left ? 0n : left - bytes);
  }

  // Base share: each day's 1/(days in month) of the subscription, split by successful bytes.
  const byDay = new Map<number, Agg[]>();
  for (const a of aggs.values()) {
    if (!a.shares) continue;
    const list = byDay.get(a.dayIndex) ?? [];
    list.push(a);
    byDay.set(a.dayIndex, list);
  }
  for (const list of byDay.values()) {
    const first = list[0] as Agg;
    const [y, m] = first.day.split('-').map(Number) as [number, number];
    const dayBase = frac(prices.baseCentsPerMonth, BigInt(daysInMonth(y, m)));
    const total = list.reduce((s, a) => s + a.push_bytes + a.pull_bytes, 0n);
    for (const a of list) {
      const share = total === 0n ? frac(1n, BigInt(list.length)) : frac(a.push_bytes + a.pull_bytes, total);
      a.exact = frac(dayBase.n * share.n, dayBase.d * share.d);
    }
  }
  for (const a of aggs.values()) {
    const overage = frac(a.billable_egress_bytes * prices.egressCentsPerGiB.n, GIB * prices.egressCentsPerGiB.d);
    a.exact = add(a.exact, overage);
    a.cost_usd_cents = roundCents(a.exact);
  }

  const D = Math.floor(now / DAY);
  const sumOver = (from: number, to: number, tenant?: string): Frac =>
    [...aggs.values()]
      .filter((a) => a.dayIndex >= from && a.dayIndex <= to && (tenant === undefined || a.tenant_id === tenant))
      .reduce((s, a) => add(s, a.exact), frac(0n));
  const weekTenants = [...new Set([...aggs.values()].filter((a) => a.dayIndex >= D - 6 && a.dayIndex <= D).map((a) => a.tenant_id))].sort(byName);
  const aggregates: OracleAggregate[] = [...aggs.values()]
    .sort((a, b) => a.dayIndex - b.dayIndex || byName(a.tenant_id, b.tenant_id))
    .map(({ dayIndex: _d, shares: _s, ...rest }) => rest);
  return {
    aggregates,
    week_usd_cents: roundCents(sumOver(D - 6, D)),
    by_tenant: weekTenants.map((tenant_id) => ({ tenant_id, week_usd_cents: roundCents(sumOver(D - 6, D, tenant_id)) })),
    prev_week_usd_cents: roundCents(sumOver(D - 13, D - 7)),
  };
}
