import { compactTs } from './time.js';

/** SPEC §4 slug: lower-case, and every run of characters outside [a-z0-9._-] becomes one '-'. */
export function slug(text: string): string {
  const s = text.toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
  return s.length > 0 ? s : '-';
}

/** `sync-degraded-<YYYYMMDDTHHMMSSZ>-<tenant>-<repo>.md`, from the cluster's opened_at. */
export function alertFileName(c: { opened_at: number; tenant_id: string; repo: string }): string {
  return `sync-degraded-${compactTs(c.opened_at)}-${slug(c.tenant_id)}-${slug(c.repo)}.md`;
}
