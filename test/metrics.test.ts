// renderMetrics (sinks/metrics/prometheus.ts): a snapshot and the run's numbers in, the
// Prometheus text format out, read back with a parser written from the format's rules. Also the
// Grafana example dashboard: valid JSON whose every query names a metric syncscope serves.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderMetrics, type RunStats } from '../sinks/metrics/prometheus.js';
import type { Snapshot } from '../pipeline/core/snapshot.js';
import { parsePrometheusText, valueOf } from './prometheus-text.js';
import { REPO_ROOT } from './core-helpers.js';

const ODD_REPO = 'we"ird\\repo\nwith a newline';

function snapshot(over: Partial<Snapshot> = {}): Snapshot {
  return {
    generated_at: '2026-04-16T19:30:05Z',
    now: '2026-04-16T19:30:00Z',
    rows: { read: 120, valid: 100, rejected: 15, late: 4, duplicate: 5 },
    pushes_per_hour: [],
    bytes_per_day: [],
    repos: [
      { repo: 'alpha', ops_24h: 30, pushes_24h: 20, pulls_24h: 10, failed_24h: 3, ops_7d: 90, failed_7d: 5 },
      { repo: ODD_REPO, ops_24h: 0, pushes_24h: 0, pulls_24h: 0, failed_24h: 0, ops_7d: 2, failed_7d: 1 },
    ],
    machines: [
      { machine: 'mbpro', last_success_push: '2026-04-16T19:10:38Z' },
      { machine: 'never-pushed', last_success_push: null },
    ],
    cost: { week_usd_cents: 1234, by_tenant: [{ tenant_id: 'acme', week_usd_cents: 1000 }, { tenant_id: 'quiet', week_usd_cents: 234 }] },
    alerts: {
      open: [
        { file: 'a.md', tenant_id: 'acme', repo: 'alpha', opened_at: '2026-04-16T19:00:00Z', failures: 3 },
        { file: 'b.md', tenant_id: 'acme', repo: ODD_REPO, opened_at: '2026-04-16T19:05:00Z', failures: 4 },
      ],
      resolved: 1,
    },
    health: { level: 'warn', reasons: ['something'], newest_row_ts: '2026-04-16T19:10:38Z', newest_row_age_s: 1162 },
    top_errors_24h: [],
    latency_24h: [],
    trend: { ops_7d: 0, ops_prev_7d: 0, failed_7d: 0, failed_prev_7d: 0, bytes_7d: 0, bytes_prev_7d: 0, cost_7d_usd_cents: 0, cost_prev_7d_usd_cents: 0 },
    ...over,
  };
}

const RUN: RunStats = { ticks: 7, tickDurationSeconds: 0.25, outboxTallies: 2, checkpointAgeSeconds: 1.5 };

