// Every pipeline event renders to the words the notices have always had: one example per kind
// (the table is keyed by kind, so a new kind without an example does not type-check).
import { describe, expect, it } from 'vitest';
import type { EventKind, PipelineEvent } from '../pipeline/core/events.js';
import { audienceOf, renderEvent } from '../sinks/notices.js';

const EXAMPLES: { readonly [K in EventKind]: ReadonlyArray<[Extract<PipelineEvent, { kind: K }>, string]> } = {
  'file-missing': [
    [{ kind: 'file-missing', path: '/l', oldStillRead: false }, '/l is missing; waiting for it to appear'],
    [{ kind: 'file-missing', path: '/l', oldStillRead: true }, '/l is missing; waiting for it to appear (the file that was there is still read)'],
  ],
  'file-not-regular': [[{ kind: 'file-not-regular', path: '/l' }, '/l is not a regular file; waiting']],
  'file-present': [
    [{ kind: 'file-present', path: '/l', again: false }, '/l is there now'],
    [{ kind: 'file-present', path: '/l', again: true }, '/l is there again'],
  ],
  'file-rotated': [[{ kind: 'file-rotated', path: '/l' }, '/l was rotated: finishing the old file, then reading the new one from the start']],
  'file-truncated': [[{ kind: 'file-truncated', path: '/l' }, '/l was truncated (copytruncate?): reading it again from the start']],
  'file-replaced-by-copy': [[{ kind: 'file-replaced-by-copy', path: '/l', offset: 42 }, '/l was replaced by a copy of itself (same first line, not shorter): continuing at byte 42']],
  'file-shorter-than-checkpoint': [[{ kind: 'file-shorter-than-checkpoint', path: '/l', size: 10, offset: 42 }, '/l is shorter (10 bytes) than the checkpointed offset 42: reading it from the start']],
  'sighup-reopen': [[{ kind: 'sighup-reopen', path: '/l' }, 'SIGHUP: reopening /l']],
  'input-unreadable': [[{ kind: 'input-unreadable', path: 'logs/b.ndjson', error: 'cannot read logs/b.ndjson: permission denied (EACCES)', exitStatus: 1 },
    'cannot read logs/b.ndjson: permission denied (EACCES): skipping logs/b.ndjson; the other input files are read (exit status 1)']],
  'glob-no-match': [[{ kind: 'glob-no-match', pattern: 'logs/*.ndjson' }, 'no file matches logs/*.ndjson yet: waiting for one to appear']],
  'file-matched': [
    [{ kind: 'file-matched', path: 'logs/c.ndjson', resumed: false }, 'new file logs/c.ndjson: reading it from the start'],
    [{ kind: 'file-matched', path: 'logs/c.ndjson', resumed: true }, 'logs/c.ndjson matches again: continuing where it was left'],
  ],
  'file-gone': [[{ kind: 'file-gone', path: 'logs/c.ndjson' }, 'logs/c.ndjson is gone: its rows are kept; no longer waiting for it (it is read again if it comes back)']],
  'resume-in-old-file': [
    [{ kind: 'resume-in-old-file', path: '/l', how: 'copytruncate', old: '/l.1', offset: 7, line: 3 },
      '/l was truncated while syncscope was stopped (copytruncate); its old content is in /l.1: reading the rest of /l.1 from byte 7 (line 3), then /l from the start'],
    [{ kind: 'resume-in-old-file', path: '/l', how: 'rotated-renamed', old: '/l.1', offset: 7, line: 3 },
      '/l was rotated while syncscope was stopped; the file it was is now /l.1: reading the rest of /l.1 from byte 7 (line 3), then /l from the start'],
    [{ kind: 'resume-in-old-file', path: '/l', how: 'rotated-copied', old: '/l.1', offset: 7, line: 3 },
      '/l was rotated while syncscope was stopped; its old content is in /l.1: reading the rest of /l.1 from byte 7 (line 3), then /l from the start'],
  ],
  'truncated-while-stopped': [[{ kind: 'truncated-while-stopped', path: '/l', offset: 7 },
    '/l was truncated while syncscope was stopped and no copy of its old content was found next to it: reading it from the start (rows after byte 7 of the old content were not read)']],
  'copied-while-stopped': [[{ kind: 'copied-while-stopped', path: '/l', offset: 7 },
    '/l was replaced by a copy of itself while syncscope was stopped (same first line, not shorter): continuing at byte 7']],
  'gone-while-stopped': [[{ kind: 'gone-while-stopped', path: '/l', dev: '2049', ino: '12', offset: 7 },
    'the file /l was when syncscope stopped (device 2049, inode 12) is gone (rotated away and deleted?): rows after byte 7 of it could not be read; reading /l from the start']],
  'checkpoint-discarded': [[{ kind: 'checkpoint-discarded', input: '/l' }, '--rebuild: checkpoint discarded; recomputing everything from /l']],
  'checkpoint-unusable': [
    [{ kind: 'checkpoint-unusable', path: '/s/cp.json', reason: 'bad JSON', movedTo: '/s/cp.json.bad', input: { path: '/l' } },
      'checkpoint /s/cp.json is unusable (bad JSON); moved aside to /s/cp.json.bad; rebuilding from /l (full re-scan)'],
    [{ kind: 'checkpoint-unusable', path: '/s/cp.json', reason: 'bad JSON', movedTo: null, input: { path: null } },
      'checkpoint /s/cp.json is unusable (bad JSON); it could not be moved aside and was removed; starting a fresh scan with this stdin stream (stdin cannot be re-read)'],
  ],
  'checkpoint-settings-differ': [[{ kind: 'checkpoint-settings-differ', diffs: ['a: 1 → 2', 'b: x → y'], input: { path: '/l' } },
    "settings that change the numbers differ from the checkpoint's (a: 1 → 2; b: x → y): rebuilding from /l (full re-scan)"]],
  'checkpoint-for-other-input': [
    [{ kind: 'checkpoint-for-other-input', saved: '/old', input: { path: '/l' } }, 'the checkpoint is for /old, not /l: scanning /l from the start'],
    [{ kind: 'checkpoint-for-other-input', saved: null, input: { path: '/l' } }, 'the checkpoint is for a stdin stream, not /l: scanning /l from the start'],
    [{ kind: 'checkpoint-for-other-input', saved: '/old', input: { path: null } }, 'the checkpoint is for /old, not stdin: starting a fresh scan'],
    [{ kind: 'checkpoint-for-other-input', saved: null, input: { path: null } }, 'the previous stdin stream ended (EOF), so this one is a new stream: starting a fresh scan'],
  ],
  'checkpoint-write-failed': [[{ kind: 'checkpoint-write-failed', error: 'ENOSPC' },
    'could not write the checkpoint (ENOSPC); outputs are still written; a restart resumes from the last checkpoint that was written']],
  'checkpoint-written-again': [[{ kind: 'checkpoint-written-again' }, 'checkpoint written again']],
  'operator-failed': [[{ kind: 'operator-failed', operator: 'bytes-per-day', error: 'boom' },
    'operator bytes-per-day failed: boom; its numbers stay as they were, the other outputs go on, and no checkpoint is written until a restart']],
  'rebuild-failed': [[{ kind: 'rebuild-failed', error: 'disk full' }, 'could not rebuild the outputs: disk full']],
  'worker-unreachable': [[{ kind: 'worker-unreachable', error: 'ECONNREFUSED', queued: 3, keptIn: '/s/.syncscope' },
    'the status Worker is unreachable (ECONNREFUSED); 3 tally(ies) kept in /s/.syncscope, sent on the next tick or run']],
  'worker-reachable': [[{ kind: 'worker-reachable' }, 'the status Worker is reachable again; queued tallies delivered']],
  'run-following': [
    [{ kind: 'run-following', input: { path: 'logs/x.ndjson' }, tickMs: 30_000, outputs: '/s/log' }, 'following logs/x.ndjson; outputs every 30s in /s/log'],
    [{ kind: 'run-following', input: { path: null }, tickMs: 1500, outputs: '/s/log' }, 'reading stdin until it ends; outputs every 1.5s in /s/log'],
    [{ kind: 'run-following', input: { path: 'x.ndjson' }, tickMs: 1000, outputs: '/s/log', metricsUrl: 'http://127.0.0.1:9464/metrics' },
      'following x.ndjson; outputs every 1s in /s/log; metrics at http://127.0.0.1:9464/metrics'],
  ],
  'alert-opened': [[
    { kind: 'alert-opened', tenantId: 'acme', repo: 'web', failures: 3, openedAt: Date.parse('2026-04-08T01:09:00Z'), since: Date.parse('2026-04-08T01:02:03Z'), file: '/s/log/alerts/sync-degraded-x.md' },
    'alert opened: acme/web at 2026-04-08T01:09:00Z, 3 failures since 2026-04-08T01:02:03Z (/s/log/alerts/sync-degraded-x.md)',
  ]],
  'alert-resolved': [[
    { kind: 'alert-resolved', tenantId: 'acme', repo: 'web', failures: 4, resolvedAt: Date.parse('2026-04-08T01:20:00Z'), file: '/s/log/alerts/sync-degraded-x.md' },
    'alert resolved: acme/web at 2026-04-08T01:20:00Z, 4 failures',
  ]],
  'outbox-unusable': [[{ kind: 'outbox-unusable', reason: 'not valid JSON', movedTo: '/s/.syncscope/kv-outbox.json.corrupt' },
    'the queue of unsent tallies was unusable (not valid JSON); moved to /s/.syncscope/kv-outbox.json.corrupt; every tenant is reported to the Worker again']],
  'log-stale': [
    [{ kind: 'log-stale', now: '2026-12-01T05:00:00Z', newestRowTs: '2026-04-16T19:10:38Z', newestRowAgeS: 19_734_562 },
      'the log looks old: its newest row (2026-04-16T19:10:38Z) is 228d 9h before NOW (2026-12-01T05:00:00Z), so the last 24h show nothing; try --now latest'],
    [{ kind: 'log-stale', now: '2026-12-01T05:00:00Z', newestRowTs: null, newestRowAgeS: null },
      'the log looks empty: no valid row at or before NOW (2026-12-01T05:00:00Z), so the dashboard shows nothing; if its rows are after NOW, try --now latest'],
  ],
};

describe('audienceOf: what --quiet keeps', () => {
  it('keeps failures, lost rows and the end of a failure; alert lines are their own audience; the rest are notices', () => {
    const errors = (Object.keys(EXAMPLES) as EventKind[]).filter((k) => audienceOf(EXAMPLES[k][0]![0]) === 'error').sort();
    expect(errors).toEqual([
      'checkpoint-write-failed', 'checkpoint-written-again', 'gone-while-stopped', 'input-unreadable', 'operator-failed', 'rebuild-failed',
      'truncated-while-stopped', 'worker-reachable', 'worker-unreachable',
    ]);
    expect(audienceOf(EXAMPLES['alert-opened'][0]![0])).toBe('alert');
    expect(audienceOf(EXAMPLES['alert-resolved'][0]![0])).toBe('alert');
    expect(audienceOf(EXAMPLES['run-following'][0]![0])).toBe('notice');
  });
});

describe('renderEvent', () => {
  for (const [kind, cases] of Object.entries(EXAMPLES)) {
    it(kind, () => {
      for (const [event, words] of cases) expect(renderEvent(event)).toBe(words);
    });
  }
});
