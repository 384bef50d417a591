import type { OperatorFunction } from 'rxjs';
import { type Reject } from '../../pipeline/core/row.js';
import { type RowBatch } from '../../pipeline/core/columns.js';
import { type RowWindow } from './window.js';

/**
 * What every lint shares (SPEC §7). Lints are operators over one stream of `LintBatch`es (the
 * engine's `arrived$`: every valid row as it arrived, future ones too, and every reject), built
 * like operators/fold.ts: keyed plain state, folded chunk by chunk and mutated in place, one
 * emission per chunk. The last batch has `end: true` and carries NOW. Rows come as columns
 * (pipeline/core/columns.ts): a lint loops over them, keys its state by name id, and turns ids
 * into names only for the findings it keeps.
 */
export const LINT_IDS = [
  'stale-machine',
  'mass-change',
  'manifest-break',
  'future-ts',
  'rejects',
  'privacy',
  'alert-threshold',
] as const;

export type LintId = (typeof LINT_IDS)[number];

export type Severity = 'error' | 'warning';

/**
 * Severity per lint. Errors make `syncscope lint` exit 1: the log or the sync setup is wrong
 * (data at risk, or a leak). Warnings are printed but exit 0: worth a look, often benign.
 */
export const LINT_SEVERITY: Readonly<Record<LintId, Severity>> = {
  'stale-machine': 'warning',
  'mass-change': 'warning',
  'manifest-break': 'error',
  'future-ts': 'warning',
  rejects: 'error',
  privacy: 'error',
  'alert-threshold': 'warning',
};

export interface Finding {
  readonly lint: LintId;
  readonly severity: Severity;
  /** 1-based line numbers of the log rows involved (empty when the finding is not about rows). */
  readonly lines: number[];
  /** The input file of each of `lines` (as given; `-` for stdin). */
  readonly files: string[];
  /** RFC 3339 ts of the row concerned (for a reject: of the valid row before it in its file), or null. */
  readonly ts: string | null;
  /** One line: what is wrong, then the fix. Never contains a row's error text. */
  readonly message: string;
}

export interface LintBatch {
  readonly rows: RowBatch;
  readonly rejects: readonly Reject[];
  /**
   * The time each reject is judged at in the window: the ts of the nearest valid row before it
   * in its file, or null when there is none (then it is always reported).
   */
  readonly rejectTs: readonly (number | null)[];
  /** NOW, set on the last batch only. */
  readonly now: number | null;
  readonly end: boolean;
}

export interface LintContext {
  /**
   * Rows with ts above this are after NOW. A fixed NOW is known before the scan; with
   * `--now latest` NOW is the newest row, so no row is after it and this is +Infinity.
   */
  readonly nowCut: number;
  /** Findings kept per lint (the printed ones); the count is always exact. */
  readonly keep: number;
  /** Which row findings are reported (--since). */
  readonly window: RowWindow;
}

/** A lint's output: the exact number of findings and the first `keep` of them. */
export interface LintTally {
  readonly lint: LintId;
  count: number;
  findings: Finding[];
  /** With --now latest and a --since: findings that may still fall out of the window. */
  pending: PendingFinding[];
  /** Pending length at which the findings the grown start has cut are dropped. */
  pendingLimit: number;
}

/** A finding waiting for the final window start; `at` null = not about a row's time. */
interface PendingFinding {
  readonly at: number | null;
  readonly finding: Finding;
}

export interface LintState {
  readonly out: LintTally;
}

export function initTally(lint: LintId): LintTally {
  return { lint, count: 0, findings: [], pending: [], pendingLimit: PENDING_PRUNE };
}

const PENDING_PRUNE = 1024;

const inWindow = (at: number | null, start: number): boolean => at === null || at > start;

/**
 * Counts a finding about a row at time `at` (null: about no row, a state lint or a reject with
 * no row before it) when it is in the window; builds it (the message string) only while it will
 * be kept. While the window's start is not final the finding waits in `pending`.
 */
export function report(tally: LintTally, ctx: LintContext, at: number | null, make: () => Omit<Finding, 'lint' | 'severity'>): void {
  const w = ctx.window;
  if (!inWindow(at, w.start)) return;
  const build = (): Finding => ({ lint: tally.lint, severity: LINT_SEVERITY[tally.lint], ...make() });
  if (!w.settled) {
    tally.pending.push({ at, finding: build() });
    // Now and then drop what the grown start has cut, so the list stays about the window's size.
    if (tally.pending.length >= tally.pendingLimit) {
      tally.pending = tally.pending.filter((p) => inWindow(p.at, w.start));
      tally.pendingLimit = 2 * tally.pending.length + PENDING_PRUNE;
    }
    return;
  }
  tally.count++;
  if (tally.findings.length < ctx.keep) tally.findings.push(build());
}

/** At the end of the scan: the pending findings in the final window are counted and kept. */
export function settle(tally: LintTally, start: number, keep: number): void {
  for (const p of tally.pending) {
    if (!inWindow(p.at, start)) continue;
    tally.count++;
    if (tally.findings.length < keep) tally.findings.push(p.finding);
  }
  tally.pending = [];
}


/** A lint operator, as the scan wires it. */
export type LintOperator = OperatorFunction<LintBatch, LintState>;


/** Short form of a manifest id for messages; null and absent spelled out. */
export function showManifest(m: string | null | undefined): string {
  if (m === undefined) return '(absent)';
  if (m === null) return 'null';
  return m.length > 20 ? `${m.slice(0, 19)}…` : m;
}

/** A name from the log, quoted for a message (control characters escaped, length capped). */
export function q(text: string): string {
  const s = text.length > 80 ? `${text.slice(0, 79)}…` : text;
  return JSON.stringify(s);
}
