// SPEC §4 end to end with the BUILT CLI: two bursts and a recovery (alerts.ndjson), the open
// alert files' names and front matter, resolved clusters as lines of alerts-resolved.ndjson, the
// snapshot's alerts, re-runs, a growing log, and a tentative resolve withdrawn in follow mode.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ensureBuilt, FIXTURES, readSnapshot, runCli, tempDir } from './core-helpers.js';
import { killLeftovers, start, waitFor } from './follow-helpers.js';
import { FileKv } from '../sinks/kv/file-kv.js';
import { renderAlert } from '../sinks/render-alert.js';
import { alertFileName } from '../pipeline/core/alerts.js';

const LOG = join(FIXTURES, 'alerts.ndjson');

// alerts.ndjson, N = 3, W = 10m:
//  acme/snappy-os fails 10:00, 10:02, 10:04 → opens 10:04; 10:06 joins (4); success 10:08 resolves at 10:08.
//  Beta Co/Docs Site fails 10:30, 10:31, 10:32 → opens 10:32; next row 10:50 > 10:42 → resolves at 10:42 (step 1).
//  acme/snappy-os fails 11:00, 11:01, 11:02 → opens 11:02; open at NOW 11:05, resolved at 11:12 once NOW > 11:12 (step 4).
//  acme/other-repo succeeds 11:03: another key, resolves nothing.
/** SPEC §4: first 8 hex of SHA-256 over `tenant_id + "\n" + repo`, computed here independently. */
const h = (tenant: string, repo: string): string => createHash('sha256').update(`${tenant}\n${repo}`).digest('hex').slice(0, 8);
const FIRST = `sync-degraded-20260416T100400Z-acme-snappy-os-h${h('acme', 'snappy-os')}.md`;
const BETA = `sync-degraded-20260416T103200Z-beta-co-docs-site-h${h('Beta Co', 'Docs Site')}.md`;
const SECOND = `sync-degraded-20260416T110200Z-acme-snappy-os-h${h('acme', 'snappy-os')}.md`;

beforeAll(() => ensureBuilt());
afterAll(() => killLeftovers());

const newState = (): string => tempDir('alerts');

/** The open alert files (alerts/ must exist, even empty) and the resolved-alert history. */
function listing(dir: string): { open: Record<string, string>; history: string } {
  const log = join(dir, 'log');
  expect(existsSync(join(log, 'alerts-resolved')), 'no folder of resolved files').toBe(false);
  const open: Record<string, string> = {};
  for (const f of readdirSync(join(log, 'alerts')).sort()) open[f] = readFileSync(join(log, 'alerts', f), 'utf8');
  return { open, history: readFileSync(join(log, 'alerts-resolved.ndjson'), 'utf8') };
}

