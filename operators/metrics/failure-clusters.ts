import type { Cluster, ClusterFailure, ClusterRule } from '../../pipeline/core/alerts.js';
import type { Batch } from '../../pipeline/core/batch.js';
import { seeded, foldBatches, dict, slotsOf } from '../fold.js';
import { errorsAt, FAILED, NAMES, PUSH, type RowBatch } from '../../pipeline/core/columns.js';

/**
 * Failure clustering per (tenant_id, repo), exactly SPEC §4: N failures within W open a
 * cluster; later failures join it; a success or W of quiet resolves it. Rows must arrive in
 * ts order (see reorder-by-ts). Resolved clusters queue in `resolved` until the wiring hands
 * them to the alert sink, so memory holds only open clusters and recent failure times.
 */


interface KeyState {
  /** Failure times (and details, for the opening set) within W of the newest. */
  recent: ClusterFailure[];
  open: Cluster | null;
  /** Second (epoch) and seq of the key's newest cluster: a reopen in that second takes seq + 1. */
  lastOpenSecond: number;
  lastOpenSeq: number;
}

export interface FailureClustersState {
  keys: Record<string, Record<string, KeyState>>;
  /** Clusters the latest batch resolved (the engine hands them to the alert sink). */
  resolved: Cluster[];
  resolvedCount: number;
  /** Per tenant, opened_at of its newest cluster. */
  lastAlertAt: Record<string, number>;
}


export const initFailureClusters = (): FailureClustersState => ({
  keys: dict(),
  resolved: [],
  resolvedCount: 0,
  lastAlertAt: dict(),
});

function failureOf(b: RowBatch, i: number): ClusterFailure {
  const names = NAMES.list;
  return {
    t: b.t[i]!,
    file: names[b.file[i]!]!,
    line: b.line[i]!,
    machine: names[b.machine[i]!]!,
    op: (b.flags[i]! & PUSH) !== 0 ? 'push' : 'pull',
    scope: names[b.scope[i]!]!,
    trigger: names[b.trigger[i]!]!,
    errors: errorsAt(b, i),
  };
}

function resolve(s: FailureClustersState, ks: KeyState, at: number): void {
  const c = ks.open as Cluster;
  c.resolved_at = at;
  s.resolved.push(c);
  s.resolvedCount++;
  ks.open = null;
  ks.recent = [];
}

export function foldFailureClusters(s: FailureClustersState, b: Batch, rule: ClusterRule): void {
  if (s.resolved.length > 0) s.resolved = [];
  const W = rule.windowMs;
  const rows = b.rows;
  const { flags, tenant: tenantCol, repo: repoCol, t: ts, length } = rows;
  const names = NAMES.list;
  // Per tenant id: its keys, or null once looked up and absent (entries are made only here).
  const tenantSlots = slotsOf<Record<string, KeyState> | null>(s.keys);
  for (let i = 0; i < length; i++) {
    const failed = (flags[i]! & FAILED) !== 0;
    const tenantId = tenantCol[i]!;
    let byRepo = tenantSlots[tenantId];
    if (byRepo === undefined) tenantSlots[tenantId] = byRepo = s.keys[names[tenantId]!] ?? null;
    if (byRepo === null) {
      // A tenant with no failure yet has no entry: a success for it is the common case.
      if (!failed) continue;
      tenantSlots[tenantId] = byRepo = s.keys[names[tenantId]!] = dict();
    }
    const repo = names[repoCol[i]!]!;
    let ks = byRepo[repo];
    if (ks === undefined) {
      if (!failed) continue;
      byRepo[repo] = ks = { recent: [], open: null, lastOpenSecond: -1, lastOpenSeq: 0 };
    }
    const t = ts[i]!;
    if (ks.open !== null && t > ks.open.last_failure_at + W) resolve(s, ks, ks.open.last_failure_at + W);
    if (failed) {
      const f = failureOf(rows, i);
      if (ks.open !== null) {
        ks.open.failures.push(f);
        ks.open.last_failure_at = t;
        continue;
      }
      ks.recent.push(f);
      let drop = 0;
      while (drop < ks.recent.length && ks.recent[drop]!.t < t - W) drop++;
      if (drop > 0) ks.recent = ks.recent.slice(drop);
      if (ks.recent.length >= rule.failures) {
        const second = Math.floor(t / 1000);
        ks.lastOpenSeq = second === ks.lastOpenSecond ? ks.lastOpenSeq + 1 : 1;
        ks.lastOpenSecond = second;
        const tenant = names[tenantId]!;
        ks.open = {
          tenant_id: tenant,
          repo,
          opened_at: t,
          seq: ks.lastOpenSeq,
          last_failure_at: t,
          failures: ks.recent,
          resolved_at: null,
        };
        ks.recent = [];
        const prev = s.lastAlertAt[tenant];
        if (prev === undefined || t > prev) s.lastAlertAt[tenant] = t;
      }
    } else if (ks.open !== null) {
      resolve(s, ks, t);
    }
    // Rows come in ts order: once past the second of its last opening, an idle key is forgotten.
    if (ks.open === null && ks.recent.length === 0 && Math.floor(t / 1000) !== ks.lastOpenSecond) delete byRepo[repo];
  }
  if (b.now !== null) settleByTime(s, b.now, W);
}

/** SPEC §4 step 4: an open cluster with NOW > last_failure + W resolves at last_failure + W. */
export function settleByTime(s: FailureClustersState, now: number, windowMs: number): void {
  for (const tenant in s.keys) {
    const byRepo = s.keys[tenant]!;
    for (const repo in byRepo) {
      const ks = byRepo[repo]!;
      if (ks.open !== null && now > ks.open.last_failure_at + windowMs) {
        resolve(s, ks, ks.open.last_failure_at + windowMs);
        delete byRepo[repo];
      }
    }
  }
}

export const failureClusters = (rule: ClusterRule, seed?: FailureClustersState) =>
  foldBatches(seeded(seed, initFailureClusters), (s: FailureClustersState, b: Batch) => foldFailureClusters(s, b, rule));

/** Open clusters, sorted by opened_at then tenant then repo. */
export function openClusters(s: FailureClustersState): Cluster[] {
  const out: Cluster[] = [];
  for (const tenant in s.keys) {
    const byRepo = s.keys[tenant]!;
    for (const repo in byRepo) {
      const open = byRepo[repo]!.open;
      if (open !== null) out.push(open);
    }
  }
  return out.sort((a, b) =>
    a.opened_at - b.opened_at || (a.tenant_id < b.tenant_id ? -1 : a.tenant_id > b.tenant_id ? 1 : 0) ||
    (a.repo < b.repo ? -1 : a.repo > b.repo ? 1 : 0) || a.seq - b.seq);
}
