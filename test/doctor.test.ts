import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOUR, MIN, runCliSync, tempDir } from './core-helpers.js';
import { NOW, NOW_MS, engineAtNow, ev, writeGoodLists, writeLines, listsOf } from './lint-helpers.js';
import { runBatch } from '../pipeline/engine/run.js';
import { burstRows, checkDashboardFresh, checkDurMs, checkLint, checkNoOpenAlerts, checkSimulate, readTailLines, type CheckResult } from '../pipeline/cli/doctor.js';
import { REPORT_SECRET, startWorker } from './worker-helpers.js';
import { fetchStatus } from '../sinks/kv/http-kv.js';

/** A recent, clean log: three machines, chained manifests, every row with a duration. */
function healthyLines(): string[] {
  const lines: string[] = [];
  const machines = ['mbpro-rb', 'studio-rb', 'ci-01'];
  const pushes = new Map<string, number>();
  for (let i = 0; i < 30; i++) {
    const m = machines[i % 3]!;
    const t = NOW_MS - (30 - i) * 10 * MIN;
    if (i % 5 === 4) {
      lines.push(ev(t, { machine: m, repo: `repo-${m}`, op: 'pull', dur_ms: 100 + i }));
      continue;
    }
    const n = pushes.get(m) ?? 0;
    pushes.set(m, n + 1);
    lines.push(ev(t, { machine: m, repo: `repo-${m}`, manifest_before: `sha-${m}-${n}`, manifest_after: `sha-${m}-${n + 1}`, dur_ms: 100 + i }));
  }
  return lines;
}

/** A state folder as `syncscope run` leaves it, built in-process (dashboard generated now). */
async function installedState(extra: string[] = []): Promise<{ state: string; log: string }> {
  const state = join(tempDir(), 'state');
  writeGoodLists(state);
  const log = writeLines(join(state, 'log', 'sync-events.ndjson'), [...healthyLines(), ...extra]);
  await runBatch({ input: log, stateDir: state, engine: engineAtNow() });
  return { state, log };
}

