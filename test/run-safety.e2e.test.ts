// Process safety of the BUILT CLI: leftovers of killed runs, exit codes and OS-error messages,
// the state lock across pid reuse and reboots, and signals that land while the CLI loads.
// Tests run as root, where chmod does not stop a write: each failure below is made with a trick
// that holds for root too (a regular file where a folder must be, a folder where a file must
// be, /proc/self/mem, a file size limit).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, FIXTURES, REPO_ROOT, runCli, spawnCli, tempDir } from './core-helpers.js';
import { NOW, killLeftovers, logFolder, logText, snapshot, start, waitFor, waitForRead } from './follow-helpers.js';

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => killLeftovers());

const BASIC = join(FIXTURES, 'basic.ndjson');
const HAS_PROC = existsSync('/proc/self/stat');
const RUN_FLAGS = ['--now', NOW, '--no-progress'];

describe.concurrent('stale temp files', () => {
  it('run removes the temp files a killed run left in the state folders, and nothing else', async () => {
    const state = join(tempDir('temps'), 'state');
    const folders = ['log', 'log/alerts', 'kv/ALERTS', '.syncscope'];
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const leftovers: string[] = [];
    for (const f of folders) {
      mkdirSync(join(state, f), { recursive: true });
      // A dead pid, and a live one that is not the run (a pid reused after a reboot).
      for (const name of [`sync-summary.md.tmp-${dead}-3`, `x.json.tmp-${process.pid}-12`]) {
        writeFileSync(join(state, f, name), 'half a file');
        leftovers.push(join(f, name));
      }
    }
    const unrelated = ['log/notes.tmp-keep', 'log/alerts/keep.md', 'kv/ALERTS/report.tmp-1-x', 'log/draft.tmp-12-3.txt'];
    for (const u of unrelated) writeFileSync(join(state, u), 'mine');

    const r = await runCli(['run', BASIC, '--state', state, ...RUN_FLAGS]);
    expect(r.code, r.stderr).toBe(0);
    for (const l of leftovers) expect(existsSync(join(state, l)), l).toBe(false);
    for (const u of unrelated) expect(readFileSync(join(state, u), 'utf8'), u).toBe('mine');
  });
});

