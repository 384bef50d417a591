// The pipeline's HTTP KvStore: against the real Worker (Miniflare on a loopback port) and against
// a scripted node:http server when a test must count attempts or fail on purpose.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchStatus, HttpKvStore, KvReportError, type HttpKvStoreOptions } from '../sinks/kv/http-kv.js';
import type { TenantTally } from '../pipeline/core/kv-store.js';
import { tempDir } from './core-helpers.js';
import { fakeTime, REPORT_SECRET, scriptedServer, startWorker, tally, tokenFor, type RunningWorker, type ScriptedServer } from './worker-helpers.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('http-kv');
});

const outboxPath = () => join(dir, 'state', '.syncscope', 'kv-outbox.json');
const env = { SYNCSCOPE_REPORT_SECRET: REPORT_SECRET };
const json = (t: TenantTally) => JSON.stringify(t);
const metadataOf = (t: TenantTally) => ({ metadata: { failing: t.failing, updated_at: t.updated_at } });
/** A stored value without updated_at, which the Worker stamps itself. */
const factsOf = (value: string | null): Omit<TenantTally, 'updated_at'> | null => {
  if (value === null) return null;
  const { updated_at: _stamped, ...facts } = JSON.parse(value) as TenantTally;
  return facts;
};
const withoutUpdatedAt = ({ updated_at: _u, ...facts }: TenantTally): Omit<TenantTally, 'updated_at'> => facts;

function store(baseUrl: string, time: ReturnType<typeof fakeTime>, extra: Partial<HttpKvStoreOptions> = {}): HttpKvStore {
  return new HttpKvStore({
    baseUrl,
    outboxPath: outboxPath(),
    env,
    sleep: time.sleep,
    clock: time.clock,
    random: () => 0.5,
    retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 },
    ...extra,
  });
}

async function outboxKeys(): Promise<string[]> {
  if (!existsSync(outboxPath())) return [];
  const file = JSON.parse(await readFile(outboxPath(), 'utf8')) as { entries: Record<string, unknown> };
  return Object.keys(file.entries).sort();
}

describe('HttpKvStore reporting to the Worker on a real port', () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    worker = await startWorker({ port: 0 });
  });
  afterAll(async () => {
    await worker.mf.dispose();
  });

  it('put → POST /report writes value and metadata; get, fetchStatus and list()', async () => {
    const kv = store(worker.url, fakeTime());
    const acme = tally('acme', { failing: true, open_alerts: 1, ops_24h: 5, failed_24h: 3, last_alert_at: '2026-04-16T19:10:38Z' });
    await kv.put('tenant:acme', json(acme), metadataOf(acme));
    await kv.put('tenant:globex', json(tally('globex')));

    const stored = await (await worker.mf.getKVNamespace('ALERTS')).getWithMetadata('tenant:acme');
    expect(factsOf(stored.value)).toEqual(withoutUpdatedAt(acme));
    expect(stored.metadata).toEqual({ failing: true, updated_at: (JSON.parse(stored.value ?? '{}') as TenantTally).updated_at });
    expect(await kv.get('tenant:acme')).toBe(json(acme));
    expect(await kv.get('tenant:unknown')).toBeNull();
    await expect(kv.list()).rejects.toThrow(/not supported over HTTP/);

    const status = await fetchStatus(worker.url);
    expect(status).toMatchObject({ status: 'degraded', failing: 1, total: 2, threshold: 0.05 });
    await expect(fetchStatus(`${worker.url}/`, { strict: true })).resolves.toMatchObject({ status: 'degraded' });
    expect(await kv.flush()).toEqual({ delivered: 0, queued: 0 });
    expect(existsSync(outboxPath())).toBe(false);
  });

  it('a tally the Worker refuses surfaces as KvReportError with its status and message', async () => {
    const wrongSecret = store(worker.url, fakeTime(), { env: { SYNCSCOPE_REPORT_SECRET: 'not-the-secret' } });
    const err = await wrongSecret.put('tenant:acme', json(tally('acme'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KvReportError);
    expect(err).toMatchObject({ status: 403, workerMessage: 'token does not grant writes for this tenant_id' });
    expect(String((err as Error).message)).toMatch(/HTTP 403/);

    const bad = store(worker.url, fakeTime());
    await expect(bad.put('tenant:acme', json({ ...tally('acme'), failed_24h: 99 }))).rejects.toMatchObject({ status: 400 });
  });

  it('a late report the Worker refuses with 409 (it holds a newer one) is superseded: no error, outbox emptied, the newer tally stays', async () => {
    const newer = tally('initech', { failing: true, open_alerts: 1, failed_24h: 2, reported_at: new Date(Date.now() - 60_000).toISOString() });
    await store(worker.url, fakeTime()).put('tenant:initech', json(newer)); // another reporter, newer

    const late = store(worker.url, fakeTime());
    const older = tally('initech', { reported_at: new Date(Date.now() - 2 * 3_600_000).toISOString() });
    await expect(late.put('tenant:initech', json(older))).resolves.toBeUndefined();
    expect(await late.flush()).toEqual({ delivered: 0, queued: 0 });
    expect(existsSync(outboxPath())).toBe(false);
    const alerts = await worker.mf.getKVNamespace('ALERTS');
    expect(factsOf(await alerts.get('tenant:initech'))).toEqual(withoutUpdatedAt(newer));
  });
});

