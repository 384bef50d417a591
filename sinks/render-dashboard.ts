import { bytesBoth, cell, change, grouped, humanBytes, percent, sparkline, table, usd } from './format.js';
import { type Health, type RepoEntry, type Snapshot } from '../pipeline/core/snapshot.js';

import { humanDuration, STALE_MACHINE_MS } from '../pipeline/core/time.js';

const HOUR_MS = 3_600_000;

/** Error messages longer than this are cut in the table (the snapshot keeps them whole). */
const ERROR_CELL = 120;

/** Between the complete hours and the current, partial one in the sparkline. */
const PARTIAL_MARK = '╎';

const VERDICT: Record<Health['level'], string> = {
  ok: '**OK**: nothing wrong right now',
  warn: '**WARN**: something needs a look',
  critical: '**CRITICAL**: failures are clustering right now',
};

/**
 * sync-summary.md: a pure function of the snapshot, made for a person at a glance. It opens with
 * the answer to "is anything wrong right now?" (SPEC §3.1), then open alerts, the 24h and 7d
 * summaries, then the detailed tables.
 */
export function renderDashboard(s: Snapshot): string {
  const now = Date.parse(s.now);
  const out: string[] = [];
  out.push(`generated_at: ${s.generated_at}`, `now: ${s.now}`, '', '# Sync summary', '');
  out.push(...headline(s.health), '');

  out.push('## Open alerts', '');
  out.push(s.alerts.open.length === 0 ? '_None._' : table(['file', 'tenant', 'repo', 'opened at', 'failures'],
    s.alerts.open.map((a) => [cell(a.file), cell(a.tenant_id), cell(a.repo), a.opened_at, String(a.failures)])), '');
  out.push(`Resolved so far: ${grouped(s.alerts.resolved)}`, '');

  out.push('## Top errors (last 24h)', '');
  out.push(s.top_errors_24h.length === 0 ? '_No failed row in the last 24h._' : table(['error (outermost)', 'failures', 'repos', 'last seen'],
    s.top_errors_24h.map((e) => [cell(shorten(e.error)), grouped(e.count), grouped(e.repos), e.last_ts])), '');

  out.push('## Latency (last 24h, dur_ms of every row)', '');
  out.push(s.latency_24h.length === 0 ? '_No row in the last 24h._' : table(['repo', 'p50', 'p95', 'max'],
    s.latency_24h.map((l) => [cell(l.repo), millis(l.p50_ms), millis(l.p95_ms), millis(l.max_ms)])), '');
  out.push('p50 and p95 are accurate to within 0.8% (histogram buckets); max is exact.', '');

  const t = s.trend;
  out.push('## Trend (last 7d against the 7 days before)', '');
  out.push(table(['', 'last 7d', 'previous 7d', 'change'], [
    ['ops', grouped(t.ops_7d), grouped(t.ops_prev_7d), change(t.ops_7d, t.ops_prev_7d)],
    ['failed', grouped(t.failed_7d), grouped(t.failed_prev_7d), change(t.failed_7d, t.failed_prev_7d)],
    ['failure rate', percent(t.failed_7d, t.ops_7d), percent(t.failed_prev_7d, t.ops_prev_7d), ''],
    ['bytes (successful rows)', bytesBoth(t.bytes_7d), bytesBoth(t.bytes_prev_7d), change(t.bytes_7d, t.bytes_prev_7d)],
    ['cost (USD)', usd(t.cost_7d_usd_cents), usd(t.cost_prev_7d_usd_cents), change(t.cost_7d_usd_cents, t.cost_prev_7d_usd_cents)],
  ]), '');

  // The current hour runs only to NOW: it is marked, so a low count there never reads as an outage.
  const hours = s.pushes_per_hour;
  const current = hours[hours.length - 1];
  const partial = current !== undefined && now < Date.parse(current.hour) + HOUR_MS - 1;
  const pushes = hours.reduce((n, h) => n + h.pushes, 0);
  const failedPushes = hours.reduce((n, h) => n + h.failed, 0);
  const bars = sparkline(hours.map((h) => h.pushes));
  out.push('## Pushes per hour (last 24h)', '');
  out.push(`\`${partial ? `${bars.slice(0, -1)}${PARTIAL_MARK}${bars.slice(-1)}` : bars}\` ${grouped(pushes)} pushes, ${grouped(failedPushes)} failed`, '');
  if (partial) out.push(`The last bar (after ${PARTIAL_MARK}) is the current hour, counted to ${s.now.slice(11, 19)} only (partial).`, '');
  out.push(table(['hour (UTC)', 'pushes', 'failed'], hours.map((h) => [
    `${h.hour.slice(0, 16).replace('T', ' ')}${partial && h === current ? ' (partial)' : ''}`, grouped(h.pushes), grouped(h.failed),
  ])), '');

  out.push('## Bytes per day (last 7d, successful rows)', '');
  out.push(table(['day', 'pushed bytes', 'pushed', 'pulled bytes', 'pulled'], s.bytes_per_day.map((d) => [
    d.day, grouped(d.pushed_bytes), humanBytes(d.pushed_bytes), grouped(d.pulled_bytes), humanBytes(d.pulled_bytes),
  ])), '');

  out.push('## Failure rate per repo (failing first)', '');
  out.push(s.repos.length === 0 ? '_No repo has a row in the last 7 days._' : table(
    ['repo', 'ops 24h', 'failed 24h', 'rate 24h', 'ops 7d', 'failed 7d', 'rate 7d'],
    failingFirst(s.repos).map((r) => [cell(r.repo), grouped(r.ops_24h), grouped(r.failed_24h), percent(r.failed_24h, r.ops_24h),
      grouped(r.ops_7d), grouped(r.failed_7d), percent(r.failed_7d, r.ops_7d)]),
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

  out.push('## Input health', '');
  out.push(table(['rows read', 'valid', 'rejected', 'late', 'duplicate'], [[
    grouped(s.rows.read), grouped(s.rows.valid), grouped(s.rows.rejected), grouped(s.rows.late), grouped(s.rows.duplicate),
  ]]), '');
  return out.join('\n');
}

/** The headline (level and verdict) and one bullet per reason. */
function headline(h: Health): string[] {
  if (h.level === 'ok') {
    const age = h.newest_row_age_s === null ? '' : `; newest row ${humanDuration(h.newest_row_age_s * 1000)} before NOW`;
    return [`${VERDICT.ok} (no open alert, no stale machine, no rejected line in the last 24h${age}).`];
  }
  return [`${VERDICT[h.level]}:`, '', ...h.reasons.map((r) => `- ${r}`)];
}

/** Repos by 24h failure rate, highest first (exact: compared as fractions), then by name. */
function failingFirst(repos: readonly RepoEntry[]): RepoEntry[] {
  const rate = (r: RepoEntry): [bigint, bigint] => (r.ops_24h === 0 ? [0n, 1n] : [BigInt(r.failed_24h), BigInt(r.ops_24h)]);
  return [...repos].sort((a, b) => {
    const [fa, oa] = rate(a);
    const [fb, ob] = rate(b);
    const d = fb * oa - fa * ob;
    if (d !== 0n) return d > 0n ? 1 : -1;
    return a.repo < b.repo ? -1 : a.repo > b.repo ? 1 : 0;
  });
}

function shorten(text: string): string {
  return text.length <= ERROR_CELL ? text : `${text.slice(0, ERROR_CELL - 1)}…`;
}

function millis(v: number): string {
  return v >= 10_000 ? `${grouped(v)} ms (${humanDuration(v)})` : `${grouped(v)} ms`;
}
