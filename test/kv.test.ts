// SPEC §5: the embedded file KV (list with prefix and cursor, concurrent writers), the tally
// write rules, the status computation, `syncscope status`, and privacy of what reaches the KV.
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FileKv, listAll } from '../sinks/kv/file-kv.js';
import { HEARTBEAT_MS, publishTallies } from '../sinks/kv/tenant-tallies.js';
import { computeStatus } from '../pipeline/core/status.js';
import type { KvListOptions, KvListResult, KvStore, TenantTally } from '../pipeline/core/kv-store.js';
import { ensureBuilt, FIXTURES, REPO_ROOT, runCli, tempDir } from './core-helpers.js';

const newDir = (): string => tempDir('kv');

describe('FileKv', () => {
  it('put/get/overwrite/missing; list with prefix and cursor over > 1000 keys, in byte order', async () => {
    const kv = new FileKv(join(newDir(), 'ALERTS'));
    expect(await kv.get('tenant:nobody')).toBeNull();
    expect(await kv.list({ prefix: 'tenant:' })).toEqual({ keys: [], list_complete: true });
    const N = 1005;
    const names = Array.from({ length: N }, (_, i) => `tenant:t${String(i).padStart(4, '0')}`);
    for (const [i, name] of names.entries()) await kv.put(name, `v${i}`, { metadata: { i } });
    await kv.put('other:x', 'o');
    await kv.put('tenant:é', 'accent', { metadata: { failing: true } });
    await kv.put('tenant:Z', 'upper');
    await kv.put('tenant:t0001', 'overwritten', { metadata: { i: -1 } });
    expect(await kv.get('tenant:t0001')).toBe('overwritten');
    expect(await kv.get('tenant:t1004')).toBe('v1004');
    expect(await kv.get('other:x')).toBe('o');

    const p1 = await kv.list({ prefix: 'tenant:' });
    expect(p1.keys).toHaveLength(1000);
    expect(p1.list_complete).toBe(false);
    expect(typeof p1.cursor).toBe('string');
    const p2 = await kv.list({ prefix: 'tenant:', cursor: p1.cursor });
    expect(p2.list_complete).toBe(true);
    const all = [...p1.keys, ...p2.keys].map((k) => k.name);
    // byte order: 'Z' (0x5a) < 't' (0x74) < 'é' (0xc3 0xa9)
    const expected = ['tenant:Z', ...names, 'tenant:é'];
    expect(all).toEqual(expected);
    expect(p1.keys[0]).toEqual({ name: 'tenant:Z' });
    expect(p1.keys[2]).toEqual({ name: 'tenant:t0001', metadata: { i: -1 } });
    expect(p2.keys[p2.keys.length - 1]).toEqual({ name: 'tenant:é', metadata: { failing: true } });
    expect((await listAll(kv, 'tenant:')).map((k) => k.name)).toEqual(expected);
    expect((await listAll(kv, 'other:')).map((k) => k.name)).toEqual(['other:x']);
    expect((await listAll(kv, '')).length).toBe(N + 3);

    // small pages walk the same keys with no gap or repeat
    const walked: string[] = [];
    let cursor: string | undefined;
    for (let guard = 0; guard < 200; guard++) {
      const page: KvListResult = await kv.list({ prefix: 'tenant:t09', limit: 7, ...(cursor === undefined ? {} : { cursor }) });
      walked.push(...page.keys.map((k) => k.name));
      expect(page.keys.length).toBeLessThanOrEqual(7);
      if (page.list_complete) break;
      cursor = page.cursor;
    }
    expect(walked).toEqual(names.filter((n) => n.startsWith('tenant:t09')));
  });

  it('keys of 10, 113, 300 and 5,000 characters and non-ASCII: written, read, listed by exact name in byte order; no file name over 215 bytes', async () => {
    const dir = join(newDir(), 'ALERTS');
    const kv = new FileKv(dir);
    const ids = [
      'k'.repeat(10),
      't'.repeat(113),
      'x'.repeat(300),
      'y'.repeat(5000),
      `${'z'.repeat(299)}a`, // shares a 299-character start with the next one
      `${'z'.repeat(299)}b`,
      'é'.repeat(113),
      '租户'.repeat(150),
      '🚀'.repeat(80),
      'Ünïcødé',
    ];
    const keys = ids.map((id) => `tenant:${id}`);
    for (const [i, key] of keys.entries()) await kv.put(key, `v${i}`, { metadata: { i } });
    await kv.put(keys[3]!, 'v3 again', { metadata: { i: 3 } }); // overwrite a hashed-name key

    for (const [i, key] of keys.entries()) expect(await kv.get(key)).toBe(i === 3 ? 'v3 again' : `v${i}`);
    expect(await kv.get(`tenant:${'y'.repeat(4999)}`)).toBeNull();
    const files = readdirSync(dir);
    expect(files).toHaveLength(keys.length);
    for (const f of files) expect(Buffer.byteLength(f), f).toBeLessThanOrEqual(215);

    const byteOrder = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const walked: Array<{ name: string; metadata?: unknown }> = [];
    let cursor: string | undefined;
    for (let guard = 0; guard < 20; guard++) {
      const page: KvListResult = await kv.list({ prefix: 'tenant:', limit: 3, ...(cursor === undefined ? {} : { cursor }) });
      walked.push(...page.keys);
      if (page.list_complete) break;
      cursor = page.cursor;
    }
    expect(walked.map((k) => k.name)).toEqual(byteOrder);
    expect(walked.map((k) => k.metadata)).toEqual(byteOrder.map((k) => ({ i: keys.indexOf(k) })));
    expect((await kv.list({ prefix: `tenant:${'z'.repeat(299)}` })).keys.map((k) => k.name)).toEqual([keys[4], keys[5]]);
  });

  it('reads files written under the old hex names, also for a key now stored under a hashed name; a put replaces the old file', async () => {
    const dir = join(newDir(), 'ALERTS');
    mkdirSync(dir, { recursive: true });
    const short = 'tenant:acme';
    const long = `tenant:${'l'.repeat(103)}`; // 110 bytes: its hex name (225 bytes) was writable before
    const hexName = (key: string): string => `${Buffer.from(key).toString('hex')}.json`;
    writeFileSync(join(dir, hexName(short)), JSON.stringify({ value: 'old short', metadata: { n: 1 } }));
    writeFileSync(join(dir, hexName(long)), JSON.stringify({ value: 'old long', metadata: { n: 2 } }));

    const kv = new FileKv(dir);
    expect(await kv.get(short)).toBe('old short');
    expect(await kv.get(long)).toBe('old long');
    expect((await listAll(kv, 'tenant:')).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: short, metadata: { n: 1 } },
      { name: long, metadata: { n: 2 } },
    ]);

    await kv.put(long, 'new long', { metadata: { n: 3 } });
    expect(await kv.get(long)).toBe('new long');
    expect(existsSync(join(dir, hexName(long)))).toBe(false);
    expect((await listAll(kv, `tenant:l`))).toEqual([{ name: long, metadata: { n: 3 } }]);
    expect(readdirSync(dir)).toHaveLength(2);
  });

  it('an entry a power cut left empty (KV files are written without fsync) reads as absent, is listed without metadata, and the next publish writes it again', async () => {
    const dir = join(newDir(), 'ALERTS');
    const kv = new FileKv(dir);
    const at = Date.parse('2026-04-16T20:00:00Z');
    await publishTallies(kv, [tally('acme', at), tally('globex', at)], at);
    writeFileSync(join(dir, `${Buffer.from('tenant:acme').toString('hex')}.json`), '');
    expect(await kv.get('tenant:acme')).toBeNull();
    expect(await listAll(kv, 'tenant:')).toEqual([{ name: 'tenant:acme' }, { name: 'tenant:globex', metadata: { failing: false, updated_at: '2026-04-16T20:00:00Z' } }]);
    expect(await publishTallies(kv, [tally('acme', at + 60_000), tally('globex', at + 60_000)], at + 60_000)).toBe(1);
    expect(JSON.parse((await kv.get('tenant:acme')) ?? 'null')).toMatchObject({ tenant_id: 'acme', updated_at: '2026-04-16T20:01:00Z' });
  });

  it('two writer processes racing on the same and different keys: every file parses, no temp files, no lost keys', async () => {
    ensureBuilt();
    const dir = join(newDir(), 'ALERTS');
    const script = join(newDir(), 'writer.mjs');
    const modUrl = pathToFileURL(join(REPO_ROOT, 'dist', 'sinks', 'kv', 'file-kv.js')).href;
    writeFileSync(script, `
      import { FileKv } from ${JSON.stringify(modUrl)};
      const [dir, id, rounds] = process.argv.slice(2);
      const kv = new FileKv(dir);
      for (let r = 0; r < Number(rounds); r++) {
        for (let k = 0; k < 15; k++) await kv.put('shared:' + k, JSON.stringify({ id, r, pad: 'x'.repeat(2000) }), { metadata: { id, r } });
        for (let k = 0; k < 40; k++) await kv.put('own-' + id + ':' + k, JSON.stringify({ id, r }), { metadata: { r } });
      }
    `);
    const ROUNDS = 3;
    const writer = (id: string) =>
      new Promise<number | null>((res, rej) => {
        const c = spawn(process.execPath, [script, dir, id, String(ROUNDS)], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        c.stderr.on('data', (d) => (err += String(d)));
        c.on('error', rej);
        c.on('close', (code) => (code === 0 ? res(code) : rej(new Error(`writer ${id} exited ${code}: ${err}`))));
      });
    await Promise.all([writer('a'), writer('b')]);

    const files = readdirSync(dir);
    expect(files.filter((f) => !/^([0-9a-f]{2})+\.json$/.test(f))).toEqual([]);
    for (const f of files) {
      const o = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { value: unknown };
      expect(typeof o.value).toBe('string');
      JSON.parse(o.value as string);
    }
    const kv = new FileKv(dir);
    const keys = (await listAll(kv, '')).map((k) => k.name);
    expect(keys.filter((k) => k.startsWith('shared:'))).toHaveLength(15);
    expect(keys.filter((k) => k.startsWith('own-a:'))).toHaveLength(40);
    expect(keys.filter((k) => k.startsWith('own-b:'))).toHaveLength(40);
    expect(keys).toHaveLength(95);
    for (let k = 0; k < 40; k++) {
      expect(JSON.parse((await kv.get(`own-a:${k}`))!)).toEqual({ id: 'a', r: ROUNDS - 1 });
      expect(JSON.parse((await kv.get(`own-b:${k}`))!)).toEqual({ id: 'b', r: ROUNDS - 1 });
    }
    for (let k = 0; k < 15; k++) {
      const v = JSON.parse((await kv.get(`shared:${k}`))!) as { id: string; r: number };
      expect(['a', 'b']).toContain(v.id);
      expect(v.r).toBe(ROUNDS - 1);
    }
  });
});