describe.concurrent('exit codes and OS errors in words', () => {
  it('a state folder that cannot be created (its parent is a regular file): exit 1, the lock path and ENOTDIR in words', async () => {
    const dir = tempDir('enotdir');
    writeFileSync(join(dir, 'file'), '');
    const state = join(dir, 'file', 'state');
    const r = await runCli(['run', BASIC, '--state', state, ...RUN_FLAGS]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`syncscope: cannot write ${join(state, '.syncscope', 'run.lock')}: not a directory (ENOTDIR)`);
  });

  it('an output that cannot be replaced (sync-summary.md is a folder): exit 1, the file and EISDIR in words', async () => {
    const state = join(tempDir('eisdir'), 'state');
    const summary = join(state, 'log', 'sync-summary.md');
    mkdirSync(join(summary, 'in-the-way'), { recursive: true });
    const r = await runCli(['run', BASIC, '--state', state, ...RUN_FLAGS]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`syncscope: cannot write ${summary}: is a directory (EISDIR)\n`);
    expect(r.stderr).not.toMatch(/\.tmp-|internal error/);
  });

  it('a write cut short by the file size limit exits 1 and leaves no truncated output (partial writes are not ignored)', async () => {
    const { dir, log, state } = logFolder('efbig', logText(0, 600));
    // ulimit -f 4: files up to 2 KiB (512-byte blocks), so write() stops short of the summary's end.
    // Node ignores SIGXFSZ, so the write after the short one fails with EFBIG.
    const r = await runCli(['run', log, '--state', state, ...RUN_FLAGS], { launcher: ['sh', '-c', 'ulimit -f 4 && exec "$@"', 'sh'] });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^syncscope: cannot write .*state\/log\/[^ ]+: file too large \(EFBIG\)$/m);
    // Without the limit the same run writes a summary well over 2 KiB; with it, none at all.
    const ref = join(dir, 'ref');
    expect((await runCli(['run', log, '--state', ref, ...RUN_FLAGS])).code).toBe(0);
    expect(readFileSync(join(ref, 'log', 'sync-summary.json')).length).toBeGreaterThan(4096);
    expect(existsSync(join(state, 'log', 'sync-summary.json'))).toBe(false);
    expect(readdirSync(join(state, 'log')).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it.skipIf(!HAS_PROC)('an input that fails to read (EIO): run exits 1, lint keeps 2', async () => {
    // /proc/self/mem is a regular file whose first page is not mapped: read() fails with EIO.
    const input = '/proc/self/mem';
    const run = await runCli(['run', input, '--state', join(tempDir('eio'), 'state'), ...RUN_FLAGS]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^syncscope: .*EIO/m);
    const lint = await runCli(['lint', input, '--now', NOW]);
    expect(lint.code).toBe(2);
    expect(lint.stderr).toMatch(/^syncscope: .*EIO/m);
  });

  it('export --out to a path under a regular file: exit 1 with the path and the error in words', async () => {
    const dir = tempDir('export');
    writeFileSync(join(dir, 'file'), '');
    const out = join(dir, 'file', 'hourly.csv');
    const r = await runCli(['export', BASIC, '--table', 'hourly', '--out', out, '--now', NOW]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`syncscope: cannot write ${out}: not a directory (ENOTDIR)`);
  });
});

/** Field 22 of /proc/<pid>/stat (the name in field 2 may hold spaces). */
function startTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

const bootId = (): string => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

describe.skipIf(!HAS_PROC).concurrent('the state lock knows its process', () => {
  const sleepers: ChildProcess[] = [];
  afterAll(() => {
    for (const s of sleepers) s.kill('SIGKILL');
  });

  /** A live process that is not syncscope (its pid is what a reused pid looks like). */
  function liveStranger(): number {
    const s = spawn('sleep', ['120'], { stdio: 'ignore' });
    sleepers.push(s);
    return s.pid!;
  }

  function stateWithLock(lock: Record<string, unknown>): { state: string; lockPath: string } {
    const state = join(tempDir('lock'), 'state');
    const internal = join(state, '.syncscope');
    mkdirSync(internal, { recursive: true });
    const lockPath = join(internal, 'run.lock');
    writeFileSync(lockPath, JSON.stringify({ dir: resolve(internal), ...lock }));
    return { state, lockPath };
  }

  it('a run writes its pid, start time and boot id into the lock', async () => {
    const { log, state } = logFolder('lock-body', logText(0, 50));
    const p = start(['run', '--follow', log, '--state', state, '--tick', '1s', ...RUN_FLAGS]);
    await waitForRead(state, 50);
    const lock = JSON.parse(readFileSync(join(state, '.syncscope', 'run.lock'), 'utf8')) as Record<string, unknown>;
    expect(lock).toEqual({ pid: p.child.pid, dir: resolve(state, '.syncscope'), start_time: startTime(p.child.pid!), boot_id: bootId() });
    expect((await p.stop('SIGTERM')).code).toBe(0);
    expect(existsSync(join(state, '.syncscope', 'run.lock'))).toBe(false);
  });

  it('a lock naming a live process with another start time (a reused pid) is taken over', async () => {
    const pid = liveStranger();
    const { state, lockPath } = stateWithLock({ pid, start_time: String(Number(startTime(pid)) + 1), boot_id: bootId() });
    const r = await runCli(['run', BASIC, '--state', state, ...RUN_FLAGS]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(lockPath)).toBe(false); // released at the end
  });

  it('a lock written before a reboot (another boot id) is taken over', async () => {
    const pid = liveStranger();
    const { state } = stateWithLock({ pid, start_time: startTime(pid), boot_id: '00000000-0000-0000-0000-000000000000' });
    const r = await runCli(['run', BASIC, '--state', state, ...RUN_FLAGS]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('a lock naming a live process with its true start time in this boot blocks: exit 2, plainly', async () => {
    const pid = liveStranger();
    const lock = { pid, start_time: startTime(pid), boot_id: bootId() };
    const { state, lockPath } = stateWithLock(lock);
    const before = readFileSync(lockPath, 'utf8');
    const r = await runCli(['run', BASIC, '--state', state, ...RUN_FLAGS]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `syncscope: another syncscope run (pid ${pid}) is using ${resolve(state, '.syncscope')}; stop it first, or give this run its own --state`,
    );
    expect(readFileSync(lockPath, 'utf8')).toBe(before);
    expect(existsSync(join(state, 'log', 'sync-summary.json'))).toBe(false);
  });

  it('an old lock (pid and folder only) still blocks while its pid lives', async () => {
    const pid = liveStranger();
    const { state } = stateWithLock({ pid });
    const r = await runCli(['run', BASIC, '--state', state, ...RUN_FLAGS]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`another syncscope run (pid ${pid})`);
  });
});

/**
 * Spawns the built CLI with hooks that announce, then hold for a second, the loading of its
 * commands (test/fixtures/slow-load): the signal lands while the CLI is still loading its
 * modules. (Sending it "a few ms after spawn" tests nothing: Node itself needs ~100 ms before
 * any JS runs, and a signal before that kills every Node program.)
 */
function signalWhileLoading(args: string[], signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const register = join(REPO_ROOT, 'test', 'fixtures', 'slow-load', 'register.mjs');
  const child = spawnCli(args, { nodeArgs: ['--import', register] });
  child.stdout.resume();
  let stderr = '';
  let sent = false;
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    if (!sent && stderr.includes('slow-load: loading the commands')) {
      sent = true;
      child.kill(signal);
    }
  });
  return new Promise((res) => child.on('close', (code, sig) => res({ code, signal: sig, stderr })));
}

describe.concurrent('a signal while the CLI is still loading', () => {
  for (const [signal, mode] of [['SIGTERM', 'batch'], ['SIGINT', 'batch'], ['SIGTERM', 'follow']] as const) {
    it(`${signal} during module loading (${mode}): run still starts, flushes every output, exit 0`, async () => {
      const { log, state } = logFolder('early', logText(0, 200));
      const input = mode === 'follow' ? ['--follow', log] : [log];
      const r = await signalWhileLoading(['run', ...input, '--state', state, '--tick', '1s', ...RUN_FLAGS], signal);
      expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code: 0, signal: null });
      // A small batch may be read whole before the stop is seen; a follow would never end without it.
      if (mode === 'follow') expect(r.stderr).toMatch(/\(stopped; outputs and checkpoint flushed\)/);
      expect(snapshot(state)?.rows.read).toBe(200);
      expect(existsSync(join(state, '.syncscope', 'checkpoint.json'))).toBe(true);
    });
  }

  it('other commands keep the default action: SIGTERM while lint loads ends it by the signal', async () => {
    const r = await signalWhileLoading(['lint', BASIC, '--now', NOW], 'SIGTERM');
    expect(r.signal).toBe('SIGTERM');
  });
});

describe.concurrent('outputs whose folder goes away', () => {
  it('deleting STATE/log while following: the next tick writes every output again', async () => {
    const { dir, log, state } = logFolder('rmlog', logText(0, 90)); // no rejected line (the rejects file is appended, not rebuilt)
    const p = start(['run', '--follow', log, '--state', state, '--tick', '1s', ...RUN_FLAGS]);
    await waitForRead(state, 90);
    renameSync(join(state, 'log'), join(dir, 'log-gone')); // one step: the run may be writing into it
    appendFileSync(log, logText(90, 95));
    await waitForRead(state, 95);
    await waitFor('the dashboard again', () => existsSync(join(state, 'log', 'sync-summary.md')));
    expect(p.stderr()).not.toMatch(/could not rebuild/);
    expect((await p.stop('SIGTERM')).code).toBe(0);
  });
});