/** Every file under a folder with its bytes, for byte-for-byte comparisons. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p).toString('base64');
    }
  };
  walk(dir);
  return out;
}

const doctorTemps = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith('syncscope-doctor-'));

describe('syncscope doctor (CLI)', () => {
  it('passes on a healthy install and exits 0', async () => {
    const { state } = await installedState();
    const r = runCliSync(['doctor', '--state', state, '--now', NOW]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('PASS  1. the last 20 rows of the log have dur_ms: the last 20 rows all carry dur_ms (20 above 0)');
    expect(lines[1]).toMatch(/^PASS {2}2\. the dashboard is fresh: generated_at \S+ is \d+s old \(--max-age 1m\)$/);
    expect(lines[2]).toMatch(/^PASS {2}3\. no open alert: .* holds no alert file$/);
    expect(lines[3]).toMatch(/^PASS {2}4\. lint exits 0: lint finds no error/);
    expect(lines[4]).toBe('SKIP  5. a simulated failure burst raises an alert and a failing tenant: skipped: pass --simulate');
    expect(r.stdout).toContain('doctor: all 4 checks pass');
  });

  it('fails on a stale dashboard with the reason and the fix; a longer --tick widens the window', async () => {
    const { state } = await installedState();
    const md = join(state, 'log', 'sync-summary.md');
    const old = new Date(Date.now() - 2 * HOUR).toISOString().replace(/\.\d+Z$/, 'Z');
    writeFileSync(md, readFileSync(md, 'utf8').replace(/^generated_at: .*$/m, `generated_at: ${old}`));
    const r = runCliSync(['doctor', '--state', state, '--now', NOW, '--format', 'json']);
    expect(r.code).toBe(1);
    const checks = JSON.parse(r.stdout) as CheckResult[];
    expect(checks.map((c) => [c.id, c.ok])).toEqual([['dur-ms', true], ['dashboard-fresh', false], ['no-open-alerts', true], ['lint', true], ['simulate', null]]);
    expect(checks[1]!.reason).toMatch(new RegExp(`^generated_at ${old} is 2h old, more than --max-age 1m$`));
    expect(checks[1]!.fix).toContain('--max-age');
    const tick = runCliSync(['doctor', '--state', state, '--now', NOW, '--tick', '2h']);
    expect(tick.code).toBe(0); // --max-age defaults to 2 × --tick
  });

  it('fails with an open alert and lists each file', async () => {
    // On a machine that pushes fine elsewhere, so the only problem is the open alert.
    const burst = [0, 1, 2].map((i) => ev(NOW_MS - (3 - i) * MIN, { tenant_id: 'acme', repo: 'web', ok: false, error: 'EACCES', machine: 'mbpro-rb' }));
    const { state } = await installedState(burst);
    const alerts = readdirSync(join(state, 'log', 'alerts'));
    expect(alerts).toEqual([`sync-degraded-20260416T115900Z-acme-web-h${createHash('sha256').update('acme\nweb').digest('hex').slice(0, 8)}.md`]);
    const r = runCliSync(['doctor', '--state', state, '--now', NOW]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}3\. no open alert: 1 open alert file in .*alerts\n/);
    expect(r.stdout).toContain(`        - ${join(state, 'log', 'alerts', alerts[0]!)} (tenant acme, repo web, opened 2026-04-16T11:59:00Z, 3 failures)`);
    expect(r.stdout).toContain('doctor: 1 of 4 checks fail');
  });

  it('--simulate raises an alert and a failing tenant on a copy; the real state is byte-for-byte unchanged', async () => {
    const { state } = await installedState();
    const before = tree(state);
    const tempsBefore = doctorTemps();
    const r = runCliSync(['doctor', '--state', state, '--now', NOW, '--simulate']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const simHash = createHash('sha256').update('doctor-simulated\ndoctor-simulated').digest('hex').slice(0, 8);
    expect(r.stdout).toMatch(new RegExp(`PASS {2}5\\. a simulated failure burst raises an alert and a failing tenant: 4 failures of tenant doctor-simulated within 10m opened sync-degraded-20260416T115959Z-doctor-simulated-doctor-simulated-h${simHash}\\.md; embedded KV status degraded, 1 of 2 failing`));
    expect(r.stdout).toContain('doctor: all 5 checks pass');
    expect(tree(state)).toEqual(before);
    expect(doctorTemps()).toEqual(tempsBefore);
  });

  it('exits 2 on bad flags', () => {
    const state = tempDir();
    expect(runCliSync(['doctor', '--state', state, '--max-age', 'soon']).code).toBe(2);
    expect(runCliSync(['doctor', '--state', state, '--tick', '0s']).code).toBe(2);
    expect(runCliSync(['doctor', '--state', state, '--simulate', '--kv-url', 'not a url']).code).toBe(2);
  });
});

describe('doctor checks (in-process)', () => {
  it('dur_ms: fails when recent rows lack it or all are 0, passes when populated', () => {
    const dir = tempDir();
    const good = writeLines(join(dir, 'good.ndjson'), [ev(NOW_MS, { dur_ms: 0 }), ev(NOW_MS, { dur_ms: 5 })]);
    expect(checkDurMs(good, 20)).toMatchObject({ ok: true, reason: 'the last 2 rows all carry dur_ms (1 above 0)' });
    const old = JSON.parse(ev(NOW_MS)) as Record<string, unknown>;
    delete old.dur_ms;
    const missing = writeLines(join(dir, 'missing.ndjson'), [...Array.from({ length: 30 }, () => ev(NOW_MS)), JSON.stringify(old), ev(NOW_MS)]);
    const m = checkDurMs(missing, 20);
    expect(m.ok).toBe(false);
    expect(m.reason).toBe('1 of the last 20 rows have no dur_ms (a non-negative integer)');
    expect(m.details).toEqual(['row with ts 2026-04-16T12:00:00Z: dur_ms = absent']);
    // Only the last 20 rows count: an old row without dur_ms is forgiven.
    const forgiven = writeLines(join(dir, 'forgiven.ndjson'), [JSON.stringify(old), ...Array.from({ length: 20 }, () => ev(NOW_MS))]);
    expect(checkDurMs(forgiven, 20).ok).toBe(true);
    const zeros = writeLines(join(dir, 'zeros.ndjson'), Array.from({ length: 5 }, () => ev(NOW_MS, { dur_ms: 0 })));
    expect(checkDurMs(zeros, 20)).toMatchObject({ ok: false, reason: 'all of the last 5 rows have dur_ms = 0: a placeholder, not a measurement' });
    expect(checkDurMs(join(dir, 'absent.ndjson'), 20)).toMatchObject({ ok: false });
    expect(checkDurMs(writeLines(join(dir, 'empty.ndjson'), []), 20)).toMatchObject({ ok: false });
  });

  it('reads the tail of a large file across blocks, CRLF and a missing final newline', () => {
    const dir = tempDir();
    const big = Array.from({ length: 3000 }, (_, i) => ev(NOW_MS - i * 1000, { machine: `m-${i}` }));
    const path = join(dir, 'big.ndjson');
    writeFileSync(path, `${big.join('\r\n')}`);
    const tail = readTailLines(path, 3);
    expect(tail).toEqual(big.slice(-3));
    const small = join(dir, 'small.ndjson');
    writeFileSync(small, `\ufeff${ev(1)}\n\n${ev(2)}\n`);
    expect(readTailLines(small, 20)).toEqual([ev(1), ev(2)]);
  });

  it('dashboard: missing, malformed, in the future', () => {
    const dir = tempDir();
    expect(checkDashboardFresh(dir, MIN, NOW_MS).reason).toContain('no dashboard at');
    writeLines(join(dir, 'log', 'sync-summary.md'), ['# no header']);
    expect(checkDashboardFresh(dir, MIN, NOW_MS).reason).toContain('does not start with "generated_at: <RFC3339>"');
    writeLines(join(dir, 'log', 'sync-summary.md'), [`generated_at: ${NOW}`]);
    expect(checkDashboardFresh(dir, MIN, NOW_MS + 30_000)).toMatchObject({ ok: true, reason: `generated_at ${NOW} is 30s old (--max-age 1m)` });
    expect(checkDashboardFresh(dir, MIN, NOW_MS + MIN + 1000).ok).toBe(false);
    expect(checkDashboardFresh(dir, MIN, NOW_MS - HOUR).reason).toContain('1h in the future');
  });

  it('alerts: an absent folder is fine', () => {
    expect(checkNoOpenAlerts(tempDir()).ok).toBe(true);
  });

  it('lint: fails on error findings, counting them', async () => {
    const state = tempDir();
    writeGoodLists(state);
    const log = writeLines(join(state, 'log', 'sync-events.ndjson'), [ev(NOW_MS), 'not json', ev(NOW_MS - 30 * MIN, { machine: 'x', files: 9, files_total: 10 })]);
    const r = await checkLint({ stateDir: state, log, engine: engineAtNow(), maxAgeMs: MIN, tenant: null, simulate: false, env: {} });
    expect(r).toMatchObject({ ok: false, reason: 'lint finds 1 error, 1 warning (rejects 1, mass-change 1)' });
    expect(listsOf(state).deny).not.toBeNull();
  });

  it('simulate: N+1 failures within W ending at NOW, for any rule', async () => {
    const rows = burstRows(NOW_MS, 5, MIN).map((l) => JSON.parse(l) as { ts: string; ok: boolean; tenant_id: string });
    expect(rows).toHaveLength(6);
    expect(rows.at(-1)!.ts).toBe('2026-04-16T12:00:00.000Z');
    expect(Date.parse(rows.at(-1)!.ts) - Date.parse(rows[0]!.ts)).toBeLessThan(MIN);
    expect(rows.every((r) => r.ok === false && r.tenant_id === 'doctor-simulated')).toBe(true);

    const { state, log } = await installedState();
    const before = tree(state);
    const res = await checkSimulate({
      stateDir: state, log, engine: engineAtNow({ cluster: { failures: 5, windowMs: MIN } }), maxAgeMs: MIN, tenant: null, simulate: true, env: {},
    });
    expect(res.ok).toBe(true);
    expect(res.reason).toContain('6 failures of tenant doctor-simulated within 1m');
    expect(tree(state)).toEqual(before);
  });

  it('simulate: fails, promptly, when the Worker is unreachable', async () => {
    const { state, log } = await installedState();
    // An unreachable Worker: the report cannot be delivered, so the check must fail (and fast).
    const res = await checkSimulate({
      stateDir: state, log, engine: engineAtNow(), maxAgeMs: MIN, tenant: null, simulate: true,
      kvUrl: 'http://127.0.0.1:9/', env: { SYNCSCOPE_REPORT_SECRET: 's' },
    });
    expect(res.ok).toBe(false);
    expect(res.reason).toContain('the Worker did not take the report');
    expect(existsSync(join(state, '.syncscope', 'kv-outbox.json'))).toBe(false);
  });
});

describe('doctor --simulate --kv-url (the Worker on Miniflare)', () => {
  it('reports the burst to the Worker, sees a failing tenant in /_status, then clears it', async () => {
    const worker = await startWorker({ port: 0 });
    try {
      const { state, log } = await installedState();
      const before = tree(state);
      const res = await checkSimulate({
        stateDir: state, log, engine: engineAtNow(), maxAgeMs: MIN, tenant: null, simulate: true,
        kvUrl: worker.url, env: { SYNCSCOPE_REPORT_SECRET: REPORT_SECRET },
      });
      expect(res.reason).toContain('Worker status degraded, 1 of 1 failing');
      expect(res.ok).toBe(true);
      const after = await fetchStatus(worker.url);
      expect(after).toMatchObject({ status: 'ok', failing: 0, total: 1 });
      expect(tree(state)).toEqual(before);
    } finally {
      await worker.mf.dispose();
    }
  });
});
