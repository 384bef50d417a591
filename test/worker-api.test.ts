// The Worker bundle (dist/worker/worker.js) on real workerd through Miniflare, in-process.
import type { Response } from 'miniflare';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TenantTally } from '../pipeline/core/kv-store.js';
import { HOUR } from './core-helpers.js';
import { ADMIN_TOKEN, clearKv, isoAgo, seedTallies, startWorker, tally, tokenFor, type RunningWorker } from './worker-helpers.js';

const BASE = 'http://syncscope.test';

function report(worker: RunningWorker, body: unknown, authorization?: string): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization !== undefined) headers.authorization = authorization;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return worker.mf.dispatchFetch(`${BASE}/report`, { method: 'POST', headers, body: text });
}

const get = (worker: RunningWorker, path: string, headers: Record<string, string> = {}): Promise<Response> =>
  worker.mf.dispatchFetch(`${BASE}${path}`, { headers });

async function jsonOf(res: Response): Promise<Record<string, unknown>> {
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return (await res.json()) as Record<string, unknown>;
}

describe('POST /report', () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    worker = await startWorker();
  });
  afterAll(async () => {
    await worker.mf.dispose();
  });

  const acme = () => tally('acme', { failing: true, open_alerts: 1, ops_24h: 12, failed_24h: 4, last_alert_at: '2026-04-16T19:10:38Z' });

  it('401 without a well-formed bearer token, before reading the body', async () => {
    const malformed = [undefined, 'Basic YWNtZTp4', `Bearer ${'z'.repeat(64)}`, `Bearer ${'a'.repeat(63)}`, `Bearer ${'a'.repeat(66)}`, 'Bearer', tokenFor('acme')];
    for (const authorization of malformed) {
      const res = await report(worker, acme(), authorization);
      expect(res.status, String(authorization)).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await jsonOf(res)).error).toMatch(/token/);
    }
    // Unauthenticated and oversized: still 401, the body is never read.
    expect((await report(worker, 'x'.repeat(10_000))).status).toBe(401);
  });

  it('403 for a well-formed token that is not the body tenant’s', async () => {
    const otherTenants = await report(worker, acme(), `Bearer ${tokenFor('globex')}`);
    expect(otherTenants.status).toBe(403);
    expect((await jsonOf(otherTenants)).error).toMatch(/tenant/);
    expect((await report(worker, acme(), `Bearer ${tokenFor('acme', 'another-secret')}`)).status).toBe(403);
    expect((await report(worker, acme(), `Bearer ${'0'.repeat(64)}`)).status).toBe(403);
    expect(await worker.mf.getKVNamespace('ALERTS').then((kv) => kv.get('tenant:acme'))).toBeNull();
  });

  it('accepts the scheme case-insensitively and upper-case hex', async () => {
    const res = await report(worker, tally('hexcase'), `bearer ${tokenFor('hexcase').toUpperCase()}`);
    expect(res.status).toBe(200);
  });

  it('400 with a JSON error for bad JSON and for each schema violation', async () => {
    const auth = `Bearer ${tokenFor('acme')}`;
    const badJson = await report(worker, '{"tenant_id":"acme",', auth);
    expect(badJson.status).toBe(400);
    expect((await jsonOf(badJson)).error).toBe('report body is not valid JSON');

    const { ops_24h: _dropped, ...missing } = acme();
    const invalid: Array<[unknown, string]> = [
      [missing, 'ops_24h'],
      [{ ...acme(), machine: 'mbpro-rb' }, ''], // no field beyond tenant-level facts
      [{ ...acme(), failed_24h: 13 }, 'failed_24h'],
      [{ ...acme(), open_alerts: -1 }, 'open_alerts'],
      [{ ...acme(), ops_24h: 1.5 }, 'ops_24h'],
      [{ ...acme(), reported_at: 'yesterday' }, 'reported_at'],
      [{ ...acme(), failing: 'yes' }, 'failing'],
      [[acme()], ''],
      ['null', ''],
    ];
    for (const [body, path] of invalid) {
      const res = await report(worker, body, auth);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const err = await jsonOf(res);
      expect(err.error).toBe('report body does not match the tenant tally schema');
      expect((err.issues as Array<{ path: string }>).map((i) => i.path)).toContain(path);
    }
  });

  it('413 above 4 KiB, with or without Content-Length; exactly 4 KiB is accepted', async () => {
    const auth = `Bearer ${tokenFor('acme')}`;
    const json = JSON.stringify(acme());
    const exact = json + ' '.repeat(4096 - Buffer.byteLength(json)); // JSON allows trailing whitespace
    expect((await report(worker, exact, auth)).status).toBe(200);

    const over = await report(worker, `${exact} `, auth);
    expect(over.status).toBe(413);
    expect((await jsonOf(over)).error).toMatch(/4096/);

    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(new TextEncoder().encode(' '.repeat(1000)));
        controller.close();
      },
    });
    const streamed = await worker.mf.dispatchFetch(`${BASE}/report`, { method: 'POST', headers: { authorization: auth }, body: chunked, duplex: 'half' } as never);
    expect(streamed.status).toBe(413);
  });

  it('writes the value and {failing, updated_at} metadata; skips a resend of the same report', async () => {
    const kv = await worker.mf.getKVNamespace('ALERTS');
    const auth = `Bearer ${tokenFor('initech')}`;
    const first = tally('initech', { failing: true, open_alerts: 2, ops_24h: 7, failed_24h: 5, last_alert_at: '2026-04-16T19:10:38Z' });

    const res = await report(worker, first, auth);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, written: true });
    const stored = await kv.getWithMetadata('tenant:initech');
    const storedTally = JSON.parse(stored.value ?? 'null') as TenantTally;
    expect(storedTally).toEqual({ ...first, updated_at: storedTally.updated_at });
    expect(stored.metadata).toEqual({ failing: true, updated_at: storedTally.updated_at });

    // The same report (same facts, same reported_at) with its fields in another order: not written again.
    const reordered = Object.fromEntries(Object.entries(first).reverse());
    expect(await (await report(worker, reordered, auth)).json()).toEqual({ ok: true, written: false });

    const healed: TenantTally = { ...first, failing: false, open_alerts: 0, reported_at: new Date(Date.now() + 1000).toISOString() };
    expect(await (await report(worker, healed, auth)).json()).toEqual({ ok: true, written: true });
    expect((await kv.getWithMetadata('tenant:initech')).metadata).toMatchObject({ failing: false });
  });

  it('405 for a wrong method (with Allow), 404 JSON for any other path', async () => {
    const cases: Array<[string, string, string]> = [
      ['GET', '/report', 'POST'],
      ['PUT', '/report', 'POST'],
      ['POST', '/_status', 'GET'],
      ['DELETE', '/_status/tenants', 'GET'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await worker.mf.dispatchFetch(`${BASE}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      expect((await jsonOf(res)).error).toMatch(/method not allowed/);
    }
    for (const path of ['/', '/reports', '/_status/', '/_status/tenants/acme', '/tenant:acme']) {
      const res = await get(worker, path);
      expect(res.status, path).toBe(404);
      expect(await jsonOf(res)).toEqual({ error: 'not found' });
    }
  });
});

describe('POST /report judges time by the Worker’s clock, not the client’s', () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    worker = await startWorker();
  });
  afterAll(async () => {
    await worker.mf.dispose();
  });

  const alerts = () => worker.mf.getKVNamespace('ALERTS');
  const auth = (tenantId: string): string => `Bearer ${tokenFor(tenantId)}`;
  const stored = async (tenantId: string): Promise<TenantTally | null> => JSON.parse((await (await alerts()).get(`tenant:${tenantId}`)) ?? 'null') as TenantTally | null;
  const failingTally = (tenantId: string, overrides: Partial<TenantTally> = {}): TenantTally =>
    tally(tenantId, { failing: true, open_alerts: 1, failed_24h: 3, last_alert_at: '2026-04-16T19:10:38Z', ...overrides });

  it('ignores a client updated_at 23h ahead and stores the Worker’s own receipt time', async () => {
    const sent = tally('skewed', { updated_at: new Date(Date.now() + 23 * HOUR).toISOString() });
    const before = Date.now();
    expect((await report(worker, sent, auth('skewed'))).status).toBe(200);
    const after = Date.now();
    const { value, metadata } = await (await alerts()).getWithMetadata('tenant:skewed');
    const updatedAt = Date.parse((JSON.parse(value ?? 'null') as TenantTally).updated_at);
    expect(updatedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(updatedAt).toBeLessThanOrEqual(after + 1000);
    expect(metadata).toEqual({ failing: false, updated_at: (JSON.parse(value ?? 'null') as TenantTally).updated_at });
  });

  it('accepts a report without updated_at', async () => {
    const { updated_at: _ignored, ...withoutUpdatedAt } = tally('no-updated-at');
    expect((await report(worker, withoutUpdatedAt, auth('no-updated-at'))).status).toBe(200);
    expect(Date.parse((await stored('no-updated-at'))?.updated_at ?? '')).toBeGreaterThan(Date.now() - 60_000);
  });

  it('400 when reported_at is missing', async () => {
    const { reported_at: _missing, ...withoutReportedAt } = tally('no-reported-at');
    const res = await report(worker, withoutReportedAt, auth('no-reported-at'));
    expect(res.status).toBe(400);
    expect(((await jsonOf(res)).issues as Array<{ path: string }>).map((i) => i.path)).toContain('reported_at');
    expect(await stored('no-reported-at')).toBeNull();
  });

  it('400 when reported_at is more than 5 minutes ahead of the Worker’s clock; 4 minutes ahead is accepted', async () => {
    const ahead = await report(worker, tally('ahead', { reported_at: new Date(Date.now() + 6 * 60_000).toISOString() }), auth('ahead'));
    expect(ahead.status).toBe(400);
    expect((await jsonOf(ahead)).error).toMatch(/reported_at .* ahead of the Worker's clock/);
    expect(await stored('ahead')).toBeNull();

    const slightlyAhead = tally('slightly-ahead', { reported_at: new Date(Date.now() + 4 * 60_000).toISOString() });
    expect((await report(worker, slightlyAhead, auth('slightly-ahead'))).status).toBe(200);
    expect((await stored('slightly-ahead'))?.reported_at).toBe(slightlyAhead.reported_at);
  });

  it('409 for a report older than the stored one: the newer failing tally stays', async () => {
    const newer = failingTally('late-retry', { reported_at: new Date(Date.now() - 60_000).toISOString() });
    const older = tally('late-retry', { reported_at: new Date(Date.now() - 2 * HOUR).toISOString() });
    expect((await report(worker, newer, auth('late-retry'))).status).toBe(200);
    const refused = await report(worker, older, auth('late-retry'));
    expect(refused.status).toBe(409);
    expect(await jsonOf(refused)).toMatchObject({ error: expect.stringMatching(/newer report/), stored_reported_at: newer.reported_at });
    const kept = await stored('late-retry');
    expect(kept).toMatchObject({ failing: true, open_alerts: 1, reported_at: newer.reported_at });
    expect((await (await alerts()).getWithMetadata('tenant:late-retry')).metadata).toMatchObject({ failing: true });
  });

  it('a report with the same reported_at as the stored one is accepted', async () => {
    const reportedAt = new Date(Date.now() - 60_000).toISOString();
    expect((await report(worker, tally('same-second', { reported_at: reportedAt }), auth('same-second'))).status).toBe(200);
    const res = await report(worker, failingTally('same-second', { reported_at: reportedAt }), auth('same-second'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, written: true });
    expect(await stored('same-second')).toMatchObject({ failing: true, reported_at: reportedAt });
  });

  it('a value stored before reported_at existed is replaced by any report', async () => {
    const { reported_at: _none, ...v1Value } = failingTally('v1-tenant');
    await (await alerts()).put('tenant:v1-tenant', JSON.stringify(v1Value), { metadata: { failing: true, updated_at: v1Value.updated_at } });
    const res = await report(worker, tally('v1-tenant', { reported_at: new Date(Date.now() - HOUR).toISOString() }), auth('v1-tenant'));
    expect(res.status).toBe(200);
    expect(await stored('v1-tenant')).toMatchObject({ failing: false });
  });
});

describe('GET /_status and /_status/tenants', () => {
  let worker: RunningWorker;
  let kv: Awaited<ReturnType<RunningWorker['mf']['getKVNamespace']>>;
  beforeAll(async () => {
    // The cases share one Worker and change KV between them, so every status is computed fresh
    // (STATUS_CACHE_SECONDS=0); the cache itself is tested in worker-status-cache.test.ts.
    worker = await startWorker({ statusCacheSeconds: 0 });
    kv = await worker.mf.getKVNamespace('ALERTS');
  });
  afterAll(async () => {
    await worker.mf.dispose();
  });
  beforeEach(async () => {
    await clearKv(kv);
  });

  const tenants = (prefix: string, n: number, overrides: Partial<TenantTally> = {}): TenantTally[] =>
    Array.from({ length: n }, (_, i) => tally(`${prefix}-${String(i).padStart(4, '0')}`, overrides));
  const failing = { failing: true, open_alerts: 1, failed_24h: 3 } as const;

  async function status(query = ''): Promise<{ code: number; body: Record<string, unknown>; text: string }> {
    const res = await get(worker, `/_status${query}`);
    const text = await res.text();
    return { code: res.status, body: JSON.parse(text) as Record<string, unknown>, text };
  }

  it('0 tenants: no_data (never ok about nothing), exactly the SPEC §5 fields; ?strict=1 answers 503', async () => {
    const { code, body } = await status();
    expect(code).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['checked_at', 'failing', 'ratio', 'status', 'threshold', 'total']);
    expect(body).toMatchObject({ status: 'no_data', failing: 0, total: 0, ratio: 0, threshold: 0.05 });
    expect(Math.abs(Date.parse(String(body.checked_at)) - Date.now())).toBeLessThan(60_000);
    const strict = await status('?strict=1');
    expect(strict.code).toBe(503);
    expect(strict.body).toMatchObject({ status: 'no_data', total: 0 });
  });

  it('no_data when every tally is older than 24h: 503 with ?strict=1', async () => {
    await seedTallies(kv, tenants('gone', 3, { ...failing, updated_at: isoAgo(25 * HOUR) }));
    const { code, body } = await status('?strict=1');
    expect(code).toBe(503);
    expect(body).toMatchObject({ status: 'no_data', failing: 0, total: 0 });
  });

  it('exactly 5% failing (1 of 20) is ok, even with ?strict=1', async () => {
    await seedTallies(kv, [...tenants('ok', 19), ...tenants('bad', 1, failing)]);
    const { code, body } = await status('?strict=1');
    expect(code).toBe(200);
    expect(body).toMatchObject({ status: 'ok', failing: 1, total: 20, ratio: 0.05 });
  });

  it('just above 5% (1 of 19) is degraded: 200, and 503 with ?strict=1', async () => {
    await seedTallies(kv, [...tenants('ok', 18), ...tenants('bad', 1, failing)]);
    const plain = await status();
    expect(plain.code).toBe(200);
    expect(plain.body).toMatchObject({ status: 'degraded', failing: 1, total: 19 });
    expect(plain.body.ratio).toBeCloseTo(1 / 19, 12);
    const strict = await status('?strict=1');
    expect(strict.code).toBe(503);
    expect(strict.body).toMatchObject({ status: 'degraded', failing: 1, total: 19 });
    expect((await status('?strict=0')).code).toBe(200);
  });

  it('leaves out tenants not updated within the 24h before the clock (older or in the future), and keys without tally metadata', async () => {
    await seedTallies(kv, [...tenants('live', 19), ...tenants('gone', 10, { ...failing, updated_at: isoAgo(25 * HOUR) })]);
    await seedTallies(kv, tenants('edge', 1, { updated_at: isoAgo(23 * HOUR) }));
    // A future updated_at (a v1 Worker stored the client's clock) says nothing about now.
    await seedTallies(kv, tenants('future', 5, { ...failing, updated_at: isoAgo(-23 * HOUR) }));
    await kv.put('tenant:no-metadata', JSON.stringify(tally('no-metadata', failing)));
    await kv.put('unrelated', 'x', { metadata: { failing: true, updated_at: new Date().toISOString() } });
    const { body } = await status();
    expect(body).toMatchObject({ status: 'ok', failing: 0, total: 20 });
  });

  it('never reveals tenant IDs publicly; /_status/tenants lists the failing ones for ADMIN_TOKEN only', async () => {
    await seedTallies(kv, [
      tally('acme-corp-secret', failing),
      tally('globex-hidden'),
      tally('initech-private', failing),
      tally('stale-failing', { ...failing, updated_at: isoAgo(30 * HOUR) }),
      tally('future-failing', { ...failing, updated_at: isoAgo(-HOUR) }),
    ]);
    const { text } = await status();
    for (const id of ['acme', 'globex', 'initech', 'stale', 'future', 'tenant:']) expect(text).not.toContain(id);

    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong-token' }, { authorization: `Basic ${ADMIN_TOKEN}` }, { authorization: `Bearer ${ADMIN_TOKEN}x` }]) {
      const denied = await get(worker, '/_status/tenants', headers);
      expect(denied.status).toBe(401);
      const deniedText = await denied.text();
      expect(deniedText).not.toContain('acme');
    }

    const admin = await get(worker, '/_status/tenants', { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(admin.status).toBe(200);
    const body = (await admin.json()) as { tenants: Array<{ tenant_id: string }>; failing: number; total: number };
    expect(body.tenants.map((t) => t.tenant_id)).toEqual(['acme-corp-secret', 'initech-private']);
    expect(body).toMatchObject({ failing: 2, total: 3 });
  });

  it('follows the list cursor past 1,000 keys', async () => {
    // 1,000 healthy tenants fill the first page; the 53 failing ones sort after them, so only a
    // status that reads page two sees them: 53 / 1053 > 5%.
    await seedTallies(kv, [...tenants('a-ok', 1000), ...tenants('z-bad', 53, failing)]);
    const { code, body } = await status('?strict=1');
    expect(body).toMatchObject({ status: 'degraded', failing: 53, total: 1053 });
    expect(code).toBe(503);
  });
});
