// Miniflare options for running the built Worker locally (worker:dev and the tests), kept in
// one place so both run it the way wrangler.toml deploys it.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WORKER_BUNDLE } from './build.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** Local-only secrets, used when the environment sets none. Never deploy with these. */
export const LOCAL_REPORT_SECRET = 'syncscope-local-report-secret';
export const LOCAL_ADMIN_TOKEN = 'syncscope-local-admin-token';

/** compatibility_date from wrangler.toml, so local runs and the deploy agree. */
export function compatibilityDate() {
  const toml = readFileSync(join(here, 'wrangler.toml'), 'utf8');
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  if (!date) throw new Error('worker/wrangler.toml has no compatibility_date');
  return date;
}

/**
 * @param {{ reportSecret?: string, adminToken?: string, kvPersist?: string | false,
 *           host?: string, port?: number, scriptPath?: string, statusCacheSeconds?: string | number }} [options]
 *   kvPersist: a directory for the ALERTS namespace, or false (default) to keep it in memory.
 *   statusCacheSeconds: the STATUS_CACHE_SECONDS variable; unset, the Worker's default (30).
 */
export function localWorkerOptions(options = {}) {
  const scriptPath = options.scriptPath ?? WORKER_BUNDLE;
  return {
    modules: true,
    scriptPath,
    modulesRoot: dirname(scriptPath),
    compatibilityDate: compatibilityDate(),
    kvNamespaces: ['ALERTS'],
    kvPersist: options.kvPersist ?? false,
    cf: false,
    bindings: {
      REPORT_SECRET: options.reportSecret ?? LOCAL_REPORT_SECRET,
      ADMIN_TOKEN: options.adminToken ?? LOCAL_ADMIN_TOKEN,
      ...(options.statusCacheSeconds !== undefined ? { STATUS_CACHE_SECONDS: String(options.statusCacheSeconds) } : {}),
    },
    ...(options.port !== undefined ? { host: options.host ?? '127.0.0.1', port: options.port } : {}),
  };
}
