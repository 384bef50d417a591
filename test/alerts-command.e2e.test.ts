// `syncscope alerts` and `alerts show` with the BUILT CLI over the state a real run leaves
// (alerts.ndjson at NOW 11:05: one open alert, two resolved), checked against the open file and
// the history lines themselves; plus the readers' round trips with the renderers (unit).
import { beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ensureBuilt, FIXTURES, runCli, tempDir } from './core-helpers.js';
import { parseOpenAlert, renderAlert } from '../sinks/render-alert.js';
import { parseResolvedLine, resolvedLine } from '../sinks/resolved-history.js';
import { alertFileName, type Cluster } from '../pipeline/core/alerts.js';

const LOG = join(FIXTURES, 'alerts.ndjson');
const h = (tenant: string, repo: string): string => createHash('sha256').update(`${tenant}\n${repo}`).digest('hex').slice(0, 8);
// N = 3, W = 10m: acme/snappy-os 10:04–10:08 (4 failures, resolved by a success), Beta Co/Docs Site
// 10:32, resolved at 10:42 (window), acme/snappy-os again from 11:02, open at 11:05 until 11:12.
const FIRST = `sync-degraded-20260416T100400Z-acme-snappy-os-h${h('acme', 'snappy-os')}.md`;
const BETA = `sync-degraded-20260416T103200Z-beta-co-docs-site-h${h('Beta Co', 'Docs Site')}.md`;
const SECOND = `sync-degraded-20260416T110200Z-acme-snappy-os-h${h('acme', 'snappy-os')}.md`;

let state = '';
beforeAll(async () => {
  ensureBuilt();
  state = tempDir('alerts-cmd');
  const r = await runCli(['run', LOG, '--now', '2026-04-16T11:05:00Z', '--state', state]);
  expect(r.code).toBe(0);
});

