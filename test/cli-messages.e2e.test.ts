// One message style for the built CLI: every error and notice is `syncscope: <what>: <why>` on
// one line, commander's own parse errors included; durations need a unit; config-file values are
// reported with the file and key; OS errors in words with the path; no help or lint text cites
// the contract document.
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, FIXTURES, runCli, tempDir } from './core-helpers.js';
import { LINT_FIXTURES, NOW } from './lint-helpers.js';

const BASIC = join(FIXTURES, 'basic.ndjson');

beforeAll(() => ensureBuilt());

/** Exit 2, nothing on stdout, and stderr exactly one line in the style. */
function expectOneUsageLine(r: { code: number | null; stdout: string; stderr: string }, line: string | RegExp, what: string): void {
  expect(r.code, what).toBe(2);
  expect(r.stdout, what).toBe('');
  expect(r.stderr.split('\n').filter((l) => l !== '').length, `${what}: ${r.stderr}`).toBe(1);
  if (typeof line === 'string') expect(r.stderr, what).toBe(`${line}\n`);
  else expect(r.stderr, what).toMatch(line);
}

describe('commander parse errors in the one style', () => {
  it('unknown option, missing argument, bad choice, unknown command, too many arguments: one line naming the command, exit 2', async () => {
    const cases: Array<[string[], string | RegExp]> = [
      [['run', '--bogus'], "syncscope: run: unknown option '--bogus' (see syncscope run --help)"],
      [['run', '--tik', '5s'], "syncscope: run: unknown option '--tik' (Did you mean --tick?) (see syncscope run --help)"],
      [['export', '--table'], "syncscope: export: option '--table <table>' argument missing (see syncscope export --help)"],
      [['status', '--format', 'xml'], /^syncscope: status: option '--format <format>' argument 'xml' is invalid\. Allowed choices are text, json\.? \(see syncscope status --help\)\n$/],
      [['lint', '--fail-on', 'never'], /^syncscope: lint: option '--fail-on <severity>' argument 'never' is invalid.* \(see syncscope lint --help\)\n$/],
      [['frob'], "syncscope: unknown command 'frob' (see syncscope --help)"],
      [['status', 'extra'], /^syncscope: status: too many arguments for 'status'\..* \(see syncscope status --help\)\n$/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    results.forEach((r, i) => {
      const [args, line] = cases[i]!;
      expectOneUsageLine(r, line, args.join(' '));
      expect(r.stderr).not.toMatch(/^error:/m);
    });
  });
});

describe('durations need a unit; every value error names its flag or config key', () => {
  it('a bare number for a duration flag is a usage error that says to add a unit', async () => {
    const state = tempDir('messages');
    const cases: Array<[string[], string]> = [
      [['run', BASIC, '--state', state, '--tick', '5'], 'syncscope: --tick: "5" has no unit: add one, like 5s (units: ms, s, m, h, d)'],
      [['run', BASIC, '--state', state, '--alert-window', '10'], 'syncscope: --alert-window: "10" has no unit: add one, like 10s (units: ms, s, m, h, d)'],
      [['run', BASIC, '--state', state, '--max-lateness', '300'], 'syncscope: --max-lateness: "300" has no unit: add one, like 300s (units: ms, s, m, h, d)'],
      [['lint', BASIC, '--state', state, '--max-lateness', '1.5'], 'syncscope: --max-lateness: "1.5" has no unit: add one, like 1.5s (units: ms, s, m, h, d)'],
      [['doctor', '--state', state, '--max-age', '60'], 'syncscope: --max-age: "60" has no unit: add one, like 60s (units: ms, s, m, h, d)'],
      [['doctor', '--state', state, '--tick', '30'], 'syncscope: --tick: "30" has no unit: add one, like 30s (units: ms, s, m, h, d)'],
      [['run', BASIC, '--state', state, '--tick', '500ms'], 'syncscope: --tick: must be at least 1s; got "500ms"'],
      [['run', BASIC, '--state', state, '--egress-included', '1TB'], 'syncscope: --egress-included: must be a number of bytes, or a size with a unit (B, KiB, MiB, GiB, TiB) like 1TiB; got "1TB"'],
      [['run', BASIC, '--state', state, '--price-base-usd', 'five'], 'syncscope: --price-base-usd: must be a non-negative decimal amount in USD like 5.00; got "five"'],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    results.forEach((r, i) => expectOneUsageLine(r, cases[i]![1], cases[i]![0].join(' ')));
    expect(readdirSync(state)).toEqual([]);
  });

  it('a bad value in the config file names the file and the key, one line per problem', async () => {
    const dir = tempDir('messages-config');
    const cfg = join(dir, 'x.json');
    writeFileSync(cfg, JSON.stringify({ alert_window: '10', alert_failures: 0, egress_included: '2 lots', price_base_usd: '5.00' }));
    const r = await runCli(['run', BASIC, '--state', join(dir, 'state'), '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `syncscope: config ${cfg}: alert_failures: must be a whole number ≥ 1; got "0"\n` +
      `syncscope: config ${cfg}: alert_window: "10" has no unit: add one, like 10s (units: ms, s, m, h, d)\n`,
    );
    writeFileSync(cfg, JSON.stringify({ egress_included: '2 lots' }));
    const bytes = await runCli(['run', BASIC, '--state', join(dir, 'state'), '--config', cfg]);
    expectOneUsageLine(bytes, `syncscope: config ${cfg}: egress_included: must be a number of bytes, or a size with a unit (B, KiB, MiB, GiB, TiB) like 1TiB; got "2 lots"`, 'egress_included');
    // the flag wins over the file, and then the flag is what is named
    const flag = await runCli(['run', BASIC, '--state', join(dir, 'state'), '--config', cfg, '--egress-included', 'x']);
    expectOneUsageLine(flag, /^syncscope: --egress-included: must be a number of bytes/, 'flag over config');
  });

  it('a config file that cannot be read: its path and the OS error in words', async () => {
    const dir = tempDir('messages-config-os');
    const cases: Array<[string, string]> = [
      [join(dir, 'missing.json'), `syncscope: config ${join(dir, 'missing.json')}: not found (ENOENT)`],
      [dir, `syncscope: config ${dir}: is a directory (EISDIR)`],
    ];
    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked.json');
      writeFileSync(locked, '{}');
      chmodSync(locked, 0o000);
      cases.push([locked, `syncscope: config ${locked}: permission denied (EACCES)`]);
    }
    const results = await Promise.all(cases.map(([cfg]) => runCli(['run', BASIC, '--state', join(dir, 'state'), '--config', cfg])));
    results.forEach((r, i) => expectOneUsageLine(r, cases[i]![1], cases[i]![0]));
  });

  it('a config file that is not JSON: one line, whatever line breaks the parser quotes from it', async () => {
    const dir = tempDir('messages-config-json');
    const cfg = join(dir, 'bad.json');
    writeFileSync(cfg, 'nope\n');
    const r = await runCli(['run', BASIC, '--state', join(dir, 'state'), '--config', cfg]);
    expectOneUsageLine(r, new RegExp(`^syncscope: config ${cfg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON \\(.+\\)\\n$`), 'not JSON');
  });

  it('--kv-url without a token: one prefix, not "--kv-url: --kv-url needs…"', async () => {
    const r = await runCli(['run', BASIC, '--state', tempDir('messages-kv'), '--kv-url', 'http://127.0.0.1:9']);
    expectOneUsageLine(r, 'syncscope: --kv-url: no report token: set SYNCSCOPE_REPORT_TOKEN, or SYNCSCOPE_REPORT_SECRET to derive one per tenant', 'kv-url');
  });
});

describe('export flags that need a log FILE', () => {
  it('export --now (or --tenant, prices, --config) without FILE is a usage error, not silently ignored', async () => {
    const state = tempDir('messages-export');
    const [now, several] = await Promise.all([
      runCli(['export', '--table', 'hourly', '--state', state, '--now', NOW]),
      runCli(['export', '--table', 'repos', '--state', state, '--tenant', 'acme', '--price-base-usd', '6.00']),
    ]);
    expectOneUsageLine(now, /^syncscope: export: --now applies only with a log FILE to recompute from; without one, export prints the latest snapshot as the last run computed it/, 'now');
    expectOneUsageLine(several, /^syncscope: export: --tenant, --price-base-usd apply only with a log FILE/, 'several');
  });
});

describe('no user-facing text cites the contract document', () => {
  it('no --help output mentions SPEC or §', async () => {
    const commands = [[], ['run'], ['status'], ['lint'], ['doctor'], ['export']];
    const results = await Promise.all(commands.map((c) => runCli([...c, '--help'])));
    results.forEach((r, i) => {
      expect(r.code, commands[i]!.join(' ')).toBe(0);
      expect(r.stdout.length).toBeGreaterThan(100);
      expect(r.stdout + r.stderr).not.toMatch(/SPEC|§/);
    });
  });

  it('no lint finding, summary or notice mentions SPEC or §, in text or json', async () => {
    const state = tempDir('messages-lint');
    mkdirSync(join(state, 'log'), { recursive: true });
    const fixtures = readdirSync(LINT_FIXTURES).filter((f) => f.endsWith('.trigger.ndjson')).map((f) => join(LINT_FIXTURES, f));
    fixtures.push(join(FIXTURES, 'alerts.ndjson'), join(FIXTURES, 'bad-input.ndjson'));
    const runs = fixtures.flatMap((f) => [
      runCli(['lint', f, '--state', state, '--now', NOW]),
      runCli(['lint', f, '--state', state, '--now', NOW, '--format', 'json']),
    ]);
    const results = await Promise.all(runs);
    expect(results.some((r) => r.code === 1)).toBe(true);
    for (const r of results) {
      expect(r.code).not.toBe(2);
      expect(r.stdout + r.stderr).not.toMatch(/SPEC|§/);
    }
  });
});
