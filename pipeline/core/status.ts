/**
 * SPEC §5 status, as one pure function shared by `syncscope status` and the Worker.
 * `total` = tenants whose updated_at is within the 24h before the clock; `failing` = those
 * failing; no_data when total is 0; degraded when failing / total > 0.05, strictly.
 */
export const STATUS_THRESHOLD = 0.05;
export const STATUS_ACTIVE_MS = 24 * 3_600_000;

export interface StatusInput {
  readonly failing: boolean;
  readonly updated_at: string;
}

export interface StatusBody {
  status: 'ok' | 'degraded' | 'no_data';
  failing: number;
  total: number;
  ratio: number;
  threshold: number;
  checked_at: string;
}

/**
 * A tally counts when written within the 24h before the clock. One written "in the future" came
 * from a clock ahead of this one (or `--now` is earlier than the write): it says nothing about
 * whether the reporter is alive now, and counting it would keep a tenant for up to 48h.
 */
export function isActive(updatedAt: string, checkedAtMs: number): boolean {
  const age = checkedAtMs - Date.parse(updatedAt);
  return age >= 0 && age <= STATUS_ACTIVE_MS;
}

export function computeStatus(tallies: Iterable<StatusInput>, checkedAtMs: number): StatusBody {
  let total = 0;
  let failing = 0;
  for (const t of tallies) {
    if (!isActive(t.updated_at, checkedAtMs)) continue;
    total++;
    if (t.failing === true) failing++;
  }
  const ratio = total === 0 ? 0 : failing / total;
  // Compare without float division: failing/total > 1/20 ⇔ 20·failing > total.
  const status = total === 0 ? 'no_data' : failing * 20 > total ? 'degraded' : 'ok';
  return {
    status,
    failing,
    total,
    ratio,
    threshold: STATUS_THRESHOLD,
    checked_at: new Date(checkedAtMs).toISOString().replace('.000Z', 'Z'),
  };
}
