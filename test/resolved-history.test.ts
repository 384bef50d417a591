// The resolved-alert history sink (SPEC §4 v2): alerts-resolved.ndjson on real files. Order
// (when resolved, ties by file), the line's exact shape, clusters written when their window ran
// out and not again, a resume cutting back to the checkpoint, tentative lines withdrawn.
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ResolvedHistory } from '../sinks/resolved-history.js';
import { alertFileName, type Cluster } from '../pipeline/core/alerts.js';
import { tempDir } from './core-helpers.js';

const T = (hms: string): number => Date.parse(`2026-04-16T${hms}Z`);
const W = 10 * 60_000;

function cluster(repo: string, opened: string, last: string, resolved: string | null, tenant = 'acme'): Cluster {
  const failure = (hms: string, line: number) => ({
    t: T(hms), file: 'logs/a.ndjson', line, machine: 'mbpro', op: 'push', scope: 'state', trigger: 'cron', errors: ['503 SlowDown', 'timeout'],
  });
  return {
    tenant_id: tenant,
    repo,
    opened_at: T(opened),
    seq: 1,
    last_failure_at: T(last),
    failures: [failure(opened, 7), failure(last, 9)],
    resolved_at: resolved === null ? null : T(resolved),
  };
}

const historyIn = (): string => join(tempDir('history'), 'log', 'alerts-resolved.ndjson');
const lines = (path: string): Array<Record<string, unknown>> =>
  readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
const names = (path: string): string[] => lines(path).map((l) => l.file as string);

