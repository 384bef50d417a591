// The benchmark harness itself: cached logs (and fleets) are named by everything they depend on,
// the floor reads several files, the --phases profile summary puts self time where the stack
// says, and the bench tools' --help.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVERY_FAULT, generateFleet, generateLines, type FullFleetOptions, type FullGenOptions } from '../bench/gen.js';
import { cachedFleet, fleetDirName, logFileName } from '../bench/log-cache.js';
import { computeOracleFromFile } from '../bench/oracle.js';
import { diffStateWithOracle } from '../bench/oracle-outputs.js';
import { summariseProfile, type CallFrame, type CpuProfile, type Phase } from '../bench/phases.js';
import { REPO_ROOT, ensureBuilt, runCli, tempDir } from './core-helpers.js';

describe('logFileName', () => {
  const base: FullGenOptions = { rows: 1000, seed: 'bench', start: '2026-04-01T00:00:00Z', days: 30, tenants: 5, disorder: true, burstAt: null, ...EVERY_FAULT };

  it('is stable, readable, and changes with every option', () => {
    expect(logFileName({ ...base })).toBe(logFileName(base));
    expect(logFileName(base)).toMatch(/^sync-events-v\d+-1000r-bench-30d-[0-9a-f]{10}\.ndjson$/);
    const variants: Partial<FullGenOptions>[] = [
      { rows: 1001 }, { seed: 'other' }, { start: '2026-04-02T00:00:00Z' }, { days: 31 }, { tenants: 4 },
      { badLines: false }, { disorder: false }, { burstAt: '2026-04-10T00:00:00Z' },
      { incidents: false }, { massChanges: false }, { manifestBreaks: false }, { idleMachines: false },
    ];
    const names = variants.map((v) => logFileName({ ...base, ...v }));
    expect(new Set([logFileName(base), ...names]).size).toBe(variants.length + 1);
  });

  it('keeps odd seeds out of the path', () => {
    expect(logFileName({ ...base, seed: '../x y' })).toMatch(/^sync-events-v\d+-1000r-\.\._x_y-30d-/);
  });
});

describe('cached fleets', () => {
  const base: FullFleetOptions = { machines: 50, rows: 20_000, seed: 'bench', start: '2026-04-01T00:00:00Z', days: 30, tenants: 5, disorder: true, burstAt: null, ...EVERY_FAULT };

  it('name a folder by every option, the machines included', () => {
    expect(fleetDirName({ ...base })).toBe(fleetDirName(base));
    expect(fleetDirName(base)).toMatch(/^fleet-v\d+-50x20000r-bench-30d-[0-9a-f]{10}$/);
    const names = [{ machines: 49 }, { rows: 20_001 }, { seed: 'x' }, { badLines: false }, { disorder: false }].map((v) => fleetDirName({ ...base, ...v }));
    expect(new Set([fleetDirName(base), ...names]).size).toBe(names.length + 1);
  });

  it('are generated once, then reused; the paths in code-unit order, as a shell expands a glob', async () => {
    const dir = tempDir('fleet-cache');
    const opts: FullFleetOptions = { ...base, machines: 4, rows: 200, days: 2 };
    const generated: string[] = [];
    const paths = await cachedFleet(dir, opts, (folder) => generated.push(folder));
    expect(generated).toEqual([join(dir, fleetDirName(opts))]);
    expect(paths).toEqual(generateFleet(opts).machines.map((m) => join(dir, fleetDirName(opts), `${m}.ndjson`)));
    expect(paths.map((p) => basename(p))).toEqual(readdirSync(join(dir, fleetDirName(opts))).sort());
    expect(await cachedFleet(dir, opts, (folder) => generated.push(folder))).toEqual(paths);
    expect(generated).toHaveLength(1);
    expect(readdirSync(dir)).toEqual([fleetDirName(opts)]); // no .partial left behind
  });
});

