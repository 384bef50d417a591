// `lint --since` (the row lints' window), the privacy notice on a fresh install, doctor's lint
// check and fix commands, and the generator's healthy default, end to end with the built CLI.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY, HOUR, MIN, REPO_ROOT, ensureBuilt, iso, runCliSync, tempDir } from './core-helpers.js';
import { NOW, NOW_MS, ev, lintFile, lintLines, writeGoodLists, writeLines } from './lint-helpers.js';
import { EVERY_FAULT, generateLines } from '../bench/gen.js';
import type { Finding, LintId } from '../operators/lint/common.js';
import type { CheckResult } from '../pipeline/cli/doctor.js';
import type { LintReport } from '../pipeline/cli/lint.js';

const ROW_LINTS: readonly LintId[] = ['mass-change', 'manifest-break', 'future-ts', 'rejects'];
const linesOf = (r: LintReport, id: LintId): number[][] => r.findings.filter((f) => f.lint === id).map((f) => f.lines);

function goodState(): string {
  const state = tempDir();
  writeGoodLists(state);
  return state;
}

describe('lint --since: the row lints judge the window', () => {
  it('reports only rows newer than NOW − since, future rows included; stale-machine is judged at NOW', async () => {
    const lines = [
      ev(NOW_MS - 3 * DAY, { machine: 'old-box', files: 9, files_total: 10 }), // 1: mass change, 3 days ago
      ev(NOW_MS - 2 * HOUR, { files: 8, files_total: 10 }), // 2: mass change, in the window
      ev(NOW_MS - DAY, { files: 8, files_total: 10 }), // 3: exactly at NOW − 24h: out
      ev(NOW_MS + HOUR, { files: 7, files_total: 10 }), // 4: future, mass change too
    ];
    const day = await lintLines(lines, { sinceMs: DAY });
    expect(linesOf(day, 'mass-change')).toEqual([[2], [4]]);
    expect(linesOf(day, 'future-ts')).toEqual([[4]]);
    // old-box's last push is 3 days old: a state lint, judged at NOW whatever the window
    expect(day.counts['stale-machine']).toBe(1);
    const all = await lintLines(lines, { sinceMs: Infinity });
    expect(linesOf(all, 'mass-change')).toEqual([[1], [2], [3], [4]]);
    expect(all.counts['stale-machine']).toBe(1);
  });

  it('builds manifest chains from every row: a break at the window\'s first push is found against the push before it', async () => {
    const lines = [
      ev(NOW_MS - 3 * DAY, { manifest_before: 'a', manifest_after: 'b' }),
      ev(NOW_MS - 2 * DAY, { manifest_before: 'x', manifest_after: 'c' }), // old break: out of the window
      ev(NOW_MS - 2 * HOUR, { manifest_before: 'WRONG', manifest_after: 'd' }), // first push in the window
      ev(NOW_MS - HOUR, { manifest_before: 'd', manifest_after: 'e' }),
    ];
    const r = await lintLines(lines, { sinceMs: DAY, lints: ['manifest-break'] });
    expect(linesOf(r, 'manifest-break')).toEqual([[2, 3]]);
    expect(r.findings[0]!.message).toContain('left c');
    expect(linesOf(await lintLines(lines, { sinceMs: Infinity, lints: ['manifest-break'] }), 'manifest-break')).toEqual([[1, 2], [2, 3]]);
  });

  it('dates a rejected line by the valid row before it in its file; with none before, it is reported', async () => {
    const lines = [
      'garbage before any row', // 1: no row before: reported, ts null
      ev(NOW_MS - 3 * DAY), // 2
      'old garbage', // 3: dated 3 days ago: out
      ev(NOW_MS - HOUR), // 4
      '{"ts":"bad"}', // 5: dated NOW − 1h: in
      ev(NOW_MS + 2 * HOUR, { machine: 'skewed' }), // 6: future
      'after a future row', // 7: dated by the future row: in
    ];
    const r = await lintLines(lines, { sinceMs: DAY, lints: ['rejects'] });
    expect(r.findings.map((f) => [f.lines, f.ts])).toEqual([[[1], null], [[5], iso(NOW_MS - HOUR)], [[7], iso(NOW_MS + 2 * HOUR)]]);
    expect(r.counts.rejects).toBe(3);
    expect((await lintLines(lines, { sinceMs: Infinity, lints: ['rejects'] })).counts.rejects).toBe(4);
  });

  it('with --now latest, the window ends at the newest row', async () => {
    const lines = [
      ev(NOW_MS - 3 * DAY, { files: 9, files_total: 10 }),
      'junk',
      ev(NOW_MS - 2 * HOUR, { files: 8, files_total: 10 }),
      ev(NOW_MS, { files: 1, files_total: 10 }),
    ];
    const input = writeLines(join(tempDir(), 'events.ndjson'), lines);
    const latest = await lintFile(input, { sinceMs: DAY, engine: { nowPolicy: { kind: 'latest' } }, keep: 1 });
    const fixed = await lintFile(input, { sinceMs: DAY, keep: 1 });
    expect(latest.counts).toEqual(fixed.counts);
    expect(latest.findings).toEqual(fixed.findings);
    expect(latest.counts['mass-change']).toBe(1);
    expect(latest.counts.rejects).toBe(0);
  });
});

