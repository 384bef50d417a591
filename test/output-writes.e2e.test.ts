// What the BUILT CLI does to its output files, traced from inside the process
// (test/fixtures/fs-trace): only the checkpoint is fsynced (the other outputs are atomic without
// it), and a follow tick with nothing new writes only the dashboard, the snapshot and the
// checkpoint, without reading an alert file to find that out.
import { appendFileSync, existsSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMP_NAME } from '../pipeline/core/atomic-write.js';
import { ensureBuilt, REPO_ROOT, runCli } from './core-helpers.js';
import { killLeftovers, logFolder, logText, start, waitFor, waitForRead } from './follow-helpers.js';

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => killLeftovers());

const TRACE_HOOK = ['--import', join(REPO_ROOT, 'test', 'fixtures', 'fs-trace', 'register.mjs')];
const HAS_PROC = existsSync('/proc/self/fd');
// Rows 60–77 hold a burst of alpha failures for three tenants: with NOW = the newest row, one
// alert is still open (the other two were resolved by a later success).
const OPEN_ALERT_ROWS = 78;

interface FsCall {
  readonly op: 'fsync' | 'rename' | 'read';
  readonly path: string;
}

function readTrace(file: string): FsCall[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as FsCall);
}

/** A log folder whose state folder is named by its real path, as /proc names fsynced files. */
function traced(name: string, rows: number): { log: string; state: string; trace: string } {
  const { dir, log } = logFolder(name, logText(0, rows));
  const real = realpathSync(dir);
  return { log, state: join(real, 'state'), trace: join(real, 'fs-trace.ndjson') };
}

/** The files fsynced, as their targets (a temp file stands for the file it is renamed to). */
const fsynced = (calls: readonly FsCall[], state: string): string[] =>
  [...new Set(calls.filter((c) => c.op === 'fsync' && c.path.startsWith(state)).map((c) => c.path.replace(TEMP_NAME, '')))];

describe.skipIf(!HAS_PROC).concurrent('output writes (built CLI, file-system calls traced)', () => {
  it('batch runs, a fresh one and a resumed one, fsync the checkpoint and nothing else', async () => {
    const { log, state, trace } = traced('fsync-batch', OPEN_ALERT_ROWS);
    const flags = ['--state', state, '--now', 'latest', '--no-progress'];
    const first = await runCli(['run', log, ...flags], { nodeArgs: TRACE_HOOK, env: { FS_TRACE: trace } });
    expect(first.code, first.stderr).toBe(0);
    appendFileSync(log, logText(OPEN_ALERT_ROWS, 150)); // the alert resolves, new days and tallies
    const resumed = await runCli(['run', log, ...flags], { nodeArgs: TRACE_HOOK, env: { FS_TRACE: trace } });
    expect(resumed.code, resumed.stderr).toBe(0);

    const calls = readTrace(trace);
    const renamed = new Set(calls.filter((c) => c.op === 'rename').map((c) => c.path));
    // Every kind of output was written (through the traced calls) ...
    for (const f of ['log/sync-summary.json', 'log/sync-summary.md', 'log/evals.aggregate.ndjson', '.syncscope/checkpoint.json']) expect(renamed, f).toContain(join(state, f));
    expect([...renamed].some((p) => p.startsWith(join(state, 'log', 'alerts-resolved')))).toBe(true);
    expect([...renamed].some((p) => p.startsWith(join(state, 'kv', 'ALERTS')))).toBe(true);
    // ... and only the checkpoint was fsynced, once per run.
    expect(fsynced(calls, state)).toEqual([join(state, '.syncscope', 'checkpoint.json')]);
    expect(calls.filter((c) => c.op === 'fsync' && c.path.startsWith(state))).toHaveLength(2);
  });

  it('an idle follow tick rewrites only the dashboard, the snapshot and the checkpoint, and reads no alert file', async () => {
    const { log, state, trace } = traced('idle-ticks', OPEN_ALERT_ROWS);
    const p = start(['run', '--follow', log, '--state', state, '--tick', '1s', '--now', 'latest', '--no-progress'], { FS_TRACE: trace }, TRACE_HOOK);
    const summary = join(state, 'log', 'sync-summary.json');
    const flushes = (): number => readTrace(trace).filter((c) => c.op === 'rename' && c.path === summary).length;
    await waitForRead(state, OPEN_ALERT_ROWS);
    await waitFor('five flushes', () => flushes() >= 5);
    expect((await p.stop('SIGTERM')).code, p.stderr()).toBe(0);

    const alerts = join(state, 'log', 'alerts');
    expect(readdirSync(alerts)).toHaveLength(1); // an open alert, rendered again at every tick
    expect(readdirSync(join(state, 'kv', 'ALERTS')).length).toBeGreaterThan(0);
    const calls = readTrace(trace);
    // From the third flush on, nothing new was read: every tick (and the final flush) is idle.
    const third = calls.findIndex((c, i) => c.op === 'rename' && c.path === summary && calls.slice(0, i).filter((d) => d.op === 'rename' && d.path === summary).length === 2);
    const idle = calls.slice(third);
    expect(new Set(idle.filter((c) => c.op === 'rename').map((c) => c.path))).toEqual(
      new Set([summary, join(state, 'log', 'sync-summary.md'), join(state, '.syncscope', 'checkpoint.json')]),
    );
    expect(idle.filter((c) => c.op === 'read' && c.path.startsWith(`${alerts}/`))).toEqual([]);
    expect(fsynced(calls, state)).toEqual([join(state, '.syncscope', 'checkpoint.json')]);
  });

  it('an open alert file deleted while following is written again at the next tick; its folder too', async () => {
    const { log, state } = traced('alert-gone', OPEN_ALERT_ROWS);
    const p = start(['run', '--follow', log, '--state', state, '--tick', '1s', '--now', 'latest', '--no-progress']);
    const alerts = join(state, 'log', 'alerts');
    const [name] = await waitFor('the open alert file', () => (existsSync(alerts) && readdirSync(alerts).length === 1 ? readdirSync(alerts) : null));
    const text = readFileSync(join(alerts, name!), 'utf8');
    rmSync(join(alerts, name!));
    await waitFor('the alert file again', () => existsSync(join(alerts, name!)));
    expect(readFileSync(join(alerts, name!), 'utf8')).toBe(text);
    rmSync(alerts, { recursive: true });
    await waitFor('the alert folder again', () => existsSync(join(alerts, name!)));
    expect(readFileSync(join(alerts, name!), 'utf8')).toBe(text);
    expect((await p.stop('SIGTERM')).code, p.stderr()).toBe(0);
  });
});
