// Several files are one input (a fleet, one log per machine): `syncscope run f1 f2 …` merges them
// by ts, so every output equals bench/oracle.ts over the stably ts-sorted concatenation in
// argument order (computeOracleFromFiles): the snapshot's numbers, what-is-wrong-now, alert files
// and resolved alerts whose entries name each row's own file and line, KV tallies, cost
// aggregates, and rejects named by file and line. Generated fleets: bad lines, incidents and a
// few late rows in each file, spread over the machines.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EVERY_FAULT, writeFleet, type FleetOptions } from '../bench/gen.js';
import { computeOracleFromFiles, diffWithOracle, type OracleOptions, type OracleSummary } from '../bench/oracle.js';
import { diffStateWithOracle } from '../bench/oracle-outputs.js';
import { ensureBuilt, runCli, tempDir } from './core-helpers.js';

const dir = tempDir('fleet-oracle');
const FLEET: FleetOptions = { machines: 6, rows: 3_000, seed: 'fleet-e2e', start: '2026-03-27T00:00:00Z', days: 5, ...EVERY_FAULT };
/** The fleet's files, absolute, in code-unit order (as a shell expands logs/*.ndjson). */
let paths: string[] = [];

beforeAll(async () => {
  ensureBuilt();
  paths = await writeFleet(join(dir, 'logs'), FLEET);
}, 180_000);

/**
 * Runs `run ARGS --now latest` into a fresh state dir (in `cwd`, default the repo) and expects
 * every output to equal the oracle's over `files` (read from here; `label` turns each into the
 * name `run` was given for it).
 */
async function runAndCompare(
  name: string,
  args: string[],
  files: string[],
  opts: { cwd?: string; label?: (path: string) => string; oracle?: OracleOptions } = {},
): Promise<OracleSummary> {
  const state = join(dir, `state-${name}`);
  const ranFrom = Date.now();
  const r = await runCli(['run', ...args, '--now', 'latest', '--state', state, '--no-progress'], opts.cwd === undefined ? {} : { cwd: opts.cwd });
  const ranTo = Date.now();
  expect(r.code, r.stderr).toBe(0);
  const expected = relabel(await computeOracleFromFiles(files, opts.oracle), opts.label ?? ((p) => p));
  const snapshot = JSON.parse(readFileSync(join(state, 'log', 'sync-summary.json'), 'utf8')) as unknown;
  expect(diffWithOracle(expected, snapshot)).toEqual([]);
  expect(diffStateWithOracle(expected, state, { ranFrom, ranTo }).diffs).toEqual([]);
  return expected;
}

/** The oracle's summary with every input file renamed by `label` (alert entries and rejects). */
function relabel(s: OracleSummary, label: (path: string) => string): OracleSummary {
  const entries = <T extends { entries: Array<{ file: string }> }>(c: T): T => ({ ...c, entries: c.entries.map((e) => ({ ...e, file: label(e.file) })) });
  return {
    ...s,
    alerts: { open: s.alerts.open.map(entries), resolved: s.alerts.resolved.map(entries) },
    rejects: s.rejects.map((r) => ({ ...r, file: label(r.file) })),
  };
}

describe('run over several files equals the oracle over their stably ts-sorted concatenation', () => {
  it('run f1 f2 … f6: every output, entries and rejects naming their own file and line', async () => {
    const expected = await runAndCompare('list', paths, paths);
    expect(expected.rows.read).toBe(18_000);
    expect(expected.rows.rejected).toBeGreaterThan(0);
    expect(expected.rows.late).toBe(0); // each file's few late rows stay within --max-lateness
    const entryFiles = new Set(expected.alerts.resolved.flatMap((c) => c.entries.map((e) => e.file)));
    expect(entryFiles.size).toBeGreaterThan(1);
    expect(new Set(expected.rejects.map((r) => r.file)).size).toBeGreaterThan(1);
  });

  it('another argument order: ts ties go by argument order, and the result is the oracle over that order', async () => {
    const reversed = [...paths].reverse();
    await runAndCompare('reversed', reversed, reversed);
  });

  it('a quoted glob, expanded by syncscope itself in code-unit order', async () => {
    await runAndCompare('glob', [join(dir, 'logs', '*.ndjson')], paths);
  });

  it('relative paths: each file is named as given', async () => {
    const given = paths.map((p) => relative(dir, p));
    expect(given[0]).toMatch(/^logs\/[a-z0-9-]+\.ndjson$/);
    await runAndCompare('relative', given, paths, { cwd: dir, label: (p) => relative(dir, p) });
  });

  it('the same file named twice is read once', async () => {
    const [a, b] = paths as [string, string];
    const expected = await runAndCompare('twice', [a, b, a], [a, b]);
    expect(expected.rows.read).toBe(6_000);
  });

  it('a tighter --max-lateness: each file\'s own late rows are counted late, none from the merge', async () => {
    // Rows later than the window cannot all be sorted back in, so only the counts are compared.
    const state = join(dir, 'state-late');
    const r = await runCli(['run', ...paths, '--max-lateness', '1m', '--now', 'latest', '--state', state, '--no-progress']);
    expect(r.code, r.stderr).toBe(0);
    const expected = await computeOracleFromFiles(paths, { maxLatenessMs: 60_000 });
    expect(expected.rows.late).toBeGreaterThan(0);
    const snapshot = JSON.parse(readFileSync(join(state, 'log', 'sync-summary.json'), 'utf8')) as { rows: unknown };
    expect(snapshot.rows).toEqual(expected.rows);
  });
});
