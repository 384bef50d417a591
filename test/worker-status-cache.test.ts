// GET /_status through the Workers Cache API: the built Worker on Miniflare (real workerd), with
// its ALERTS binding wrapped so the test counts every KV operation the Worker makes.
//
// How the count is taken: Miniflare's "wrapped bindings" let a small module stand in for a
// binding. Here it forwards each call to the real Miniflare KV namespace unchanged, and first
// reports the operation's name to this process over a function-valued service binding, awaited,
// so the count is complete when the Worker's response arrives. The Worker bundle is the one
// deployed, unchanged; it only sees a KV namespace. Tests seed and change KV through Miniflare's
// own handle on the same namespace, which is not counted.
import { Miniflare, Response } from 'miniflare';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TenantTally } from '../pipeline/core/kv-store.js';
import { localWorkerOptions } from '../worker/local.mjs';
import { ADMIN_TOKEN, clearKv, ensureWorkerBundle, REPORT_SECRET, seedTallies, tally, tokenFor } from './worker-helpers.js';

const COUNTING_KV = `
export default function (env) {
  const forward = (op) => async (...args) => {
    await env.COUNT.fetch('http://count/' + op);
    return env.KV[op](...args);
  };
  return { list: forward('list'), get: forward('get'), getWithMetadata: forward('getWithMetadata'), put: forward('put'), delete: forward('delete') };
}`;

interface CountedWorker {
  readonly mf: Miniflare;
  /** KV operations the Worker made, by name, in order. */
  readonly ops: string[];
  readonly kv: Awaited<ReturnType<Miniflare['getKVNamespace']>>;
}

async function startCountedWorker(statusCacheSeconds?: string | number): Promise<CountedWorker> {
  const scriptPath = await ensureWorkerBundle();
  // The Worker exactly as worker:dev and the other tests run it, minus its direct KV binding.
  const { cf, kvPersist: _kvPersist, kvNamespaces: _kvNamespaces, ...worker } = localWorkerOptions({ scriptPath, reportSecret: REPORT_SECRET, adminToken: ADMIN_TOKEN });
  const ops: string[] = [];
  const mf = new Miniflare({
    cf,
    workers: [
      {
        ...worker,
        name: 'status',
        bindings: { ...worker.bindings, ...(statusCacheSeconds !== undefined ? { STATUS_CACHE_SECONDS: statusCacheSeconds } : {}) },
        wrappedBindings: { ALERTS: 'counting-kv' },
      },
      {
        name: 'counting-kv',
        modules: true,
        script: COUNTING_KV,
        kvNamespaces: { KV: 'ALERTS' },
        serviceBindings: {
          COUNT: (request) => {
            ops.push(new URL(request.url).pathname.slice(1));
            return new Response(null, { status: 204 });
          },
        },
      },
    ],
  });
  await mf.ready;
  return { mf, ops, kv: await mf.getKVNamespace('KV', 'counting-kv') };
}

interface StatusAnswer {
  readonly code: number;
  readonly body: Record<string, unknown>;
  readonly cacheControl: string | null;
  readonly age: string | null;
  readonly served: string | null;
}

async function answer(res: Response): Promise<StatusAnswer> {
  return {
    code: res.status,
    body: (await res.json()) as Record<string, unknown>,
    cacheControl: res.headers.get('cache-control'),
    age: res.headers.get('age'),
    served: res.headers.get('x-syncscope-cache'),
  };
}

/** Each test asks its own hostname: the Worker keeps one cache entry per hostname. */
const status = async (w: CountedWorker, host: string, query = ''): Promise<StatusAnswer> => answer(await w.mf.dispatchFetch(`http://${host}/_status${query}`));

const listsIn = (ops: readonly string[]): number => ops.filter((op) => op === 'list').length;
const tenants = (prefix: string, n: number, overrides: Partial<TenantTally> = {}): TenantTally[] =>
  Array.from({ length: n }, (_, i) => tally(`${prefix}-${String(i).padStart(4, '0')}`, overrides));