describe('renderMetrics', () => {
  it('every metric with HELP, TYPE and the snapshot\'s values', async () => {
    const m = parsePrometheusText(await renderMetrics(snapshot(), RUN));
    const types = Object.fromEntries([...m.values()].map((f) => [f.name, f.type]));
    expect(types).toEqual({
      syncscope_rows_total: 'counter',
      syncscope_rows_late_total: 'counter',
      syncscope_newest_row_age_seconds: 'gauge',
      syncscope_health_level: 'gauge',
      syncscope_tick_duration_seconds: 'gauge',
      syncscope_ticks_total: 'counter',
      syncscope_kv_outbox_tallies: 'gauge',
      syncscope_checkpoint_age_seconds: 'gauge',
      syncscope_ops_24h: 'gauge',
      syncscope_failed_24h: 'gauge',
      syncscope_open_alerts: 'gauge',
      syncscope_last_success_push_timestamp_seconds: 'gauge',
      syncscope_cost_week_usd_cents: 'gauge',
    });
    for (const f of m.values()) expect(f.help, f.name).toMatch(/\S/);

    expect(valueOf(m, 'syncscope_rows_total', { outcome: 'valid' })).toBe(100);
    expect(valueOf(m, 'syncscope_rows_total', { outcome: 'rejected' })).toBe(15);
    expect(valueOf(m, 'syncscope_rows_total', { outcome: 'duplicate' })).toBe(5);
    const outcomes = m.get('syncscope_rows_total')!.samples;
    expect(outcomes.reduce((a, s) => a + s.value, 0)).toBe(120); // = rows.read
    expect(valueOf(m, 'syncscope_rows_late_total')).toBe(4);
    expect(valueOf(m, 'syncscope_newest_row_age_seconds')).toBe(1162);
    expect(valueOf(m, 'syncscope_health_level')).toBe(1);
    expect(valueOf(m, 'syncscope_tick_duration_seconds')).toBe(0.25);
    expect(valueOf(m, 'syncscope_ticks_total')).toBe(7);
    expect(valueOf(m, 'syncscope_kv_outbox_tallies')).toBe(2);
    expect(valueOf(m, 'syncscope_checkpoint_age_seconds')).toBe(1.5);

    expect(valueOf(m, 'syncscope_ops_24h', { repo: 'alpha', op: 'push' })).toBe(20);
    expect(valueOf(m, 'syncscope_ops_24h', { repo: 'alpha', op: 'pull' })).toBe(10);
    expect(valueOf(m, 'syncscope_failed_24h', { repo: 'alpha' })).toBe(3);
    expect(valueOf(m, 'syncscope_open_alerts', { tenant_id: 'acme' })).toBe(2);
    expect(valueOf(m, 'syncscope_open_alerts', { tenant_id: 'quiet' })).toBe(0); // a tenant without alerts shows 0
    expect(valueOf(m, 'syncscope_last_success_push_timestamp_seconds', { machine: 'mbpro' })).toBe(Date.UTC(2026, 3, 16, 19, 10, 38) / 1000);
    expect(m.get('syncscope_last_success_push_timestamp_seconds')!.samples).toHaveLength(1); // never-pushed is left out
    expect(valueOf(m, 'syncscope_cost_week_usd_cents', { tenant_id: 'acme' })).toBe(1000);
    expect(valueOf(m, 'syncscope_cost_week_usd_cents', { tenant_id: 'quiet' })).toBe(234);
  });

  it('escapes quotes, backslashes and newlines in label values so they read back exactly', async () => {
    const text = await renderMetrics(snapshot(), RUN);
    expect(text).toContain('repo="we\\"ird\\\\repo\\nwith a newline"');
    const m = parsePrometheusText(text);
    expect(valueOf(m, 'syncscope_ops_24h', { repo: ODD_REPO, op: 'push' })).toBe(0);
    expect(valueOf(m, 'syncscope_failed_24h', { repo: ODD_REPO })).toBe(0);
    // One sample line per series: the newline did not split a line.
    expect(m.get('syncscope_failed_24h')!.samples.map((s) => s.labels.repo)).toEqual(['alpha', ODD_REPO]);
  });

  it('leaves out what is not known rather than showing 0: no newest row, no checkpoint yet', async () => {
    const empty = snapshot({
      rows: { read: 0, valid: 0, rejected: 0, late: 0, duplicate: 0 },
      repos: [], machines: [], cost: { week_usd_cents: 0, by_tenant: [] }, alerts: { open: [], resolved: 0 },
      health: { level: 'ok', reasons: [], newest_row_ts: null, newest_row_age_s: null },
    });
    const m = parsePrometheusText(await renderMetrics(empty, { ...RUN, checkpointAgeSeconds: null }));
    expect(m.has('syncscope_newest_row_age_seconds')).toBe(false);
    expect(m.has('syncscope_checkpoint_age_seconds')).toBe(false);
    expect(valueOf(m, 'syncscope_health_level')).toBe(0);
    expect(valueOf(m, 'syncscope_rows_total', { outcome: 'valid' })).toBe(0);
    // Label sets come from the snapshot only: no series for keys it does not have.
    expect(m.get('syncscope_ops_24h')?.samples ?? []).toEqual([]);
  });

  it('health levels: ok 0, warn 1, critical 2', async () => {
    for (const [level, n] of [['ok', 0], ['warn', 1], ['critical', 2]] as const) {
      const m = parsePrometheusText(await renderMetrics(snapshot({ health: { ...snapshot().health, level } }), RUN));
      expect(valueOf(m, 'syncscope_health_level')).toBe(n);
    }
  });
});

describe('the text parser of these tests', () => {
  it('refuses what the format does not allow', () => {
    expect(() => parsePrometheusText('x 1\n')).toThrow(/before the TYPE/);
    expect(() => parsePrometheusText('# TYPE x gauge\nx{a="b} 1\n')).toThrow(/unterminated/);
    expect(() => parsePrometheusText('# TYPE x gauge\nx{a="\\t"} 1\n')).toThrow(/bad escape/);
    expect(() => parsePrometheusText('# TYPE x gauge\nx one\n')).toThrow(/not a sample value/);
    expect(() => parsePrometheusText('# TYPE x gauge\nx 1')).toThrow(/newline/);
  });
});

describe('examples/grafana/syncscope-fleet.json', () => {
  const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'examples', 'grafana', 'syncscope-fleet.json'), 'utf8')) as {
    __inputs: Array<{ name: string; pluginId: string }>;
    panels: Array<{ title: string; datasource: { uid: string }; targets: Array<{ expr: string }> }>;
  };

  it('asks for a Prometheus data source on import and uses it in every panel', () => {
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', pluginId: 'prometheus' })]);
    for (const p of dashboard.panels) expect(p.datasource.uid, p.title).toBe('${DS_PROMETHEUS}');
  });

  it('queries only metrics syncscope serves, and every one of them', async () => {
    const served = new Set(parsePrometheusText(await renderMetrics(snapshot(), RUN)).keys());
    const queried = new Set<string>();
    for (const p of dashboard.panels) {
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets) for (const name of t.expr.match(/\bsyncscope_[a-z0-9_]+/g) ?? []) queried.add(name);
    }
    expect([...queried].filter((n) => !served.has(n))).toEqual([]);
    // ticks_total is the job variable's query, not a panel's.
    expect([...served].filter((n) => !queried.has(n))).toEqual(['syncscope_ticks_total']);
  });
});
