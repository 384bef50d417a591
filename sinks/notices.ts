import type { EventKind, InputName, PipelineEvent } from '../pipeline/core/events.js';
import { formatTs, humanDuration } from '../pipeline/core/time.js';

function rescan(input: InputName): string {
  return input.path === null ? 'starting a fresh scan with this stdin stream (stdin cannot be re-read)' : `rebuilding from ${input.path} (full re-scan)`;
}

const RESUME_WHY = {
  'copytruncate': (path: string, old: string) => `${path} was truncated while syncscope was stopped (copytruncate); its old content is in ${old}`,
  'rotated-renamed': (path: string, old: string) => `${path} was rotated while syncscope was stopped; the file it was is now ${old}`,
  'rotated-copied': (path: string, old: string) => `${path} was rotated while syncscope was stopped; its old content is in ${old}`,
} as const;

/** The one place a pipeline event becomes words (without the `syncscope: ` prefix). */
export function renderEvent(e: PipelineEvent): string {
  switch (e.kind) {
    case 'file-missing':
      return `${e.path} is missing; waiting for it to appear${e.oldStillRead ? ' (the file that was there is still read)' : ''}`;
    case 'file-not-regular':
      return `${e.path} is not a regular file; waiting`;
    case 'file-present':
      return `${e.path} is there${e.again ? ' again' : ' now'}`;
    case 'file-rotated':
      return `${e.path} was rotated: finishing the old file, then reading the new one from the start`;
    case 'file-truncated':
      return `${e.path} was truncated (copytruncate?): reading it again from the start`;
    case 'file-replaced-by-copy':
      return `${e.path} was replaced by a copy of itself (same first line, not shorter): continuing at byte ${e.offset}`;
    case 'file-shorter-than-checkpoint':
      return `${e.path} is shorter (${e.size} bytes) than the checkpointed offset ${e.offset}: reading it from the start`;
    case 'sighup-reopen':
      return `SIGHUP: reopening ${e.path}`;
    case 'input-unreadable':
      return `${e.error}: skipping ${e.path}; the other input files are read (exit status ${e.exitStatus})`;
    case 'glob-no-match':
      return `no file matches ${e.pattern} yet: waiting for one to appear`;
    case 'file-matched':
      return e.resumed ? `${e.path} matches again: continuing where it was left` : `new file ${e.path}: reading it from the start`;
    case 'file-gone':
      return `${e.path} is gone: its rows are kept; no longer waiting for it (it is read again if it comes back)`;
    case 'resume-in-old-file':
      return `${RESUME_WHY[e.how](e.path, e.old)}: reading the rest of ${e.old} from byte ${e.offset} (line ${e.line}), then ${e.path} from the start`;
    case 'truncated-while-stopped':
      return `${e.path} was truncated while syncscope was stopped and no copy of its old content was found next to it: reading it from the start (rows after byte ${e.offset} of the old content were not read)`;
    case 'copied-while-stopped':
      return `${e.path} was replaced by a copy of itself while syncscope was stopped (same first line, not shorter): continuing at byte ${e.offset}`;
    case 'gone-while-stopped':
      return `the file ${e.path} was when syncscope stopped (device ${e.dev}, inode ${e.ino}) is gone (rotated away and deleted?): ` +
        `rows after byte ${e.offset} of it could not be read; reading ${e.path} from the start`;
    case 'checkpoint-discarded':
      return `--rebuild: checkpoint discarded; recomputing everything from ${e.input}`;
    case 'checkpoint-unusable': {
      const where = e.movedTo === null ? 'it could not be moved aside and was removed' : `moved aside to ${e.movedTo}`;
      return `checkpoint ${e.path} is unusable (${e.reason}); ${where}; ${rescan(e.input)}`;
    }
    case 'checkpoint-settings-differ':
      return `settings that change the numbers differ from the checkpoint's (${e.diffs.join('; ')}): ${rescan(e.input)}`;
    case 'checkpoint-for-other-input':
      if (e.input.path !== null) return `the checkpoint is for ${e.saved ?? 'a stdin stream'}, not ${e.input.path}: scanning ${e.input.path} from the start`;
      return e.saved === null
        ? 'the previous stdin stream ended (EOF), so this one is a new stream: starting a fresh scan'
        : `the checkpoint is for ${e.saved}, not stdin: starting a fresh scan`;
    case 'checkpoint-write-failed':
      return `could not write the checkpoint (${e.error}); outputs are still written; a restart resumes from the last checkpoint that was written`;
    case 'checkpoint-written-again':
      return 'checkpoint written again';
    case 'operator-failed':
      return `operator ${e.operator} failed: ${e.error}; its numbers stay as they were, the other outputs go on, and no checkpoint is written until a restart`;
    case 'rebuild-failed':
      return `could not rebuild the outputs: ${e.error}`;
    case 'worker-unreachable':
      return `the status Worker is unreachable (${e.error}); ${e.queued} tally(ies) kept in ${e.keptIn}, sent on the next tick or run`;
    case 'worker-reachable':
      return 'the status Worker is reachable again; queued tallies delivered';
    case 'run-following': {
      const every = `outputs every ${e.tickMs / 1000}s in ${e.outputs}${e.metricsUrl === undefined ? '' : `; metrics at ${e.metricsUrl}`}`;
      return e.input.path === null ? `reading stdin until it ends; ${every}` : `following ${e.input.path}; ${every}`;
    }
    case 'alert-opened':
      return `alert opened: ${e.tenantId}/${e.repo} at ${formatTs(e.openedAt)}, ${e.failures} failures since ${formatTs(e.since)} (${e.file})`;
    case 'alert-resolved':
      return `alert resolved: ${e.tenantId}/${e.repo} at ${formatTs(e.resolvedAt)}, ${e.failures} failures`;
    case 'outbox-unusable':
      return `the queue of unsent tallies was unusable (${e.reason}); moved to ${e.movedTo}; every tenant is reported to the Worker again`;
    case 'log-stale':
      return e.newestRowTs === null || e.newestRowAgeS === null
        ? `the log looks empty: no valid row at or before NOW (${e.now}), so the dashboard shows nothing; if its rows are after NOW, try --now latest`
        : `the log looks old: its newest row (${e.newestRowTs}) is ${humanDuration(e.newestRowAgeS * 1000)} before NOW (${e.now}), so the last 24h show nothing; try --now latest`;
  }
}