describe('lint --since: property', () => {
  /** The window rule applied to findings of the whole log. */
  const inWindow = (f: Finding, start: number): boolean => !ROW_LINTS.includes(f.lint) || f.ts === null || Date.parse(f.ts) > start;

  it('findings with --since X are those of --since all about rows newer than NOW − X, over generated logs', async () => {
    let cut = 0; // runs where the window left row findings out
    let kept = 0; // runs where it kept some
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 200, max: 1500 }),
        fc.constantFrom(HOUR, 6 * HOUR, DAY, 2 * DAY),
        fc.option(fc.double({ min: 0.2, max: 1.2, noNaN: true }), { nil: null }),
        async (seed, rows, sinceMs, nowAt) => {
          const start = Date.parse('2026-04-10T00:00:00Z');
          const days = 3;
          const lines = [...generateLines({ rows, seed, start: iso(start), days, tenants: 3, ...EVERY_FAULT })];
          // a few lines of a writer with a skewed clock, and a reject right after them
          lines.splice(rows >> 1, 0, ev(start + 4 * DAY, { machine: 'skewed' }), 'skewed garbage');
          const input = writeLines(join(tempDir(), 'gen.ndjson'), lines);
          const engine = nowAt === null ? { nowPolicy: { kind: 'latest' as const } } : { nowPolicy: { kind: 'fixed' as const, ms: start + Math.round(nowAt * days * DAY) } };
          const all = await lintFile(input, { sinceMs: Infinity, engine });
          const windowed = await lintFile(input, { sinceMs, engine });
          const expected = all.findings.filter((f) => inWindow(f, all.now - sinceMs));
          expect(windowed.findings).toEqual(expected);
          for (const id of all.lints) expect(windowed.counts[id], id).toBe(expected.filter((f) => f.lint === id).length);
          if (expected.length < all.findings.length) cut++;
          if (windowed.findings.some((f) => ROW_LINTS.includes(f.lint))) kept++;
        },
      ),
      { numRuns: 12 },
    );
    expect(cut).toBeGreaterThan(0);
    expect(kept).toBeGreaterThan(0);
  }, 60_000);
});

