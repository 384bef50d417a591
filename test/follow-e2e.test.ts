// Follow mode end to end, on the BUILT CLI: `run --follow FILE` and `run -` with stdin held open.
// Short ticks (1 s); every wait is on a condition in an output file, never a fixed sleep.
import { appendFileSync, copyFileSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli, tempDir } from './core-helpers.js';
import {
  NOW, badLines, killLeftovers, logFolder, logLine, logText, outputs, reference, snapshot, start, waitFor, waitForRead,
} from './follow-helpers.js';

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => killLeftovers());

const TICK = ['--tick', '1s', '--now', NOW, '--no-progress'];

function checkpointInput(state: string): Record<string, unknown> {
  const text = readFileSync(join(state, '.syncscope', 'checkpoint.json'), 'utf8');
  return (JSON.parse(text.split('\n')[1]!) as { input: Record<string, unknown> }).input;
}

describe.concurrent('syncscope run --follow FILE', () => {
  it('rebuilds within a tick of an append, waits for an unterminated line, flushes on SIGTERM, and equals a batch run', async () => {
    const { log, state } = logFolder('follow', logText(0, 300), 'sync-events.ndjson');
    const p = start(['run', '--follow', log, '--state', state, ...TICK]);
    const first = await waitForRead(state, 300);

    const t0 = Date.now();
    appendFileSync(log, logText(300, 450));
    await waitForRead(state, 450);
    // One poll (250 ms) plus one tick (1 s); the margin is for a loaded CI box.
    expect(Date.now() - t0).toBeLessThan(2_500);

    // Half a line: it waits for its newline (a writer in the middle of an append).
    const half = logLine(450).slice(0, 20);
    appendFileSync(log, half);
    const later = await waitFor('two more ticks', () => {
      const s = snapshot(state);
      return s !== null && Date.parse(s.generated_at) > Date.parse(first.generated_at) + 2_500 ? s : null;
    });
    expect(later.rows.read).toBe(450);
    appendFileSync(log, `${logLine(450).slice(20)}\n${logText(451, 600)}`);
    const live = await waitForRead(state, 600);
    expect(live.rows.rejected).toBe(badLines(0, 600));

    const { code, ms } = await p.stop('SIGTERM');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(2_000);
    expect(p.stderr()).toMatch(/stopped; outputs and checkpoint flushed/);
    expect(checkpointInput(state)).toMatchObject({ kind: 'file', path: log, offset: logText(0, 600).length, line: 601 });

    // Batch equals follow: same lines, same NOW → byte-identical outputs (generated_at aside).
    const ref = await reference(log);
    expect(outputs(state)).toEqual(outputs(ref));
    const snap = snapshot(state)!;
    expect(snap.alerts.resolved + snap.alerts.open.length).toBeGreaterThan(0);
  });

  it('follows rename-rotation, copytruncate and delete-and-recreate like tail -F', async () => {
    const { dir, log, state } = logFolder('rotate', logText(0, 200));
    const p = start(['run', '--follow', log, '--state', state, ...TICK]);
    await waitForRead(state, 200);

    // Rename and recreate; the writer still appends to the old file (last line unterminated),
    // which is drained to its end before the new file is read from 0.
    appendFileSync(log, logText(200, 210));
    renameSync(log, `${log}.1`);
    appendFileSync(`${log}.1`, logText(210, 219) + logLine(219));
    writeFileSync(log, logText(220, 300));
    await waitForRead(state, 300);

    // copytruncate: the copy is not read again; the truncated file is read from 0.
    copyFileSync(log, `${log}.2`);
    truncateSync(log, 0);
    appendFileSync(log, logText(300, 400));
    await waitForRead(state, 400);

    // Delete, missing for a while, recreate.
    rmSync(log);
    await waitFor('the missing-file notice', () => /is missing; waiting/.test(p.stderr()));
    writeFileSync(log, logText(400, 500));
    const snap = await waitForRead(state, 500);
    expect(snap.rows.valid).toBe(500 - badLines(0, 500));
    expect(snap.rows.duplicate).toBe(0);

    const { code, ms } = await p.stop('SIGINT');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(2_000);
    const err = p.stderr();
    expect(err).toMatch(/was rotated: finishing the old file/);
    expect(err).toMatch(/was truncated \(copytruncate\?\)/);
    // Same numbers as one batch over the lines in the order they were written (line numbers in
    // rejects and alert files restart with each file, so those are compared by count only).
    const all = join(dir, 'all.ndjson');
    writeFileSync(all, logText(0, 500));
    const ref = await reference(all);
    const a = outputs(state, { rejects: false, alerts: false });
    const b = outputs(ref, { rejects: false, alerts: false });
    expect(a).toEqual(b);
  });

  it('SIGHUP reopens the file (no polling in between)', async () => {
    const { log, state } = logFolder('hup', logText(0, 100));
    const p = start(['run', '--follow', log, '--state', state, ...TICK], { SYNCSCOPE_POLL_MS: '600000' });
    const before = await waitForRead(state, 100);
    appendFileSync(log, logText(100, 120));
    renameSync(log, `${log}.old`);
    writeFileSync(log, logText(120, 150));
    const appendedAt = Date.now();
    // A tick after the change still shows 100 rows: without polls, nothing was read.
    const ticked = await waitFor('a tick after the rotation', () => {
      const s = snapshot(state);
      return s !== null && Date.parse(s.generated_at) > appendedAt + 100 ? s : null;
    });
    expect(ticked.rows.read).toBe(before.rows.read);
    // One run per state folder: a second one is refused, plainly, and changes nothing.
    const second = await runCli(['run', log, '--state', state, ...TICK]);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`another syncscope run \\(pid ${p.child.pid}\\) is using`));
    p.child.kill('SIGHUP');
    await waitForRead(state, 150);
    expect(p.stderr()).toMatch(/SIGHUP: reopening/);
    const { code } = await p.stop('SIGTERM');
    expect(code).toBe(0);
  });
});

