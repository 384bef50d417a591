import { tenantKey, type TallyMetadata } from '../pipeline/core/kv-store.js';
import { bearerToken, parseReportToken, verifyTenantToken } from './auth.js';
import { MAX_REPORT_BYTES, readCappedText } from './body.js';
import type { Env } from './env.js';
import { forgetCachedStatus } from './status-cache.js';
import { json, jsonError, unauthorized } from './responses.js';
import { canonicalTally, tenantTallySchema } from './tally-schema.js';

/** How far a reporter's clock may run ahead of the Worker's. */
const MAX_REPORTED_AHEAD_MS = 5 * 60_000;

/**
 * POST /report: one tenant's tally. Checks run cheapest first, so an unauthenticated caller
 * never makes the Worker read a body or KV: 401 (header) → 413 (size) → 400 (JSON, schema,
 * reported_at ahead of this clock) → 403 (token is not the body tenant's) → 409 (older than the
 * stored report) → write, with updated_at = this Worker's clock.
 */
export async function handleReport(request: Request, env: Env): Promise<Response> {
  if (!env.REPORT_SECRET) return jsonError(500, 'REPORT_SECRET is not configured on this Worker');

  const mac = parseReportToken(bearerToken(request));
  if (mac === null) return unauthorized('missing or malformed token: expected "Authorization: Bearer <64 hex digits>"');

  const body = await readCappedText(request);
  if (!body.ok) {
    return body.reason === 'too_large'
      ? jsonError(413, `report body exceeds ${MAX_REPORT_BYTES} bytes`)
      : jsonError(400, 'report body is not valid UTF-8');
  }

  let raw: unknown;
  try {
    raw = JSON.parse(body.text);
  } catch {
    return jsonError(400, 'report body is not valid JSON');
  }
  const parsed = tenantTallySchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    return jsonError(400, 'report body does not match the tenant tally schema', { issues });
  }
  const tally = parsed.data;
  const receivedAt = new Date();
  const reportedAt = Date.parse(tally.reported_at);
  if (reportedAt - receivedAt.getTime() > MAX_REPORTED_AHEAD_MS) {
    return jsonError(400, `reported_at ${tally.reported_at} is more than 5 minutes ahead of the Worker's clock (${receivedAt.toISOString()}): fix the reporter's clock`);
  }

  if (!(await verifyTenantToken(env.REPORT_SECRET, tally.tenant_id, mac))) {
    return jsonError(403, 'token does not grant writes for this tenant_id');
  }

  const key = tenantKey(tally.tenant_id);
  const storedText = await env.ALERTS.get(key);
  const stored = storedClocks(storedText);
  // A late retry must never overwrite a newer tally. (A value from before reported_at existed has none.)
  if (stored.reported_at !== undefined && reportedAt < Date.parse(stored.reported_at)) {
    return jsonError(409, 'a newer report for this tenant is already stored', { stored_reported_at: stored.reported_at });
  }
  // KV allows one write per second per key: a resent report (same facts, same reported_at) is not written again.
  if (stored.updated_at !== undefined && canonicalTally({ ...tally, updated_at: stored.updated_at }) === storedText) {
    return json({ ok: true, written: false });
  }

  const updatedAt = receivedAt.toISOString();
  const metadata: TallyMetadata = { failing: tally.failing, updated_at: updatedAt };
  await env.ALERTS.put(key, canonicalTally({ ...tally, updated_at: updatedAt }), { metadata });
  if (stored.failing !== tally.failing) await forgetCachedStatus(request.url);
  return json({ ok: true, written: true });
}

/** The two clocks and `failing` of the stored value, where present. */
function storedClocks(text: string | null): { readonly reported_at?: string; readonly updated_at?: string; readonly failing?: boolean } {
  if (text === null) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {};
  }
  const { reported_at, updated_at, failing } = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  return {
    ...(typeof reported_at === 'string' ? { reported_at } : {}),
    ...(typeof updated_at === 'string' ? { updated_at } : {}),
    ...(typeof failing === 'boolean' ? { failing } : {}),
  };
}
