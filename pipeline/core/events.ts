/**
 * What the pipeline tells the person running it, as data: every notice is one of these, emitted
 * where it happens and rendered in one place (sinks/notices.ts). A consumer picks what to do
 * with them: print them, count them, or keep them quiet.
 */
export type PipelineEvent =
  // Following a file (pipeline/source): what changed under the followed path.
  | { readonly kind: 'file-missing'; readonly path: string; readonly oldStillRead: boolean }
  | { readonly kind: 'file-not-regular'; readonly path: string }
  | { readonly kind: 'file-present'; readonly path: string; readonly again: boolean }
  | { readonly kind: 'file-rotated'; readonly path: string }
  | { readonly kind: 'file-truncated'; readonly path: string }
  | { readonly kind: 'file-replaced-by-copy'; readonly path: string; readonly offset: number }
  | { readonly kind: 'file-shorter-than-checkpoint'; readonly path: string; readonly size: number; readonly offset: number }
  | { readonly kind: 'sighup-reopen'; readonly path: string }
  // Several files as one input (a fleet).
  /** One of several input files could not be read: named, skipped; the others are read (`run` exits 1 at the end, `lint` 2). */
  | { readonly kind: 'input-unreadable'; readonly path: string; readonly error: string; readonly exitStatus: 1 | 2 }
  /** A followed glob matches no file (yet): waiting for one to appear. */
  | { readonly kind: 'glob-no-match'; readonly pattern: string }
  /** A file that matches the followed glob appeared: read from its start (or its checkpoint). */
  | { readonly kind: 'file-matched'; readonly path: string; readonly resumed: boolean }
  /** A followed file no longer exists: read to its end, its rows kept, no longer waited for. */
  | { readonly kind: 'file-gone'; readonly path: string }
  // Found at start, about what happened while syncscope was stopped.
  | {
      readonly kind: 'resume-in-old-file';
      readonly path: string;
      /** How the old content moved: `copytruncate` (copied aside, then emptied), or rotated (renamed, or copied and replaced). */
      readonly how: 'copytruncate' | 'rotated-renamed' | 'rotated-copied';
      readonly old: string;
      readonly offset: number;
      readonly line: number;
    }
  | { readonly kind: 'truncated-while-stopped'; readonly path: string; readonly offset: number }
  | { readonly kind: 'copied-while-stopped'; readonly path: string; readonly offset: number }
  | { readonly kind: 'gone-while-stopped'; readonly path: string; readonly dev: string; readonly ino: string; readonly offset: number }
  // The checkpoint (pipeline/state, pipeline/engine/session.ts): why a run does not continue from it.
  | { readonly kind: 'checkpoint-discarded'; readonly input: string }
  | { readonly kind: 'checkpoint-unusable'; readonly path: string; readonly reason: string; readonly movedTo: string | null; readonly input: InputName }
  | { readonly kind: 'checkpoint-settings-differ'; readonly diffs: readonly string[]; readonly input: InputName }
  /** `saved` is the checkpoint's file, or null for a stdin stream (for a stdin input: one that ended). */
  | { readonly kind: 'checkpoint-for-other-input'; readonly saved: string | null; readonly input: InputName }
  | { readonly kind: 'checkpoint-write-failed'; readonly error: string }
  | { readonly kind: 'checkpoint-written-again' }
  // Starting a run that follows: a file (`--follow FILE`), or stdin until it ends (`run -`).
  // `metricsUrl`: where `--metrics-port` serves /metrics.
  | { readonly kind: 'run-following'; readonly input: InputName; readonly tickMs: number; readonly outputs: string; readonly metricsUrl?: string }
  // While running.
  | { readonly kind: 'operator-failed'; readonly operator: string; readonly error: string }
  | { readonly kind: 'rebuild-failed'; readonly error: string }
  | { readonly kind: 'worker-unreachable'; readonly error: string; readonly queued: number; readonly keptIn: string }
  | { readonly kind: 'worker-reachable' }
  /** The outbox of unsent tallies (an earlier run's) could not be read; every tenant is reported again. */
  | { readonly kind: 'outbox-unusable'; readonly reason: string; readonly movedTo: string }
  /**
   * An alert file appeared (`opened`) or an alert that was open went away because its cluster
   * resolved (`resolved`): see Outputs in pipeline/engine/outputs.ts for exactly when. Times are
   * epoch ms; `file` is the alert file's path.
   */
  | {
      readonly kind: 'alert-opened';
      readonly tenantId: string;
      readonly repo: string;
      readonly failures: number;
      /** When the cluster opened (its file's opened_at): the failure that made it N. */
      readonly openedAt: number;
      /** The cluster's first failure. */
      readonly since: number;
      readonly file: string;
    }
  | { readonly kind: 'alert-resolved'; readonly tenantId: string; readonly repo: string; readonly failures: number; readonly resolvedAt: number; readonly file: string }
  // After a run: the outputs' newest row is more than 24h before NOW, or there is none.
  | { readonly kind: 'log-stale'; readonly now: string; readonly newestRowTs: string | null; readonly newestRowAgeS: number | null };

/** The input as notices name it: a file path, or stdin (null path). */
export interface InputName {
  readonly path: string | null;
}

export type EventKind = PipelineEvent['kind'];

/** Where events go. */
export type EventSink = (event: PipelineEvent) => void;