describe('HttpKvStore when the Worker stops mid-run', () => {
  for (const kvMode of ['persisted KV', 'a fresh KV'] as const) {
    it(`queues tallies in the outbox and delivers them after a restart on the same port with ${kvMode}`, async () => {
      const kvPersist = kvMode === 'persisted KV' ? join(dir, 'worker-kv') : false;
      let worker = await startWorker({ port: 0, kvPersist });
      const port = worker.port;
      const time = fakeTime();
      const run1 = store(worker.url, time);

      const acmeV1 = tally('acme', { ops_24h: 4 });
      await run1.put('tenant:acme', json(acmeV1));
      const initech = tally('initech');
      await run1.put('tenant:initech', json(initech)); // delivered, then never touched again
      await worker.mf.dispose(); // the Worker goes away mid-run

      const globex = tally('globex', { failing: true, open_alerts: 1, ops_24h: 9, failed_24h: 6 });
      await run1.put('tenant:globex', json(globex)); // retried, then parked: the run goes on
      const sleepsAfterFirstFailure = time.sleeps.length;
      expect(sleepsAfterFirstFailure).toBe(3); // 4 attempts, 3 backoffs
      const acmeV2 = tally('acme', { ops_24h: 6, failed_24h: 1 });
      await run1.put('tenant:acme', json(acmeV2)); // Worker known down: straight to the outbox
      expect(time.sleeps.length).toBe(sleepsAfterFirstFailure);
      expect(await run1.get('tenant:acme')).toBe(json(acmeV2));

      const endOfRun1 = await run1.flush(); // the end of the run: still down, nothing lost
      expect(endOfRun1).toMatchObject({ delivered: 0, queued: 2 });
      expect(endOfRun1.unreachable).toMatch(/unreachable/);
      expect(await outboxKeys()).toEqual(['tenant:acme', 'tenant:globex']);

      worker = await startWorker({ port, kvPersist });
      try {
        expect(worker.port).toBe(port);
        const run2 = store(worker.url, fakeTime());
        expect(await run2.get('tenant:globex')).toBe(json(globex)); // from the outbox file
        expect(await run2.flush()).toEqual({ delivered: 2, queued: 0 });
        expect(existsSync(outboxPath())).toBe(false);

        const alerts = await worker.mf.getKVNamespace('ALERTS');
        expect(factsOf(await alerts.get('tenant:acme'))).toEqual(withoutUpdatedAt(acmeV2));
        expect(factsOf(await alerts.get('tenant:globex'))).toEqual(withoutUpdatedAt(globex));
        // What the Worker held before the stop is there only if its KV persisted (a fresh KV
        // regains such tenants at their next change or hourly heartbeat).
        const survivors = kvMode === 'persisted KV' ? 1 : 0;
        expect(factsOf(await alerts.get('tenant:initech'))).toEqual(survivors ? withoutUpdatedAt(initech) : null);
        expect(await fetchStatus(worker.url)).toMatchObject({ failing: 1, total: 2 + survivors });
      } finally {
        await worker.mf.dispose();
      }
    });
  }
});

