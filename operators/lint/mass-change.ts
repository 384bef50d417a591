import { formatTs } from '../../pipeline/core/time.js';
import { initTally, q, report, type LintBatch, type LintContext, type LintOperator, type LintTally } from './common.js';
import { foldBatches } from '../fold.js';

/**
 * mass-change (SPEC §7): a push whose `files` is more than 50% of `files_total`, strictly
 * (2·files > files_total). Rows without `files_total` are not judged. Failed pushes count
 * too: the client tried to change that much. Stateless apart from the tally.
 */
export interface MassChangeState {
  readonly out: LintTally;
}

export function foldMassChange(s: MassChangeState, b: LintBatch, ctx: LintContext): void {
  const rows = b.rows;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (!r.push) continue;
    const total = r.filesTotal;
    if (total === null || r.files * 2 <= total) continue;
    report(s.out, ctx.keep, () => {
      const pct = total === 0 ? '∞' : `${Math.round((r.files * 100) / total)}%`;
      return {
        lines: [r.line],
        files: [r.file],
        ts: formatTs(r.t),
        message: `${r.failed ? 'failed push' : 'push'} of ${r.files} files is ${pct} of files_total ${total} for ${q(r.repo)}/${q(r.scope)} from machine ${q(r.machine)}: check the client did not delete or re-add the whole tree (restore from the previous manifest if so); ignore if it was an intended bulk change or a first push`,
      };
    });
  }
}

export const lintMassChange = (ctx: LintContext): LintOperator =>
  foldBatches((): MassChangeState => ({ out: initTally('mass-change') }), (s, b) => foldMassChange(s, b, ctx));
