import { formatTs } from '../../pipeline/core/time.js';
import { foldReorder, initReorder, type ReorderState } from '../metrics/reorder-by-ts.js';
import { initTally, q, report, showManifest, type LintBatch, type LintContext, type LintOperator, type LintTally } from './common.js';
import { type Row } from '../../pipeline/core/row.js';
import { foldBatches } from '../fold.js';
import { batchOf, rowsOf } from '../../pipeline/core/columns.js';

/**
 * manifest-break (SPEC §7): per (tenant, repo, scope), the successful pushes in ts order form a
 * chain; a push whose `manifest_before` is not the previous push's `manifest_after` is a lost
 * update or a second writer. Failed pushes and pulls are not links of the chain.
 *
 * Order: rows may arrive out of order within `--max-lateness`, so successful pushes go through
 * the same lateness reorder as the engine's clusters (operators/reorder-by-ts.ts) and the chain
 * is judged in stable ts order. Reordering the subset of successful pushes is exact: a row
 * within the lateness of all rows is within the lateness of any subset. A row later than that
 * is judged where it arrives (as everywhere else in syncscope).
 *
 * Null and absent manifests:
 * - absent (the field is missing) means "not recorded": an absent `manifest_before` is not
 *   compared, and a push with an absent `manifest_after` leaves the chain unknown, so the next
 *   push is not compared either;
 * - null is a value ("no manifest": an empty remote) and is compared like a string, so a push
 *   claiming an empty remote after a push that left a manifest is a break, and
 *   null → null is a match.
 * The first push of a chain has nothing to compare.
 */
interface Link {
  /** The previous push's manifest_after; undefined = not recorded (chain unknown). */
  after: string | null | undefined;
  file: string;
  line: number;
  machine: string;
}

export interface ManifestBreakState {
  readonly out: LintTally;
  reorder: ReorderState;
  /** "tenant\0repo\0scope" → the newest successful push of that chain. */
  chains: Record<string, Link>;
}

function judge(s: ManifestBreakState, rows: readonly Row[], ctx: LintContext): void {
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const key = `${r.tenant}\u0000${r.repo}\u0000${r.scope}`;
    const prev = s.chains[key];
    const before = r.manifestBefore;
    if (prev !== undefined && prev.after !== undefined && before !== undefined && before !== prev.after) {
      const p = prev;
      report(s.out, ctx.keep, () => ({
        lines: [p.line, r.line],
        files: [p.file, r.file],
        ts: formatTs(r.t),
        message: `tenant ${q(r.tenant)} ${q(r.repo)}/${q(r.scope)}: push on line ${r.line} (machine ${q(r.machine)}) starts from manifest ${showManifest(before)} but the previous successful push (line ${p.line}, machine ${q(p.machine)}) left ${showManifest(p.after)}: a lost update or a second writer; pull on ${q(r.machine)}, re-apply its changes and push again, and let one client push this scope at a time`,
      }));
    }
    const link = prev ?? (s.chains[key] = { after: undefined, file: '', line: 0, machine: '' });
    link.after = r.manifestAfter;
    link.file = r.file;
    link.line = r.line;
    link.machine = r.machine;
  }
}

export function foldManifestBreak(s: ManifestBreakState, b: LintBatch, ctx: LintContext, maxLatenessMs: number): void {
  const pushes: Row[] = [];
  const rows = b.rows;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r.push && !r.failed) pushes.push(r);
  }
  const ordered = rowsOf(foldReorder(s.reorder, batchOf(pushes), b.end, maxLatenessMs));
  judge(s, ordered, ctx);
}

export const lintManifestBreak = (ctx: LintContext, maxLatenessMs: number): LintOperator =>
  foldBatches(
    (): ManifestBreakState => ({ out: initTally('manifest-break'), reorder: initReorder(), chains: {} }),
    (s, b) => foldManifestBreak(s, b, ctx, maxLatenessMs),
  );
