import { formatTs } from '../../pipeline/core/time.js';
import { initTally, report, type LintBatch, type LintContext, type LintOperator, type LintTally } from './common.js';
import { foldBatches } from '../fold.js';

/**
 * rejects (SPEC §1, §7): any input line that did not become a row. The message gives the
 * schema reason, never the line's text: a JSON parse error quotes the raw line, which may hold
 * another tenant's error text, so it is reduced to "invalid JSON". A reject has no ts of its
 * own: it is dated by the nearest valid row before it in its file (the finding's `ts`), or
 * reported whatever the window when there is none.
 */
export interface RejectsState {
  readonly out: LintTally;
}

export function lintReason(reason: string): string {
  if (reason.startsWith('invalid JSON')) return 'invalid JSON';
  return reason.length > 200 ? `${reason.slice(0, 199)}…` : reason;
}

export function foldRejects(s: RejectsState, b: LintBatch, ctx: LintContext): void {
  const rejects = b.rejects;
  for (let i = 0; i < rejects.length; i++) {
    const r = rejects[i]!;
    const at = b.rejectTs[i] ?? null;
    report(s.out, ctx, at, () => ({
      lines: [r.line],
      files: [r.file],
      ts: at === null ? null : formatTs(at),
      message: `not a valid sync-events v1 row (${lintReason(r.reason)}): fix the writer so every line is one JSON object with the required fields; \`syncscope run\` lists it in sync-events.rejects.ndjson`,
    }));
  }
}

export const lintRejects = (ctx: LintContext): LintOperator =>
  foldBatches((): RejectsState => ({ out: initTally('rejects') }), (s, b) => foldRejects(s, b, ctx));
