import type { OperatorFunction } from 'rxjs';
import { type Reject } from '../../pipeline/core/row.js';
import { type RowBatch } from '../../pipeline/core/columns.js';

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
  /** RFC 3339 ts of the row concerned, or null. */
  readonly ts: string | null;
  /** One line: what is wrong, then the fix. Never contains a row's error text. */
  readonly message: string;
}

export interface LintBatch {
  readonly rows: RowBatch;
  readonly rejects: readonly Reject[];
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
}

/** A lint's output: the exact number of findings and the first `keep` of them. */
export interface LintTally {
  readonly lint: LintId;
  count: number;
  findings: Finding[];
}

export interface LintState {
  readonly out: LintTally;
}

export function initTally(lint: LintId): LintTally {
  return { lint, count: 0, findings: [] };
}

/** Counts a finding; builds it (the message string) only while it will be kept. */
export function report(tally: LintTally, keep: number, make: () => Omit<Finding, 'lint' | 'severity'>): void {
  tally.count++;
  if (tally.findings.length < keep) tally.findings.push({ lint: tally.lint, severity: LINT_SEVERITY[tally.lint], ...make() });
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