describe('alerts-resolved.ndjson', () => {
  it('one line per cluster with exactly the SPEC fields, in their order, timestamps in RFC 3339', () => {
    const path = historyIn();
    const h = new ResolvedHistory(path, null);
    const c = cluster('snappy-os', '10:04:00', '10:06:00.250', '10:08:00');
    expect(h.append([c], [], W, T('11:00:00'))).toEqual([alertFileName(c)]);
    const text = readFileSync(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(2);
    const line = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(line)).toEqual(['file', 'tenant_id', 'repo', 'opened_at', 'last_failure_at', 'resolved_at', 'failures', 'entries']);
    expect(line).toEqual({
      file: alertFileName(c),
      tenant_id: 'acme',
      repo: 'snappy-os',
      opened_at: '2026-04-16T10:04:00Z',
      last_failure_at: '2026-04-16T10:06:00.250Z',
      resolved_at: '2026-04-16T10:08:00Z',
      failures: 2,
      entries: [
        { ts: '2026-04-16T10:04:00Z', machine: 'mbpro', op: 'push', scope: 'state', trigger: 'cron', errors: ['503 SlowDown', 'timeout'], file: 'logs/a.ndjson', line: 7 },
        { ts: '2026-04-16T10:06:00.250Z', machine: 'mbpro', op: 'push', scope: 'state', trigger: 'cron', errors: ['503 SlowDown', 'timeout'], file: 'logs/a.ndjson', line: 9 },
      ],
    });
    expect(Object.keys((line.entries as object[])[0]!)).toEqual(['ts', 'machine', 'op', 'scope', 'trigger', 'errors', 'file', 'line']);
  });

  it('lines in the order the clusters resolved, ties by file name, whatever order they come in', () => {
    const path = historyIn();
    const h = new ResolvedHistory(path, null);
    const late = cluster('zeta', '10:00:00', '10:01:00', '10:30:00');
    const tieB = cluster('b-repo', '10:02:00', '10:03:00', '10:20:00');
    const tieA = cluster('a-repo', '10:02:00', '10:03:00', '10:20:00');
    const early = cluster('early', '10:05:00', '10:06:00', '10:10:00');
    h.append([late, tieB, tieA, early], [], W, T('11:00:00'));
    expect(names(path)).toEqual([early, tieA, tieB, late].map(alertFileName));
    expect(alertFileName(tieA) < alertFileName(tieB)).toBe(true);
  });

  it('an open cluster whose window ran out before `through` is written then, at last failure + W, and not again when it resolves', () => {
    const path = historyIn();
    const h = new ResolvedHistory(path, null);
    const quiet = cluster('quiet', '10:00:00', '10:02:00', null);
    const fresh = cluster('fresh', '10:20:00', '10:25:00', null);
    // 10:12 < through: quiet resolves at 10:12 whatever comes; fresh's window (10:35) has not run out.
    const other = cluster('other', '10:10:00', '10:14:00', '10:15:00');
    expect(h.append([other], [quiet, fresh], W, T('10:30:00'))).toEqual([alertFileName(quiet), alertFileName(other)]);
    expect(lines(path).map((l) => [l.repo, l.resolved_at])).toEqual([['quiet', '2026-04-16T10:12:00Z'], ['other', '2026-04-16T10:15:00Z']]);
    expect(h.mark().ahead).toEqual([alertFileName(quiet)]);
    // Still open at the next chunk: not written twice.
    expect(h.append([], [quiet, fresh], W, T('10:31:00'))).toEqual([]);
    // The engine resolves it later (its key's next row): skipped, and forgotten.
    const resolvedQuiet = { ...quiet, resolved_at: T('10:12:00') };
    expect(h.append([resolvedQuiet], [fresh], W, T('10:33:00'))).toEqual([]);
    expect(h.mark()).toEqual({ bytes: readFileSync(path).length, ahead: [] });
    expect(names(path)).toEqual([alertFileName(quiet), alertFileName(other)]);
  });

  it('a resume cuts what was appended after the checkpoint (a half-written line too) and keeps the names written ahead', () => {
    const path = historyIn();
    const h = new ResolvedHistory(path, null);
    const quiet = cluster('quiet', '10:00:00', '10:02:00', null);
    h.append([cluster('one', '09:00:00', '09:01:00', '09:05:00')], [quiet], W, T('10:30:00'));
    const mark = h.mark();
    const atCheckpoint = readFileSync(path, 'utf8');
    h.append([cluster('two', '10:40:00', '10:41:00', '10:45:00')], [], W, T('11:00:00'));
    h.writeTail([cluster('three', '11:00:00', '11:01:00', '11:11:00')]);
    appendFileSync(path, '{"file":"sync-degraded-2026');

    const resumed = new ResolvedHistory(path, mark);
    expect(readFileSync(path, 'utf8')).toBe(atCheckpoint);
    // The rows after the checkpoint are read again: the same lines, once.
    resumed.append([{ ...quiet, resolved_at: T('10:12:00') }, cluster('two', '10:40:00', '10:41:00', '10:45:00')], [], W, T('11:00:00'));
    expect(lines(path).map((l) => l.repo)).toEqual(['one', 'quiet', 'two']);
  });

  it('a fresh scan starts the file over; a resume whose file is shorter than its checkpoint says goes on at the end of the file', () => {
    const path = historyIn();
    new ResolvedHistory(path, null).append([cluster('one', '09:00:00', '09:01:00', '09:05:00')], [], W, T('10:00:00'));
    const bytes = readFileSync(path).length;
    new ResolvedHistory(path, null);
    expect(readFileSync(path, 'utf8')).toBe('');
    const h = new ResolvedHistory(path, { bytes, ahead: [] });
    h.append([cluster('two', '10:40:00', '10:41:00', '10:45:00')], [], W, T('11:00:00'));
    expect(lines(path).map((l) => l.repo)).toEqual(['two']); // no hole of zero bytes before it
  });

  it('tentative lines follow the final ones and are replaced at each flush: a later flush withdraws one', () => {
    const path = historyIn();
    const h = new ResolvedHistory(path, null);
    const final = cluster('final', '09:00:00', '09:01:00', '09:05:00');
    h.append([final], [], W, T('10:00:00'));
    // A preview resolves two clusters by time at NOW; both are tentative.
    const byTime = cluster('by-time', '10:01:00', '10:03:00', '10:13:00');
    const other = cluster('other', '10:02:00', '10:04:00', '10:14:00');
    h.writeTail([other, byTime]);
    expect(lines(path).map((l) => l.repo)).toEqual(['final', 'by-time', 'other']);
    expect(h.mark().bytes).toBe(Buffer.byteLength(`${readFileSync(path, 'utf8').split('\n')[0]}\n`));
    // A late row joined by-time: the next preview has it open; its line is withdrawn.
    h.writeTail([other]);
    expect(lines(path).map((l) => l.repo)).toEqual(['final', 'other']);
    // Rows resolve `other` for good (at 10:14): final now, and the tail is written anew after it.
    h.append([other], [], W, T('10:20:00'));
    expect(lines(path).map((l) => l.repo)).toEqual(['final', 'other']);
    h.writeTail([{ ...byTime, last_failure_at: T('10:16:00'), resolved_at: T('10:26:00') }]);
    expect(lines(path).map((l) => [l.repo, l.resolved_at])).toEqual([
      ['final', '2026-04-16T09:05:00Z'], ['other', '2026-04-16T10:14:00Z'], ['by-time', '2026-04-16T10:26:00Z'],
    ]);
    // A line written ahead is never tentative as well.
    const quiet = cluster('quiet', '10:05:00', '10:06:00', null);
    h.append([], [quiet], W, T('10:17:00'));
    h.writeTail([{ ...quiet, resolved_at: T('10:16:00') }]);
    expect(lines(path).map((l) => l.repo)).toEqual(['final', 'other', 'quiet']);
  });

  it('a folder removed while running is made again', () => {
    const dir = tempDir('history-gone');
    const path = join(dir, 'log', 'alerts-resolved.ndjson');
    const h = new ResolvedHistory(path, null);
    rmSync(join(dir, 'log'), { recursive: true });
    h.append([cluster('one', '09:00:00', '09:01:00', '09:05:00')], [], W, T('10:00:00'));
    expect(existsSync(path)).toBe(true);
    expect(lines(path).map((l) => l.repo)).toEqual(['one']);
    writeFileSync(path, ''); // emptied behind our back
    h.writeTail([cluster('two', '10:40:00', '10:41:00', '10:45:00')]);
    h.append([cluster('three', '10:00:00', '10:01:00', '10:05:00')], [], W, T('10:30:00'));
    expect(lines(path).map((l) => l.repo)).toEqual(['three']); // the stale tail is not taken for final
  });
});
