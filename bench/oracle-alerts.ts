/**
 * Oracle for SPEC §4 (failure clustering → alerts): the four numbered rules applied literally,
 * one key (tenant_id, repo) at a time, to rows already stably sorted by ts and cut at NOW.
 * Yields which clusters are open at the end of the batch and which resolved (and when), with
 * the file name §4 gives each. Written from the SPEC text alone.
 */
import { createHash } from 'node:crypto';
import { byName, type OracleRow } from './oracle-common.js';

export interface AlertOptions {
  /** N, `--alert-failures` (default 3). */
  failures: number;
  /** W in ms, `--alert-window` (default 10 min). */
  windowMs: number;
}

export const DEFAULT_ALERT_OPTIONS: AlertOptions = { failures: 3, windowMs: 10 * 60_000 };

export interface OracleCluster {
  file: string;
  tenant_id: string;
  repo: string;
  opened_at: number;
  last_failure_at: number;
  /** null while still open at the end of the batch. */
  resolved_at: number | null;
  /** The failures in the cluster, in the order they joined. */
  entries: OracleRow[];
}

export interface AlertsResult {
  /** Open at the end of the batch, sorted by file name. */
  open: OracleCluster[];
  /** In the order they resolved, ties by file name (the order of alerts-resolved.ndjson). */
  resolved: OracleCluster[];
}

/** §4 slug: lower-cased, each run outside [a-z0-9._-] becomes one '-', cut to 48 characters. */
export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').slice(0, 48);
}

/** `YYYYMMDDTHHMMSSZ` of an instant (whole seconds: the fraction is cut). */
function compactTs(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
}

function keyHash(tenant: string, repo: string): string {
  return createHash('sha256').update(`${tenant}\n${repo}`, 'utf8').digest('hex').slice(0, 8);
}

interface KeyState {
  /** The key's failure list (rule 2), pruned to the window at each failure. */
  list: OracleRow[];
  open: OracleCluster | null;
}

/**
 * Applies §4 rules 1–3 row by row, then rule 4 at NOW. `rows` must be valid rows with ts ≤ NOW,
 * stably sorted by ts (equal ts keep input order, SPEC §2).
 */
export function clusterFailures(rows: readonly OracleRow[], now: number, opts: AlertOptions = DEFAULT_ALERT_OPTIONS): AlertsResult {
  const W = opts.windowMs;
  const keys = new Map<string, KeyState>();
  /** Clusters opened per key and second, for the `-<n>` suffix. */
  const openedInSecond = new Map<string, number>();
  const resolved: OracleCluster[] = [];

  const resolve = (s: KeyState, at: number): void => {
    const c = s.open as OracleCluster;
    c.resolved_at = at;
    resolved.push(c);
    s.open = null;
    s.list = [];
  };

  for (const row of rows) {
    const key = `${row.tenant}\n${row.repo}`;
    let s = keys.get(key);
    if (s === undefined) keys.set(key, (s = { list: [], open: null }));
    // Rule 1: an open cluster whose window ran out before this row resolves at its end.
    if (s.open !== null && row.t > s.open.last_failure_at + W) resolve(s, s.open.last_failure_at + W);
    if (row.failed) {
      // Rule 2.
      s.list.push(row);
      s.list = s.list.filter((f) => f.t >= row.t - W);
      if (s.open !== null) {
        s.open.entries.push(row);
        s.open.last_failure_at = row.t;
      } else if (s.list.length >= opts.failures) {
        const second = `${key}\n${compactTs(row.t)}`;
        const n = (openedInSecond.get(second) ?? 0) + 1;
        openedInSecond.set(second, n);
        s.open = {
          file: `sync-degraded-${compactTs(row.t)}-${slug(row.tenant)}-${slug(row.repo)}-h${keyHash(row.tenant, row.repo)}${n > 1 ? `-${n}` : ''}.md`,
          tenant_id: row.tenant,
          repo: row.repo,
          opened_at: row.t,
          last_failure_at: row.t,
          resolved_at: null,
          entries: [...s.list],
        };
      }
    } else if (s.open !== null) {
      // Rule 3.
      resolve(s, row.t);
    }
  }

  // Rule 4, at the end of the batch.
  const open: OracleCluster[] = [];
  for (const s of keys.values()) {
    if (s.open === null) continue;
    if (now > s.open.last_failure_at + W) resolve(s, s.open.last_failure_at + W);
    else open.push(s.open);
  }
  open.sort((a, b) => byName(a.file, b.file));
  resolved.sort((a, b) => (a.resolved_at as number) - (b.resolved_at as number) || byName(a.file, b.file));
  return { open, resolved };
}