describe('diffStateWithOracle', () => {
  it('notices a reject or an alert entry that names the wrong file or line', async () => {
    ensureBuilt();
    const dir = tempDir('state-diff');
    const path = join(dir, 'mbpro-rb.ndjson');
    const other = join(dir, 'studio-rb.ndjson'); // another machine's file, in a fleet
    writeFileSync(path, `${[...generateLines({ rows: 3_000, seed: 'diff', start: '2026-04-01T00:00:00Z', days: 3, burstAt: '2026-04-02T12:00:00Z', ...EVERY_FAULT })].join('\n')}\n`);
    const state = join(dir, 'state');
    // NOW = when the last cluster opened: it is open then, and earlier ones have resolved.
    const clusters = (await computeOracleFromFile(path)).alerts.resolved;
    const now = Math.max(...clusters.map((c) => c.opened_at));
    const r = await runCli(['run', path, '--now', new Date(now).toISOString(), '--state', state, '--no-progress']);
    expect(r.code, r.stderr).toBe(0);
    const expected = await computeOracleFromFile(path, { now });
    expect(expected.rejects.length).toBeGreaterThan(0);
    expect(diffStateWithOracle(expected, state).diffs).toEqual([]);

    const rejects = join(state, 'log', 'sync-events.rejects.ndjson');
    const text = readFileSync(rejects, 'utf8');
    const first = expected.rejects[0] as { file: string; line: number };
    writeFileSync(rejects, text.replace(`"line":${first.line},`, `"line":${first.line + 1},`));
    expect(diffStateWithOracle(expected, state).diffs.join('\n')).toMatch(/^rejects: .*missing \[".*:\d+"\], unexpected/m);
    writeFileSync(rejects, text);

    // An entry naming a longer path that merely contains the right one, or another file.
    const resolved = join(state, 'log', 'alerts-resolved.ndjson');
    const alerts = join(state, 'log', 'alerts');
    const open = readdirSync(alerts);
    expect(open.length).toBeGreaterThan(0);
    expect(readFileSync(resolved, 'utf8')).not.toBe('');
    for (const name of open) writeFileSync(join(alerts, name), readFileSync(join(alerts, name), 'utf8').replaceAll(path, `${path}.1`));
    writeFileSync(resolved, readFileSync(resolved, 'utf8').replaceAll(JSON.stringify(path), JSON.stringify(other)));
    const diffs = diffStateWithOracle(expected, state).diffs.join('\n');
    expect(diffs).toContain(`does not name ${JSON.stringify([path])}`);
    expect(diffs).toMatch(/alerts-resolved\.ndjson line 1: got/);
  });
});

describe('floor', () => {
  it('reads several files one after the other and sums their rows', () => {
    ensureBuilt();
    const dir = tempDir('floor');
    const a = join(dir, 'a.ndjson');
    const b = join(dir, 'b.ndjson');
    writeFileSync(a, '{"x":1}\n{"x":2}\nnot json\n{"x":3}'); // no newline at the end: the line still counts
    writeFileSync(b, '{"y":1}\n\n{"y":2}\n');
    const floor = (...files: string[]): unknown => {
      const r = spawnSync(process.execPath, [join(REPO_ROOT, 'dist/bench/floor.js'), ...files], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { rows: number }).rows;
    };
    expect(floor(a)).toBe(4);
    expect(floor(a, b)).toBe(6);
  });
});

