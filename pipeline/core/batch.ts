import type { RowBatch } from './columns.js';

/**
 * What flows through the shared row stream: a columnar chunk of rows (never one emission per row)
 * plus the clock. Time reaches operators only through this message, never from the wall clock.
 */
export interface Batch {
  readonly rows: RowBatch;
  /** A lower bound on the final NOW: buckets older than its windows can be pruned. */
  readonly nowFloor: number;
  /** NOW itself, set on ticks and at the end of input, when outputs are rebuilt. */
  readonly now: number | null;
  /** True once, after the last row of a batch run. */
  readonly end: boolean;
  /** The wall clock (or virtual time) when the batch was fed: `generated_at` of outputs built from it. */
  readonly clock: number;
  /** Tenants of rows left out for being past a fixed NOW: they still get a KV key (SPEC §5). */
  readonly tenantsAhead: readonly string[] | null;
  /**
   * The ts each rejected line of these rows' input takes (SPEC §3.1: that of the nearest valid
   * row before it in its file; NaN when there is none), gated against NOW like the rows.
   */
  readonly rejectedTs: readonly number[];
}

export const NO_REJECTS: readonly number[] = Object.freeze([]);
