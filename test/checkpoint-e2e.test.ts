// Checkpoints end to end, on the BUILT CLI: resume without counting twice or losing anything,
// across SIGTERM, rotation while stopped, a corrupt checkpoint, and changed settings.
import { appendFileSync, copyFileSync, existsSync, readFileSync, readdirSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from './core-helpers.js';
import {
  NOW, badLines, killLeftovers, logFolder, logLine, logText, outputs, reference, snapshot, start, waitFor, waitForRead,
} from './follow-helpers.js';

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => killLeftovers());

const FLAGS = ['--now', NOW, '--no-progress'];
const run = (file: string, state: string, extra: string[] = []) => runCli(['run', file, '--state', state, ...FLAGS, ...extra]);

describe.concurrent('batch runs resume from the checkpoint', () => {
  it('a second run reads only the new bytes; an unterminated last line counts once; outputs equal one run', async () => {
    // Ends in half a line (its JSON is cut): counted (as a reject) in this run's outputs only.
    const { log, state } = logFolder('resume', logText(0, 300) + logLine(300).slice(0, 30));
    let r = await run(log, state);
    expect(r.code).toBe(0);
    expect(snapshot(state)!.rows).toMatchObject({ read: 301, rejected: badLines(0, 300) + 1 });
    expect(readFileSync(join(state, 'log', 'sync-events.rejects.ndjson'), 'utf8')).toMatch(/"line":301/);

    appendFileSync(log, `${logLine(300).slice(30)}\n${logText(301, 600)}`);
    r = await run(log, state);
    expect(r.stderr).toMatch(/resumed from checkpoint/);
    expect(snapshot(state)!.rows).toMatchObject({ read: 600, rejected: badLines(0, 600) });
    // Byte-identical to one run over the whole file: snapshot, dashboard, alert files,
    // aggregates, and the rejects file (the half line's reject withdrawn, none doubled).
    const ref = await reference(log);
    expect(outputs(state)).toEqual(outputs(ref));

    // Nothing new: same outputs again.
    r = await run(log, state);
    expect(outputs(state)).toEqual(outputs(ref));
  });

  it('SIGTERM mid-stream, then restart: totals equal one uninterrupted batch', async () => {
    const { log, state } = logFolder('sigterm', logText(0, 300));
    const first = start(['run', '--follow', log, '--state', state, '--tick', '1s', ...FLAGS]);
    await waitForRead(state, 300);
    // A writer appending 25 lines every 10 ms; SIGTERM lands while it is half way.
    let stopping: Promise<{ code: number | null; ms: number }> | null = null;
    let stopped: { code: number | null; ms: number } | null = null;
    for (let i = 300; i < 1000; i += 25) {
      appendFileSync(log, logText(i, i + 25));
      if (i === 600) stopping = first.stop('SIGTERM');
      if (i === 800) stopped = await stopping!; // the rest is appended while it is stopped
      await new Promise((r) => setTimeout(r, 10));
    }
    stopped = stopped!;
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(2_000);
    const atStop = snapshot(state)!.rows.read;
    expect(atStop).toBeGreaterThanOrEqual(300);
    expect(atStop).toBeLessThan(1000); // it really stopped mid-stream

    const second = start(['run', '--follow', log, '--state', state, '--tick', '1s', ...FLAGS]);
    await waitForRead(state, 1000);
    expect((await second.stop('SIGTERM')).code).toBe(0);
    expect(second.stderr()).not.toMatch(/fresh|re-scan|unusable/);
    const ref = await reference(log);
    expect(outputs(state)).toEqual(outputs(ref));
  });
});

