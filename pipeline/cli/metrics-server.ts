import { createServer, type Server, type ServerResponse } from 'node:http';
import { METRICS_CONTENT_TYPE, renderMetrics } from '../../sinks/metrics/prometheus.js';
import type { FlushReport } from '../engine/session.js';
import { inWords, isOsError, UsageError } from '../core/io-error.js';

/**
 * `run --metrics-port`: GET /metrics answers with the text rendered at the last flush (tick,
 * catch-up, final), so a scrape never waits for the scan and never touches the engine; before
 * the first flush it answers 503. prom-client's default process metrics are left out: some of
 * them (nodejs_active_handles_total, a gauge named like a counter) fail `promtool check metrics`.
 */
export interface MetricsEndpoint {
  /** http://HOST:PORT/metrics, with the port actually bound (port 0 picks a free one). */
  readonly url: string;
  /** Renders what the next scrapes get; call after each flush. */
  update(f: FlushReport): void;
}

const NOT_YET = 'syncscope: no tick yet: /metrics answers once the input has been read up to its end\n';

/** Listens on HOST:PORT; a port in use or a host it cannot listen on is a usage error (exit 2). */
export async function serveMetrics(host: string, port: number): Promise<MetricsEndpoint> {
  let body: string | null = null;
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') return answer(res, 404, 'syncscope: not found: the metrics are at /metrics\n', req.method);
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405, 'syncscope: /metrics answers GET only\n', req.method, { allow: 'GET, HEAD' });
    if (body === null) return answer(res, 503, NOT_YET, req.method);
    answer(res, 200, body, req.method, { 'content-type': METRICS_CONTENT_TYPE });
  });
  const bound = await listen(server, host, port);
  // The run decides when the process ends (a failed start, the end of stdin): never the endpoint.
  server.unref();
  server.on('connection', (socket) => socket.unref());

  let ticks = 0;
  // Renders in flush order, one at a time.
  let rendering: Promise<void> = Promise.resolve();
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`,
    update(f) {
      ticks++;
      const stats = {
        ticks,
        tickDurationSeconds: Math.round(f.durationMs) / 1000,
        outboxTallies: f.outboxSize,
        checkpointAgeSeconds: f.checkpointSavedAt === null ? null : Math.max(0, Date.now() - f.checkpointSavedAt) / 1000,
      };
      rendering = rendering
        .then(async () => {
          body = await renderMetrics(f.snapshot, stats);
        })
        .catch(() => {}); // the last good text keeps being served
    },
  };
}

function answer(res: ServerResponse, status: number, text: string, method: string | undefined, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers, 'content-length': Buffer.byteLength(text) });
  res.end(method === 'HEAD' ? undefined : text);
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(listenProblem(err, host, port)));
    server.listen({ host, port }, () => {
      const addr = server.address();
      resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
    });
  });
}

function listenProblem(err: Error, host: string, port: number): Error {
  if (!isOsError(err)) return err;
  if (err.code === 'EADDRINUSE') return new UsageError(`--metrics-port ${port}: port in use on ${host}`);
  if (err.code === 'EACCES') return new UsageError(`--metrics-port ${port}: not allowed to listen on it on ${host} (ports below 1024 need privileges)`);
  return new UsageError(`--metrics-host ${host}: cannot listen there: ${inWords(err)}`);
}
