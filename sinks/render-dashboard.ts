import { cell, humanBytes, percent, sparkline, table, usd } from './format.js';
import { type Snapshot } from '../pipeline/core/snapshot.js';

import { humanDuration, STALE_MACHINE_MS } from '../pipeline/core/time.js';

/** sync-summary.md: a pure function of the snapshot, made for a person at a glance. */
export function renderDashboard(s: Snapshot): string {
  const now = Date.parse(s.now);
  const out: string[] = [];
  out.push(`generated_at: ${s.generated_at}`, `now: ${s.now}`, '', '# Sync summary', '');

  const pushes = s.pushes_per_hour.reduce((n, h) => n + h.pushes, 0);
  const failedPushes = s.pushes_per_hour.reduce((n, h) => n + h.failed, 0);
  out.push('## Pushes per hour (last 24h)', '');
  out.push(`\`${sparkline(s.pushes_per_hour.map((h) => h.pushes))}\` ${pushes} pushes, ${failedPushes} failed`, '');
  out.push(table(['hour (UTC)', 'pushes', 'failed'], s.pushes_per_hour.map((h) => [h.hour.slice(0, 16).replace('T', ' '), String(h.pushes), String(h.failed)])), '');

  out.push('## Bytes per day (last 7d, successful rows)', '');
  out.push(table(['day', 'pushed bytes', 'pushed', 'pulled bytes', 'pulled'], s.bytes_per_day.map((d) => [
    d.day, String(d.pushed_bytes), humanBytes(d.pushed_bytes), String(d.pulled_bytes), humanBytes(d.pulled_bytes),
  ])), '');

  out.push('## Failure rate per repo', '');
  out.push(s.repos.length === 0 ? '_No repo has a row in the last 7 days._' : table(
    ['repo', 'ops 24h', 'failed 24h', 'rate 24h', 'ops 7d', 'failed 7d', 'rate 7d'],
    s.repos.map((r) => [cell(r.repo), String(r.ops_24h), String(r.failed_24h), percent(r.failed_24h, r.ops_24h),
      String(r.ops_7d), String(r.failed_7d), percent(r.failed_7d, r.ops_7d)]),
  ), '');

  out.push('## Last successful push per machine', '');
  out.push(s.machines.length === 0 ? '_No machines yet._' : table(['machine', 'last successful push', 'age', 'stale'], s.machines.map((m) => {
    if (m.last_success_push === null) return [cell(m.machine), 'never', '–', '⚠ stale'];
    const a = now - Date.parse(m.last_success_push);
    return [cell(m.machine), m.last_success_push, a < 0 ? 'in the future' : humanDuration(a), a > STALE_MACHINE_MS ? '⚠ stale' : 'ok'];
  })), '');

  out.push('## Cost (last 7 days)', '');
  out.push(`Weekly total: **${usd(s.cost.week_usd_cents)}**`, '');
  if (s.cost.by_tenant.length > 0) {
    out.push(table(['tenant', 'week USD'], s.cost.by_tenant.map((t) => [cell(t.tenant_id), usd(t.week_usd_cents)])), '');
  }

  out.push('## Open alerts', '');
  out.push(s.alerts.open.length === 0 ? '_None._' : table(['file', 'tenant', 'repo', 'opened at', 'failures'],
    s.alerts.open.map((a) => [cell(a.file), cell(a.tenant_id), cell(a.repo), a.opened_at, String(a.failures)])), '');
  out.push(`Resolved so far: ${s.alerts.resolved}`, '');

  out.push('## Input health', '');
  out.push(table(['rows read', 'valid', 'rejected', 'late', 'duplicate'], [[
    String(s.rows.read), String(s.rows.valid), String(s.rows.rejected), String(s.rows.late), String(s.rows.duplicate),
  ]]), '');
  return out.join('\n');
}