/**
 * Who needs to hear of an event: `error` (something failed, rows could not be read, or such a
 * failure is over) is printed even with --quiet; `notice` (what syncscope noticed and handled)
 * is not; `alert` (an alert opened or resolved) is printed by a run that follows, not with --quiet.
 */
export type Audience = 'error' | 'notice' | 'alert';

const AUDIENCE: Readonly<Record<EventKind, Audience>> = {
  'file-missing': 'notice',
  'file-not-regular': 'notice',
  'file-present': 'notice',
  'file-rotated': 'notice',
  'file-truncated': 'notice',
  'file-replaced-by-copy': 'notice',
  'file-shorter-than-checkpoint': 'notice',
  'sighup-reopen': 'notice',
  'input-unreadable': 'error',
  'glob-no-match': 'notice',
  'file-matched': 'notice',
  'file-gone': 'notice',
  'resume-in-old-file': 'notice',
  'truncated-while-stopped': 'error',
  'copied-while-stopped': 'notice',
  'gone-while-stopped': 'error',
  'checkpoint-discarded': 'notice',
  'checkpoint-unusable': 'notice',
  'checkpoint-settings-differ': 'notice',
  'checkpoint-for-other-input': 'notice',
  'checkpoint-write-failed': 'error',
  'checkpoint-written-again': 'error',
  'run-following': 'notice',
  'operator-failed': 'error',
  'rebuild-failed': 'error',
  'worker-unreachable': 'error',
  'worker-reachable': 'error',
  'alert-opened': 'alert',
  'alert-resolved': 'alert',
  'log-stale': 'notice',
  'outbox-unusable': 'notice',
};

export function audienceOf(e: PipelineEvent): Audience {
  return AUDIENCE[e.kind];
}

/** The default consumer (library use and tests): one line on stderr per event. */
export function printEvent(e: PipelineEvent): void {
  process.stderr.write(`syncscope: ${renderEvent(e)}\n`);
}
