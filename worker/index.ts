import type { Env } from './env.js';
import { handleReport } from './report.js';
import { jsonError, methodNotAllowed } from './responses.js';
import { handleFailingTenants, handleStatus } from './status.js';

type Handler = (request: Request, env: Env) => Promise<Response>;

/** Exact paths only; each answers one method. */
const ROUTES: Record<string, { readonly method: string; readonly handler: Handler }> = {
  '/report': { method: 'POST', handler: handleReport },
  '/_status': { method: 'GET', handler: handleStatus },
  '/_status/tenants': { method: 'GET', handler: handleFailingTenants },
};

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const route = ROUTES[new URL(request.url).pathname];
    if (route === undefined) return jsonError(404, 'not found');
    if (request.method !== route.method) return methodNotAllowed([route.method]);
    try {
      return await route.handler(request, env);
    } catch (err) {
      // Log the cause for `wrangler tail`; the caller gets no internals.
      console.error('syncscope worker error', err);
      return jsonError(500, 'internal error');
    }
  },
} satisfies ExportedHandler<Env>;
