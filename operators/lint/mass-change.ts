import { formatTs } from '../../pipeline/core/time.js';
import { initTally, q, report, type LintBatch, type LintContext, type LintOperator, type LintTally } from './common.js';
import { foldBatches } from '../fold.js';
import { FAILED, HAS_FILES_TOTAL, NAMES, PUSH } from '../../pipeline/core/columns.js';

/**
 * mass-change (SPEC §7): a push whose `files` is more than 50% of `files_total`, strictly
 * (2·files > files_total). Rows without `files_total` are not judged. Failed pushes count
 * too: the client tried to change that much. Stateless apart from the tally.
 */
export interface MassChangeState {
  readonly out: LintTally;
}

export function foldMassChange(s: MassChangeState, b: LintBatch, ctx: LintContext): void {
  const { flags, files: filesCol, filesTotal, t, line, file, repo, scope, machine, length } = b.rows;
  const names = NAMES.list;
  for (let i = 0; i < length; i++) {
    const f = flags[i]!;
    if ((f & PUSH) === 0 || (f & HAS_FILES_TOTAL) === 0) continue;
    const files = filesCol[i]!;
    const total = filesTotal[i]!;
    if (files * 2 <= total) continue;
    report(s.out, ctx, t[i]!, () => {
      const pct = total === 0 ? '∞' : `${Math.round((files * 100) / total)}%`;
      return {
        lines: [line[i]!],
        files: [names[file[i]!]!],
        ts: formatTs(t[i]!),
        message: `${(f & FAILED) !== 0 ? 'failed push' : 'push'} of ${files} files is ${pct} of files_total ${total} for ${q(names[repo[i]!]!)}/${q(names[scope[i]!]!)} from machine ${q(names[machine[i]!]!)}: check the client did not delete or re-add the whole tree (restore from the previous manifest if so); ignore if it was an intended bulk change or a first push`,
      };
    });
  }
}

export const lintMassChange = (ctx: LintContext): LintOperator =>
  foldBatches((): MassChangeState => ({ out: initTally('mass-change') }), (s, b) => foldMassChange(s, b, ctx));
