/**
 * SPEC §5 status, as one pure function shared by `syncscope status` and the Worker.
 * `total` = tenants whose updated_at is within 24h of the clock; `failing` = those failing;
 * degraded when failing / total > 0.05, strictly.
 */
export const STATUS_THRESHOLD = 0.05;
export const STATUS_ACTIVE_MS = 24 * 3_600_000;

export interface StatusInput {
  readonly failing: boolean;
  readonly updated_at: string;
}

export interface StatusBody {
  status: 'ok' | 'degraded';
  failing: number;
  total: number;
  ratio: number;
  threshold: number;
  checked_at: string;
}

export function computeStatus(tallies: Iterable<StatusInput>, checkedAtMs: number): StatusBody {
  let total = 0;
  let failing = 0;
  for (const t of tallies) {
    const updated = Date.parse(t.updated_at);
    if (!Number.isFinite(updated)) continue;
    const age = checkedAtMs - updated;
    if (age > STATUS_ACTIVE_MS || age < -STATUS_ACTIVE_MS) continue;
    total++;
    if (t.failing === true) failing++;
  }
  const ratio = total === 0 ? 0 : failing / total;
  // Compare without float division: failing/total > 1/20 ⇔ 20·failing > total.
  const degraded = total > 0 && failing * 20 > total;
  return {
    status: degraded ? 'degraded' : 'ok',
    failing,
    total,
    ratio,
    threshold: STATUS_THRESHOLD,
    checked_at: new Date(checkedAtMs).toISOString().replace('.000Z', 'Z'),
  };
}
