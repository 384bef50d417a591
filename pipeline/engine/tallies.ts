import type { TenantTally } from '../core/kv-store.js';
import { formatTs } from '../core/time.js';
import { tenantTallyView } from '../../operators/metrics/tenant-tally.js';
import { openClusters } from '../../operators/metrics/failure-clusters.js';
import { type EngineState } from '../state/engine-state.js';

/**
 * SPEC §5 per-tenant tallies at NOW: every tenant with a row in the input; failing when it has
 * an open cluster. Only tenant-level facts; `reported_at` and `updated_at` are the wall clock
 * (the Worker replaces `updated_at` with its own on receipt).
 */
export function buildTallies(s: EngineState, now: number, wallClock: number): TenantTally[] {
  const open = new Map<string, number>();
  for (const c of openClusters(s.clusters)) open.set(c.tenant_id, (open.get(c.tenant_id) ?? 0) + 1);
  return tenantTallyView(s.tenants, now).map((t) => {
    const last = s.clusters.lastAlertAt[t.tenant_id];
    const openAlerts = open.get(t.tenant_id) ?? 0;
    return {
      tenant_id: t.tenant_id,
      failing: openAlerts > 0,
      open_alerts: openAlerts,
      ops_24h: t.ops_24h,
      failed_24h: t.failed_24h,
      last_alert_at: last === undefined ? null : formatTs(last),
      reported_at: formatTs(wallClock),
      updated_at: formatTs(wallClock),
    };
  });
}