/** The history's lines, parsed; every line ends with a newline. */
function historyLines(text: string): Array<Record<string, unknown>> {
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The front-matter block as key → value (JSON-quoted values unquoted). */
function frontMatter(text: string): Record<string, string> {
  const m = /^---\n([\s\S]*?)\n---\n/.exec(text);
  expect(m, 'front matter block at the top').not.toBeNull();
  const out: Record<string, string> = {};
  for (const line of m![1]!.split('\n')) {
    const i = line.indexOf(':');
    const k = line.slice(0, i).trim();
    let v = line.slice(i + 1).trim();
    if (/^".*"$/.test(v) || /^'.*'$/.test(v)) v = v.startsWith('"') ? (JSON.parse(v) as string) : v.slice(1, -1);
    out[k] = v;
  }
  return out;
}

const run = (dir: string, now: string) => runCli(['run', LOG, '--now', now, '--state', dir]);

/** An entry of a history line, as alerts.ndjson line `line` gives it. */
const entry = (line: number, ts: string, machine: string, op: string, scope: string, trigger: string, errors: string[]) =>
  ({ ts: `2026-04-16T${ts}Z`, machine, op, scope, trigger, errors, file: LOG, line });

describe('alert files and the resolved-alert history (built CLI)', () => {
  it('two bursts and a recovery: open file, history lines, snapshot, KV; re-runs are byte-identical; steady state is empty', async () => {
    const dir = newState();
    const r1 = await run(dir, '2026-04-16T11:05:00Z');
    expect(r1.code).toBe(0);

    const out1 = listing(dir);
    expect(Object.keys(out1.open)).toEqual([SECOND]);
    // Resolved clusters never got a file: one line each, in the order they resolved.
    const lines1 = historyLines(out1.history);
    expect(lines1).toEqual([
      {
        file: FIRST,
        tenant_id: 'acme',
        repo: 'snappy-os',
        opened_at: '2026-04-16T10:04:00Z',
        last_failure_at: '2026-04-16T10:06:00Z',
        resolved_at: '2026-04-16T10:08:00Z',
        failures: 4,
        entries: [
          entry(1, '10:00:00', 'mbpro-rb', 'push', 'state', 'stop-hook', ['push failed: 503 SlowDown', 'PUT s3://spaces/acme/state.tar: timeout']),
          entry(2, '10:02:00', 'linux-box', 'push', 'state', 'cron', ['503 SlowDown']),
          entry(3, '10:04:00', 'mbpro-rb', 'pull', 'home', 'login', []),
          entry(4, '10:06:00', 'mbpro-rb', 'push', 'state', 'stop-hook', ['503 SlowDown']),
        ],
      },
      {
        file: BETA,
        tenant_id: 'Beta Co',
        repo: 'Docs Site',
        opened_at: '2026-04-16T10:32:00Z',
        last_failure_at: '2026-04-16T10:32:00Z',
        resolved_at: '2026-04-16T10:42:00Z',
        failures: 3,
        entries: [
          entry(6, '10:30:00', 'beta-laptop', 'push', 'state', 'stop-hook', ['quota exceeded']),
          entry(7, '10:31:00', 'beta-laptop', 'push', 'state', 'stop-hook', ['quota exceeded']),
          entry(8, '10:32:00', 'beta-laptop', 'push', 'state', 'stop-hook', ['quota exceeded', '403 from Spaces']),
        ],
      },
    ]);
    // Keys in the SPEC's order.
    expect(Object.keys(lines1[0]!)).toEqual(['file', 'tenant_id', 'repo', 'opened_at', 'last_failure_at', 'resolved_at', 'failures', 'entries']);

    const open = out1.open[SECOND]!;
    expect(frontMatter(open)).toEqual({
      tenant_id: 'acme',
      repo: 'snappy-os',
      opened_at: '2026-04-16T11:02:00Z',
      last_failure_at: '2026-04-16T11:02:00Z',
      failures: '3',
      status: 'open',
    });
    // the error chain: one entry per failure with ts, machine, op, scope, trigger, every error, file and line
    const chain = open.slice(open.indexOf('---', 4));
    const order = ['11:00:00', '11:01:00', '11:02:00'].map((t) => chain.lastIndexOf(`2026-04-16T${t}Z`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(open.match(/ENOSPC/g)?.length).toBeGreaterThanOrEqual(3);
    for (const s of ['mbpro-rb', 'push', 'stop-hook', `${LOG} line 10`, `${LOG} line 12`]) expect(chain, s).toContain(s);

    const s1 = readSnapshot(dir);
    expect(s1.alerts).toEqual({
      open: [{ file: SECOND, tenant_id: 'acme', repo: 'snappy-os', opened_at: '2026-04-16T11:02:00Z', failures: 3 }],
      resolved: 2,
    });
    const kv = new FileKv(join(dir, 'kv', 'ALERTS'));
    expect(JSON.parse((await kv.get('tenant:acme'))!)).toMatchObject({ failing: true, open_alerts: 1, last_alert_at: '2026-04-16T11:02:00Z' });
    expect(JSON.parse((await kv.get('tenant:Beta Co'))!)).toMatchObject({ failing: false, open_alerts: 0, last_alert_at: '2026-04-16T10:32:00Z' });
    const md = readFileSync(join(dir, 'log', 'sync-summary.md'), 'utf8');
    expect(md).toContain(SECOND);

    // re-run, same input, same NOW (resumes from the checkpoint): byte-identical, no line twice
    const r2 = await run(dir, '2026-04-16T11:05:00Z');
    expect(r2.code).toBe(0);
    expect(listing(dir)).toEqual(out1);
    expect(readSnapshot(dir).alerts).toEqual(s1.alerts);

    // NOW past 11:12: the second burst resolves at last_failure + W; alerts/ is empty (steady state)
    const r3 = await run(dir, '2026-04-16T12:00:00Z');
    expect(r3.code).toBe(0);
    const out3 = listing(dir);
    expect(out3.open).toEqual({});
    expect(readdirSync(join(dir, 'log', 'alerts'))).toEqual([]);
    const lines3 = historyLines(out3.history);
    expect(lines3.map((l) => l.file)).toEqual([FIRST, BETA, SECOND]);
    expect(lines3[2]).toMatchObject({ opened_at: '2026-04-16T11:02:00Z', last_failure_at: '2026-04-16T11:02:00Z', resolved_at: '2026-04-16T11:12:00Z', failures: 3 });
    expect(out3.history.startsWith(out1.history)).toBe(true);
    expect(readSnapshot(dir).alerts).toEqual({ open: [], resolved: 3 });
    expect(JSON.parse((await kv.get('tenant:acme'))!)).toMatchObject({ failing: false, open_alerts: 0, last_alert_at: '2026-04-16T11:02:00Z' });

    // the same again, and a fresh state at NOW 12:00: exactly the same bytes
    expect((await run(dir, '2026-04-16T12:00:00Z')).code).toBe(0);
    expect(listing(dir)).toEqual(out3);
    const fresh = newState();
    expect((await run(fresh, '2026-04-16T12:00:00Z')).code).toBe(0);
    expect(listing(fresh)).toEqual(out3);
    // --rebuild writes the history again from the input, not after it
    expect((await runCli(['run', LOG, '--now', '2026-04-16T12:00:00Z', '--state', dir, '--rebuild'])).code).toBe(0);
    expect(listing(dir)).toEqual(out3);
  });

  it('a log that grows between runs ends with the same outputs as one run over the whole log (tentative resolve withdrawn)', async () => {
    const whole = newState();
    expect((await runCli(['run', 'alerts.ndjson', '--now', '2026-04-16T11:05:00Z', '--state', whole], { cwd: FIXTURES })).code).toBe(0);
    const dir = newState();
    // Alert entries name the input as given: both runs name it the same relative path.
    const log = join(dir, 'alerts.ndjson');
    const lines = readFileSync(LOG, 'utf8').split('\n');
    // first 4 lines: acme/snappy-os open since 10:04, last failure 10:06; at NOW 11:05 it settles at 10:16
    writeFileSync(log, `${lines.slice(0, 4).join('\n')}\n`);
    const grow = () => runCli(['run', 'alerts.ndjson', '--now', '2026-04-16T11:05:00Z', '--state', dir], { cwd: dir });
    expect((await grow()).code).toBe(0);
    const partial = listing(dir);
    expect(partial.open).toEqual({});
    expect(historyLines(partial.history).map((l) => [l.file, l.resolved_at])).toEqual([[FIRST, '2026-04-16T10:16:00Z']]);
    // the rest arrives: the 10:08 success resolves it at 10:08 instead
    appendFileSync(log, lines.slice(4).join('\n'));
    expect((await grow()).code).toBe(0);
    expect(listing(dir)).toEqual(listing(whole));
    expect(historyLines(listing(dir).history).map((l) => [l.file, l.resolved_at])).toEqual([[FIRST, '2026-04-16T10:08:00Z'], [BETA, '2026-04-16T10:42:00Z']]);
    const { generated_at: _a, ...grown } = readSnapshot(dir);
    const { generated_at: _b, ...once } = readSnapshot(whole);
    expect(grown).toEqual(once);
  });

  it('follow mode: a line resolved only by time at a tick is withdrawn when a later row reopens the cluster', async () => {
    const dir = tempDir('alerts-follow');
    const log = join(dir, 'alerts.ndjson');
    const state = join(dir, 'state');
    const now = '2026-04-16T10:20:00Z';
    const lines = readFileSync(LOG, 'utf8').split('\n');
    writeFileSync(log, `${lines.slice(0, 4).join('\n')}\n`);
    const p = start(['run', '--follow', log, '--state', state, '--tick', '1s', '--now', now, '--no-progress']);
    const history = join(state, 'log', 'alerts-resolved.ndjson');
    const openDir = join(state, 'log', 'alerts');
    // At NOW 10:20 the cluster (last failure 10:06) resolves by time at 10:16: a tentative line.
    await waitFor('the tentative line', () => existsSync(history) && /"resolved_at":"2026-04-16T10:16:00Z"/.test(readFileSync(history, 'utf8')));
    expect(historyLines(readFileSync(history, 'utf8')).map((l) => l.file)).toEqual([FIRST]);
    expect(readdirSync(openDir)).toEqual([]);
    // A failure at 10:12 joins it: with W = 10m it is open at 10:20 again, as a batch over these
    // five lines says. The line is withdrawn and the open file is back.
    const failure = JSON.parse(lines[3]!) as Record<string, unknown>;
    appendFileSync(log, `${JSON.stringify({ ...failure, ts: '2026-04-16T10:12:00Z' })}\n`);
    await waitFor('the line withdrawn', () => readFileSync(history, 'utf8') === '' && readdirSync(openDir).length === 1);
    expect(frontMatter(readFileSync(join(openDir, FIRST), 'utf8'))).toMatchObject({ failures: '5', last_failure_at: '2026-04-16T10:12:00Z', status: 'open' });
    expect((await p.stop('SIGTERM')).code).toBe(0);

    const ref = join(dir, 'ref');
    expect((await runCli(['run', log, '--now', now, '--state', ref])).code).toBe(0);
    expect(listing(state)).toEqual(listing(ref));
    expect(readSnapshot(state).alerts).toEqual(readSnapshot(ref).alerts);
  });

  it('a higher --alert-failures opens nothing: no alert files at all, alerts/ empty, an empty history', async () => {
    const dir = newState();
    const r = await runCli(['run', LOG, '--now', '2026-04-16T11:05:00Z', '--state', dir, '--alert-failures', '5']);
    expect(r.code).toBe(0);
    expect(listing(dir)).toEqual({ open: {}, history: '' });
    expect(readSnapshot(dir).alerts).toEqual({ open: [], resolved: 0 });
  });
});

describe('alert file rendering (unit)', () => {
  const cluster = (tenant_id: string, repo: string) => ({
    tenant_id,
    repo,
    opened_at: Date.parse('2026-04-16T10:04:00Z'),
    last_failure_at: Date.parse('2026-04-16T10:06:00.250Z'),
    failures: [{ t: Date.parse('2026-04-16T10:04:00Z'), file: 'log.ndjson', line: 3, machine: 'm', op: 'push', scope: 's', trigger: 't', errors: ['a', 'b'] }],
    resolved_at: null,
    seq: 1,
  });

  it('file name: opened_at as YYYYMMDDTHHMMSSZ, tenant and repo slugged to [a-z0-9._-], hash of the exact key', () => {
    expect(alertFileName(cluster('Beta Co', 'My Repo/Ü'))).toBe(`sync-degraded-20260416T100400Z-beta-co-my-repo--h${h('Beta Co', 'My Repo/Ü')}.md`);
    expect(alertFileName(cluster('acme', 'snappy-os'))).toMatch(/^sync-degraded-\d{8}T\d{6}Z-[a-z0-9._-]+-[a-z0-9._-]+-h[0-9a-f]{8}\.md$/);
    for (const name of [alertFileName(cluster('../..', '/etc/passwd')), alertFileName(cluster('A B', 'x\ny'))]) {
      expect(name).toMatch(/^sync-degraded-\d{8}T\d{6}Z-[a-z0-9._-]+-[a-z0-9._-]+-h[0-9a-f]{8}\.md$/);
      expect(name).not.toContain('/');
    }
  });

  it('the same cluster always renders the same bytes', () => {
    expect(renderAlert(cluster('acme', 'r'))).toBe(renderAlert(cluster('acme', 'r')));
  });

  // YAML reads a plain `true`, `null`, `123` or `1e3` as a boolean, null or number: the front
  // matter would say the repo is not a string. Such values must be quoted.
  for (const name of ['true', 'null', '123']) {
    it(`front matter keeps tenant_id / repo "${name}" a string (quoted)`, () => {
      const fm = renderAlert(cluster(name, name)).split('\n---\n')[0]!;
      expect(fm).toMatch(new RegExp(`^tenant_id: (["'])${name}\\1$`, 'm'));
      expect(fm).toMatch(new RegExp(`^repo: (["'])${name}\\1$`, 'm'));
    });
  }
});
