import {
  listTarget, noSyncLists, PRIVATE_TREES, SYNC_AGGREGATE_PATH, syncVerdict, type PrivateTree, type SyncLists, type SyncVerdict,
} from '../../pipeline/core/sync-lists.js';
import { initTally, report, type LintBatch, type LintContext, type LintOperator, type LintTally } from './common.js';
import { foldBatches } from '../fold.js';

/**
 * privacy (SPEC §7): the sync allow/deny lists must keep every file syncscope writes that names
 * machines or holds error text out of the bucket (PRIVATE_TREES) and let
 * `state/log/evals.aggregate.ndjson` in (billing reads it). One finding per leaking tree, so one
 * broad glob is one finding, not one per file. With no list at all there is nothing to judge:
 * the lint command prints a notice instead. Rules: pipeline/sync-lists.ts.
 * Judged once, on the last batch; it reads no rows.
 */
export interface PrivacyState {
  readonly out: LintTally;
}

/** The distinct reasons behind a set of verdicts, allow side then deny side. */
function reasons(verdicts: readonly SyncVerdict[]): string {
  const distinct = (texts: string[]): string => [...new Set(texts)].join(', ');
  return `${distinct(verdicts.map((v) => v.allowReason))}; ${distinct(verdicts.map((v) => v.denyReason))}`;
}

function leakFinding(s: PrivacyState, lists: SyncLists, ctx: LintContext, tree: PrivateTree): void {
  const leaked = tree.probes.map((p) => syncVerdict(lists, p)).filter((v) => v.synced);
  if (leaked.length === 0) return;
  report(s.out, ctx, null, () => {
    const names = leaked.map((v) => v.path.slice(tree.dir.length)).join(', ');
    const globs = [`${tree.dir}**`, ...tree.except.map((p) => `!${p}`)].map((g) => JSON.stringify(g)).join(' then ');
    return {
      lines: [],
      files: [],
      ts: null,
      message: `${tree.dir}** would be synced (${names}: ${reasons(leaked)}) but ${tree.holds}: add ${globs} at the end of ${listTarget(lists.deny, lists.denyFile, 'SYNC_DENY')}`,
    };
  });
}

function aggregateFinding(s: PrivacyState, lists: SyncLists, ctx: LintContext): void {
  const agg = syncVerdict(lists, SYNC_AGGREGATE_PATH);
  if (agg.synced) return;
  report(s.out, ctx, null, () => {
    const why = [!agg.allowed ? `not allowed: ${agg.allowReason}` : '', agg.denied ? `denied: ${agg.denyReason}` : ''].filter(Boolean).join('; ');
    const fixes = [
      !agg.allowed ? `add "${SYNC_AGGREGATE_PATH}" to ${listTarget(lists.allow, lists.allowFile, 'SYNC_ALLOW')}` : '',
      agg.denied ? `add "!${SYNC_AGGREGATE_PATH}" at the end of ${listTarget(lists.deny, lists.denyFile, 'SYNC_DENY')} or narrow the denying glob` : '',
    ].filter(Boolean).join(', and ');
    return {
      lines: [],
      files: [],
      ts: null,
      message: `${SYNC_AGGREGATE_PATH} would not be synced (${why}) but billing and the weekly totals read it from the bucket: ${fixes}`,
    };
  });
}

export function privacyFindings(s: PrivacyState, lists: SyncLists, ctx: LintContext): void {
  if (noSyncLists(lists)) return;
  for (const tree of PRIVATE_TREES) leakFinding(s, lists, ctx, tree);
  aggregateFinding(s, lists, ctx);
}

export function foldPrivacy(s: PrivacyState, b: LintBatch, ctx: LintContext, lists: SyncLists): void {
  if (b.end) privacyFindings(s, lists, ctx);
}

export const lintPrivacy = (ctx: LintContext, lists: SyncLists): LintOperator =>
  foldBatches((): PrivacyState => ({ out: initTally('privacy') }), (s, b) => foldPrivacy(s, b, ctx, lists));
