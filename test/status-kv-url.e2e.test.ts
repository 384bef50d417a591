// `syncscope status --kv-url`: the built CLI asks the Worker (on Miniflare) for its /_status and
// prints what the embedded-KV status prints; an unreachable or garbled Worker is exit 2.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchStatus } from '../sinks/kv/http-kv.js';
import { ensureBuilt, iso, line, rawRow, runCli, tempDir } from './core-helpers.js';
import { clearKv, REPORT_SECRET, scriptedServer, startWorker, type RunningWorker } from './worker-helpers.js';

let worker: RunningWorker;
beforeAll(async () => {
  ensureBuilt();
  // The cases share one Worker and clear KV between them: no cached /_status (see worker-status-cache.test.ts).
  worker = await startWorker({ port: 0, statusCacheSeconds: 0 });
});
afterAll(async () => {
  await worker?.mf.dispose();
});

describe('syncscope status --kv-url (built CLI, Worker on Miniflare)', () => {
  it('after runs report to the Worker, status --kv-url prints the totals of /_status, as text and json; --strict follows the status', async () => {
    await clearKv(await worker.mf.getKVNamespace('ALERTS'));
    const dir = tempDir('status-kv-url');
    const now = Date.now();
    const rows = [
      rawRow({ ts: iso(now - 5 * 60_000), tenant: 'acme', ok: true }),
      // three failures within the window: an open alert, so globex is failing
      ...[3, 2, 1].map((m) => rawRow({ ts: iso(now - m * 60_000), tenant: 'globex', ok: false, error: 'boom' })),
    ];
    const log = join(dir, 'in.ndjson');
    writeFileSync(log, `${rows.map(line).join('\n')}\n`);
    const run = await runCli(['run', log, '--state', join(dir, 'state'), '--kv-url', worker.url, '--no-progress'], { env: { SYNCSCOPE_REPORT_SECRET: REPORT_SECRET } });
    expect(run.stderr).not.toMatch(/refused|internal error/);
    expect(run.code).toBe(0);

    const expected = await fetchStatus(worker.url);
    expect(expected).toMatchObject({ status: 'degraded', failing: 1, total: 2, ratio: 0.5 });
    const [json, text, strict] = await Promise.all([
      runCli(['status', '--kv-url', worker.url, '--format', 'json']),
      runCli(['status', '--kv-url', worker.url]),
      runCli(['status', '--kv-url', `${worker.url}/`, '--strict']),
    ]);
    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout) as Record<string, unknown>;
    expect({ ...body, checked_at: expected.checked_at }).toEqual(expected);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^status: degraded\nfailing: 1 of 2 active tenants \(ratio 0\.5000, degraded above 0\.05\)\nchecked_at: \S+Z\n$/);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/^status: degraded$/m);
  });

  it('a corrupt queue of unsent tallies is set aside with one notice; the run reports every tenant and exits 0', async () => {
    await clearKv(await worker.mf.getKVNamespace('ALERTS'));
    const dir = tempDir('status-kv-outbox');
    const log = join(dir, 'in.ndjson');
    writeFileSync(log, `${line(rawRow({ ts: iso(Date.now() - 60_000), tenant: 'acme', ok: true }))}\n`);
    const outbox = join(dir, 'state', '.syncscope', 'kv-outbox.json');
    mkdirSync(join(dir, 'state', '.syncscope'), { recursive: true });
    writeFileSync(outbox, '{"version":1,"entries":{"tenant:ghost":'); // cut short
    const run = await runCli(['run', log, '--state', join(dir, 'state'), '--kv-url', worker.url, '--no-progress'], { env: { SYNCSCOPE_REPORT_SECRET: REPORT_SECRET } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`syncscope: the queue of unsent tallies was unusable (not valid JSON); moved to ${outbox}.corrupt; every tenant is reported to the Worker again\n`);
    expect(readFileSync(`${outbox}.corrupt`, 'utf8')).toBe('{"version":1,"entries":{"tenant:ghost":');
    expect(existsSync(outbox)).toBe(false); // delivered: nothing left to queue
    expect(await fetchStatus(worker.url)).toMatchObject({ status: 'ok', total: 1 });
  });

  it('a Worker nobody reported to: no_data, and --strict exits 1', async () => {
    await clearKv(await worker.mf.getKVNamespace('ALERTS'));
    const [plain, strict] = await Promise.all([
      runCli(['status', '--kv-url', worker.url, '--format', 'json']),
      runCli(['status', '--kv-url', worker.url, '--strict']),
    ]);
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout)).toMatchObject({ status: 'no_data', failing: 0, total: 0 });
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/^status: no_data$/m);
    expect(strict.stdout).toContain(`reached ${worker.url}`);
  });

  it('an unreachable Worker, an answer that is not a status, or --now: one line on stderr, exit 2 (never ok), nothing on stdout', async () => {
    const server = await scriptedServer();
    const closed = await scriptedServer();
    const closedUrl = closed.url;
    await closed.close();
    try {
      server.respondWith((req) => (req.url.startsWith('/html/') ? { status: 200, body: '<html>' } : { status: 404, body: { error: 'not found' } }));
      const cases: Array<[string[], RegExp]> = [
        [['status', '--kv-url', closedUrl, '--strict'], new RegExp(`^syncscope: status --kv-url: cannot reach ${closedUrl}/_status: connection refused \\(ECONNREFUSED\\)\\n$`)],
        [['status', '--kv-url', `${server.url}/html`, '--strict'], /^syncscope: status --kv-url: http:\/\/127\.0\.0\.1:\d+\/html\/_status answered HTTP 200, but not with a status body: "<html>"\n$/],
        [['status', '--kv-url', `${server.url}/elsewhere`], /^syncscope: status --kv-url: \S+\/elsewhere\/_status answered HTTP 404: not found\n$/],
        [['status', '--kv-url', worker.url, '--now', 'latest'], /^syncscope: status: --now does not apply with --kv-url: the Worker judges by its own clock\n$/],
        [['status', '--kv-url', 'ftp://example.com'], /^syncscope: --kv-url: must be an http\(s\) URL/],
      ];
      const results = await Promise.all(cases.map(([args]) => runCli(args)));
      results.forEach((r, i) => {
        const [args, message] = cases[i]!;
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr, args.join(' ')).toMatch(message);
        expect(r.stdout).toBe('');
      });
    } finally {
      await server.close();
    }
  });

  it('a web server that is not the Worker: its error page is cut to one line', async () => {
    const page = '<!DOCTYPE HTML>\n<html lang="en">\n  <head><title>Error response</title></head>\n  <body>\n    <h1>Error response</h1>\n    <p>Error code: 404</p>\n  </body>\n</html>\n';
    const server = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end(page));
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const r = await runCli(['status', '--kv-url', url, '--strict']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`syncscope: status --kv-url: ${url}/_status answered HTTP 404: <!DOCTYPE HTML> <html lang="en"> <head><title>Error response</title></head> <body> <h1>Error response</h1> <p>Error code: 404</p> </body> </html>\n`);
    } finally {
      await new Promise((res) => server.close(res));
    }
  });
});
