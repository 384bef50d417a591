// `run --metrics-port` end to end, on the BUILT CLI: /metrics read back with the format parser
// and compared with sync-summary.json of the same tick, a port in use, the flags' usage errors,
// `promtool check metrics`, and one scrape by a real Prometheus. promtool and prometheus come
// from Debian's `prometheus` package; without them those tests are skipped, with a note.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../pipeline/core/snapshot.js';
import { ensureBuilt, runCli, tempDir } from './core-helpers.js';
import { NOW, killLeftovers, logFolder, logText, snapshot, start, waitFor, waitForRead } from './follow-helpers.js';
import { parsePrometheusText, valueOf, type Family } from './prometheus-text.js';

beforeAll(() => ensureBuilt(), 180_000);
const prometheusChildren = new Set<ChildProcess>();
afterAll(() => {
  killLeftovers();
  for (const c of prometheusChildren) c.kill('SIGKILL');
});

const FAST = { SYNCSCOPE_POLL_MS: '50' };
const TICK = ['--tick', '1s', '--now', NOW, '--no-progress'];

/** True when `cmd --version` runs; otherwise says on the console which test is skipped and why. */
function installed(cmd: string, skipped: string): boolean {
  const ok = spawnSync(cmd, ['--version'], { stdio: 'ignore' }).error === undefined;
  if (!ok) console.warn(`metrics.e2e: ${cmd} is not installed (Debian package "prometheus"): skipping "${skipped}"`);
  return ok;
}

const HAS_PROMTOOL = installed('promtool', 'promtool check metrics passes');
const HAS_PROMETHEUS = installed('prometheus', 'a real Prometheus scrapes it');

/** The /metrics URL from the start line. */
async function metricsUrl(stderr: () => string): Promise<string> {
  return waitFor('the start line with the metrics URL', () => /metrics at (http:\/\/\S+\/metrics)/.exec(stderr())?.[1]);
}

