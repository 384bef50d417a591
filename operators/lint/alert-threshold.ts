import { formatTs, DAY_MS, humanDuration } from '../../pipeline/core/time.js';
import { initTally, report, type LintBatch, type LintContext, type LintOperator, type LintTally } from './common.js';
import { type ClusterRule } from '../../pipeline/core/alerts.js';
import { foldBatches } from '../fold.js';

/**
 * alert-threshold (SPEC §7): alert thresholds tighter than the defaults (N = 3 failures within
 * W = 10m) while under 7 days of baseline rows exist — week-one alert fatigue. Tighter means an
 * alert opens more easily: fewer failures (N < 3) or a longer window (W > 10m). Baseline = the
 * span from the oldest to the newest valid row at or before NOW (of the linted tenant with
 * `--tenant`); no rows at all is no baseline. State: two numbers.
 */
export const DEFAULT_RULE: ClusterRule = { failures: 3, windowMs: 10 * 60_000 };
export const BASELINE_MS = 7 * DAY_MS;

export interface AlertThresholdState {
  readonly out: LintTally;
  oldest: number;
  newest: number;
}

export function tighterThanDefault(rule: ClusterRule): boolean {
  return rule.failures < DEFAULT_RULE.failures || rule.windowMs > DEFAULT_RULE.windowMs;
}

function showWindow(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`;
}

export function foldAlertThreshold(s: AlertThresholdState, b: LintBatch, ctx: LintContext, rule: ClusterRule): void {
  const { t: ts, length } = b.rows;
  const cut = ctx.nowCut;
  for (let i = 0; i < length; i++) {
    const t = ts[i]!;
    if (t > cut) continue;
    if (t < s.oldest) s.oldest = t;
    if (t > s.newest) s.newest = t;
  }
  if (!b.end || !tighterThanDefault(rule)) return;
  const span = s.newest >= s.oldest ? s.newest - s.oldest : 0;
  if (span >= BASELINE_MS) return;
  const have = s.newest >= s.oldest ? `${humanDuration(span)} of rows (since ${formatTs(s.oldest)})` : 'no rows';
  report(s.out, ctx, null, () => ({
    lines: [],
    files: [],
    ts: null,
    message: `alert rule ${rule.failures} failures within ${showWindow(rule.windowMs)} is tighter than the default 3 within 10m but the log has only ${have}, under the 7 days of baseline: expect week-one alert fatigue; keep --alert-failures 3 --alert-window 10m until a week of rows exists, then tighten`,
  }));
}

export const lintAlertThreshold = (ctx: LintContext, rule: ClusterRule): LintOperator =>
  foldBatches(
    (): AlertThresholdState => ({ out: initTally('alert-threshold'), oldest: Infinity, newest: -Infinity }),
    (s, b) => foldAlertThreshold(s, b, ctx, rule),
  );
