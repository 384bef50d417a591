/**
 * Oracle for SPEC §5: the per-tenant tally each `tenant:<tenant_id>` key of KV ALERTS holds
 * after a batch, apart from `updated_at` (the wall clock of the write, not a function of the
 * input). Written from the SPEC text alone.
 */
import type { AlertsResult } from './oracle-alerts.js';
import { byName, formatTs, HOUR, type OracleRow } from './oracle-common.js';

export interface OracleTally {
  tenant_id: string;
  failing: boolean;
  open_alerts: number;
  ops_24h: number;
  failed_24h: number;
  /** The newest opened_at of the tenant's clusters, open or resolved; null when it never had one. */
  last_alert_at: string | null;
}

/** The facts a key's value and metadata may hold (§5), and nothing else. */
export const TALLY_FIELDS = ['tenant_id', 'failing', 'open_alerts', 'ops_24h', 'failed_24h', 'last_alert_at', 'updated_at'] as const;

/**
 * One tally per tenant with a valid row in the input ("every tenant with a row in the input has
 * a key", §5: a tenant seen only after NOW too, with nothing counted), sorted by tenant_id.
 * `rows` are the valid rows with ts ≤ NOW; `tenants` every tenant_id of the input.
 */
export function tenantTallies(rows: readonly OracleRow[], tenants: Iterable<string>, alerts: AlertsResult, now: number): OracleTally[] {
  const H = Math.floor(now / HOUR) * HOUR;
  const from = H - 23 * HOUR; // last 24h = [H-23h, H+1h), and every row here is ≤ NOW
  const byTenant = new Map<string, OracleTally>();
  for (const tenant_id of tenants) {
    byTenant.set(tenant_id, { tenant_id, failing: false, open_alerts: 0, ops_24h: 0, failed_24h: 0, last_alert_at: null });
  }
  for (const r of rows) {
    const t = byTenant.get(r.tenant) as OracleTally;
    if (r.t >= from) {
      t.ops_24h++;
      if (r.failed) t.failed_24h++;
    }
  }
  const lastOpened = new Map<string, number>();
  for (const c of [...alerts.open, ...alerts.resolved]) {
    lastOpened.set(c.tenant_id, Math.max(lastOpened.get(c.tenant_id) ?? -Infinity, c.opened_at));
  }
  for (const c of alerts.open) {
    const t = byTenant.get(c.tenant_id) as OracleTally;
    t.open_alerts++;
    t.failing = true;
  }
  for (const [tenant, at] of lastOpened) (byTenant.get(tenant) as OracleTally).last_alert_at = formatTs(at);
  return [...byTenant.values()].sort((a, b) => byName(a.tenant_id, b.tenant_id));
}
