// "What is wrong now" through the built CLI: the bundled sample is months old, so a run at the
// wall clock must say so (snapshot, dashboard, one line on stderr) instead of looking quiet and
// healthy; with --now latest the same log gives real top errors and latency.
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, readSnapshot, REPO_ROOT, runCli, tempDir } from './core-helpers.js';

beforeAll(() => ensureBuilt());

const SAMPLE = join(REPO_ROOT, 'examples', 'sample-sync-events.ndjson');
const NEWEST = '2026-04-16T23:56:21Z';
const dashboard = (state: string): string[] => readFileSync(join(state, 'log', 'sync-summary.md'), 'utf8').split('\n');

describe.concurrent('health of the bundled sample (built CLI)', () => {
  it('without --now (NOW = the wall clock, months after the log): warn, the reason and one stderr line suggest --now latest', async () => {
    const state = tempDir('health');
    const r = await runCli(['run', SAMPLE, '--state', state]);
    expect(r.code).toBe(0);
    const s = readSnapshot(state);
    expect(s.health.level).toBe('warn');
    expect(s.health.newest_row_ts).toBe(NEWEST);
    expect(s.health.newest_row_age_s).toBe(Math.floor((Date.parse(s.now) - Date.parse(NEWEST)) / 1000));
    const old = s.health.reasons[0]!;
    expect(old).toMatch(new RegExp(`^newest row \\(${NEWEST}\\) is \\d+d( \\d+h)? before NOW \\(${s.now.replace(/\./g, '\\.')}\\): an old log\\? try --now latest$`));
    expect(s.health.reasons.length).toBeLessThanOrEqual(5);
    expect(s.top_errors_24h).toEqual([]);
    expect(s.latency_24h).toEqual([]);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('--now latest'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^syncscope: the log looks old: its newest row \\(${NEWEST}\\) is \\d+d( \\d+h)? before NOW \\(.+\\), so the last 24h show nothing; try --now latest$`));
    const md = dashboard(state);
    expect(md[5]).toBe('**WARN**: something needs a look:');
    expect(md[7]).toBe(`- ${old}`);
  });

  it('with --now latest: ok, the top errors and latency of the log\'s last 24h, no stderr warning; the dashboard opens with them', async () => {
    const state = tempDir('health');
    const r = await runCli(['run', SAMPLE, '--state', state, '--now', 'latest']);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/--now latest|looks old/);
    const s = readSnapshot(state);
    expect(s.now).toBe(NEWEST);
    expect(s.health).toEqual({ level: 'ok', reasons: [], newest_row_ts: NEWEST, newest_row_age_s: 0 });
    // Checked against a separate brute-force script over the sample (every value kept and sorted).
    expect(s.top_errors_24h).toEqual([
      { error: 'pull failed: download state.tar: GetObject: 503 SlowDown', count: 6, repos: 1, last_ts: '2026-04-16T11:53:17Z' },
      { error: 'push failed: list acme-infra/', count: 5, repos: 1, last_ts: '2026-04-16T21:32:27Z' },
      { error: 'push failed: list dotfiles/: ListObjectsV2: 403 SignatureDoesNotMatch: clock skew 912s', count: 2, repos: 1, last_ts: '2026-04-16T11:31:06Z' },
      { error: 'pull failed: download state.tar', count: 1, repos: 1, last_ts: '2026-04-16T22:57:40Z' },
    ]);
    expect(s.latency_24h.slice(0, 3)).toEqual([
      { repo: 'acme-infra', p50_ms: 286, p95_ms: 980, max_ms: 11764 },
      { repo: 'acme-web', p50_ms: 268, p95_ms: 1192, max_ms: 3686 },
      { repo: 'dotfiles', p50_ms: 276, p95_ms: 1048, max_ms: 1615 },
    ]);
    expect(s.latency_24h.map((l) => l.repo)).toEqual(s.repos.filter((x) => x.ops_24h > 0).map((x) => x.repo));
    for (const l of s.latency_24h) expect(l.p50_ms <= l.p95_ms && l.p95_ms <= l.max_ms, l.repo).toBe(true);
    expect(s.trend.ops_7d).toBe(s.repos.reduce((n, x) => n + x.ops_7d, 0));
    expect(s.trend.cost_7d_usd_cents).toBe(s.cost.week_usd_cents);
    expect(s.trend.ops_prev_7d).toBeGreaterThan(0);

    const md = dashboard(state);
    expect(md[5]).toBe('**OK**: nothing wrong right now (no open alert, no stale machine, no rejected line in the last 24h; newest row 0s before NOW).');
    const headings = md.filter((l) => l.startsWith('## '));
    expect(headings.slice(0, 4)).toEqual([
      '## Open alerts', '## Top errors (last 24h)', '## Latency (last 24h, dur_ms of every row)', '## Trend (last 7d against the 7 days before)',
    ]);
    expect(md).toContain('| pull failed: download state.tar: GetObject: 503 SlowDown | 6 | 1 | 2026-04-16T11:53:17Z |');
    expect(md).toContain('| acme-infra | 286 ms | 980 ms | 11,764 ms (11s) |');
    expect(md).toContain('| 2026-04-16 23:00 (partial) | 6 | 0 |');
  });

  it('an empty log: warn, "no valid row at or before NOW", and the stderr line', async () => {
    const state = tempDir('health');
    const empty = join(state, 'empty.ndjson');
    writeFileSync(empty, '');
    const r = await runCli(['run', empty, '--state', state]);
    expect(r.code).toBe(0);
    const s = readSnapshot(state);
    expect(s.health).toMatchObject({ level: 'warn', newest_row_ts: null, newest_row_age_s: null });
    expect(s.health.reasons).toEqual([`no valid row at or before NOW (${s.now}): an empty log, or only rows after NOW? try --now latest`]);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('syncscope: the log looks empty: no valid row at or before NOW'))).toHaveLength(1);
  });
});