const failing = { failing: true, open_alerts: 1, failed_24h: 3 } as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('GET /_status with the default cache (STATUS_CACHE_SECONDS unset: 30 s)', () => {
  let w: CountedWorker;
  beforeAll(async () => {
    w = await startCountedWorker();
  });
  afterAll(async () => {
    await w.mf.dispose();
  });
  beforeEach(async () => {
    await clearKv(w.kv);
    w.ops.length = 0;
  });

  it('repeated GETs within the TTL cost one KV listing (two list pages for 1,053 tenants), then none; the cached body stays as computed', async () => {
    // 1,053 tenants: a listing is two list() pages, as in production above 1,000 tenants.
    await seedTallies(w.kv, [...tenants('a-ok', 1000), ...tenants('z-bad', 53, failing)]);

    const first = await status(w, 'repeat.test');
    expect(first.body).toMatchObject({ status: 'degraded', failing: 53, total: 1053 });
    expect(first).toMatchObject({ code: 200, cacheControl: 'public, max-age=30', age: '0', served: 'miss' });
    expect(w.ops).toEqual(['list', 'list']);

    const polls = [];
    for (let i = 0; i < 10; i++) polls.push(await status(w, 'repeat.test', i % 2 === 0 ? '' : '?strict=1'));
    expect(w.ops).toEqual(['list', 'list']); // ten more polls, plain and strict: no KV operation at all
    for (const poll of polls) {
      expect(poll.body).toEqual(first.body); // checked_at included: it says when the answer was computed
      expect(poll.served).toBe('hit');
      expect(poll.cacheControl).toBe('public, max-age=30');
      expect(Number(poll.age)).toBeGreaterThanOrEqual(0);
      expect(Number(poll.age)).toBeLessThan(30);
    }

    // KV changes behind the cache: polls within the TTL still answer the cached status, untouched.
    await clearKv(w.kv);
    expect(await status(w, 'repeat.test')).toMatchObject({ body: first.body, served: 'hit' });
    expect(listsIn(w.ops)).toBe(2);
  });

  it('?strict=1 answered from the cache follows the cached body: 503 while it says degraded, 200 while it says ok', async () => {
    await seedTallies(w.kv, [...tenants('ok', 18), ...tenants('bad', 1, failing)]);
    const degraded = await status(w, 'strict-degraded.test');
    expect(degraded).toMatchObject({ code: 200, served: 'miss', body: { status: 'degraded', failing: 1, total: 19 } });
    await clearKv(w.kv);
    await seedTallies(w.kv, tenants('ok', 19)); // healthy now, but the cached answer says degraded
    const strict = await status(w, 'strict-degraded.test', '?strict=1');
    expect(strict).toMatchObject({ code: 503, served: 'hit', body: degraded.body });

    // The other way round, from a strict first request: the cached ok answers 200 to strict and plain.
    const ok = await status(w, 'strict-ok.test', '?strict=1');
    expect(ok).toMatchObject({ code: 200, served: 'miss', body: { status: 'ok', failing: 0, total: 19 } });
    await clearKv(w.kv); // no tenant at all: a fresh status would be no_data
    expect(await status(w, 'strict-ok.test', '?strict=1')).toMatchObject({ code: 200, served: 'hit', body: ok.body });
    expect(await status(w, 'strict-ok.test')).toMatchObject({ code: 200, served: 'hit', body: ok.body });
    expect(listsIn(w.ops)).toBe(2); // one listing per hostname's entry
  });

  it('GET /_status/tenants (admin) is never cached: each request lists KV', async () => {
    await seedTallies(w.kv, [tally('acme', failing), tally('globex')]);
    await status(w, 'tenants.test');
    const admin = () => w.mf.dispatchFetch('http://tenants.test/_status/tenants', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    for (let i = 0; i < 2; i++) {
      const res = await admin();
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(((await res.json()) as { tenants: unknown[] }).tenants).toHaveLength(1);
    }
    expect(listsIn(w.ops)).toBe(3);
  });
});

describe('GET /_status after the TTL (STATUS_CACHE_SECONDS=2)', () => {
  let w: CountedWorker;
  beforeAll(async () => {
    w = await startCountedWorker('2');
  });
  afterAll(async () => {
    await w.mf.dispose();
  });

  it('a report that changes only counts shows when the cached answer expires; one that makes a tenant start failing drops it at once', async () => {
    await seedTallies(w.kv, tenants('ok', 19));
    const before = await status(w, 'expiry.test');
    expect(before).toMatchObject({ served: 'miss', cacheControl: 'public, max-age=2', body: { status: 'ok', total: 19 } });
    const report = async (t: TenantTally): Promise<unknown> => {
      const res = await w.mf.dispatchFetch('http://expiry.test/report', {
        method: 'POST',
        headers: { authorization: `Bearer ${tokenFor(t.tenant_id)}`, 'content-type': 'application/json' },
        body: JSON.stringify(t),
      });
      expect(res.status).toBe(200);
      return res.json();
    };

    // POST /report is never held up by the cache; new counts of a tenant that stays ok leave it.
    expect(await report(tally('ok-0003', { ops_24h: 99 }))).toEqual({ ok: true, written: true });
    expect(w.ops).toEqual(['list', 'get', 'put']);
    expect(await status(w, 'expiry.test')).toMatchObject({ served: 'hit', body: before.body });
    await sleep(2_100);
    const expired = await status(w, 'expiry.test');
    expect(expired).toMatchObject({ served: 'miss', age: '0', body: { status: 'ok', failing: 0, total: 19 } });
    expect(Date.parse(String(expired.body.checked_at))).toBeGreaterThan(Date.parse(String(before.body.checked_at)));
    expect(w.ops).toEqual(['list', 'get', 'put', 'list']);

    // A tenant that starts failing (here a new one) changes the status: the next GET lists KV again.
    expect(await report(tally('newcomer', failing))).toEqual({ ok: true, written: true });
    expect(await status(w, 'expiry.test')).toMatchObject({ served: 'miss', body: { status: 'ok', failing: 1, total: 20 } });
    // And one that stops failing, too.
    expect(await report(tally('newcomer', { reported_at: new Date(Date.now() + 1000).toISOString() }))).toEqual({ ok: true, written: true });
    expect(await status(w, 'expiry.test')).toMatchObject({ served: 'miss', body: { status: 'ok', failing: 0, total: 20 } });
    expect(listsIn(w.ops)).toBe(4);
  });
});

describe('STATUS_CACHE_SECONDS', () => {
  let w: CountedWorker;
  afterAll(async () => {
    await w.mf.dispose();
  });

  it('0 turns the cache off: every GET lists KV and answers no-store', async () => {
    w = await startCountedWorker('0');
    await seedTallies(w.kv, tenants('ok', 19));
    const first = await status(w, 'off.test');
    expect(first).toMatchObject({ code: 200, cacheControl: 'no-store', age: null, served: 'off', body: { status: 'ok', total: 19 } });
    await seedTallies(w.kv, tenants('bad', 2, failing));
    expect(await status(w, 'off.test', '?strict=1')).toMatchObject({ code: 503, served: 'off', body: { status: 'degraded', failing: 2, total: 21 } });
    expect(await status(w, 'off.test')).toMatchObject({ code: 200, body: { status: 'degraded' } });
    expect(w.ops).toEqual(['list', 'list', 'list']);
  });

  it('a whole number of seconds up to 3600, as text or a number, is the TTL; anything else falls back to 30', async () => {
    const cases: Array<[string | number, number]> = [
      ['45', 45],
      [45, 45], // a TOML number in [vars] reaches the Worker as a number
      [' 3600 ', 3600],
      ['3601', 30],
      ['soon', 30],
      ['-5', 30],
      ['1.5', 30],
      ['1e3', 30],
      [-1, 30],
    ];
    for (const [setting, ttl] of cases) {
      await w.mf.dispose();
      w = await startCountedWorker(setting);
      const first = await status(w, 'setting.test');
      const second = await status(w, 'setting.test');
      expect([first.cacheControl, first.served, second.served], JSON.stringify(setting)).toEqual([`public, max-age=${ttl}`, 'miss', 'hit']);
      expect(listsIn(w.ops), JSON.stringify(setting)).toBe(1);
    }
  });
});