describe.concurrent('syncscope run - (stdin held open, as from tail -f)', () => {
  it('every line of one stream counts; a restarted tail -f replay is counted as duplicates; totals unaffected', async () => {
    const dir = tempDir('stdin');
    const state = join(dir, 'state');
    // 400 lines in two writes: within one stream every line counts, nothing is a duplicate.
    const p = start(['run', '-', '--state', state, ...TICK]);
    p.child.stdin.write(logText(0, 290));
    await waitForRead(state, 290);
    p.child.stdin.write(logText(290, 400));
    let snap = await waitForRead(state, 400);
    expect(snap.rows.duplicate).toBe(0);
    expect(snap.rows.valid).toBe(400 - badLines(0, 400));

    // SIGINT with stdin still open: exit 0 within 2 s, state kept for the next run.
    const stopped = await p.stop('SIGINT');
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(2_000);
    expect(checkpointInput(state)).toMatchObject({ kind: 'stdin', ended: false });

    // The pipeline restarts: tail -f re-sends its last 10 lines, then new ones, then ends.
    const again = await runCli(['run', '-', '--state', state, ...TICK], { input: logText(390, 400) + logText(400, 500) });
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/resumed from checkpoint/);
    snap = snapshot(state)!;
    expect(snap.rows.duplicate).toBe(10);
    expect(snap.rows.valid).toBe(500 - badLines(0, 500));
    expect(snap.rows.read).toBe(510);
    expect(checkpointInput(state)).toMatchObject({ kind: 'stdin', ended: true });

    // Totals equal one batch over the 500 distinct lines.
    const all = join(dir, 'all.ndjson');
    writeFileSync(all, logText(0, 500));
    const ref = snapshot(await reference(all))!;
    const strip = (s: typeof snap): unknown => ({ ...s, generated_at: '-', rows: { ...s.rows, read: 0, duplicate: 0 } });
    expect(strip(snap)).toEqual(strip(ref));

    // That stream ended (EOF), so the next `run -` is a new stream: a fresh scan, said on stderr.
    const fresh = await runCli(['run', '-', '--state', state, ...TICK], { input: logText(0, 50) });
    expect(fresh.stderr).toMatch(/previous stdin stream ended \(EOF\)/);
    expect(snapshot(state)!.rows.read).toBe(50);
  });
});
