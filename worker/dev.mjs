// `npm run worker:dev`: the Worker on real workerd (Miniflare) at http://127.0.0.1:8787.
//   PORT             listen port (default 8787)
//   REPORT_SECRET    HMAC key for report tokens (default: a local-only value, see docs/worker.md)
//   ADMIN_TOKEN      bearer token for /_status/tenants (default: a local-only value)
//   WORKER_KV_DIR    where the ALERTS namespace persists (default ./state/worker-kv);
//                    "memory" keeps it in memory, gone when the process stops
//   STATUS_CACHE_SECONDS  seconds GET /_status is served from the cache (default 30; 0 = off)
// The bundle is rebuilt on start (no typecheck: `node worker/build.mjs` does that).
import { createHmac } from 'node:crypto';
import { resolve } from 'node:path';
import { Miniflare } from 'miniflare';
import { bundleWorker } from './build.mjs';
import { LOCAL_ADMIN_TOKEN, LOCAL_REPORT_SECRET, localWorkerOptions } from './local.mjs';

const USAGE = `usage: npm run worker:dev   (node worker/dev.mjs)

Runs the status Worker locally on workerd at http://127.0.0.1:8787 until Ctrl-C. Takes no
options; set these in the environment instead:

  PORT            listen port (default 8787)
  REPORT_SECRET   HMAC key for report tokens (default: a local-only value)
  ADMIN_TOKEN     bearer token for /_status/tenants (default: a local-only value)
  WORKER_KV_DIR   where the ALERTS namespace persists (default ./state/worker-kv);
                  "memory" keeps it in memory, gone when the process stops
  STATUS_CACHE_SECONDS
                  seconds GET /_status is served from the cache (default 30;
                  0 = off, so every report shows at once)
`;
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (args.length > 0) {
  const what = args[0].startsWith('-') ? `unknown option '${args[0]}'` : `unexpected argument '${args[0]}'`;
  process.stderr.write(`worker:dev: ${what} (see npm run worker:dev -- --help)\n`);
  process.exit(2);
}

const port = Number(process.env.PORT ?? 8787);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number; got "${process.env.PORT}"`);
const reportSecret = process.env.REPORT_SECRET || LOCAL_REPORT_SECRET;
const adminToken = process.env.ADMIN_TOKEN || LOCAL_ADMIN_TOKEN;
const kvDir = process.env.WORKER_KV_DIR ?? 'state/worker-kv';
const kvPersist = kvDir === 'memory' ? false : resolve(kvDir);

await bundleWorker();
const statusCacheSeconds = process.env.STATUS_CACHE_SECONDS;
const mf = new Miniflare(localWorkerOptions({ reportSecret, adminToken, kvPersist, host: '127.0.0.1', port, statusCacheSeconds }));
const url = await mf.ready;

const defaults = [!process.env.REPORT_SECRET && 'REPORT_SECRET', !process.env.ADMIN_TOKEN && 'ADMIN_TOKEN'].filter(Boolean);
console.log(`syncscope worker on ${url.href.replace(/\/$/, '')}  (KV: ${kvPersist || 'in memory'})`);
if (defaults.length > 0) console.log(`using the local-only default for ${defaults.join(' and ')} (see docs/worker.md)`);
console.log(`token for tenant "default": ${createHmac('sha256', reportSecret).update('default').digest('hex')}`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await mf.dispose();
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
