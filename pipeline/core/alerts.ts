import { createHash } from 'node:crypto';
import { compactTs } from './time.js';

/** Slugs are cut to this many characters, so a name stays far below any file-name limit. */
export const SLUG_MAX = 48;

/** SPEC §4 slug: lower-case, every run of characters outside [a-z0-9._-] becomes one '-', cut to 48. */
export function slug(text: string): string {
  const s = text.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').slice(0, SLUG_MAX);
  return s.length > 0 ? s : '-';
}

/** First 8 hex digits of SHA-256 of `tenant_id + "\n" + repo`: two keys never share a name. */
export function keyHash(tenantId: string, repo: string): string {
  return createHash('sha256').update(`${tenantId}\n${repo}`, 'utf8').digest('hex').slice(0, 8);
}

/**
 * `sync-degraded-<YYYYMMDDTHHMMSSZ>-<tenant>-<repo>-h<hash>[-<n>].md` from the cluster's
 * opened_at, key and seq; at most 14 + 16 + 2 × 49 + 10 + 3 + the digits of n bytes, under 160.
 */
export function alertFileName(c: { opened_at: number; tenant_id: string; repo: string; seq: number }): string {
  const n = c.seq > 1 ? `-${c.seq}` : '';
  return `sync-degraded-${compactTs(c.opened_at)}-${slug(c.tenant_id)}-${slug(c.repo)}-h${keyHash(c.tenant_id, c.repo)}${n}.md`;
}

/** One failed row inside a cluster. */
export interface ClusterFailure {
  t: number;
  /** The input file (as given, `-` for stdin) and line of the row. */
  file: string;
  line: number;
  machine: string;
  op: string;
  scope: string;
  trigger: string;
  errors: string[];
}

/** A failure cluster (SPEC §4): what an alert file shows. */
export interface Cluster {
  tenant_id: string;
  repo: string;
  opened_at: number;
  /** 1, or 2, 3, … for a cluster of the same key that opened in the same second as an earlier one. */
  seq: number;
  last_failure_at: number;
  failures: ClusterFailure[];
  resolved_at: number | null;
}

/** N failures within W open a cluster (SPEC §4). */
export interface ClusterRule {
  readonly failures: number;
  readonly windowMs: number;
}

/** What a checkpoint keeps of alerts-resolved.ndjson (see sinks/resolved-history.ts). */
export interface HistoryMark {
  /** Length of the file's final part: lines in the order the clusters resolved. */
  readonly bytes: number;
  /** Clusters whose line is in the final part while the engine still holds them open (their window ran out). */
  readonly ahead: readonly string[];
}
