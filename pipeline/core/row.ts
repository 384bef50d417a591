/**
 * A validated row as the pipeline keeps it: a compact record of the known fields only. The
 * parsed object is dropped at once, so an unknown field of any size or depth is never kept,
 * cloned or checkpointed. Every Row has one shape, so operator loops stay monomorphic.
 */
export interface Row {
  /** ts in epoch milliseconds, UTC. */
  readonly t: number;
  /** The input it came from: the path as given, or `-` for stdin. */
  readonly file: string;
  /** 1-based line number in its file. */
  readonly line: number;
  readonly op: 'push' | 'pull';
  readonly push: boolean;
  readonly failed: boolean;
  /** tenant_id, or the default tenant when absent or empty. */
  readonly tenant: string;
  readonly repo: string;
  readonly scope: string;
  readonly machine: string;
  readonly trigger: string;
  readonly files: number;
  /** files_total, or null when absent. */
  readonly filesTotal: number | null;
  readonly bytes: number;
  readonly durMs: number;
  /** undefined = the field is absent (not recorded); null is a value (no manifest). */
  readonly manifestBefore: string | null | undefined;
  readonly manifestAfter: string | null | undefined;
  /** The error chain, outermost first: a string error is a chain of one; [] without `error`. */
  readonly errors: readonly string[];
  /** Hours / days since the epoch (UTC floor): the bucket keys. */
  readonly hour: number;
  readonly day: number;
}

/** A line that did not become a row: the exact record written to the rejects file. */
export interface Reject {
  /** The input as given (`-` for stdin). */
  readonly file: string;
  readonly line: number;
  readonly reason: string;
  readonly raw: string;
}
