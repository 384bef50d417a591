/**
 * Token rules (documented in docs/worker.md):
 * - POST /report: `Authorization: Bearer <64 hex chars>`; missing, another scheme, or not exactly
 *   64 hex digits → 401. A well-formed token that is not HMAC-SHA256(REPORT_SECRET, body.tenant_id)
 *   → 403 (it may be valid for some other tenant; the Worker cannot and does not say which).
 * - GET /_status/tenants: `Authorization: Bearer <ADMIN_TOKEN>`, anything else → 401.
 */
const BEARER = /^Bearer[ ]+(\S+)[ ]*$/i;
const HEX_SHA256 = /^[0-9a-f]{64}$/i;
const encoder = new TextEncoder();

export function bearerToken(request: Request): string | null {
  const header = request.headers.get('authorization');
  if (header === null) return null;
  return BEARER.exec(header)?.[1] ?? null;
}

/** The 32 bytes of a hex HMAC-SHA256 token, or null when it is not well-formed. */
export function parseReportToken(token: string | null): Uint8Array | null {
  if (token === null || !HEX_SHA256.test(token)) return null;
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(token.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** True when `mac` is HMAC-SHA256(secret, tenantId). subtle.verify compares in constant time. */
export async function verifyTenantToken(secret: string, tenantId: string, mac: Uint8Array): Promise<boolean> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  return crypto.subtle.verify('HMAC', key, mac, encoder.encode(tenantId));
}

/**
 * Constant-time check of the admin token. Both sides are hashed first so the comparison runs
 * over equal lengths and does not leak the token's length. An unset ADMIN_TOKEN admits nobody.
 */
export async function isAdmin(request: Request, adminToken: string | undefined): Promise<boolean> {
  const given = bearerToken(request);
  if (!adminToken || given === null) return false;
  const [a, b] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(given)),
    crypto.subtle.digest('SHA-256', encoder.encode(adminToken)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}
