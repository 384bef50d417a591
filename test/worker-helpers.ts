// Shared by the worker-*.test.ts files: the built Worker on Miniflare, tallies, tokens, and a
// scripted node:http stand-in for the Worker when a test must count or fail requests.
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Miniflare } from 'miniflare';
import type { TenantTally } from '../pipeline/core/kv-store.js';
import { bundleWorker, WORKER_BUNDLE } from '../worker/build.mjs';
import { localWorkerOptions } from '../worker/local.mjs';

export const REPORT_SECRET = 'test-report-secret';
export const ADMIN_TOKEN = 'test-admin-token';

/** `npm test` builds first; a lone `npx vitest run test/worker-` gets a bundle if none exists. */
export async function ensureWorkerBundle(): Promise<string> {
  if (!existsSync(WORKER_BUNDLE)) await bundleWorker();
  return WORKER_BUNDLE;
}

export interface RunningWorker {
  readonly mf: Miniflare;
  readonly url: string;
  readonly port: number;
}

/**
 * The built Worker on workerd. `port` set → also listening on 127.0.0.1:port (0 = any free one).
 * `statusCacheSeconds`: its STATUS_CACHE_SECONDS (unset: the Worker's default, 30).
 */
export async function startWorker(options: { port?: number; kvPersist?: string | false; statusCacheSeconds?: string | number } = {}): Promise<RunningWorker> {
  const scriptPath = await ensureWorkerBundle();
  const mf = new Miniflare(
    localWorkerOptions({
      scriptPath,
      reportSecret: REPORT_SECRET,
      adminToken: ADMIN_TOKEN,
      kvPersist: options.kvPersist ?? false,
      port: options.port,
      statusCacheSeconds: options.statusCacheSeconds,
    }),
  );
  const ready = await mf.ready;
  return { mf, url: ready.href.replace(/\/$/, ''), port: Number(ready.port) };
}

export function tokenFor(tenantId: string, secret = REPORT_SECRET): string {
  return createHmac('sha256', secret).update(tenantId).digest('hex');
}

export const isoAgo = (ms: number): string => new Date(Date.now() - ms).toISOString();

export function tally(tenantId: string, overrides: Partial<TenantTally> = {}): TenantTally {
  const now = new Date().toISOString();
  return {
    tenant_id: tenantId,
    failing: false,
    open_alerts: 0,
    ops_24h: 10,
    failed_24h: 0,
    last_alert_at: null,
    reported_at: now,
    updated_at: now,
    ...overrides,
  };
}

type Kv = Awaited<ReturnType<Miniflare['getKVNamespace']>>;

// Miniflare's Node-side KV proxy talks to workerd over loopback HTTP and, under many parallel
// calls, occasionally sees a reset socket. Tests touch KV in small batches and retry the
// (idempotent) call rather than flake.
const PROXY_BATCH = 25;

async function proxyCall<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= 3 || !(err instanceof TypeError)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}

async function inBatches<T>(items: readonly T[], each: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += PROXY_BATCH) {
    await Promise.all(items.slice(i, i + PROXY_BATCH).map((item) => proxyCall(() => each(item))));
  }
}

/** Writes tallies straight into the namespace, value and metadata, as the Worker would. */
export async function seedTallies(kv: Kv, tallies: readonly TenantTally[]): Promise<void> {
  await inBatches(tallies, (t) => kv.put(`tenant:${t.tenant_id}`, JSON.stringify(t), { metadata: { failing: t.failing, updated_at: t.updated_at } }));
}

export async function clearKv(kv: Kv): Promise<void> {
  for (;;) {
    const page = await proxyCall(() => kv.list());
    await inBatches(page.keys, (k) => kv.delete(k.name));
    if (page.list_complete) return;
  }
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface ScriptedServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Answers, in order; the last one repeats once the script runs out. */
  script(...answers: Array<{ status: number; body?: unknown }>): void;
  /** Answers computed per request instead (null: back to the script). */
  respondWith(responder: ((req: RecordedRequest) => { status: number; body?: unknown }) | null): void;
  close(): Promise<void>;
}

export async function scriptedServer(): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  let answers: Array<{ status: number; body?: unknown }> = [{ status: 200, body: { ok: true, written: true } }];
  let responder: ((req: RecordedRequest) => { status: number; body?: unknown }) | null = null;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(recorded);
      const answer = responder?.(recorded) ?? (answers.length > 1 ? answers.shift() : answers[0]) ?? { status: 200 };
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...next) => {
      answers = next;
    },
    respondWith: (next) => {
      responder = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A clock that only moves when the code under test sleeps; sleeps are recorded, not waited. */
export function fakeTime(start = Date.parse('2026-04-16T19:00:00Z')) {
  const sleeps: number[] = [];
  let now = start;
  return {
    sleeps,
    clock: () => now,
    advance: (ms: number) => {
      now += ms;
    },
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}
