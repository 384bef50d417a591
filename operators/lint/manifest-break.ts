import { formatTs } from '../../pipeline/core/time.js';
import { foldReorder, initReorder, type ReorderState } from '../metrics/reorder-by-ts.js';
import { initTally, q, report, showManifest, type LintBatch, type LintContext, type LintOperator, type LintTally } from './common.js';
import { foldBatches } from '../fold.js';
import { ABSENT, FAILED, gather, NAMES, NULL, PUSH, type RowBatch } from '../../pipeline/core/columns.js';

/**
 * manifest-break (SPEC §7): per (tenant, repo, scope), the successful pushes in ts order form a
 * chain; a push whose `manifest_before` is not the previous push's `manifest_after` is a lost
 * update or a second writer. Failed pushes and pulls are not links of the chain.
 *
 * Order: rows may arrive out of order within `--max-lateness`, so successful pushes go through
 * the same lateness reorder as the engine's clusters (operators/metrics/reorder-by-ts.ts), as a
 * batch of their own, and the chain is judged in stable ts order. Reordering the subset of
 * successful pushes is exact: a row within the lateness of all rows is within the lateness of
 * any subset. A row later than that is judged where it arrives (as everywhere else in syncscope).
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
  /** Name ids. */
  file: number;
  machine: number;
  line: number;
}

/** Entries by name id (pipeline/core/columns.ts). */
type ById<T> = (T | undefined)[];

export interface ManifestBreakState {
  readonly out: LintTally;
  reorder: ReorderState;
  /** The newest successful push of each chain, by tenant id, repo id and scope id. */
  chains: ById<ById<ById<Link>>>;
}

/** A manifest code of batch `b` as the log has it: undefined when absent, null when null. */
function manifestOf(b: RowBatch, code: number): string | null | undefined {
  return code === ABSENT ? undefined : code === NULL ? null : b.texts[code]!;
}

/** Walks the successful pushes of `b`, in order, along their chains. */
function judge(s: ManifestBreakState, b: RowBatch, ctx: LintContext): void {
  const { tenant, repo, scope, machine, file, line, t, manifestBefore, manifestAfter, length } = b;
  const names = NAMES.list;
  for (let i = 0; i < length; i++) {
    const byRepo = (s.chains[tenant[i]!] ??= []);
    const byScope = (byRepo[repo[i]!] ??= []);
    const prev = byScope[scope[i]!];
    const beforeCode = manifestBefore[i]!;
    if (prev !== undefined && prev.after !== undefined && beforeCode !== ABSENT) {
      const before = manifestOf(b, beforeCode);
      if (before !== prev.after) {
        const p = prev;
        report(s.out, ctx, t[i]!, () => ({
          lines: [p.line, line[i]!],
          files: [names[p.file]!, names[file[i]!]!],
          ts: formatTs(t[i]!),
          message: `tenant ${q(names[tenant[i]!]!)} ${q(names[repo[i]!]!)}/${q(names[scope[i]!]!)}: push on line ${line[i]!} (machine ${q(names[machine[i]!]!)}) starts from manifest ${showManifest(before)} but the previous successful push (line ${p.line}, machine ${q(names[p.machine]!)}) left ${showManifest(p.after)}: a lost update or a second writer; pull on ${q(names[machine[i]!]!)}, re-apply its changes and push again, and let one client push this scope at a time`,
        }));
      }
    }
    const link = prev ?? (byScope[scope[i]!] = { after: undefined, file: 0, machine: 0, line: 0 });
    link.after = manifestOf(b, manifestAfter[i]!);
    link.file = file[i]!;
    link.machine = machine[i]!;
    link.line = line[i]!;
  }
}

export function foldManifestBreak(s: ManifestBreakState, b: LintBatch, ctx: LintContext, maxLatenessMs: number): void {
  const rows = b.rows;
  const { flags, length } = rows;
  const pushes = new Int32Array(length);
  let n = 0;
  for (let i = 0; i < length; i++) if ((flags[i]! & (PUSH | FAILED)) === PUSH) pushes[n++] = i;
  const links = n === length ? rows : gather(rows, pushes, n);
  judge(s, foldReorder(s.reorder, links, b.end, maxLatenessMs), ctx);
}

export const lintManifestBreak = (ctx: LintContext, maxLatenessMs: number): LintOperator =>
  foldBatches(
    (): ManifestBreakState => ({ out: initTally('manifest-break'), reorder: initReorder(), chains: [] }),
    (s, b) => foldManifestBreak(s, b, ctx, maxLatenessMs),
  );
