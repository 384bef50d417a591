import { createHmac } from 'node:crypto';

/** Env names the HTTP reporter reads its credentials from; never a flag (it would show in `ps`). */
export const REPORT_TOKEN_ENV = 'SYNCSCOPE_REPORT_TOKEN';
export const REPORT_SECRET_ENV = 'SYNCSCOPE_REPORT_SECRET';

/** A tenant's report token: hex HMAC-SHA256(secret, tenant_id), as the Worker checks it. */
export function reportToken(secret: string, tenantId: string): string {
  return createHmac('sha256', secret).update(tenantId, 'utf8').digest('hex');
}

/**
 * The bearer token for each tenant. SYNCSCOPE_REPORT_TOKEN (a token issued for one tenant) wins
 * when set; otherwise tokens are derived from SYNCSCOPE_REPORT_SECRET, which can sign any tenant.
 */
export function reportTokenSource(env: Readonly<Record<string, string | undefined>>): (tenantId: string) => string {
  const token = env[REPORT_TOKEN_ENV];
  if (token) return () => token;
  const secret = env[REPORT_SECRET_ENV];
  if (secret) return (tenantId) => reportToken(secret, tenantId);
  throw new Error(`no report token: set ${REPORT_TOKEN_ENV}, or ${REPORT_SECRET_ENV} to derive one per tenant`);
}
