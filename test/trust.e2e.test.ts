// Trust: no row lost, none doubled, and no line or name can stop the pipeline. Each case was
// reproduced on the first build (v1 contract) and runs the built CLI on a real log.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, iso, line, rawRow, readSnapshot, runCli, tempDir } from './core-helpers.js';
import { killLeftovers, start, waitForRead } from './follow-helpers.js';

beforeAll(() => ensureBuilt());
afterEach(() => killLeftovers());

const NOW = '2026-04-16T20:00:00Z';

function writeLog(dir: string, lines: readonly string[], name = 'log.ndjson'): string {
  const path = join(dir, name);
  writeFileSync(path, lines.map((l) => `${l}\n`).join(''));
  return path;
}

function alertNames(state: string): string[] {
  const dir = join(state, 'log', 'alerts');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

const hash8 = (tenant: string, repo: string): string =>
  createHash('sha256').update(`${tenant}\n${repo}`, 'utf8').digest('hex').slice(0, 8);

async function runBatch(path: string, state: string, extra: string[] = []): Promise<void> {
  const r = await runCli(['run', path, '--state', state, '--now', NOW, '--no-progress', ...extra]);
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.code).toBe(0);
}

describe('identical rows are rows (every line of a stream counts)', () => {
  it('three byte-identical fast-fail retries count as three failures and open an alert', async () => {
    const dir = tempDir('identical');
    const retry = line({ ...rawRow({ ts: '2026-04-16T19:55:38Z', ok: false, error: 'connection refused' }), dur_ms: 0 });
    const path = writeLog(dir, [retry, retry, retry]);
    const state = join(dir, 'state');
    await runBatch(path, state);
    const snap = readSnapshot(state);
    expect(snap.rows).toMatchObject({ read: 3, valid: 3, duplicate: 0 });
    expect(snap.pushes_per_hour.at(-2)).toMatchObject({ pushes: 3, failed: 3 });
    expect(snap.alerts.open).toHaveLength(1);
    expect(snap.alerts.open[0]?.failures).toBe(3);
  });

  it('two identical 600 GiB pulls are billed as two (193 cents, not 17)', async () => {
    const dir = tempDir('identical-cost');
    const pull = line(rawRow({ ts: '2026-04-16T19:00:00Z', op: 'pull', ok: true, bytes: 600 * 2 ** 30 }));
    const path = writeLog(dir, [pull, pull]);
    const state = join(dir, 'state');
    await runBatch(path, state);
    // April: base 500/30 cents; 1200 GiB pulled, 1024 GiB included, 176 GiB at 1 cent.
    expect(readSnapshot(state).cost.week_usd_cents).toBe(193);
  });
});

describe('stdin restart: only the replayed overlap is a duplicate', () => {
  it('a restarted tail -f on a sparse log re-sending 10 lines over 20 minutes counts each push once', async () => {
    const dir = tempDir('sparse');
    const state = join(dir, 'state');
    const at = (i: number): string => iso(Date.parse('2026-04-16T18:00:00Z') + i * 120_000);
    const lines = Array.from({ length: 30 }, (_, i) => line(rawRow({ ts: at(i), ok: true, machine: 'm1' })));
    const first = start(['run', '-', '--state', state, '--now', NOW, '--tick', '1s', '--no-progress']);
    first.child.stdin.write(lines.slice(0, 20).map((l) => `${l}\n`).join(''));
    await waitForRead(state, 20);
    expect((await first.stop('SIGTERM')).code).toBe(0);
    // `tail -f` restarted: its last 10 lines again, then the 10 new ones, then EOF.
    const r = await runCli(['run', '-', '--state', state, '--now', NOW, '--no-progress'], {
      input: lines.slice(10).map((l) => `${l}\n`).join(''),
    });
    expect(r.code).toBe(0);
    const snap = readSnapshot(state);
    expect(snap.rows).toMatchObject({ read: 40, valid: 30, rejected: 0, duplicate: 10 });
    const pushes = snap.pushes_per_hour.reduce((n, h) => n + h.pushes, 0);
    expect(pushes).toBe(30);
  });
});

describe('unknown fields are dropped at parse', () => {
  it('a valid row with a 5,000-level nested unknown field is counted and the run exits 0', async () => {
    const dir = tempDir('deep');
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const base = line(rawRow({ ts: '2026-04-16T19:10:38Z', ok: true }));
    const path = writeLog(dir, [`${base.slice(0, -1)},"x":${deep}}`, base]);
    const state = join(dir, 'state');
    await runBatch(path, state);
    expect(readSnapshot(state).rows).toMatchObject({ read: 2, valid: 2, rejected: 0 });
    // Follow-up runs resume from the checkpoint without tripping over it either.
    await runBatch(path, state);
    expect(readSnapshot(state).rows).toMatchObject({ read: 2, valid: 2 });
  });

  it('fat unknown fields inside the lateness window never reach the checkpoint', async () => {
    const dir = tempDir('fat');
    const fat = 'x'.repeat(60_000);
    const lines = Array.from({ length: 400 }, (_, i) =>
      line(rawRow({ ts: `2026-04-16T19:59:${String(i % 60).padStart(2, '0')}Z`, ok: true, blob: fat })));
    const path = writeLog(dir, lines);
    const state = join(dir, 'state');
    await runBatch(path, state);
    expect(readSnapshot(state).rows).toMatchObject({ read: 400, valid: 400 });
    const cp = join(state, '.syncscope', 'checkpoint.json');
    expect(statSync(cp).size).toBeLessThan(400 * 1000);
    expect(readFileSync(cp, 'utf8')).not.toContain('xxxxxxxxxx');
  });
});

