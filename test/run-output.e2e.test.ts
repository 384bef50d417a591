// How `syncscope run` talks to whoever runs it, on the BUILT CLI: --quiet, --format json, the
// follow-mode alert lines and banners, and the progress line (never on a non-terminal).
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, FIXTURES, childEnv, ensureBuilt, line, rawRow, readSnapshot, runCli, tempDir } from './core-helpers.js';
import { NOW, killLeftovers, logFolder, logText, start, waitFor } from './follow-helpers.js';

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => killLeftovers());

const BASIC = join(FIXTURES, 'basic.ndjson');
const BAD = join(FIXTURES, 'bad-input.ndjson');
const ALERTS = join(FIXTURES, 'alerts.ndjson');
const FLAGS = ['--now', NOW, '--no-progress'];
const ANSI_OR_CR = /\r|\x1b/;

/** A failure or a success of acme/web at `ts`. */
const event = (ts: string, ok: boolean): string =>
  line(rawRow({ ts, ok, repo: 'web', tenant: 'acme', ...(ok ? {} : { error: 'upload failed: 503' }) }));

function alertFiles(state: string): string[] {
  const dir = join(state, 'log', 'alerts');
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe.concurrent('run --quiet', () => {
  it('a healthy run prints nothing on stdout or stderr and still writes every output', async () => {
    const state = join(tempDir('quiet'), 'state');
    const r = await runCli(['run', BASIC, '--state', state, '--now', NOW, '--quiet']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    const log = join(state, 'log');
    for (const f of ['sync-summary.md', 'sync-summary.json', 'evals.aggregate.ndjson', 'alerts-resolved.ndjson']) expect(existsSync(join(log, f)), f).toBe(true);
    expect(existsSync(join(log, 'alerts'))).toBe(true);
    expect(readSnapshot(state).rows.read).toBe(12);
  });

  it('rejected lines are not errors: nothing printed, exit 0, the rejects file has them', async () => {
    const state = join(tempDir('quiet-rejects'), 'state');
    const r = await runCli(['run', BAD, '--state', state, ...FLAGS, '--quiet']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    const rejects = readFileSync(join(state, 'log', 'sync-events.rejects.ndjson'), 'utf8').trim().split('\n');
    expect(rejects.length).toBe(readSnapshot(state).rows.rejected);
    expect(rejects.length).toBeGreaterThan(0);
  });

  it('an I/O error is still one line on stderr (exit 1)', async () => {
    const dir = tempDir('quiet-enotdir');
    writeFileSync(join(dir, 'file'), '');
    const state = join(dir, 'file', 'state');
    const r = await runCli(['run', BASIC, '--state', state, ...FLAGS, '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`syncscope: cannot write ${join(state, '.syncscope', 'run.lock')}: not a directory (ENOTDIR)\n`);
  });

  it('--quiet with --format json: the object on stdout, nothing on stderr (not even the rejected lines)', async () => {
    const state = join(tempDir('quiet-json'), 'state');
    const r = await runCli(['run', BAD, '--state', state, ...FLAGS, '--quiet', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { rows: { rejected: number } };
    expect(out.rows.rejected).toBe(readSnapshot(state).rows.rejected);
    expect(out.rows.rejected).toBeGreaterThan(0);
  });
});

describe.concurrent('run --format json', () => {
  it('one object on stdout, fields in order, counts equal to the snapshot; no text summary on stderr', async () => {
    const state = join(tempDir('json'), 'state');
    const r = await runCli(['run', BAD, '--state', state, ...FLAGS, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['now', 'generated_at', 'rows', 'health', 'alerts', 'dashboard']);
    const snap = readSnapshot(state);
    expect(out.now).toBe(snap.now);
    expect(out.generated_at).toBe(snap.generated_at);
    expect(out.rows).toEqual(snap.rows);
    expect(Object.keys(out.rows as object)).toEqual(['read', 'valid', 'rejected', 'late', 'duplicate']);
    expect(out.alerts).toEqual({ open: snap.alerts.open.length, opened: snap.alerts.open.length, resolved: 0 });
    expect(out.health).toEqual({ level: snap.health.level, reasons: snap.health.reasons });
    expect(snap.health.level).toBe('warn'); // rejected lines in the last 24h
    expect(out.dashboard).toBe(join(state, 'log', 'sync-summary.md'));
    // stderr keeps the rejects summary (rejected lines are summarised on stderr), not the text summary.
    expect(r.stderr).toMatch(/line\(s\) rejected, written to /);
    expect(r.stderr).not.toMatch(/rows read/);
  });

  it('opened and resolved count this run only: a re-run opens nothing; a success later resolves the open alert', async () => {
    const dir = tempDir('json-alerts');
    const log = join(dir, 'alerts.ndjson');
    const state = join(dir, 'state');
    writeFileSync(log, readFileSync(ALERTS, 'utf8'));
    const json = async (): Promise<{ alerts: unknown; health: { level: string } }> => {
      const r = await runCli(['run', log, '--state', state, '--now', 'latest', '--no-progress', '--format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { alerts: unknown; health: { level: string } };
    };
    const first = await json();
    expect(first.alerts).toEqual({ open: 1, opened: 1, resolved: 0 });
    expect(first.health.level).toBe('critical');
    expect(await json()).toMatchObject({ alerts: { open: 1, opened: 0, resolved: 0 } });
    // A success of the open alert's key resolves it.
    const open = readSnapshot(state).alerts.open[0]!;
    const last = JSON.parse(readFileSync(ALERTS, 'utf8').trim().split('\n').at(-1)!) as { ts: string };
    const later = new Date(Date.parse(last.ts) + 60_000).toISOString();
    appendFileSync(log, `${line(rawRow({ ts: later, ok: true, repo: open.repo, tenant: open.tenant_id }))}\n`);
    const resolved = await json();
    expect(resolved).toEqual(expect.objectContaining({ alerts: { open: 0, opened: 0, resolved: 1 } }));
    // No alert any more: what is left is the fixture's machine that never pushed successfully.
    expect(resolved.health).toEqual({ level: 'warn', reasons: [expect.stringMatching(/stale machine.*linux-box/)] });
  });
});

describe.concurrent('follow mode: alert lines and banners', () => {
  it('--follow prints one line when an alert opens and one when it resolves', async () => {
    const { log, state } = logFolder('follow-alerts', `${event('2026-04-08T01:00:00Z', true)}\n`);
    const p = start(['run', '--follow', log, '--state', state, '--tick', '1s', '--now', 'latest', '--no-progress']);
    await waitFor('the banner', () => p.stderr().includes(`syncscope: following ${log}; outputs every 1s in ${join(state, 'log')}\n`));
    appendFileSync(log, ['01:01:00', '01:02:00', '01:03:00'].map((t) => `${event(`2026-04-08T${t}Z`, false)}\n`).join(''));
    const opened = await waitFor('the alert line', () => /^syncscope: alert opened: .*$/m.exec(p.stderr())?.[0]);
    const [file] = alertFiles(state);
    expect(opened).toBe(`syncscope: alert opened: acme/web at 2026-04-08T01:03:00Z, 3 failures since 2026-04-08T01:01:00Z (${join(state, 'log', 'alerts', file!)})`);
    appendFileSync(log, `${event('2026-04-08T01:04:00Z', true)}\n`);
    const resolved = await waitFor('the resolved line', () => /^syncscope: alert resolved: .*$/m.exec(p.stderr())?.[0]);
    expect(resolved).toBe('syncscope: alert resolved: acme/web at 2026-04-08T01:04:00Z, 3 failures');
    expect((await p.stop('SIGTERM')).code).toBe(0);
    // Once each, even though later ticks rebuild the same outputs.
    expect(p.stderr().match(/alert (opened|resolved)/g)).toEqual(['alert opened', 'alert resolved']);
  });

  it('--quiet: no banner, no alert lines, nothing at all; the alert file still comes and goes', async () => {
    const { log, state } = logFolder('follow-quiet', `${event('2026-04-08T01:00:00Z', true)}\n`);
    const p = start(['run', '--follow', log, '--state', state, '--tick', '1s', '--now', 'latest', '--quiet']);
    appendFileSync(log, ['01:01:00', '01:02:00', '01:03:00'].map((t) => `${event(`2026-04-08T${t}Z`, false)}\n`).join(''));
    await waitFor('the alert file', () => alertFiles(state).length === 1);
    appendFileSync(log, `${event('2026-04-08T01:04:00Z', true)}\n`);
    await waitFor('the alert resolved', () => alertFiles(state).length === 0 && readFileSync(join(state, 'log', 'alerts-resolved.ndjson'), 'utf8') !== '');
    expect((await p.stop('SIGTERM')).code).toBe(0);
    expect(p.stderr()).toBe('');
  });

  it('run - says at once that it reads stdin, and prints alert lines while stdin stays open', async () => {
    const state = join(tempDir('stdin-banner'), 'state');
    const p = start(['run', '-', '--state', state, '--tick', '1s', '--now', 'latest', '--no-progress']);
    await waitFor('the banner', () => p.stderr().includes(`syncscope: reading stdin until it ends; outputs every 1s in ${join(state, 'log')}\n`));
    p.child.stdin.write(['01:01:00', '01:02:00', '01:03:00'].map((t) => `${event(`2026-04-08T${t}Z`, false)}\n`).join(''));
    await waitFor('the alert line', () => /^syncscope: alert opened: acme\/web at 2026-04-08T01:03:00Z, 3 failures since 2026-04-08T01:01:00Z \(.*\.md\)$/m.test(p.stderr()));
    p.child.stdin.end();
    expect((await p.exited).code).toBe(0);
    expect(p.stderr()).toMatch(/^syncscope: 3 rows read, 3 valid/m);
  });
});

/** `script` runs a command on a pseudo-terminal (util-linux); without it there is no terminal to test on. */
const HAS_SCRIPT = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
if (!HAS_SCRIPT) console.warn('run-output: `script` (util-linux) is missing: the pseudo-terminal progress tests are skipped');

/** Runs `sh -c SHELL` on a pseudo-terminal; returns everything the terminal got. */
function onTerminal(shell: string, env: Record<string, string>): { code: number | null; output: string } {
  const r = spawnSync('script', ['-qec', shell, '/dev/null'], { env: childEnv(env), encoding: 'utf8', timeout: 30_000, input: '' });
  return { code: r.status, output: r.stdout };
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

describe.concurrent('the progress line', () => {
  it('is never drawn when stderr is not a terminal (no \\r, no escape codes)', async () => {
    const { log, state } = logFolder('progress-pipe', logText(0, 20_000));
    const r = await runCli(['run', log, '--state', state, '--now', NOW]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(ANSI_OR_CR);
    const slow = await runCli(['run', '-', '--state', join(tempDir('progress-pipe-stdin'), 'state'), '--now', NOW], { input: logText(0, 2000) });
    expect(slow.stderr).not.toMatch(ANSI_OR_CR);
  });

  it.skipIf(!HAS_SCRIPT)('on a terminal, stdin that stays open shows rows read and rows/s, never a colour', () => {
    const { log, state } = logFolder('progress-tty', logText(0, 3000));
    const cmd = `(cat ${q(log)}; sleep 2) | ${q(process.execPath)} ${q(CLI)} run - --state ${q(state)} --now ${NOW}`;
    const r = onTerminal(cmd, { TERM: 'xterm', NO_COLOR: '1' });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/syncscope 3,000 rows read \| [\d,]+ rows\/s/);
    expect(r.output).not.toMatch(/\x1b\[[\d;]*m/); // no SGR (colour) sequence at all
    expect(r.output).toMatch(/3000 rows read, \d+ valid/);
  });

  it.skipIf(!HAS_SCRIPT)('TERM=dumb, --no-progress and --quiet draw nothing even on a terminal', () => {
    const { log, state } = logFolder('progress-dumb', logText(0, 3000));
    const cmd = (flags: string) => `(cat ${q(log)}; sleep 1.5) | ${q(process.execPath)} ${q(CLI)} run - --state ${q(state)} --now ${NOW} --rebuild ${flags}`;
    for (const [flags, term] of [['', 'dumb'], ['--no-progress', 'xterm'], ['--quiet', 'xterm']] as const) {
      const r = onTerminal(cmd(flags), { TERM: term });
      expect(r.code, r.output).toBe(0);
      expect(r.output, `${flags} TERM=${term}`).not.toMatch(/rows\/s/);
      expect(r.output).not.toMatch(/\x1b/);
    }
  });
});