describe.concurrent('rotation while stopped', () => {
  it('rename: the rest of the old file, then the new file', async () => {
    const { dir, log, state } = logFolder('rot-stopped', logText(0, 200));
    await run(log, state);
    appendFileSync(log, logText(200, 250)); // appended while stopped, then rotated away
    renameSync(log, join(dir, 'events.ndjson.1'));
    writeFileSync(log, logText(250, 350));
    const r = await run(log, state);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/rotated while syncscope was stopped.*events\.ndjson\.1/);
    const all = join(dir, 'all');
    writeFileSync(all, logText(0, 350));
    expect(outputs(state, { rejects: false, alerts: false })).toEqual(outputs(await reference(all), { rejects: false, alerts: false }));
  });

  it('copytruncate: the copy from the old offset, then the truncated file from 0', async () => {
    const { log, state } = logFolder('ct-stopped', logText(0, 200));
    await run(log, state);
    appendFileSync(log, logText(200, 250));
    copyFileSync(log, `${log}-20260408`);
    truncateSync(log, 0);
    appendFileSync(log, logText(250, 350));
    const r = await run(log, state);
    expect(r.stderr).toMatch(/truncated while syncscope was stopped \(copytruncate\)/);
    expect(snapshot(state)!.rows).toMatchObject({ read: 350, valid: 350 - badLines(0, 350), duplicate: 0 });
  });

  it('the old file deleted while stopped: what was lost is said on stderr, nothing is counted twice', async () => {
    const { log, state } = logFolder('gone', logText(0, 200));
    await run(log, state);
    rmSync(log);
    writeFileSync(log, logText(200, 300));
    const r = await run(log, state);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/from the start/);
    expect(snapshot(state)!.rows.read).toBe(300);
  });
});

describe.concurrent('recovery', () => {
  it('a corrupt checkpoint is reported, moved aside and rebuilt from the log; totals right', async () => {
    const { log, state } = logFolder('corrupt', logText(0, 300));
    await run(log, state);
    const cp = join(state, '.syncscope', 'checkpoint.json');
    writeFileSync(cp, '{"garbage": tru');
    const r = await run(log, state);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/checkpoint .*checkpoint\.json is unusable \(.+\); moved aside to .*checkpoint\.json\.corrupt-\d{8}T\d{6}Z; rebuilding from .* \(full re-scan\)/);
    const aside = readdirSync(join(state, '.syncscope')).filter((f) => f.startsWith('checkpoint.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(state, '.syncscope', aside[0]!), 'utf8')).toBe('{"garbage": tru');
    expect(readFileSync(cp, 'utf8')).toMatch(/^\{"format":"syncscope-checkpoint"/);
    expect(outputs(state)).toEqual(outputs(await reference(log)));
  });

  it('settings that change numbers force a rebuild, said plainly; --rebuild discards the checkpoint', async () => {
    const { log, state } = logFolder('config', logText(0, 300));
    await run(log, state);
    expect(outputs(state).resolved).not.toBe('');
    let r = await run(log, state, ['--alert-failures', '5']);
    expect(r.stderr).toMatch(/differ from the checkpoint's \(--alert-failures: 3 → 5\): rebuilding from .* \(full re-scan\)/);
    expect(snapshot(state)!.rows.read).toBe(300);
    // A fresh scan writes the resolved-alert history again: the lines of the new rule, none of the old.
    const ref = await reference(log, ['--alert-failures', '5']);
    expect(outputs(state)).toEqual(outputs(ref));
    r = await run(log, state, ['--alert-failures', '5', '--rebuild']);
    expect(r.stderr).toMatch(/--rebuild: checkpoint discarded/);
    expect(snapshot(state)!.rows.read).toBe(300);
    expect(outputs(state)).toEqual(outputs(ref));
  });

  it('SIGTERM during a batch scan flushes outputs and the checkpoint; the next run finishes the job', async () => {
    const { log, state } = logFolder('batch-term', logText(0, 100_000));
    const ref = await reference(log);
    const scan = start(['run', log, '--state', state, ...FLAGS]);
    // Once the first rejects are written the scan is under way (and the handlers are set).
    // Whenever the signal lands (during the scan, or after), exit 0 and a consistent state.
    const rejects = join(state, 'log', 'sync-events.rejects.ndjson');
    await waitFor('the scan to start', () => existsSync(rejects) && readFileSync(rejects, 'utf8').length > 0);
    expect((await scan.stop('SIGTERM')).code).toBe(0);
    expect(existsSync(join(state, '.syncscope', 'checkpoint.json'))).toBe(true);
    const r = await run(log, state);
    expect(r.code).toBe(0);
    expect(outputs(state)).toEqual(outputs(ref));
  });
});
