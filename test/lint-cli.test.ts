import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOUR, iso, runCliSync, tempDir } from './core-helpers.js';
import { LINT_FIXTURES, NOW, NOW_MS, PRIVATE_DENY, ev, writeGoodLists, writeLines } from './lint-helpers.js';
import type { Finding } from '../operators/lint/common.js';

const fixture = (name: string): string => join(LINT_FIXTURES, name);

function goodState(): string {
  const state = tempDir();
  writeGoodLists(state);
  return state;
}

describe('syncscope lint: exit codes', () => {
  it('exits 0 on a clean log and says which lints are clean', () => {
    const r = runCliSync(['lint', fixture('manifest-break.clean.ndjson'), '--state', goodState(), '--now', NOW]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^syncscope lint: 0 errors, 0 warnings; last 24h; --since all for the whole log; NOW 2026-04-16T12:00:00Z; 6 rows read, 6 valid, 0 rejected\n/);
    expect(r.stdout).toContain('clean: manifest-break, rejects, privacy, stale-machine, mass-change, future-ts, alert-threshold');
  });

  it('exits 1 on warnings (SPEC §7: 1 = findings), 0 with --fail-on error; grouped by lint with counts', () => {
    const r = runCliSync(['lint', fixture('mass-change.trigger.ndjson'), '--state', goodState(), '--now', NOW]);
    expect(r.code).toBe(1);
    const lenient = runCliSync(['lint', fixture('mass-change.trigger.ndjson'), '--state', goodState(), '--now', NOW, '--fail-on', 'error']);
    expect(lenient.code).toBe(0);
    expect(r.stdout).toContain('mass-change (warning): 2 findings\n  line 1: push of 6 files is 60% of files_total 10');
    expect(r.stdout).toContain('\n  line 5: failed push of 9 files');
  });

  it('exits 1 on an error finding and reads the default log under --state', () => {
    const state = goodState();
    writeLines(join(state, 'log', 'sync-events.ndjson'), readFileSync(fixture('rejects.trigger.ndjson'), 'utf8').trimEnd().split('\n'));
    const r = runCliSync(['lint', '--state', state, '--now', NOW]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('syncscope lint: 3 errors, 0 warnings (rejects 3)');
    expect(r.stdout).toContain('rejects (error): 3 findings\n  line 2: not a valid sync-events v1 row (invalid JSON)');
    expect(r.stdout).not.toContain('SECRET-IN-REJECT');
  });

  it('exits 2 on usage and I/O errors', () => {
    const state = goodState();
    const cases: Array<[string[], RegExp]> = [
      [['lint', join(state, 'nope.ndjson'), '--state', state], /input file not found/],
      [['lint', '--state', state], /input file not found: .*sync-events\.ndjson/],
      [['lint', fixture('rejects.clean.ndjson'), '--state', state, '--only', 'rejects,bogus'], /--only: unknown lint "bogus"/],
      [['lint', fixture('rejects.clean.ndjson'), '--state', state, '--max-findings', '-1'], /--max-findings must be a whole number/],
      [['lint', fixture('rejects.clean.ndjson'), '--state', state, '--format', 'xml'], /argument 'xml' is invalid/],
    ];
    for (const [args, msg] of cases) {
      const r = runCliSync(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stdout).toBe('');
    }
  });
});

describe('syncscope lint: selection, caps, json', () => {
  const mixed = (): string => writeLines(join(tempDir(), 'mixed.ndjson'), [
    'garbage 1',
    ev(NOW_MS - HOUR, { files: 9, files_total: 10 }),
    'garbage 2',
    ev(NOW_MS - HOUR, { machine: 'b', files: 8, files_total: 10 }),
    'garbage 3',
  ]);

  it('prints a json array capped by --max-findings, with the true counts on stderr', () => {
    const input = mixed();
    const r = runCliSync(['lint', input, '--state', goodState(), '--now', NOW, '--format', 'json', '--max-findings', '2']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as Finding[];
    // files[i] is the file of lines[i], named as given; a reject's ts is that of the valid row before it
    expect(out).toEqual([
      { lint: 'rejects', severity: 'error', lines: [1], files: [input], ts: null, message: expect.stringContaining('invalid JSON') },
      { lint: 'rejects', severity: 'error', lines: [3], files: [input], ts: iso(NOW_MS - HOUR), message: expect.stringContaining('invalid JSON') },
    ]);
    expect(Object.keys(out[0]!)).toEqual(['lint', 'severity', 'lines', 'files', 'ts', 'message']);
    expect(r.stderr).toContain('syncscope lint: 3 errors, 2 warnings (rejects 3, mass-change 2); showing 2 of 5 (--max-findings)');
  });

  it('caps the text too and says how many are not shown', () => {
    const r = runCliSync(['lint', mixed(), '--state', goodState(), '--now', NOW, '--max-findings', '1']);
    expect(r.stdout).toContain('rejects (error): 3 findings\n  line 1: ');
    expect(r.stdout).toContain('  … 2 more not shown');
    expect(r.stdout).toContain('mass-change (warning): 2 findings\n  … 2 more not shown');
  });

  it('--skip rejects leaves only warnings: exit 0 with --fail-on error; --only selects', () => {
    const skip = runCliSync(['lint', mixed(), '--state', goodState(), '--now', NOW, '--skip', 'rejects', '--format', 'json', '--fail-on', 'error']);
    expect(skip.code).toBe(0);
    expect((JSON.parse(skip.stdout) as Finding[]).map((f) => f.lint)).toEqual(['mass-change', 'mass-change']);
    const only = runCliSync(['lint', '-', '--state', goodState(), '--now', NOW, '--only', 'mass-change', '--format', 'json'], { input: readFileSync(mixed(), 'utf8') });
    expect(only.code).toBe(1);
    expect((JSON.parse(only.stdout) as Finding[]).map((f) => f.lines)).toEqual([[2], [4]]);
    expect((JSON.parse(only.stdout) as Finding[]).map((f) => f.files)).toEqual([['-'], ['-']]);
  });

  it('reads the sync lists from env, which wins over the files', () => {
    const state = tempDir();
    writeLines(join(state, 'bin', 'sync', 'SYNC_DENY'), ['state/tmp/**']);
    const log = writeLines(join(tempDir(), 'ok.ndjson'), [ev(NOW_MS - HOUR)]);
    const bad = runCliSync(['lint', log, '--state', state, '--now', NOW, '--only', 'privacy']);
    expect(bad.code).toBe(1);
    // one finding per private tree the lists would sync
    expect(bad.stdout).toContain('privacy (error): 3 findings');
    const good = runCliSync(['lint', log, '--state', state, '--now', NOW, '--only', 'privacy'], { env: { SYNC_DENY: `state/tmp/**:${PRIVATE_DENY.replaceAll('\n', ':')}` } });
    expect(good.code).toBe(0);
  });

  it('flags a tighter alert rule from the flags', () => {
    const log = writeLines(join(tempDir(), 'ok.ndjson'), [ev(NOW_MS - HOUR)]);
    const r = runCliSync(['lint', log, '--state', goodState(), '--now', NOW, '--alert-window', '1h', '--only', 'alert-threshold']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('alert-threshold (warning): 1 finding\n  alert rule 3 failures within 60m is tighter than the default');
  });
});

describe('syncscope lint: the privacy notice', () => {
  const notice = (state: string): string => `syncscope: privacy: no SYNC_ALLOW or SYNC_DENY list (env, or files in ${join(state, 'bin', 'sync')}); nothing to check\n`;

  it('with no sync list anywhere, a fresh install lints clean and says so once on stderr', () => {
    const state = tempDir();
    const empty = writeLines(join(tempDir(), 'empty.ndjson'), []);
    const r = runCliSync(['lint', empty, '--state', state, '--now', NOW]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(notice(state));
    expect(r.stdout).toContain('clean: manifest-break, rejects, privacy,');
    const json = runCliSync(['lint', empty, '--state', state, '--now', NOW, '--format', 'json']);
    expect(json.code).toBe(0);
    expect(json.stdout).toBe('[]\n');
    expect(json.stderr.startsWith(notice(state))).toBe(true);
    expect(runCliSync(['lint', empty, '--state', state, '--now', NOW, '--skip', 'privacy']).stderr).toBe('');
  });

  it('is not printed when one list exists, and that list is judged', () => {
    const state = tempDir();
    const log = writeLines(join(tempDir(), 'ok.ndjson'), [ev(NOW_MS - HOUR)]);
    const leaky = runCliSync(['lint', log, '--state', state, '--now', NOW, '--only', 'privacy'], { env: { SYNC_DENY: 'state/log/sync-events.ndjson' } });
    expect(leaky.code).toBe(1);
    expect(leaky.stderr).toBe('');
    expect(leaky.stdout).toContain('state/.syncscope/** would be synced (checkpoint.json,');
    writeLines(join(state, 'bin', 'sync', 'SYNC_ALLOW'), ['state/log/evals.aggregate.ndjson']);
    const allowOnly = runCliSync(['lint', log, '--state', state, '--now', NOW, '--only', 'privacy']);
    expect(allowOnly.code).toBe(0);
    expect(allowOnly.stderr).toBe('');
  });
});

describe('syncscope lint: messages', () => {
  it('no finding of any lint cites the spec', () => {
    for (const name of ['future-ts', 'manifest-break', 'mass-change', 'rejects', 'stale-machine']) {
      const r = runCliSync(['lint', fixture(`${name}.trigger.ndjson`), '--state', tempDir(), '--now', NOW, '--alert-window', '1h'], { env: { SYNC_DENY: 'state/tmp/**' } });
      expect(r.code, name).toBe(1);
      expect(r.stdout, name).toContain('privacy (error)');
      expect(r.stdout, name).not.toMatch(/SPEC|§/);
    }
  });
});

describe('syncscope lint: other tenants stay private', () => {
  it('with --tenant, nothing of another tenant is printed; error text never is', () => {
    const log = writeLines(join(tempDir(), 'tenants.ndjson'), [
      ev(NOW_MS - 3 * HOUR, { tenant_id: 'acme', machine: 'acme-box', manifest_before: 'a0', manifest_after: 'a1' }),
      ev(NOW_MS - 2 * HOUR, { tenant_id: 'acme', machine: 'acme-box', manifest_before: 'WRONG', manifest_after: 'a2' }),
      ev(NOW_MS - 3 * HOUR, { tenant_id: 'rival', machine: 'rival-box', manifest_before: 'r0', manifest_after: 'r1' }),
      ev(NOW_MS - 2 * HOUR, { tenant_id: 'rival', machine: 'rival-box', manifest_before: 'BAD', manifest_after: 'r2', files: 9, files_total: 10 }),
      ev(NOW_MS - 90 * 60_000, { tenant_id: 'rival', machine: 'rival-box', ok: false, error: 'RIVAL-SECRET: token for bucket rival-private expired' }),
      ev(NOW_MS - 26 * HOUR, { tenant_id: 'rival', machine: 'rival-old' }),
    ]);
    const mine = runCliSync(['lint', log, '--state', goodState(), '--now', NOW, '--tenant', 'acme', '--format', 'json']);
    expect(mine.code).toBe(1);
    const found = JSON.parse(mine.stdout) as Finding[];
    expect(found.map((f) => [f.lint, f.lines])).toEqual([['manifest-break', [1, 2]]]);
    for (const text of [mine.stdout, mine.stderr]) {
      expect(text).not.toMatch(/rival|RIVAL/);
    }
    const all = runCliSync(['lint', log, '--state', goodState(), '--now', NOW]);
    expect(all.stdout).toContain('"rival-box"');
    expect(all.stdout).not.toContain('RIVAL-SECRET');
    expect(all.stdout).not.toContain('expired');
  });
});

describe('--help', () => {
  it('documents lint, doctor and export', () => {
    const lint = runCliSync(['lint', '--help']);
    expect(lint.code).toBe(0);
    for (const flag of ['--state', '--now', '--tenant', '--max-lateness', '--alert-failures', '--alert-window', '--format', '--only', '--skip', '--max-findings']) {
      expect(lint.stdout).toContain(flag);
    }
    const flat = (t: string): string => t.replace(/\s+/g, ' ');
    expect(flat(lint.stdout)).toContain('stale-machine, mass-change, manifest-break, future-ts, rejects, privacy, alert-threshold');
    expect(flat(lint.stdout)).toContain('errors: manifest-break, rejects, privacy');
    expect(lint.stdout).toContain('--fail-on');
    const doctor = runCliSync(['doctor', '--help']);
    expect(doctor.code).toBe(0);
    for (const flag of ['--log', '--tick', '--max-age', '--simulate', '--kv-url', '--state', '--now']) expect(doctor.stdout).toContain(flag);
    const exp = runCliSync(['export', '--help']);
    expect(exp.code).toBe(0);
    for (const flag of ['--format', '--table', '--out', '--state', '--now']) expect(exp.stdout).toContain(flag);
    expect(flat(exp.stdout)).toContain('aggregates day,tenant_id,ops,push_bytes,pull_bytes,billable_egress_bytes,cost_usd_cents');
  });
});