describe('HttpKvStore against a scripted server', () => {
  let server: ScriptedServer;
  beforeAll(async () => {
    server = await scriptedServer();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.respondWith(null);
    server.script({ status: 200, body: { ok: true, written: true } });
  });

  it('signs with hex HMAC-SHA256(SYNCSCOPE_REPORT_SECRET, tenant_id), or uses SYNCSCOPE_REPORT_TOKEN', async () => {
    await store(server.url, fakeTime()).put('tenant:acme', json(tally('acme')));
    await store(server.url, fakeTime(), { env: { SYNCSCOPE_REPORT_TOKEN: 'f'.repeat(64), SYNCSCOPE_REPORT_SECRET: 'ignored' } }).put('tenant:acme', json(tally('acme')));
    expect(server.requests.map((r) => [r.method, r.url, r.headers.authorization])).toEqual([
      ['POST', '/report', `Bearer ${tokenFor('acme')}`],
      ['POST', '/report', `Bearer ${'f'.repeat(64)}`],
    ]);
    expect(server.requests[0]?.headers['content-type']).toBe('application/json');
    expect(() => store(server.url, fakeTime(), { env: {} })).toThrow(/SYNCSCOPE_REPORT_TOKEN/);
  });

  it('rejects keys and values that do not name the same tenant, without a request', async () => {
    const kv = store(server.url, fakeTime());
    await expect(kv.put('alert:acme', json(tally('acme')))).rejects.toThrow(/tenant:<id>/);
    await expect(kv.put('tenant:acme', json(tally('globex')))).rejects.toThrow(/tenant_id "acme"/);
    expect(server.requests).toHaveLength(0);
  });

  it('retries 5xx with capped, jittered exponential backoff, then succeeds', async () => {
    server.script({ status: 503, body: { error: 'down' } }, { status: 500 }, { status: 503 }, { status: 200, body: { ok: true } });
    const time = fakeTime();
    const jitter = [0, 1, 0.5];
    const kv = store(server.url, time, { retry: { attempts: 5, baseDelayMs: 100, maxDelayMs: 300 }, random: () => jitter.shift() ?? 0 });
    await kv.put('tenant:acme', json(tally('acme')));
    expect(server.requests).toHaveLength(4);
    // step i is min(300, 100·2^i); the delay is half the step plus jitter × half the step
    expect(time.sleeps).toEqual([50, 200, 225]);
    expect(await kv.flush()).toEqual({ delivered: 0, queued: 0 });
  });

  it('waits on real timers between retries when no sleep is injected', async () => {
    server.script({ status: 502 }, { status: 200 });
    const kv = new HttpKvStore({ baseUrl: server.url, outboxPath: outboxPath(), env, retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 20 } });
    const started = performance.now();
    await kv.put('tenant:acme', json(tally('acme')));
    expect(server.requests).toHaveLength(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(9);
  });

  it('a 4xx is thrown at once, without retries', async () => {
    server.script({ status: 400, body: { error: 'report body does not match the tenant tally schema' } });
    const time = fakeTime();
    const kv = store(server.url, time);
    const err = await kv.put('tenant:acme', json(tally('acme'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KvReportError);
    expect(err).toMatchObject({ status: 400, key: 'tenant:acme', workerMessage: 'report body does not match the tenant tally schema' });
    expect(server.requests).toHaveLength(1);
    expect(time.sleeps).toEqual([]);
    expect(await kv.flush()).toEqual({ delivered: 0, queued: 0 }); // an unacceptable tally is not kept
  });

  it('a 409 is superseded: not thrown, not retried, dropped from the outbox, not counted as delivered', async () => {
    const time = fakeTime();
    server.script({ status: 503 });
    const kv = store(server.url, time);
    await kv.put('tenant:acme', json(tally('acme'))); // retried, then parked in the outbox
    expect(await kv.queued()).toBe(1);
    const sleepsBefore = time.sleeps.length;
    const requestsBefore = server.requests.length;

    server.script({ status: 409, body: { error: 'a newer report for this tenant is already stored' } });
    expect(await kv.flush()).toEqual({ delivered: 0, queued: 0 });
    expect(server.requests.length - requestsBefore).toBe(1);
    expect(time.sleeps.length).toBe(sleepsBefore);
    expect(await outboxKeys()).toEqual([]);

    await expect(store(server.url, fakeTime()).put('tenant:globex', json(tally('globex')))).resolves.toBeUndefined();
    expect(await outboxKeys()).toEqual([]);
  });

  it('sends reported_at; an outbox tally from an older syncscope without it is sent with its updated_at as reported_at', async () => {
    const current = tally('acme');
    await store(server.url, fakeTime()).put('tenant:acme', json(current));
    expect((JSON.parse(server.requests.at(-1)?.body ?? '{}') as TenantTally).reported_at).toBe(current.reported_at);

    const { reported_at: _none, ...v1 } = tally('globex', { updated_at: '2026-04-16T18:59:00Z' });
    await mkdir(dirname(outboxPath()), { recursive: true });
    await writeFile(outboxPath(), JSON.stringify({ version: 1, entries: { 'tenant:globex': { value: JSON.stringify(v1) } } }));
    expect(await store(server.url, fakeTime()).flush()).toEqual({ delivered: 1, queued: 0 });
    expect(JSON.parse(server.requests.at(-1)?.body ?? '{}')).toEqual({ ...v1, reported_at: '2026-04-16T18:59:00Z' });
  });

  it('an outbox file a power cut left empty (it is written without fsync) is an empty outbox: the run reports as usual', async () => {
    await mkdir(dirname(outboxPath()), { recursive: true });
    await writeFile(outboxPath(), '');
    const kv = store(server.url, fakeTime());
    expect(await kv.get('tenant:acme')).toBeNull();
    await kv.put('tenant:acme', json(tally('acme')));
    expect(await kv.flush()).toEqual({ delivered: 0, queued: 0 });
    expect(server.requests).toHaveLength(1);
  });

  it('keeps a tally refused for its credentials (401/403) in the outbox, for a fixed token to deliver', async () => {
    server.script({ status: 401, body: { error: 'missing or malformed token' } });
    await expect(store(server.url, fakeTime()).put('tenant:acme', json(tally('acme')))).rejects.toMatchObject({ status: 401 });
    expect(await outboxKeys()).toEqual(['tenant:acme']);
    server.script({ status: 200 });
    expect(await store(server.url, fakeTime()).flush()).toEqual({ delivered: 1, queued: 0 });
  });

  it('network errors are retried, then the run goes on with the outbox; flush throws on 4xx', async () => {
    const closed = await scriptedServer();
    await closed.close(); // a port nobody listens on
    const time = fakeTime();
    const kv = store(closed.url, time);
    await kv.put('tenant:acme', json(tally('acme')));
    expect(time.sleeps).toHaveLength(3);
    const result = await kv.flush();
    expect(result.queued).toBe(1);
    expect(result.unreachable).toMatch(/ECONNREFUSED/);

    server.script({ status: 413, body: { error: 'report body exceeds 4096 bytes' } });
    await expect(store(server.url, fakeTime()).flush()).rejects.toMatchObject({ status: 413 });
    expect(await outboxKeys()).toEqual([]);
  });

  it('coalesces: only on change (apart from updated_at, hourly heartbeat), at most once a second per key', async () => {
    const time = fakeTime();
    const kv = store(server.url, time);
    const v1 = tally('acme', { updated_at: '2026-04-16T19:00:00Z' });
    await kv.put('tenant:acme', json(v1));
    await kv.put('tenant:acme', json(v1)); // unchanged
    time.advance(60_000);
    await kv.put('tenant:acme', json({ ...v1, updated_at: '2026-04-16T19:01:00Z' })); // only the clock moved
    expect(server.requests).toHaveLength(1);

    time.advance(3_600_000); // updated_at an hour past the last one sent: heartbeat due
    await kv.put('tenant:acme', json({ ...v1, updated_at: '2026-04-16T20:01:00Z' }));
    expect(server.requests).toHaveLength(2);

    // Three changes within a second: the 2nd waits out the interval, the 3rd supersedes it.
    const v2 = tally('acme', { ops_24h: 11, updated_at: '2026-04-16T20:01:00Z' });
    const v3 = tally('acme', { ops_24h: 12, updated_at: '2026-04-16T20:01:00Z' });
    time.advance(200);
    await Promise.all([kv.put('tenant:acme', json(v2)), kv.put('tenant:acme', json(v3))]);
    expect(time.sleeps).toEqual([800]);
    expect(server.requests.map((r) => (JSON.parse(r.body) as TenantTally).ops_24h)).toEqual([10, 10, 12]);
    expect(await kv.get('tenant:acme')).toBe(json(v3));

    await kv.put('tenant:globex', json(tally('globex'))); // other keys are not held back
    expect(time.sleeps).toEqual([800]);
    expect(server.requests).toHaveLength(4);
  });

  it('an unsent value superseded by what the Worker already holds is dropped, not resent later', async () => {
    const time = fakeTime();
    const kv = store(server.url, time);
    const v1 = tally('acme', { ops_24h: 1 });
    await kv.put('tenant:acme', json(v1));
    server.script({ status: 503 });
    time.advance(2_000);
    await kv.put('tenant:acme', json(tally('acme', { ops_24h: 2 }))); // parked
    await kv.put('tenant:acme', json(v1)); // back to what the Worker has
    expect(await kv.get('tenant:acme')).toBe(json(v1));
    server.script({ status: 200 });
    expect(await kv.flush()).toEqual({ delivered: 0, queued: 0 });
    expect(server.requests.map((r) => (JSON.parse(r.body) as TenantTally).ops_24h)).toEqual([1, 2, 2, 2, 2]);
  });

  it('a newer tally parked while an older one is still being sent survives that send’s success', async () => {
    let acmeAttempts = 0;
    server.respondWith((req) => {
      const tenant = (JSON.parse(req.body) as TenantTally).tenant_id;
      if (tenant === 'acme' && ++acmeAttempts > 1) return { status: 200 };
      return { status: 503 };
    });
    let releaseFirstBackoff: () => void = () => undefined;
    let sleeps = 0;
    const gate = new Promise<void>((resolve) => (releaseFirstBackoff = resolve));
    const kv = store(server.url, fakeTime(), { sleep: () => (++sleeps === 1 ? gate : Promise.resolve()) });

    const v1 = tally('acme', { ops_24h: 1 });
    const v2 = tally('acme', { ops_24h: 2 });
    const sendingV1 = kv.put('tenant:acme', json(v1)); // first attempt 503, then held in its backoff
    while (sleeps < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    await kv.put('tenant:globex', json(tally('globex'))); // fails through: the Worker is deemed down
    await kv.put('tenant:acme', json(v2)); // parked in the outbox
    releaseFirstBackoff();
    await sendingV1; // v1's retry succeeds...
    expect(await kv.get('tenant:acme')).toBe(json(v2)); // ...and must not discard v2

    server.respondWith(() => ({ status: 200 }));
    expect(await kv.flush()).toEqual({ delivered: 2, queued: 0 });
    const lastAcme = server.requests.filter((r) => r.body.includes('"acme"')).at(-1);
    expect(JSON.parse(lastAcme?.body ?? '{}')).toEqual(v2);
  });

  it('fetchStatus reads 200 and strict 503 bodies (degraded, no_data), and throws on anything else', async () => {
    const body = { status: 'degraded', failing: 2, total: 3, ratio: 2 / 3, threshold: 0.05, checked_at: '2026-04-16T19:00:00Z' };
    server.script({ status: 503, body });
    await expect(fetchStatus(server.url, { strict: true })).resolves.toEqual(body);
    expect(server.requests.at(-1)?.url).toBe('/_status?strict=1');
    const noData = { status: 'no_data', failing: 0, total: 0, ratio: 0, threshold: 0.05, checked_at: '2026-04-16T19:00:00Z' };
    server.script({ status: 503, body: noData });
    await expect(fetchStatus(server.url, { strict: true })).resolves.toEqual(noData);
    server.script({ status: 404, body: { error: 'not found' } });
    await expect(fetchStatus(server.url)).rejects.toThrow(/HTTP 404: not found/);
  });
});