const alerts = (args: readonly string[], dir = state) => runCli(['alerts', ...args, '--state', dir]);
const openFile = (dir: string, name: string): string => readFileSync(join(dir, 'log', 'alerts', name), 'utf8');
const historyOf = (dir: string): Array<Record<string, unknown>> =>
  readFileSync(join(dir, 'log', 'alerts-resolved.ndjson'), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
/** The text list's columns: runs of 2+ spaces separate them (a tenant or repo may hold one space). */
const columns = (stdout: string): string[][] => stdout.trimEnd().split('\n').map((l) => l.split(/ {2,}/));

/** The front-matter block as key → value (JSON-quoted values unquoted), read independently of the CLI. */
function frontMatter(text: string): Record<string, string> {
  const m = /^---\n([\s\S]*?)\n---\n/.exec(text);
  expect(m, 'front matter block at the top').not.toBeNull();
  const out: Record<string, string> = {};
  for (const line of m![1]!.split('\n')) {
    const i = line.indexOf(': ');
    const v = line.slice(i + 2);
    out[line.slice(0, i)] = v.startsWith('"') ? (JSON.parse(v) as string) : v;
  }
  return out;
}

describe('syncscope alerts (built CLI)', () => {
  it('lists open alerts first, then resolved ones newest resolved first: status, opened_at, resolved_at or open, tenant/repo, failures, file', async () => {
    const r = await alerts([]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(columns(r.stdout)).toEqual([
      ['open', '2026-04-16T11:02:00Z', 'open', 'acme/snappy-os', '3 failures', SECOND],
      ['resolved', '2026-04-16T10:32:00Z', '2026-04-16T10:42:00Z', 'Beta Co/Docs Site', '3 failures', BETA],
      ['resolved', '2026-04-16T10:04:00Z', '2026-04-16T10:08:00Z', 'acme/snappy-os', '4 failures', FIRST],
    ]);
  });

  it('--format json: the SPEC names, checked against the open file and the history lines', async () => {
    const r = await alerts(['--format', 'json']);
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    for (const o of got) expect(Object.keys(o)).toEqual(['file', 'tenant_id', 'repo', 'opened_at', 'last_failure_at', 'resolved_at', 'failures', 'status']);
    const fm = frontMatter(openFile(state, SECOND));
    const fromOpen = { file: SECOND, tenant_id: fm.tenant_id, repo: fm.repo, opened_at: fm.opened_at, last_failure_at: fm.last_failure_at, resolved_at: null, failures: Number(fm.failures), status: 'open' };
    const fromHistory = historyOf(state).map(({ entries: _e, ...facts }) => ({ ...facts, status: 'resolved' })).reverse();
    expect(got).toEqual([fromOpen, ...fromHistory]);
    expect(got.map((o) => o.file)).toEqual([SECOND, BETA, FIRST]);
  });

  it('--open, --resolved, --tenant and --repo (exact) filter; they combine', async () => {
    const cases: Array<[string[], string[]]> = [
      [['--open'], [SECOND]],
      [['--resolved'], [BETA, FIRST]],
      [['--tenant', 'acme'], [SECOND, FIRST]],
      [['--repo', 'Docs Site'], [BETA]],
      [['--tenant', 'acme', '--resolved'], [FIRST]],
      [['--tenant', 'acme', '--repo', 'Docs Site'], []],
    ];
    for (const [args, files] of cases) {
      const r = await alerts([...args, '--format', 'json']);
      expect(r.code, args.join(' ')).toBe(0);
      expect((JSON.parse(r.stdout) as Array<{ file: string }>).map((o) => o.file), args.join(' ')).toEqual(files);
    }
    // exact, not a prefix or another case
    for (const args of [['--tenant', 'ACME'], ['--repo', 'snappy']]) {
      expect(await alerts(args), args.join(' ')).toEqual({ code: 0, stdout: `no alerts match (1 open, 2 resolved in ${join(state, 'log')})\n`, stderr: '' });
    }
  });

  it('--since keeps the alerts still open and those resolved at or after NOW − dur, or the instant given', async () => {
    const cases: Array<[string[], string[]]> = [
      [['--since', '30m', '--now', '2026-04-16T11:05:00Z'], [SECOND, BETA]], // from 10:35: BETA resolved 10:42
      [['--since', '23m', '--now', '2026-04-16T11:05:00Z'], [SECOND, BETA]], // from 10:42 exactly: kept
      [['--since', '22m', '--now', '2026-04-16T11:05:00Z'], [SECOND]], // from 10:43
      [['--since', '2h', '--now', '2026-04-16T11:05:00Z'], [SECOND, BETA, FIRST]],
      [['--since', '2026-04-16T10:08:00Z'], [SECOND, BETA, FIRST]],
      [['--since', '2026-04-16T10:08:00.001Z'], [SECOND, BETA]],
      [['--since', '2026-04-16T12:08:00+01:00'], [SECOND]], // 11:08Z: after both resolved, only the open one is left
      [['--since', '30m', '--now', 'latest'], [SECOND, BETA]], // latest = the newest instant alerts know, 11:02: from 10:32
      [['--since', '0s', '--resolved', '--now', '2026-04-16T11:05:00Z'], []],
    ];
    for (const [args, files] of cases) {
      const r = await alerts([...args, '--format', 'json']);
      expect(r.code, args.join(' ')).toBe(0);
      expect((JSON.parse(r.stdout) as Array<{ file: string }>).map((o) => o.file), args.join(' ')).toEqual(files);
    }
  });

  it('show: an open alert byte for byte, by its name, without .md, by its path, or by a unique prefix', async () => {
    const want = openFile(state, SECOND);
    for (const name of [SECOND, SECOND.slice(0, -3), join(state, 'log', 'alerts', SECOND), 'sync-degraded-20260416T1102']) {
      const r = await runCli(['alerts', 'show', name, '--state', state]);
      expect(r.code, name).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout, name).toBe(want);
    }
    // --state before `show` is taken too
    expect((await runCli(['alerts', '--state', state, 'show', SECOND])).stdout).toBe(want);
  });

  it('show: a resolved alert is what its open file was, with status resolved and resolved_at', async () => {
    const dir = tempDir('alerts-cmd-later');
    cpSync(state, dir, { recursive: true });
    // past 11:12 the open cluster resolves: its file goes, its history line comes
    expect((await runCli(['run', LOG, '--now', '2026-04-16T12:00:00Z', '--state', dir])).code).toBe(0);
    expect(historyOf(dir).map((l) => l.file)).toEqual([FIRST, BETA, SECOND]);
    const r = await runCli(['alerts', 'show', SECOND, '--state', dir]);
    expect(r.code).toBe(0);
    const was = openFile(state, SECOND);
    expect(frontMatter(r.stdout)).toEqual({ ...frontMatter(was), status: 'resolved', resolved_at: '2026-04-16T11:12:00Z' });
    // the same failures, errors and entries (each naming its input file and line), byte for byte
    const from = (text: string) => {
      expect(text).toContain('\n3 failures from 1 machine: mbpro-rb.\n');
      return text.slice(text.indexOf('\n3 failures from'));
    };
    expect(from(r.stdout)).toBe(from(was));
    expect(r.stdout).toContain('**Resolved** at 2026-04-16T11:12:00Z.');
    for (const line of [10, 11, 12]) expect(r.stdout).toContain(`${LOG} line ${line}\n`);

    // an alert that never had a file: every entry of its history line, in order
    const first = await runCli(['alerts', 'show', FIRST, '--state', state]);
    expect(first.code).toBe(0);
    const line = historyOf(state)[0]!;
    expect(frontMatter(first.stdout)).toEqual({
      tenant_id: line.tenant_id, repo: line.repo, opened_at: line.opened_at, last_failure_at: line.last_failure_at,
      failures: String(line.failures), status: 'resolved', resolved_at: line.resolved_at,
    });
    const entries = line.entries as Array<{ ts: string; machine: string; file: string; line: number; errors: string[] }>;
    let at = 0;
    for (const e of entries) {
      const i = first.stdout.indexOf(`${e.ts} · machine ${e.machine} ·`, at);
      expect(i, e.ts).toBeGreaterThan(at);
      expect(first.stdout.slice(i).split('\n')[0]).toMatch(new RegExp(` · ${e.file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} line ${e.line}$`));
      for (const err of e.errors) expect(first.stdout.slice(i)).toContain(`- ${err}\n`);
      at = i;
    }
  });

  it('show: an unknown or ambiguous name is a usage error (exit 2, one line)', async () => {
    const unknown = await runCli(['alerts', 'show', 'sync-degraded-19990101T000000Z', '--state', state]);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/^syncscope: alerts show: no alert named "sync-degraded-19990101T000000Z" \(1 open in .*, 2 resolved in .*\); `syncscope alerts` lists them\n$/);
    const ambiguous = await runCli(['alerts', 'show', 'sync-degraded-20260416T10', '--state', state]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toBe(`syncscope: alerts show: "sync-degraded-20260416T10" starts 2 alert names (${FIRST}, ${BETA}): give more of the name\n`);
  });

  it('usage errors exit 2: a bad --since, --open with --resolved, a list filter given to show, an unknown word', async () => {
    const since = await alerts(['--since', 'yesterday']);
    expect(since.code).toBe(2);
    expect(since.stderr).toBe('syncscope: --since: must be a duration before NOW like 24h or 7d (a bare number has no unit), or an RFC 3339 timestamp; got "yesterday"\n');
    const bare = await alerts(['--since', '5']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/^syncscope: --since: .*got "5"\n$/);
    expect((await alerts(['--open', '--resolved'])).code).toBe(2);
    const filter = await runCli(['alerts', '--open', 'show', SECOND, '--state', state]);
    expect(filter.code).toBe(2);
    expect(filter.stderr).toBe('syncscope: alerts show: --open filters the list; show prints one alert\n');
    expect((await runCli(['alerts', 'show', SECOND, '--open', '--state', state])).code).toBe(2);
    expect((await alerts(['everything'])).code).toBe(2);
    expect((await alerts(['--format', 'yaml'])).code).toBe(2);
  });

  it('--help: the list\'s flags, its order and exit codes, and show', async () => {
    const list = await runCli(['alerts', '--help']);
    expect(list.code).toBe(0);
    for (const s of ['Usage: syncscope alerts', '--since', '--tenant', '--repo', '--open', '--resolved', '--format', '--state', '--now', 'show [options] <file>', 'Order: open alerts first']) {
      expect(list.stdout, s).toContain(s);
    }
    const show = await runCli(['alerts', 'show', '--help']);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('Usage: syncscope alerts show [options] <file>');
    expect((await runCli(['--help'])).stdout).toMatch(/^  alerts /m);
  });

  it('no alerts: a state without alerts/ or history, and a run that opened none, print that none match and exit 0', async () => {
    const bare = tempDir('alerts-cmd-bare');
    const none = await alerts([], bare);
    expect(none).toEqual({ code: 0, stdout: `no alerts: ${join(bare, 'log')} does not exist (check --state)\n`, stderr: '' });
    expect(await alerts(['--format', 'json'], bare)).toEqual({ code: 0, stdout: '[]\n', stderr: '' });

    const quiet = tempDir('alerts-cmd-quiet');
    expect((await runCli(['run', LOG, '--now', '2026-04-16T11:05:00Z', '--state', quiet, '--alert-failures', '5'])).code).toBe(0);
    expect(await alerts([], quiet)).toEqual({ code: 0, stdout: `no alerts match (0 open, 0 resolved in ${join(quiet, 'log')})\n`, stderr: '' });
    expect((await runCli(['alerts', 'show', FIRST, '--state', quiet])).code).toBe(2);
  });

  it('a corrupt history line or alert file is reported on stderr (file and line) and skipped; the rest is listed, exit 0', async () => {
    const dir = tempDir('alerts-cmd-corrupt');
    cpSync(state, dir, { recursive: true });
    const history = join(dir, 'log', 'alerts-resolved.ndjson');
    const [first, second] = readFileSync(history, 'utf8').split('\n');
    const missingEntry = JSON.stringify({ ...JSON.parse(second!), entries: [] });
    // line 2 is not JSON, line 3 disagrees with itself, line 5 is cut short (a crash mid-write)
    writeFileSync(history, `${first}\n{"file":\n${missingEntry}\n${second}\n${second!.slice(0, 40)}`);
    writeFileSync(join(dir, 'log', 'alerts', 'sync-degraded-20260416T000000Z-x-y-h00000000.md'), 'not an alert\n');
    const r = await alerts(['--format', 'json'], dir);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Array<{ file: string }>).map((o) => o.file)).toEqual([SECOND, BETA, FIRST]);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(`syncscope: ${join(dir, 'log', 'alerts', 'sync-degraded-20260416T000000Z-x-y-h00000000.md')}: not an open alert file (no front matter block between --- lines at the top): skipped`);
    expect(lines[1]).toBe(`syncscope: ${history} line 2: not a resolved alert (not JSON): skipped`);
    expect(lines[2]).toBe(`syncscope: ${history} line 3: not a resolved alert (failures differs from the number of entries): skipped`);
    expect(lines[3]).toBe(`syncscope: ${history} line 5: not a resolved alert (not JSON): skipped`);
    // show still finds the good lines
    const show = await runCli(['alerts', 'show', BETA, '--state', dir]);
    expect(show.code).toBe(0);
    expect(frontMatter(show.stdout)).toMatchObject({ status: 'resolved', resolved_at: '2026-04-16T10:42:00Z' });
    appendFileSync(history, '\n'); // a blank line is not a problem
    expect((await alerts([], dir)).stderr.split('\n').filter((l) => l !== '')).toHaveLength(4);
  });
});

