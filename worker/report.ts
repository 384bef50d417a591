import { tenantKey, type TallyMetadata } from '../pipeline/kv-store.js';
import { bearerToken, parseReportToken, verifyTenantToken } from './auth.js';
import { MAX_REPORT_BYTES, readCappedText } from './body.js';
import type { Env } from './env.js';
import { json, jsonError, unauthorized } from './responses.js';
import { canonicalTally, tenantTallySchema } from './tally-schema.js';

/**
 * POST /report: one tenant's tally. Checks run cheapest first, so an unauthenticated caller
 * never makes the Worker read a body: 401 (header) → 413 (size) → 400 (JSON, schema) → 403
 * (token is not the body tenant's) → write.
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

  if (!(await verifyTenantToken(env.REPORT_SECRET, tally.tenant_id, mac))) {
    return jsonError(403, 'token does not grant writes for this tenant_id');
  }

  // KV allows one write per second per key: a resent, byte-identical tally is not written again.
  const key = tenantKey(tally.tenant_id);
  const value = canonicalTally(tally);
  if ((await env.ALERTS.get(key)) === value) return json({ ok: true, written: false });

  const metadata: TallyMetadata = { failing: tally.failing, updated_at: tally.updated_at };
  await env.ALERTS.put(key, value, { metadata });
  return json({ ok: true, written: true });
}