describe('alert file names: unique per key, bounded, never fatal', () => {
  const burst = (tenant: string, repo: string, ts = '2026-04-16T19:50:00Z'): string[] =>
    [0, 1, 2].map(() => line(rawRow({ ts, tenant, repo, ok: false, error: 'boom' })));

  it('keys whose slugs collide each get their own file, carrying the hash of the exact key', async () => {
    const keys: Array<[string, string]> = [['default', 'Foo'], ['default', 'foo'], ['default', 'a/b'], ['default', 'a b'], ['a-b', 'c'], ['a', 'b-c']];
    const dir = tempDir('collide');
    const path = writeLog(dir, keys.flatMap(([t, r]) => burst(t, r)));
    const state = join(dir, 'state');
    await runBatch(path, state);
    const names = alertNames(state);
    expect(names).toHaveLength(keys.length);
    for (const [t, r] of keys) {
      expect(names.filter((n) => n.includes(`-h${hash8(t, r)}`)), `${t}/${r}`).toHaveLength(1);
    }
    for (const n of names) expect(n).toMatch(/^sync-degraded-20260416T195000Z-[a-z0-9._-]{1,48}-[a-z0-9._-]{1,48}-h[0-9a-f]{8}\.md$/);
    expect(readSnapshot(state).alerts.open).toHaveLength(keys.length);
  });

  it('a cluster reopening in the same second gets -2 instead of overwriting the first', async () => {
    const dir = tempDir('reopen');
    const ts = '2026-04-16T19:50:00Z';
    const path = writeLog(dir, [...burst('default', 'web', ts), line(rawRow({ ts, repo: 'web', ok: true })), ...burst('default', 'web', ts)]);
    const state = join(dir, 'state');
    await runBatch(path, state);
    const h = hash8('default', 'web');
    expect(alertNames(state)).toEqual([`sync-degraded-20260416T195000Z-default-web-h${h}-2.md`]);
    const resolved = readFileSync(join(state, 'log', 'alerts-resolved.ndjson'), 'utf8').split('\n').filter((l) => l !== '');
    expect(resolved.map((l) => (JSON.parse(l) as { file: string }).file)).toEqual([`sync-degraded-20260416T195000Z-default-web-h${h}.md`]);
  });

  it('a failing repo with a 300-character name still gets its dashboard and an alert name of at most 160 bytes', async () => {
    const dir = tempDir('long-repo');
    const repo = `${'r'.repeat(150)}/${'é'.repeat(150)}`;
    const path = writeLog(dir, burst('default', repo));
    const state = join(dir, 'state');
    await runBatch(path, state);
    const [name] = alertNames(state);
    expect(name).toBeDefined();
    expect(Buffer.byteLength(name!)).toBeLessThanOrEqual(160);
    expect(existsSync(join(state, 'log', 'sync-summary.md'))).toBe(true);
  });
});

describe('rejects and alert entries name their file and line, in input order', () => {
  it('a line over 64 KiB keeps its place among the rejects', async () => {
    const dir = tempDir('rejects-order');
    const ok = line(rawRow({ ts: '2026-04-16T19:10:38Z', ok: true }));
    const path = writeLog(dir, ['not json', ok, 'x'.repeat(70_000), '[1]', ok, '{"ts":3}']);
    const state = join(dir, 'state');
    await runBatch(path, state);
    const rejects = readFileSync(join(state, 'log', 'sync-events.rejects.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rejects.map((r) => r.line)).toEqual([1, 3, 4, 6]);
    for (const r of rejects) expect(r.file).toBe(path);
    expect(Object.keys(rejects[0])).toEqual(['file', 'line', 'reason', 'raw']);
  });

  it('stdin rejects name the file as -', async () => {
    const dir = tempDir('rejects-stdin');
    const state = join(dir, 'state');
    const r = await runCli(['run', '-', '--state', state, '--now', NOW, '--no-progress'], { input: 'garbage\n' });
    expect(r.code).toBe(0);
    const [rej] = readFileSync(join(state, 'log', 'sync-events.rejects.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rej).toMatchObject({ file: '-', line: 1 });
  });

  it('each entry of an alert file names the input file and line of its row', async () => {
    const dir = tempDir('alert-entry');
    const fail = line(rawRow({ ts: '2026-04-16T19:50:00Z', repo: 'web', ok: false, error: 'boom' }));
    const path = writeLog(dir, ['', fail, fail, fail]);
    const state = join(dir, 'state');
    await runBatch(path, state);
    const [name] = alertNames(state);
    const text = readFileSync(join(state, 'log', 'alerts', name!), 'utf8');
    for (const n of [2, 3, 4]) expect(text).toContain(`${path} line ${n}`);
  });
});

describe('ts: RFC 3339 allows lowercase t and z', () => {
  it('accepts 2026-04-16t19:10:38z and counts it in its hour', async () => {
    const dir = tempDir('lower');
    const path = writeLog(dir, [line(rawRow({ ts: '2026-04-16t19:10:38z', ok: true })), line(rawRow({ ts: '2026-04-16t19:10:38.5+00:00', ok: true }))]);
    const state = join(dir, 'state');
    await runBatch(path, state);
    const snap = readSnapshot(state);
    expect(snap.rows).toMatchObject({ valid: 2, rejected: 0 });
    expect(snap.pushes_per_hour.at(-2)).toMatchObject({ hour: '2026-04-16T19:00:00Z', pushes: 2 });
  });
});