describe('reading alerts back (unit)', () => {
  const cluster = (tenant_id: string, repo: string, resolved_at: number | null): Cluster => ({
    tenant_id,
    repo,
    opened_at: Date.parse('2026-04-16T10:04:00Z'),
    seq: 2,
    last_failure_at: Date.parse('2026-04-16T10:06:00.250Z'),
    failures: [
      { t: Date.parse('2026-04-16T10:04:00Z'), file: 'logs/a b.ndjson', line: 3, machine: 'm', op: 'push', scope: 's', trigger: 't', errors: ['a', 'b\nc'] },
      { t: Date.parse('2026-04-16T10:06:00.250Z'), file: '-', line: 9, machine: 'n', op: 'pull', scope: 's', trigger: 't', errors: [] },
    ],
    resolved_at,
  });
  const RESOLVED = Date.parse('2026-04-16T10:16:00.250Z');

  for (const [tenant, repo] of [['acme', 'snappy-os'], ['Beta Co', 'true'], ['"quoted"', '123'], ['x: y', 'ü/ß']] as const) {
    it(`a history line renders as the cluster it came from (${tenant} / ${repo})`, () => {
      const c = cluster(tenant, repo, null);
      const read = parseResolvedLine(resolvedLine(c, RESOLVED));
      expect(read.file).toBe(alertFileName(c));
      expect(read.cluster).toEqual({ ...c, resolved_at: RESOLVED });
      expect(renderAlert(read.cluster)).toBe(renderAlert({ ...c, resolved_at: RESOLVED }));
    });

    it(`an open file's front matter reads back (${tenant} / ${repo})`, () => {
      const c = cluster(tenant, repo, null);
      expect(parseOpenAlert(renderAlert(c))).toEqual({ tenant_id: tenant, repo, opened_at: c.opened_at, last_failure_at: c.last_failure_at, failures: 2, status: 'open' });
    });
  }

  it('a line that is not one the history writes says why', () => {
    const good = JSON.parse(resolvedLine(cluster('a', 'r', null), RESOLVED)) as Record<string, unknown>;
    expect(() => parseResolvedLine('[1')).toThrow('not JSON');
    expect(() => parseResolvedLine(JSON.stringify({ ...good, resolved_at: 'soon' }))).toThrow('resolved_at: not an RFC 3339 timestamp: "soon"');
    expect(() => parseResolvedLine(JSON.stringify({ ...good, file: '../x.md' }))).toThrow('file: not an alert file name');
    expect(() => parseResolvedLine(JSON.stringify({ ...good, failures: 3 }))).toThrow('failures differs from the number of entries');
    expect(() => parseOpenAlert(renderAlert(cluster('a', 'r', RESOLVED)))).toThrow(/status/);
  });
});
