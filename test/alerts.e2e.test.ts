// SPEC §4 end to end with the BUILT CLI: two bursts and a recovery (alerts.ndjson), the alert
// files' names and front matter, the move to alerts-resolved/, the snapshot's alerts, re-runs.
import { beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ensureBuilt, FIXTURES, readSnapshot, runCli, tempDir } from './core-helpers.js';
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

const newState = (): string => tempDir('alerts');

function listing(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const sub of ['alerts', 'alerts-resolved']) {
    const p = join(dir, 'log', sub);
    if (!existsSync(p)) continue;
    for (const f of readdirSync(p).sort()) out[`${sub}/${f}`] = readFileSync(join(p, f), 'utf8');
  }
  return out;
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

describe('alert files (built CLI)', () => {
  it('two bursts and a recovery: names, front matter, error chain, resolved moves, snapshot, KV; re-runs are byte-identical; steady state is empty', async () => {
    const dir = newState();
    const r1 = await run(dir, '2026-04-16T11:05:00Z');
    expect(r1.code).toBe(0);

    const files1 = listing(dir);
    expect(Object.keys(files1)).toEqual([`alerts/${SECOND}`, `alerts-resolved/${FIRST}`, `alerts-resolved/${BETA}`]);

    const first = files1[`alerts-resolved/${FIRST}`]!;
    expect(frontMatter(first)).toEqual({
      tenant_id: 'acme',
      repo: 'snappy-os',
      opened_at: '2026-04-16T10:04:00Z',
      last_failure_at: '2026-04-16T10:06:00Z',
      failures: '4',
      status: 'resolved',
      resolved_at: '2026-04-16T10:08:00Z',
    });
    // the error chain: one entry per failure with ts, machine, op, scope, trigger and every error
    const chain = first.slice(first.indexOf('---', 4));
    const order = ['10:00:00', '10:02:00', '10:04:00', '10:06:00'].map((t) => chain.lastIndexOf(`2026-04-16T${t}Z`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    for (const s of ['push failed: 503 SlowDown', 'PUT s3://spaces/acme/state.tar: timeout', 'linux-box', 'mbpro-rb', 'cron', 'login', 'stop-hook', 'pull', 'home']) {
      expect(chain, s).toContain(s);
    }
    // the outer error comes before its cause
    expect(chain.indexOf('push failed: 503 SlowDown')).toBeLessThan(chain.indexOf('PUT s3://spaces/acme/state.tar: timeout'));

    expect(frontMatter(files1[`alerts-resolved/${BETA}`]!)).toEqual({
      tenant_id: 'Beta Co',
      repo: 'Docs Site',
      opened_at: '2026-04-16T10:32:00Z',
      last_failure_at: '2026-04-16T10:32:00Z',
      failures: '3',
      status: 'resolved',
      resolved_at: '2026-04-16T10:42:00Z',
    });
    expect(files1[`alerts-resolved/${BETA}`]).toContain('403 from Spaces');

    const open = files1[`alerts/${SECOND}`]!;
    const fm = frontMatter(open);
    expect(fm).toEqual({
      tenant_id: 'acme',
      repo: 'snappy-os',
      opened_at: '2026-04-16T11:02:00Z',
      last_failure_at: '2026-04-16T11:02:00Z',
      failures: '3',
      status: 'open',
    });
    expect(open.match(/ENOSPC/g)?.length).toBeGreaterThanOrEqual(3);

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

    // re-run, same input, same NOW: byte-identical files, no duplicates, no strays (temp files)
    const r2 = await run(dir, '2026-04-16T11:05:00Z');
    expect(r2.code).toBe(0);
    expect(listing(dir)).toEqual(files1);
    expect(readSnapshot(dir).alerts).toEqual(s1.alerts);

    // NOW past 11:12: the second burst resolves at last_failure + W; alerts/ is empty (steady state)
    const r3 = await run(dir, '2026-04-16T12:00:00Z');
    expect(r3.code).toBe(0);
    const files3 = listing(dir);
    expect(Object.keys(files3)).toEqual([`alerts-resolved/${FIRST}`, `alerts-resolved/${BETA}`, `alerts-resolved/${SECOND}`]);
    expect(readdirSync(join(dir, 'log', 'alerts'))).toEqual([]);
    expect(frontMatter(files3[`alerts-resolved/${SECOND}`]!)).toEqual({
      tenant_id: 'acme',
      repo: 'snappy-os',
      opened_at: '2026-04-16T11:02:00Z',
      last_failure_at: '2026-04-16T11:02:00Z',
      failures: '3',
      status: 'resolved',
      resolved_at: '2026-04-16T11:12:00Z',
    });
    expect(files3[`alerts-resolved/${FIRST}`]).toBe(files1[`alerts-resolved/${FIRST}`]);
    expect(files3[`alerts-resolved/${BETA}`]).toBe(files1[`alerts-resolved/${BETA}`]);
    expect(readSnapshot(dir).alerts).toEqual({ open: [], resolved: 3 });
    expect(JSON.parse((await kv.get('tenant:acme'))!)).toMatchObject({ failing: false, open_alerts: 0, last_alert_at: '2026-04-16T11:02:00Z' });

    // a fresh state at NOW 12:00 writes exactly the same files as the sequence of runs did
    const fresh = newState();
    expect((await run(fresh, '2026-04-16T12:00:00Z')).code).toBe(0);
    expect(listing(fresh)).toEqual(files3);
  });

  it('a log that grows between runs ends with the same files as one run over the whole log (tentative resolve withdrawn)', async () => {
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
    expect(Object.keys(partial)).toEqual([`alerts-resolved/${FIRST}`]);
    expect(frontMatter(partial[`alerts-resolved/${FIRST}`]!).resolved_at).toBe('2026-04-16T10:16:00Z');
    // the rest arrives: the 10:08 success resolves it at 10:08 instead
    appendFileSync(log, lines.slice(4).join('\n'));
    expect((await grow()).code).toBe(0);
    expect(listing(dir)).toEqual(listing(whole));
    expect(readSnapshot(dir).alerts).toEqual(readSnapshot(whole).alerts);
    const { generated_at: _a, ...grown } = readSnapshot(dir);
    const { generated_at: _b, ...once } = readSnapshot(whole);
    expect(grown).toEqual(once);
  });

  it('a higher --alert-failures opens nothing: no alert files at all, alerts/ empty', async () => {
    const dir = newState();
    const r = await runCli(['run', LOG, '--now', '2026-04-16T11:05:00Z', '--state', dir, '--alert-failures', '5']);
    expect(r.code).toBe(0);
    expect(listing(dir)).toEqual({});
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
