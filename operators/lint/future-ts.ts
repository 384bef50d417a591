import { formatTs, humanDuration } from '../../pipeline/core/time.js';
import { initTally, q, report, type LintBatch, type LintContext, type LintOperator, type LintTally } from './common.js';
import { foldBatches } from '../fold.js';
import { NAMES } from '../../pipeline/core/columns.js';

/**
 * future-ts (SPEC §2, §7): a row more than 5 minutes after NOW (clock skew on the writer).
 * With `--now latest` NOW is the newest row, so nothing is in the future.
 */
export const FUTURE_SLACK_MS = 5 * 60_000;

export interface FutureTsState {
  readonly out: LintTally;
}

export function foldFutureTs(s: FutureTsState, b: LintBatch, ctx: LintContext): void {
  const limit = ctx.nowCut + FUTURE_SLACK_MS;
  if (limit === Infinity) return;
  const { t: ts, line, file, machine, length } = b.rows;
  const names = NAMES.list;
  for (let i = 0; i < length; i++) {
    const t = ts[i]!;
    if (t <= limit) continue;
    report(s.out, ctx, t, () => ({
      lines: [line[i]!],
      files: [names[file[i]!]!],
      ts: formatTs(t),
      message: `row from machine ${q(names[machine[i]!]!)} is ${humanDuration(t - ctx.nowCut)} after NOW (more than 5m): fix that machine's clock (enable NTP); the row is left out of every output until NOW reaches it`,
    }));
  }
}

export const lintFutureTs = (ctx: LintContext): LintOperator =>
  foldBatches((): FutureTsState => ({ out: initTally('future-ts') }), (s, b) => foldFutureTs(s, b, ctx));