describe('syncscope lint --since (CLI)', () => {
  const log = (): string => writeLines(join(tempDir(), 'events.ndjson'), [
    ev(NOW_MS - 3 * DAY, { files: 9, files_total: 10 }),
    'old junk',
    ev(NOW_MS - HOUR),
  ]);

  it('judges the last 24h by default and says so; --since all and --since 7d widen it', () => {
    const input = log();
    const day = runCliSync(['lint', input, '--state', goodState(), '--now', NOW]);
    expect(day.code).toBe(0);
    expect(day.stdout).toMatch(/^syncscope lint: 0 errors, 0 warnings; last 24h; --since all for the whole log; NOW 2026-04-16T12:00:00Z;/);
    const all = runCliSync(['lint', input, '--state', goodState(), '--now', NOW, '--since', 'all', '--format', 'json']);
    expect(all.code).toBe(1);
    expect((JSON.parse(all.stdout) as Finding[]).map((f) => [f.lint, f.lines, f.files])).toEqual([['rejects', [2], [input]], ['mass-change', [1], [input]]]);
    expect(all.stderr).toContain('(rejects 1, mass-change 1); the whole log; NOW');
    const week = runCliSync(['lint', input, '--state', goodState(), '--now', NOW, '--since', '7d']);
    expect(week.code).toBe(1);
    expect(week.stdout).toContain('; last 7d; --since all for the whole log;');
  });

  it('exits 2 on a --since that is not a duration or "all"', () => {
    for (const bad of ['yesterday', '0', '-1h']) {
      const r = runCliSync(['lint', log(), '--state', goodState(), '--now', NOW, '--since', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toMatch(/--since: must be a duration like 24h, 7d or 90m, or "all"/);
    }
  });
});

describe('a fresh install', () => {
  it('lints an empty file clean (exit 0), with the privacy notice once on stderr and no state dir made', () => {
    const state = join(tempDir(), 'no-such-state');
    const empty = writeLines(join(tempDir(), 'empty.ndjson'), []);
    const r = runCliSync(['lint', empty, '--state', state]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`syncscope: privacy: no SYNC_ALLOW or SYNC_DENY list (env, or files in ${join(state, 'bin', 'sync')}); nothing to check\n`);
    expect(r.stdout).toMatch(/^syncscope lint: 0 errors, 0 warnings; last 24h;/);
    expect(existsSync(state)).toBe(false);
  });
});

describe('syncscope doctor: the lint check', () => {
  it('judges the same 24h window as lint, and its fix command carries the flags it was given', () => {
    const state = join(tempDir(), 'state');
    writeGoodLists(state);
    const log = writeLines(join(tempDir(), 'my log.ndjson'), [
      ev(NOW_MS - 3 * DAY, { manifest_before: 'a', manifest_after: 'b' }),
      ev(NOW_MS - 2 * DAY, { manifest_before: 'x', manifest_after: 'c' }), // an old break
      ev(NOW_MS - HOUR, { manifest_before: 'c', manifest_after: 'd' }),
    ]);
    const base = ['--state', state, '--now', NOW, '--log', log, '--tenant', 'default', '--alert-failures', '4'];
    const ok = runCliSync(['doctor', ...base, '--format', 'json']);
    const okChecks = JSON.parse(ok.stdout) as CheckResult[];
    expect(okChecks.find((c) => c.id === 'lint')!.ok).toBe(true);

    writeLines(log, [...[0, 1, 2].map((i) => ev(NOW_MS - 3 * DAY + i * MIN, { manifest_before: 'a', manifest_after: 'b' })), ev(NOW_MS - 10 * MIN, { manifest_before: 'x', manifest_after: 'y' })]);
    const bad = runCliSync(['doctor', ...base, '--format', 'json']);
    expect(bad.code).toBe(1);
    const checks = JSON.parse(bad.stdout) as CheckResult[];
    const lint = checks.find((c) => c.id === 'lint')!;
    expect(lint.ok).toBe(false);
    expect(lint.reason).toBe('lint finds 1 error, 0 warnings (manifest-break 1)');
    const command = `syncscope lint --state ${state} --now ${NOW} --tenant default --alert-failures 4 '${log}'`;
    expect(lint.fix).toBe(`run \`${command}\` for each finding and its fix`);
    // No dashboard yet: the run it suggests carries the same flags.
    const fresh = checks.find((c) => c.id === 'dashboard-fresh')!;
    expect(fresh.fix).toBe(`run \`syncscope run --state ${state} --now ${NOW} --tenant default --alert-failures 4 '${log}'\``);
    // Pasting the lint command reproduces doctor's view.
    const pasted = spawnSync('sh', ['-c', `${command.replace(/^syncscope/, `"${process.execPath}" "${join(REPO_ROOT, 'dist', 'cli', 'syncscope.mjs')}"`)}`], { encoding: 'utf8' });
    expect(pasted.status).toBe(1);
    expect(pasted.stdout).toContain('syncscope lint: 1 error, 0 warnings (manifest-break 1); last 24h;');
  });

  it('without --now, --log or --tenant, suggests --state alone', () => {
    const state = join(tempDir(), 'state');
    writeGoodLists(state);
    writeLines(join(state, 'log', 'sync-events.ndjson'), ['junk', ev(Date.now() - HOUR)]);
    const r = runCliSync(['doctor', '--state', state, '--format', 'json']);
    const lint = (JSON.parse(r.stdout) as CheckResult[]).find((c) => c.id === 'lint')!;
    expect(lint.fix).toBe(`run \`syncscope lint --state ${state}\` for each finding and its fix`);
  });
});

describe('the generator\'s default log is a healthy steady state', () => {
  it('gen 14 days with defaults: lint at its end exits 0 with no finding, and doctor\'s lint check passes', () => {
    ensureBuilt();
    const dir = tempDir();
    const log = join(dir, 'healthy.ndjson');
    const gen = spawnSync(process.execPath, [join(REPO_ROOT, 'dist', 'bench', 'gen.js'), '--rows', '20000', '--seed', 'healthy', '--start', '2026-04-01T00:00:00Z', '--days', '14', '--out', log], { encoding: 'utf8' });
    expect(gen.status, gen.stderr).toBe(0);
    const end = '2026-04-15T00:00:00Z';
    const state = join(dir, 'fresh-state');
    for (const since of ['24h', 'all']) {
      const r = runCliSync(['lint', log, '--state', state, '--now', end, '--since', since, '--format', 'json']);
      expect(r.code, `${since}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toBe('[]\n');
    }
    const doctor = runCliSync(['doctor', '--state', state, '--log', log, '--now', end, '--format', 'json']);
    const lint = (JSON.parse(doctor.stdout) as CheckResult[]).find((c) => c.id === 'lint')!;
    expect(lint).toMatchObject({ ok: true, reason: 'lint finds no error and no warning' });
    // and the faults are still there when asked for
    const faulty = join(dir, 'faulty.ndjson');
    const genFaults = spawnSync(process.execPath, [join(REPO_ROOT, 'dist', 'bench', 'gen.js'), '--rows', '20000', '--seed', 'healthy', '--start', '2026-04-01T00:00:00Z', '--days', '14', '--faults', '--out', faulty], { encoding: 'utf8' });
    expect(genFaults.status, genFaults.stderr).toBe(0);
    const r = runCliSync(['lint', faulty, '--state', state, '--now', end, '--since', 'all', '--format', 'json']);
    expect(r.code).toBe(1);
    const found = new Set((JSON.parse(r.stdout) as Finding[]).map((f) => f.lint));
    for (const id of ['manifest-break', 'mass-change', 'rejects'] as const) expect(found.has(id), id).toBe(true);
  }, 60_000);
});
