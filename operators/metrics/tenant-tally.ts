import type { Batch } from '../../pipeline/core/batch.js';
import { FAILED, NAMES } from '../../pipeline/core/columns.js';
import { slotsOf, bumpCell, newCellCache, type CellCache, seeded, foldBatches, pruneBelow, sumBuckets, type BucketCounts, dict, pruneDue } from '../fold.js';
import { HOUR_MS } from '../../pipeline/core/time.js';

/** Per tenant: ops and failed ops per hour, for the KV tally's 24h counts. */
export interface TenantTallyState {
  tenants: Record<string, BucketCounts>;
}

export const initTenantTally = (): TenantTallyState => ({ tenants: dict() });

/** Per state, each tenant's current hour cell. */
const cellsOf = new WeakMap<TenantTallyState, CellCache>();

export function foldTenantTally(s: TenantTallyState, b: Batch): void {
  const { flags, tenant, hour, length } = b.rows;
  const names = NAMES.list;
  const t = s.tenants;
  const slots = slotsOf(t);
  let cells = cellsOf.get(s);
  if (cells === undefined) cellsOf.set(s, (cells = newCellCache()));
  for (let i = 0; i < length; i++) {
    const id = tenant[i]!;
    let buckets = slots[id];
    if (buckets === undefined) slots[id] = buckets = (t[names[id]!] ??= dict());
    bumpCell(cells, id, buckets, hour[i]!, (flags[i]! & FAILED) !== 0);
  }
  const ahead = b.tenantsAhead;
  if (ahead !== null) for (let i = 0; i < ahead.length; i++) t[ahead[i]!] ??= dict();
  if (!pruneDue(s, b.nowFloor)) return;
  cellsOf.delete(s);
  const minHour = Math.floor(b.nowFloor / HOUR_MS) - 24;
  for (const name in t) pruneBelow(t[name]!, minHour);
}

export const tenantTally = (seed?: TenantTallyState) => foldBatches(seeded(seed, initTenantTally), foldTenantTally);

export interface TenantCounts {
  tenant_id: string;
  ops_24h: number;
  failed_24h: number;
}

/** Every tenant seen, with its counts in the last-24h window, sorted by id. */
export function tenantTallyView(s: TenantTallyState, now: number): TenantCounts[] {
  const h = Math.floor(now / HOUR_MS);
  return Object.keys(s.tenants)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((tenant_id) => {
      const c = sumBuckets(s.tenants[tenant_id]!, h - 23, h + 1);
      return { tenant_id, ops_24h: c[0], failed_24h: c[1] };
    });
}
