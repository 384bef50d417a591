import type { Cluster, ClusterFailure, ClusterRule } from '../../pipeline/core/alerts.js';
import type { Batch } from '../../pipeline/core/batch.js';
import { seeded, foldBatches, dict } from '../fold.js';
import { type Row } from '../../pipeline/core/row.js';

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

function failureOf(r: Row): ClusterFailure {
  return {
    t: r.t,
    file: r.file,
    line: r.line,
    machine: r.machine,
    op: r.op,
    scope: r.scope,
    trigger: r.trigger,
    errors: r.errors.slice(),
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
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    let byRepo = s.keys[r.tenant];
    let ks = byRepo?.[r.repo];
    if (ks === undefined) {
      if (!r.failed) continue;
      if (byRepo === undefined) s.keys[r.tenant] = byRepo = dict();
      byRepo[r.repo] = ks = { recent: [], open: null, lastOpenSecond: -1, lastOpenSeq: 0 };
    }
    const t = r.t;
    if (ks.open !== null && t > ks.open.last_failure_at + W) resolve(s, ks, ks.open.last_failure_at + W);
    if (r.failed) {
      const f = failureOf(r);
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
        ks.open = {
          tenant_id: r.tenant,
          repo: r.repo,
          opened_at: t,
          seq: ks.lastOpenSeq,
          last_failure_at: t,
          failures: ks.recent,
          resolved_at: null,
        };
        ks.recent = [];
        const prev = s.lastAlertAt[r.tenant];
        if (prev === undefined || t > prev) s.lastAlertAt[r.tenant] = t;
      }
    } else if (ks.open !== null) {
      resolve(s, ks, t);
    }
    // Rows come in ts order: once past the second of its last opening, an idle key is forgotten.
    if (ks.open === null && ks.recent.length === 0 && Math.floor(t / 1000) !== ks.lastOpenSecond) delete byRepo![r.repo];
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
