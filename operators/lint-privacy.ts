import { SYNC_AGGREGATE_PATH, SYNC_LOG_PATH, syncVerdict, type SyncLists } from '../pipeline/sync-lists.js';
import { foldLint, initTally, report, type LintBatch, type LintContext, type LintOperator, type LintTally } from './lint-common.js';

/**
 * privacy (SPEC §7): the sync allow/deny lists must keep `state/log/sync-events.ndjson` out of
 * the bucket (it holds machine IDs and trigger counts) and let
 * `state/log/evals.aggregate.ndjson` in (billing reads it). Rules: pipeline/sync-lists.ts.
 * Judged once, on the last batch; it reads no rows.
 */
export interface PrivacyState {
  readonly out: LintTally;
}

export function privacyFindings(s: PrivacyState, lists: SyncLists, ctx: LintContext): void {
  const log = syncVerdict(lists, SYNC_LOG_PATH);
  if (log.synced) {
    const target = lists.deny?.source.startsWith('env ') ? 'SYNC_DENY (env)' : lists.denyFile;
    report(s.out, ctx.keep, () => ({
      lines: [],
      ts: null,
      message: `${SYNC_LOG_PATH} would be synced (${log.allowReason}; ${log.denyReason}) but it holds machine IDs and trigger counts: add "${SYNC_LOG_PATH}" to ${target}`,
    }));
  }
  const agg = syncVerdict(lists, SYNC_AGGREGATE_PATH);
  if (!agg.synced) {
    const why = [!agg.allowed ? `not allowed: ${agg.allowReason}` : '', agg.denied ? `denied: ${agg.denyReason}` : ''].filter(Boolean).join('; ');
    const fixes = [
      !agg.allowed ? `add "${SYNC_AGGREGATE_PATH}" to ${lists.allow?.source.startsWith('env ') ? 'SYNC_ALLOW (env)' : lists.allowFile}` : '',
      agg.denied ? `add "!${SYNC_AGGREGATE_PATH}" at the end of ${lists.deny?.source.startsWith('env ') ? 'SYNC_DENY (env)' : lists.denyFile} or narrow the denying glob` : '',
    ].filter(Boolean).join(', and ');
    report(s.out, ctx.keep, () => ({
      lines: [],
      ts: null,
      message: `${SYNC_AGGREGATE_PATH} would not be synced (${why}) but billing and the weekly totals read it from the bucket: ${fixes}`,
    }));
  }
}

export function foldPrivacy(s: PrivacyState, b: LintBatch, ctx: LintContext, lists: SyncLists): void {
  if (b.end) privacyFindings(s, lists, ctx);
}

export const lintPrivacy = (ctx: LintContext, lists: SyncLists): LintOperator =>
  foldLint((): PrivacyState => ({ out: initTally('privacy') }), (s, b) => foldPrivacy(s, b, ctx, lists));
