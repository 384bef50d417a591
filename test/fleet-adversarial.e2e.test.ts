// Several files as one input, attacked: inputs a careless glob or a hostile folder hands the
// BUILT CLI (the run's own output files, a FIFO, the same file through a symlink). Each case
// is one that once went wrong.
import { execFileSync } from 'node:child_process';
import { appendFileSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli, spawnCli, tempDir } from './core-helpers.js';
import { badLines, killLeftovers, logText, NOW, snapshot, start, waitForRead } from './follow-helpers.js';

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => killLeftovers());

const FLAGS = ['--now', NOW, '--no-progress'];

/** A fleet folder: logs/a.ndjson (lines 0–199) and logs/b.ndjson (lines 200–399). */
function fleet(name: string): { dir: string; logs: string } {
  const dir = tempDir(name);
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  writeFileSync(join(logs, 'a.ndjson'), logText(0, 200));
  writeFileSync(join(logs, 'b.ndjson'), logText(200, 400));
  return { dir, logs };
}

describe('a glob that matches the run\'s own outputs', () => {
  it('a batch over state/log/*.ndjson reads the log, never the rejects file or alerts-resolved.ndjson it writes', async () => {
    const dir = tempDir('adv-own-outputs');
    const log = join(dir, 'state', 'log');
    mkdirSync(log, { recursive: true });
    writeFileSync(join(log, 'sync-events.ndjson'), logText(0, 300));
    const args = ['run', 'state/log/*.ndjson', '--state', 'state', ...FLAGS];
    const first = await runCli(args, { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    // A second run (cron) finds the rejects file the first one wrote: it must not read it.
    const second = await runCli(args, { cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    const s = snapshot(join(dir, 'state'))!;
    expect(s.rows.read).toBe(300);
    expect(s.rows.rejected).toBe(badLines(0, 300));
    expect(readFileSync(join(log, 'sync-events.rejects.ndjson'), 'utf8').trim().split('\n')).toHaveLength(badLines(0, 300));
  }, 60_000);

  it('a follow of state/log/*.ndjson does not feed its rejects back to itself (the file stops growing)', async () => {
    const dir = tempDir('adv-own-outputs-follow');
    const log = join(dir, 'state', 'log');
    mkdirSync(log, { recursive: true });
    writeFileSync(join(log, 'sync-events.ndjson'), logText(0, 300));
    const state = join(dir, 'state');
    const run = start(['run', '--follow', join(log, '*.ndjson'), '--state', state, '--tick', '1s', ...FLAGS]);
    await waitForRead(state, 300);
    await new Promise((r) => setTimeout(r, 2500)); // two rescans and ticks
    const { code } = await run.stop('SIGTERM');
    expect(code).toBe(0);
    expect(statSync(join(log, 'sync-events.rejects.ndjson')).size).toBeLessThan(10_000);
    expect(snapshot(state)!.rows.read).toBe(300);
  }, 60_000);

  it('naming an output of the run as its input is a usage error', async () => {
    const { dir } = fleet('adv-own-output-named');
    const first = await runCli(['run', 'logs/*.ndjson', '--state', 'state', ...FLAGS], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    const r = await runCli(['run', 'logs/a.ndjson', 'state/log/sync-events.rejects.ndjson', '--state', 'state', ...FLAGS], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^syncscope: state\/log\/sync-events\.rejects\.ndjson: an output of this run \(--state state\), not an input\n$/);
  }, 60_000);
});

describe('files that are not regular files', () => {
  it('a FIFO among several files is named and left out, the others are read (exit 1), and the run does not hang', async () => {
    const { dir, logs } = fleet('adv-fifo');
    execFileSync('mkfifo', [join(logs, 'pipe.ndjson')]);
    const r = await runCli(['run', 'logs/a.ndjson', 'logs/pipe.ndjson', 'logs/b.ndjson', '--state', 'state', ...FLAGS], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^syncscope: .*logs\/pipe\.ndjson.*not a regular file.*$/m);
    expect(snapshot(join(dir, 'state'))!.rows.read).toBe(400);
  }, 40_000);
});

describe('the same file under two names', () => {
  it('a symlink to a file the glob also matches is read once', async () => {
    const { dir, logs } = fleet('adv-symlink');
    symlinkSync('a.ndjson', join(logs, 'current.ndjson'));
    const r = await runCli(['run', 'logs/*.ndjson', '--state', 'state', ...FLAGS], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(snapshot(join(dir, 'state'))!.rows.read).toBe(400);
  }, 40_000);

  it('a hard link to a file the glob also matches is read once', async () => {
    const { dir, logs } = fleet('adv-hardlink');
    linkSync(join(logs, 'b.ndjson'), join(logs, 'b-copy.ndjson'));
    const r = await runCli(['run', 'logs/*.ndjson', '--state', 'state', ...FLAGS], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(snapshot(join(dir, 'state'))!.rows.read).toBe(400);
  }, 40_000);
});

describe('file names with glob characters', () => {
  it('a path that names an existing file is that file, even with ? or [ ] in its name', async () => {
    const { dir, logs } = fleet('adv-literal-glob-chars');
    writeFileSync(join(logs, 'a?.ndjson'), logText(400, 410));
    writeFileSync(join(logs, '[ab].ndjson'), logText(410, 430));
    const r = await runCli(['run', 'logs/a?.ndjson', 'logs/[ab].ndjson', '--state', 'state', ...FLAGS], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(snapshot(join(dir, 'state'))!.rows.read).toBe(30);
  }, 40_000);
});

describe('a file renamed within the glob', () => {
  it('while following: its rows are not read again under the new name', async () => {
    const { dir, logs } = fleet('adv-rename-follow');
    const state = join(dir, 'state');
    const run = start(['run', '--follow', join(logs, '*.ndjson'), '--state', state, '--tick', '1s', ...FLAGS]);
    await waitForRead(state, 400);
    renameSync(join(logs, 'a.ndjson'), join(logs, 'c.ndjson'));
    appendFileSync(join(logs, 'c.ndjson'), logText(400, 410));
    await waitForRead(state, 410);
    await new Promise((r) => setTimeout(r, 2500)); // a rescan and a tick more
    const { code } = await run.stop('SIGTERM');
    expect(code).toBe(0);
    expect(run.stderr()).toMatch(/c\.ndjson matches again: continuing where it was left/);
    expect(snapshot(state)!.rows.read).toBe(410);
  }, 60_000);

  it('between batches: the next run goes on from where the file was under its old name', async () => {
    const { dir, logs } = fleet('adv-rename-batch');
    const args = ['run', 'logs/*.ndjson', '--state', 'state', ...FLAGS, '--format', 'json'];
    const first = await runCli(args, { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    renameSync(join(logs, 'a.ndjson'), join(logs, 'a-old.ndjson'));
    const second = await runCli(args, { cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    expect(snapshot(join(dir, 'state'))!.rows.read).toBe(400);
  }, 60_000);
});

describe('more files than open descriptors', () => {
  // Known limit, not fixed: a batch opens every file of the fleet at once (a tailer each), so
  // with more files than `ulimit -n` allows, the files past the limit are skipped and even the
  // checkpoint and outputs cannot be written. Reading them with at most a bounded number open
  // needs the tailers to close and reopen by offset (pipeline/source), a larger change.
  it.fails('a batch over 120 files under ulimit -n 64 reads every file', async () => {
    const dir = tempDir('adv-fd-limit');
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    for (let k = 0; k < 120; k++) writeFileSync(join(logs, `m${String(k).padStart(3, '0')}.ndjson`), logText(k * 5, k * 5 + 5));
    const r = await runCli(['run', 'logs/*.ndjson', '--state', 'state', ...FLAGS], { cwd: dir, launcher: ['sh', '-c', 'ulimit -n 64 && exec "$@"', 'sh'] });
    expect(r.code, r.stderr).toBe(0);
    expect(snapshot(join(dir, 'state'))!.rows.read).toBe(600);
  }, 60_000);
});

describe('lint over several files, one of them not a file', () => {
  it('a FIFO and a folder are named as skipped with lint\'s own exit status (2), without hanging', async () => {
    const { dir, logs } = fleet('adv-lint-fifo');
    execFileSync('mkfifo', [join(logs, 'pipe.ndjson')]);
    mkdirSync(join(logs, 'dir.ndjson'));
    const r = await runCli(['lint', 'logs/a.ndjson', 'logs/pipe.ndjson', 'logs/dir.ndjson', 'logs/b.ndjson', '--now', NOW, '--since', '7d'], { cwd: dir });
    expect(r.code).toBe(2);
    const skipped = r.stderr.split('\n').filter((l) => l.includes('skipping'));
    expect(skipped).toHaveLength(2);
    for (const l of skipped) expect(l).toMatch(/^syncscope: logs\/(pipe|dir)\.ndjson is not a regular file: skipping logs\/\w+\.ndjson; the other input files are read \(exit status 2\)$/);
  }, 40_000);
});

describe('the folder a follow was started in is deleted', () => {
  it('SIGTERM still stops it at once (a relative --state must not send it spinning on a folder that is gone)', async () => {
    const { dir } = fleet('adv-cwd-gone');
    const child = spawnCli(['run', '--follow', 'logs/*.ndjson', '--state', 'state', '--tick', '1s', ...FLAGS], { cwd: dir, env: { SYNCSCOPE_POLL_MS: '100' } });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    child.stdout.resume();
    child.stderr.resume();
    try {
      await waitForRead(join(dir, 'state'), 400);
      // The run may be writing into it: removing it can take a few tries.
      rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 25 });
      await new Promise((r) => setTimeout(r, 2_500)); // a tick or two in a folder that is gone
      const t0 = Date.now();
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 5_000))]);
      expect(code).toBe(0);
      expect(Date.now() - t0).toBeLessThan(3_000);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