/** GET /metrics until it answers 200 and `until` holds for the parsed families. */
async function scrapeUntil(url: string, until: (m: Map<string, Family>) => boolean): Promise<{ text: string; m: Map<string, Family> }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await fetch(url);
    const text = await res.text();
    if (res.status === 200) {
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const m = parsePrometheusText(text);
      if (until(m)) return { text, m };
    } else {
      // Before the first tick: 503 and one line.
      expect(res.status).toBe(503);
      expect(text).toMatch(/^syncscope: no tick yet: [^\n]*\n$/);
    }
    if (Date.now() > deadline) throw new Error(`timed out scraping ${url}; last answer ${res.status}: ${text.slice(0, 200)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every snapshot-derived value of /metrics equals the snapshot's. */
function expectSameAsSnapshot(m: Map<string, Family>, s: Snapshot): void {
  expect(valueOf(m, 'syncscope_rows_total', { outcome: 'valid' })).toBe(s.rows.valid);
  expect(valueOf(m, 'syncscope_rows_total', { outcome: 'rejected' })).toBe(s.rows.rejected);
  expect(valueOf(m, 'syncscope_rows_total', { outcome: 'duplicate' })).toBe(s.rows.duplicate);
  expect(m.get('syncscope_rows_total')!.samples.reduce((a, x) => a + x.value, 0)).toBe(s.rows.read);
  expect(valueOf(m, 'syncscope_rows_late_total')).toBe(s.rows.late);
  expect(valueOf(m, 'syncscope_newest_row_age_seconds')).toBe(s.health.newest_row_age_s ?? undefined);
  expect(valueOf(m, 'syncscope_health_level')).toBe({ ok: 0, warn: 1, critical: 2 }[s.health.level]);
  expect(s.repos.length).toBeGreaterThan(0);
  for (const r of s.repos) {
    expect(r.pushes_24h + r.pulls_24h).toBe(r.ops_24h);
    expect(valueOf(m, 'syncscope_ops_24h', { repo: r.repo, op: 'push' })).toBe(r.pushes_24h);
    expect(valueOf(m, 'syncscope_ops_24h', { repo: r.repo, op: 'pull' })).toBe(r.pulls_24h);
    expect(valueOf(m, 'syncscope_failed_24h', { repo: r.repo })).toBe(r.failed_24h);
  }
  expect(m.get('syncscope_failed_24h')!.samples).toHaveLength(s.repos.length);
  for (const t of s.cost.by_tenant) {
    expect(valueOf(m, 'syncscope_cost_week_usd_cents', { tenant_id: t.tenant_id })).toBe(t.week_usd_cents);
    expect(valueOf(m, 'syncscope_open_alerts', { tenant_id: t.tenant_id })).toBe(s.alerts.open.filter((a) => a.tenant_id === t.tenant_id).length);
  }
  const pushed = s.machines.filter((x) => x.last_success_push !== null);
  expect(m.get('syncscope_last_success_push_timestamp_seconds')!.samples).toHaveLength(pushed.length);
  for (const x of pushed) expect(valueOf(m, 'syncscope_last_success_push_timestamp_seconds', { machine: x.machine })).toBe(Date.parse(x.last_success_push!) / 1000);
  expect(valueOf(m, 'syncscope_kv_outbox_tallies')).toBe(0); // the embedded KV has no outbox
  expect(valueOf(m, 'syncscope_checkpoint_age_seconds')).toBeGreaterThanOrEqual(0);
  expect(valueOf(m, 'syncscope_tick_duration_seconds')).toBeGreaterThan(0);
}

/** A port nothing listens on now (the system's pick, released at once). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe.concurrent('syncscope run --follow --metrics-port', () => {
  it('serves the last tick\'s numbers, equal to sync-summary.json, and follows appends', async () => {
    const { log, state } = logFolder('metrics', logText(0, 300));
    const p = start(['run', '--follow', log, '--state', state, ...TICK, '--metrics-port', '0'], FAST);
    const url = await metricsUrl(p.stderr);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(p.stderr()).toMatch(/^syncscope: following \S+; outputs every 1s in \S+; metrics at http:\/\/127\.0\.0\.1:\d+\/metrics\n/);

    const first = await waitForRead(state, 300);
    const a = await scrapeUntil(url, (m) => valueOf(m, 'syncscope_rows_late_total') !== undefined && m.get('syncscope_rows_total')!.samples.reduce((x, s) => x + s.value, 0) === 300);
    expectSameAsSnapshot(a.m, first);
    const ticksBefore = valueOf(a.m, 'syncscope_ticks_total')!;
    expect(ticksBefore).toBeGreaterThanOrEqual(1);

    writeFileSync(log, logText(0, 450));
    const later = await waitForRead(state, 450);
    const b = await scrapeUntil(url, (m) => m.get('syncscope_rows_total')!.samples.reduce((x, s) => x + s.value, 0) === 450);
    expectSameAsSnapshot(b.m, later);
    expect(valueOf(b.m, 'syncscope_ticks_total')).toBeGreaterThan(ticksBefore);

    const other = await fetch(url.replace(/\/metrics$/, '/'));
    expect(other.status).toBe(404);
    await other.text();
    const { code } = await p.stop('SIGTERM');
    expect(code).toBe(0);
  });

  it.skipIf(!HAS_PROMTOOL)('promtool check metrics passes', async () => {
    const { log, state } = logFolder('metrics-promtool', logText(0, 200));
    const p = start(['run', '--follow', log, '--state', state, ...TICK, '--metrics-port', '0'], FAST);
    const url = await metricsUrl(p.stderr);
    const { text } = await scrapeUntil(url, (m) => m.has('syncscope_ops_24h'));
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect({ status: check.status, out: check.stdout + check.stderr }).toEqual({ status: 0, out: '' });
    await p.stop('SIGTERM');
  });

  it.skipIf(!HAS_PROMETHEUS)('a real Prometheus scrapes it: syncscope_rows_total equals the snapshot', async () => {
    const { dir, log, state } = logFolder('metrics-prometheus', logText(0, 200));
    const p = start(['run', '--follow', log, '--state', state, ...TICK, '--metrics-port', '0'], FAST);
    const url = new URL(await metricsUrl(p.stderr));
    const snap = await waitForRead(state, 200);
    const config = join(dir, 'prometheus.yml');
    writeFileSync(config, [
      'global:', '  scrape_interval: 1s', 'scrape_configs:', '  - job_name: syncscope',
      '    static_configs:', `      - targets: ['${url.host}']`, '',
    ].join('\n'));
    const tsdb = join(dir, 'tsdb');
    mkdirSync(tsdb);
    const web = await freePort();
    const prometheus = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${tsdb}`, `--web.listen-address=127.0.0.1:${web}`], { stdio: 'ignore' });
    prometheusChildren.add(prometheus);
    try {
      const query = `http://127.0.0.1:${web}/api/v1/query?query=${encodeURIComponent('syncscope_rows_total')}`;
      type Answer = { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      let result: Answer['data']['result'] = [];
      const deadline = Date.now() + 20_000;
      while (result.length < 3) {
        if (Date.now() > deadline) throw new Error('Prometheus did not scrape syncscope_rows_total within 20 s');
        await new Promise((r) => setTimeout(r, 200));
        result = await fetch(query).then(async (r) => (r.ok ? ((await r.json()) as Answer).data.result : []), () => []);
      }
      const byOutcome = Object.fromEntries(result.map((r) => [r.metric.outcome, Number(r.value[1])]));
      expect(byOutcome).toEqual({ valid: snap.rows.valid, rejected: snap.rows.rejected, duplicate: snap.rows.duplicate });
      expect(result[0]!.metric.job).toBe('syncscope');
    } finally {
      prometheus.kill('SIGTERM');
      prometheusChildren.delete(prometheus);
    }
    await p.stop('SIGTERM');
  }, 40_000);

  it('counts the tallies the unreachable status Worker has not got yet', async () => {
    const { log, state } = logFolder('metrics-outbox', logText(0, 100));
    const nobody = await freePort();
    const p = start(['run', '--follow', log, '--state', state, ...TICK, '--metrics-port', '0', '--kv-url', `http://127.0.0.1:${nobody}`],
      { ...FAST, SYNCSCOPE_REPORT_SECRET: 'test-secret' });
    const url = await metricsUrl(p.stderr);
    const queued = Number(await waitFor('the worker-unreachable notice', () => /Worker is unreachable .*; (\d+) tally\(ies\) kept/.exec(p.stderr())?.[1]));
    expect(queued).toBe(3); // one per tenant of the log
    await scrapeUntil(url, (m) => valueOf(m, 'syncscope_kv_outbox_tallies') === queued);
    await p.stop('SIGTERM');
  });

  it('stdin: the endpoint does not keep the process alive once the input ends', async () => {
    const state = join(tempDir('metrics-stdin'), 'state');
    const r = await runCli(['run', '-', '--state', state, ...TICK, '--metrics-port', '0'], { input: logText(0, 50), env: FAST });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^syncscope: reading stdin until it ends; outputs every 1s in \S+; metrics at http:\/\/127\.0\.0\.1:\d+\/metrics\n/);
    expect(snapshot(state)!.rows.read).toBe(50);
  });
});

