/** JSON responses: not cacheable unless a handler says otherwise (only /_status does, for its TTL). */
const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

export function jsonError(status: number, error: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Response {
  return json({ error, ...extra }, status, headers);
}

/** 401 carries the RFC 6750 challenge so clients know a Bearer token is expected. */
export function unauthorized(error: string): Response {
  return jsonError(401, error, {}, { 'www-authenticate': 'Bearer realm="syncscope"' });
}

export function methodNotAllowed(allowed: readonly string[]): Response {
  return jsonError(405, `method not allowed; use ${allowed.join(', ')}`, {}, { allow: allowed.join(', ') });
}