/** A KV that records puts (and can be pre-seeded). */
class MemKv implements KvStore {
  readonly data = new Map<string, { value: string; metadata?: unknown }>();
  readonly puts: Array<{ key: string; value: string; metadata?: unknown }> = [];
  async get(key: string): Promise<string | null> {
    return this.data.get(key)?.value ?? null;
  }
  async put(key: string, value: string, options?: { readonly metadata?: unknown }): Promise<void> {
    this.data.set(key, { value, metadata: options?.metadata });
    this.puts.push({ key, value, metadata: options?.metadata });
  }
  async list(_o?: KvListOptions): Promise<KvListResult> {
    return { keys: [...this.data.keys()].sort().map((name) => ({ name, metadata: this.data.get(name)!.metadata })), list_complete: true };
  }
}

const T0 = Date.parse('2026-04-16T19:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
const tally = (tenant_id: string, at: number, o: Partial<TenantTally> = {}): TenantTally => ({
  tenant_id, failing: false, open_alerts: 0, ops_24h: 10, failed_24h: 0, last_alert_at: null, reported_at: iso(at), updated_at: iso(at), ...o,
});

describe('publishTallies write rules', () => {
  it('changed → write; unchanged within 1h → skip; unchanged after ≥ 1h → heartbeat; metadata is {failing, updated_at}', async () => {
    const kv = new MemKv();
    expect(await publishTallies(kv, [tally('acme', T0), tally('zed', T0)], T0)).toBe(2);
    expect(kv.puts.map((p) => p.key)).toEqual(['tenant:acme', 'tenant:zed']);
    expect(kv.puts[0]!.metadata).toEqual({ failing: false, updated_at: iso(T0) });
    expect(JSON.parse(kv.puts[0]!.value)).toEqual(tally('acme', T0));

    // unchanged (only updated_at moves) a minute later: nothing written
    expect(await publishTallies(kv, [tally('acme', T0 + 60_000), tally('zed', T0 + 60_000)], T0 + 60_000)).toBe(0);
    // acme changed: only acme written
    expect(await publishTallies(kv, [tally('acme', T0 + 120_000, { failing: true, open_alerts: 1 }), tally('zed', T0 + 120_000)], T0 + 120_000)).toBe(1);
    expect(kv.puts.at(-1)).toMatchObject({ key: 'tenant:acme', metadata: { failing: true, updated_at: iso(T0 + 120_000) } });

    // zed unchanged just under an hour after its last write: skip; at exactly 1h: heartbeat
    const justUnder = T0 + HEARTBEAT_MS - 1;
    expect(await publishTallies(kv, [tally('zed', justUnder)], justUnder)).toBe(0);
    expect(await publishTallies(kv, [tally('zed', T0 + HEARTBEAT_MS)], T0 + HEARTBEAT_MS)).toBe(1);
    expect(JSON.parse((await kv.get('tenant:zed'))!).updated_at).toBe(iso(T0 + HEARTBEAT_MS));
    expect(HEARTBEAT_MS).toBe(3_600_000);
  });

  it('never twice within 1 s per key: a change 500 ms after a write is skipped (not final) or written 1 s after it (final)', async () => {
    const kv = new MemKv();
    await publishTallies(kv, [tally('acme', T0)], T0);
    const soon = T0 + 500;
    expect(await publishTallies(kv, [tally('acme', soon, { ops_24h: 11 })], soon)).toBe(0);
    expect(JSON.parse((await kv.get('tenant:acme'))!).ops_24h).toBe(10);
    const started = Date.now();
    expect(await publishTallies(kv, [tally('acme', soon, { ops_24h: 11 })], soon, true)).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    const stored = JSON.parse((await kv.get('tenant:acme'))!) as TenantTally;
    expect(stored.ops_24h).toBe(11);
    expect(Date.parse(stored.updated_at) - T0).toBeGreaterThanOrEqual(1000);
    // the write times of a key are never closer than 1 s
    const times = kv.puts.map((p) => Date.parse((JSON.parse(p.value) as TenantTally).updated_at));
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(1000);
  });

  it('a final flush over many tenants written 500 ms ago waits once (about 1 s), not once per tenant', async () => {
    const kv = new MemKv();
    const tenants = Array.from({ length: 20 }, (_, i) => `t${i}`);
    await publishTallies(kv, tenants.map((t) => tally(t, T0)), T0);
    const soon = T0 + 500;
    const slept: number[] = [];
    const sleep = async (ms: number): Promise<void> => {
      slept.push(ms);
    };
    const n = await publishTallies(kv, tenants.map((t) => tally(t, soon, { ops_24h: 11 })), soon, true, sleep);
    expect(n).toBe(20);
    expect(slept.reduce((a, b) => a + b, 0)).toBe(500);
    for (const t of tenants) expect(JSON.parse((await kv.get(`tenant:${t}`))!).updated_at).toBe(iso(T0 + 1000));
  });

  it('a tally whose only change is reported_at is not a change (heartbeat rules apply)', async () => {
    const kv = new MemKv();
    await publishTallies(kv, [tally('acme', T0)], T0);
    const later = T0 + 60_000;
    expect(await publishTallies(kv, [tally('acme', later, { updated_at: iso(later) })], later)).toBe(0);
    expect(await publishTallies(kv, [tally('acme', T0 + HEARTBEAT_MS)], T0 + HEARTBEAT_MS)).toBe(1);
    expect(JSON.parse((await kv.get('tenant:acme'))!)).toMatchObject({ reported_at: iso(T0 + HEARTBEAT_MS) });
  });

  it('a change ≥ 1 s after the last write is written at once', async () => {
    const kv = new MemKv();
    await publishTallies(kv, [tally('acme', T0)], T0);
    expect(await publishTallies(kv, [tally('acme', T0 + 1000, { failed_24h: 1 })], T0 + 1000)).toBe(1);
  });
});

describe('computeStatus (no_data when total = 0; degraded when failing / total > 0.05, strictly; active = updated within the 24h before the clock)', () => {
  const CHECK = Date.parse('2026-04-16T20:00:00Z');
  const tallies = (failing: number, total: number, ageMs = 60_000) =>
    Array.from({ length: total }, (_, i) => ({ failing: i < failing, updated_at: iso(CHECK - ageMs) }));

  it('0 tenants → no_data, ratio 0 (never ok about nothing)', () => {
    expect(computeStatus([], CHECK)).toEqual({ status: 'no_data', failing: 0, total: 0, ratio: 0, threshold: 0.05, checked_at: '2026-04-16T20:00:00Z' });
  });
  it('exactly 5% (1 of 20, 2 of 40) → ok', () => {
    expect(computeStatus(tallies(1, 20), CHECK)).toMatchObject({ status: 'ok', failing: 1, total: 20, ratio: 0.05 });
    expect(computeStatus(tallies(2, 40), CHECK)).toMatchObject({ status: 'ok', failing: 2, total: 40 });
    expect(computeStatus(tallies(5, 100), CHECK)).toMatchObject({ status: 'ok' });
  });
  it('just above 5% (1 of 19, 2 of 39, 51 of 1000) → degraded', () => {
    expect(computeStatus(tallies(1, 19), CHECK)).toMatchObject({ status: 'degraded', failing: 1, total: 19 });
    expect(computeStatus(tallies(2, 39), CHECK)).toMatchObject({ status: 'degraded' });
    expect(computeStatus(tallies(51, 1000), CHECK)).toMatchObject({ status: 'degraded' });
    expect(computeStatus(tallies(1, 1), CHECK)).toMatchObject({ status: 'degraded', ratio: 1 });
  });
  it('tenants not updated within 24h are left out of total and failing', () => {
    const stale = Array.from({ length: 5 }, () => ({ failing: true, updated_at: iso(CHECK - 24 * 3_600_000 - 1000) }));
    expect(computeStatus([...tallies(1, 20), ...stale], CHECK)).toMatchObject({ status: 'ok', failing: 1, total: 20 });
    expect(computeStatus(stale, CHECK)).toMatchObject({ status: 'no_data', failing: 0, total: 0, ratio: 0 });
    // exactly 24h old still counts
    expect(computeStatus([{ failing: true, updated_at: iso(CHECK - 24 * 3_600_000) }], CHECK)).toMatchObject({ total: 1, failing: 1, status: 'degraded' });
  });
  it('an updated_at after the clock is not counted (23h ahead does not keep a tenant counted for 47h)', () => {
    const ahead = [{ failing: true, updated_at: iso(CHECK + 23 * 3_600_000) }, { failing: true, updated_at: iso(CHECK + 1000) }];
    expect(computeStatus([...tallies(0, 3), ...ahead], CHECK)).toMatchObject({ status: 'ok', failing: 0, total: 3 });
    expect(computeStatus([{ failing: false, updated_at: iso(CHECK) }], CHECK)).toMatchObject({ status: 'ok', total: 1 });
  });
});

describe('syncscope status (built CLI, embedded KV)', () => {
  beforeAll(() => ensureBuilt());
  const CHECK = '2026-04-16T20:00:00Z';
  async function seed(failing: number, total: number): Promise<string> {
    const dir = newDir();
    const kv = new FileKv(join(dir, 'kv', 'ALERTS'));
    const at = Date.parse(CHECK) - 10 * 60_000;
    const ts = Array.from({ length: total }, (_, i) => tally(`t${String(i).padStart(2, '0')}`, at, i < failing ? { failing: true, open_alerts: 1 } : {}));
    await publishTallies(kv, ts, at);
    return dir;
  }

  it('json and text output; --strict exits 1 when degraded, 0 when ok', async () => {
    const [okDir, badDir] = await Promise.all([seed(1, 20), seed(2, 20)]);
    const [okJson, badJson, badStrict, okStrict, badText] = await Promise.all([
      runCli(['status', '--state', okDir, '--now', CHECK, '--format', 'json']),
      runCli(['status', '--state', badDir, '--now', CHECK, '--format', 'json']),
      runCli(['status', '--state', badDir, '--now', CHECK, '--strict']),
      runCli(['status', '--state', okDir, '--now', CHECK, '--strict', '--format', 'json']),
      runCli(['status', '--state', badDir, '--now', CHECK]),
    ]);
    expect(okJson.code).toBe(0);
    expect(JSON.parse(okJson.stdout)).toEqual({ status: 'ok', failing: 1, total: 20, ratio: 0.05, threshold: 0.05, checked_at: CHECK });
    expect(badJson.code).toBe(0);
    expect(JSON.parse(badJson.stdout)).toEqual({ status: 'degraded', failing: 2, total: 20, ratio: 0.1, threshold: 0.05, checked_at: CHECK });
    expect(badStrict.code).toBe(1);
    expect(badStrict.stdout).toMatch(/degraded/);
    expect(okStrict.code).toBe(0);
    expect(badText.code).toBe(0);
    expect(badText.stdout).toMatch(/^status: degraded$/m);
    expect(badText.stdout).toMatch(/\b2\b.*\b20\b/);
  });

  it('an empty state: no_data with 0 of 0, exit 0', async () => {
    const dir = newDir();
    const r = await runCli(['status', '--state', dir, '--now', CHECK, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'no_data', failing: 0, total: 0, ratio: 0 });
  });

  it('--strict on an empty state (e.g. a mistyped --state) exits 1 and prints no_data', async () => {
    const dir = join(newDir(), 'typo');
    const [text, json] = await Promise.all([
      runCli(['status', '--state', dir, '--strict']),
      runCli(['status', '--state', dir, '--strict', '--format', 'json']),
    ]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^status: no_data$/m);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'no_data', total: 0 });
  });

  it('a KV it cannot read is an error (exit 2, one line with the path), never no_data', async () => {
    // As root, permissions do not bite; a file where a folder belongs fails the same reads.
    const kvIsFile = newDir();
    writeFileSync(join(kvIsFile, 'kv'), 'not a folder');
    const tallyIsFolder = newDir();
    mkdirSync(join(tallyIsFolder, 'kv', 'ALERTS', `${Buffer.from('tenant:acme').toString('hex')}.json`), { recursive: true });
    const [a, b] = await Promise.all([
      runCli(['status', '--state', kvIsFile, '--now', CHECK, '--strict']),
      runCli(['status', '--state', tallyIsFolder, '--now', CHECK]),
    ]);
    expect(a).toEqual({ code: 2, stdout: '', stderr: `syncscope: cannot list ${join(kvIsFile, 'kv', 'ALERTS')}: not a directory (ENOTDIR)\n` });
    expect(b.code).toBe(2);
    expect(b.stdout).toBe('');
    expect(b.stderr).toMatch(/^syncscope: cannot read .*\.json: is a directory \(EISDIR\)\n$/);
  });

  it('run with a 300-character tenant id next to a normal one exits 0, writes both keys, and status counts both', async () => {
    const dir = newDir();
    const longId = 'L'.repeat(300);
    const row = (tenant: string, ts: string) =>
      JSON.stringify({ ts, op: 'push', repo: 'r', scope: 'state', machine: 'm', trigger: 'cron', files: 1, bytes: 10, dur_ms: 5, ok: true, tenant_id: tenant });
    const log = join(dir, 'in.ndjson');
    writeFileSync(log, `${row(longId, '2026-04-16T10:00:00Z')}\n${row('acme', '2026-04-16T10:01:00Z')}\n`);
    const r = await runCli(['run', log, '--now', '2026-04-16T11:00:00Z', '--state', dir]);
    expect(r.stderr).not.toMatch(/ENAMETOOLONG/);
    expect(r.code).toBe(0);
    const kv = new FileKv(join(dir, 'kv', 'ALERTS'));
    expect((await listAll(kv, 'tenant:')).map((k) => k.name).sort()).toEqual([`tenant:${longId}`, 'tenant:acme'].sort());
    expect(JSON.parse((await kv.get(`tenant:${longId}`))!)).toMatchObject({ tenant_id: longId, ops_24h: 1 });
    const status = await runCli(['status', '--state', dir, '--format', 'json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'ok', failing: 0, total: 2 });
  });
});

describe('privacy: nothing but tenant-level facts reaches the KV or the synced aggregates', () => {
  beforeAll(() => ensureBuilt());
  it('after a run, no KV value or metadata holds a machine, trigger, manifest, repo name or error text', async () => {
    const dir = newDir();
    const log = join(dir, 'in.ndjson');
    writeFileSync(log, readFileSync(join(FIXTURES, 'basic.ndjson'), 'utf8') + readFileSync(join(FIXTURES, 'alerts.ndjson'), 'utf8'));
    const r = await runCli(['run', log, '--now', '2026-04-16T11:05:00Z', '--state', dir]);
    expect(r.code).toBe(0);
    const kvDir = join(dir, 'kv', 'ALERTS');
    expect(existsSync(kvDir)).toBe(true);
    const kv = new FileKv(kvDir);
    const keys = await listAll(kv, '');
    expect(keys.map((k) => k.name).sort()).toEqual(['tenant:Beta Co', 'tenant:acme', 'tenant:default']);
    const forbidden = [
      // machines
      'mbpro-rb', 'linux-box', 'beta-laptop', 'ancient', 'old-mac', 'future-box',
      // triggers
      'stop-hook', 'cron', 'login', 'manual',
      // manifests
      'sha-a', 'sha-b', 'sha-z1',
      // repos
      'snappy-os', 'Docs Site', 'alpha', 'zeta', 'omega', 'other-repo', 'future',
      // error text
      '503', 'SlowDown', 'ENOSPC', 'quota', 'Forbidden', 'AccessDenied', 's3://', 'timeout',
    ];
    for (const k of keys) {
      const raw = readFileSync(join(kvDir, `${Buffer.from(k.name).toString('hex')}.json`), 'utf8');
      for (const word of forbidden) expect(raw, `${k.name} holds "${word}"`).not.toContain(word);
      const value = JSON.parse((await kv.get(k.name))!) as Record<string, unknown>;
      expect(Object.keys(value).sort()).toEqual(['failed_24h', 'failing', 'last_alert_at', 'open_alerts', 'ops_24h', 'reported_at', 'tenant_id', 'updated_at']);
      expect(Object.keys(k.metadata as object).every((m) => ['tenant_id', 'failing', 'open_alerts', 'ops_24h', 'failed_24h', 'last_alert_at', 'reported_at', 'updated_at'].includes(m))).toBe(true);
    }
    // updated_at is the wall clock of the write, whatever NOW the batch was given
    const acme = JSON.parse((await kv.get('tenant:acme'))!) as TenantTally;
    expect(Math.abs(Date.parse(acme.updated_at) - Date.now())).toBeLessThan(120_000);
    // evals.aggregate.ndjson is synced: no machine IDs in it
    const agg = readFileSync(join(dir, 'log', 'evals.aggregate.ndjson'), 'utf8');
    for (const m of ['mbpro-rb', 'linux-box', 'beta-laptop', 'ancient', 'old-mac', 'future-box']) expect(agg).not.toContain(m);
  });
});