describe.concurrent('syncscope run --metrics-port: what stops the start (exit 2, one line, nothing read)', () => {
  let busy: Server;
  let busyPort: number;
  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    busyPort = (busy.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => busy.close(() => r())));

  const cases: Array<[string, (port: number) => string[], (port: number) => string]> = [
    ['a port in use', (port) => ['--follow', 'LOG', '--metrics-port', String(port)], (port) => `syncscope: --metrics-port ${port}: port in use on 127.0.0.1\n`],
    ['a host it cannot listen on', () => ['--follow', 'LOG', '--metrics-port', '0', '--metrics-host', '203.0.113.7'], () => 'syncscope: --metrics-host 203.0.113.7: cannot listen there: '],
    ['a port out of range', () => ['--follow', 'LOG', '--metrics-port', '65536'], () => 'syncscope: --metrics-port: must be a port number from 1 to 65535 (or 0: any free port); got "65536"\n'],
    ['a port that is not a number', () => ['--follow', 'LOG', '--metrics-port', '94x'], () => 'syncscope: --metrics-port: must be a port number from 1 to 65535 (or 0: any free port); got "94x"\n'],
    ['a batch run', () => ['LOG', '--metrics-port', '0'], () => 'syncscope: --metrics-port needs a following run (--follow FILE, or - for stdin)\n'],
    ['--metrics-host alone', () => ['--follow', 'LOG', '--metrics-host', '0.0.0.0'], () => 'syncscope: --metrics-host needs --metrics-port\n'],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const { log, state } = logFolder('metrics-refused', logText(0, 20));
      const r = await runCli(['run', '--state', state, '--no-progress', ...args(busyPort).map((a) => (a === 'LOG' ? log : a))]);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')).toHaveLength(2); // one line
      expect(r.stderr.startsWith(message(busyPort))).toBe(true);
      expect(existsSync(join(state, 'log', 'sync-summary.json'))).toBe(false);
    });
  }
});