describe('summariseProfile', () => {
  const dist = (path: string): string => `file:///repo/dist/${path}`;
  const frame = (functionName: string, url = '', lineNumber = 5, columnNumber = 2): CallFrame => ({ functionName, url, lineNumber, columnNumber });

  // id → [frame, parent]
  const tree: Record<number, [CallFrame, number | null]> = {
    1: [frame('(root)'), null],
    2: [frame('(idle)'), 1],
    3: [frame('(garbage collector)'), 1],
    4: [frame('', dist('pipeline/cli/program.js'), 0, 0), 1], // a module body
    5: [frame('compileSourceTextModule', 'node:internal/modules/esm/utils'), 1],
    6: [frame('processTicksAndRejections', 'node:internal/process/task_queues'), 1],
    7: [frame('ingest', dist('pipeline/engine/ingest.js')), 6],
    8: [frame('parse'), 7], // JSON.parse: its caller decides
    9: [frame('next', 'file:///repo/node_modules/rxjs/dist/cjs/internal/Subscriber.js'), 6],
    10: [frame('foldBytesPerDay', dist('operators/metrics/bytes-per-day.js')), 9],
    11: [frame('gatherFrom', dist('pipeline/core/columns.js')), 10], // a shared helper: its caller decides
    12: [frame('foldReorder', dist('operators/metrics/reorder-by-ts.js')), 9],
    13: [frame('gatherFrom', dist('pipeline/core/columns.js')), 12],
    14: [frame('writeAlert', dist('sinks/alert-files.js')), 6],
    15: [frame('openSync', 'node:fs'), 14],
    16: [frame('open'), 15],
    17: [frame('onStreamRead', 'node:internal/stream_base_commons'), 1],
    18: [frame('readableAddChunk', 'node:internal/streams/readable'), 17], // no caller of ours: Node's module decides
    19: [frame('helper', dist('pipeline/core/time.js')), 4], // called while a module body runs
    20: [frame('mystery', 'node:internal/util'), 1],
  };
  const profileOf = (ticks: [id: number, ms: number][]): CpuProfile => {
    const nodes = Object.entries(tree).map(([id, [callFrame]]) => ({
      id: Number(id),
      callFrame,
      children: Object.entries(tree).filter(([, [, parent]]) => parent === Number(id)).map(([child]) => Number(child)),
    }));
    // Sample i lasts until sample i + 1 (the last until endTime): timeDeltas[i] is the gap before sample i.
    const samples = ticks.map(([id]) => id);
    const timeDeltas = ticks.map((_, i) => (i === 0 ? 0 : (ticks[i - 1] as [number, number])[1] * 1000));
    const total = ticks.reduce((n, [, ms]) => n + ms * 1000, 0);
    return { nodes, startTime: 1_000_000, endTime: 1_000_000 + total, samples, timeDeltas };
  };

  it('sums self time by phase, deciding by the nearest frame that says something', () => {
    const summary = summariseProfile(profileOf([
      [4, 10], [5, 20], [19, 3], [2, 100], [3, 7], [8, 40], [7, 2], [9, 4], [11, 6], [10, 1], [13, 9], [12, 2], [16, 11], [18, 5], [20, 1],
    ]));
    const ms = (p: Phase): number => (summary.byPhase.get(p) ?? 0) / 1000;
    expect(ms('start-up (module load and compile)')).toBe(33);
    expect(ms('idle (waiting for I/O or another thread)')).toBe(100);
    expect(ms('GC')).toBe(7);
    expect(ms('scan + validate (ingest, row-parser, JSON.parse, zod)')).toBe(42);
    expect(ms('engine + RxJS plumbing')).toBe(4);
    expect(ms('operators (metrics, lint)')).toBe(7);
    expect(ms('reorder by ts')).toBe(11);
    expect(ms('outputs (sinks, state, checkpoint, snapshot)')).toBe(11);
    expect(ms('read + split')).toBe(5);
    expect(ms('other (Node internals, unmapped files)')).toBe(1);
    expect(summary.spanUs).toBe(221_000);
    expect([...summary.byPhase.values()].reduce((a, b) => a + b, 0)).toBe(summary.spanUs);
    expect(summary.functions[0]).toEqual({ label: '(idle)', phase: 'idle (waiting for I/O or another thread)', us: 100_000 });
    const gather = summary.functions.filter((f) => f.label.startsWith('gatherFrom (pipeline/core/columns.js:'));
    expect(gather.map((f) => [f.phase, f.us])).toEqual([['reorder by ts', 9000], ['operators (metrics, lint)', 6000]]);
  });
});

describe('bench tools', () => {
  it.each([['gen.js'], ['run.js'], ['soak.js']])('%s --help prints its usage and exits 0', (tool) => {
    ensureBuilt();
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'dist/bench', tool), '--help'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^usage: node dist/bench/${tool.replace('.', '\\.')}`));
  });

  it('gen without its required options says what is missing, then its usage, and exits 2', () => {
    ensureBuilt();
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'dist/bench/gen.js'), '--rows', '10'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^gen: --seed is required\n\nusage:/);
    expect(r.stdout).toBe('');
  });
});
