// Several files as one input (a fleet), end to end on the BUILT CLI: the merge equals one run
// over the stably ts-sorted concatenation (alert entries and rejects naming each row's own file
// and line), globs, the same file named twice, per-file checkpoint positions across restarts,
// unreadable inputs, lint, and --follow of a glob that gains and loses files.
import { appendFileSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, iso, runCli, tempDir } from './core-helpers.js';
import { killLeftovers, outputs, snapshot, start, waitFor, waitForRead } from './follow-helpers.js';

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => killLeftovers());

const START = Date.parse('2026-04-08T00:00:00Z');
const NOW = '2026-04-08T12:00:00Z';
const FLAGS = ['--now', NOW, '--no-progress'];
const MACHINES = ['m0', 'm1', 'm2', 'm3'];

/** One fleet line: machine k's row i (every ts ≥ START; ties across machines on purpose). */
interface FleetLine {
  readonly text: string;
  /** null: a bad line (rejected). */
  readonly t: number | null;
}

/**
 * Machine k's log, in ts order: a row every 40–70 s (m0 and m2 share every timestamp), failure
 * bursts on repo alpha that interleave across machines, and a bad line now and then in m1.
 */
function machineLog(k: number, rows: number, from = 0): FleetLine[] {
  const out: FleetLine[] = [];
  const step = k === 2 ? 40 : 40 + k * 10;
  for (let i = from; i < from + rows; i++) {
    if (k === 1 && i % 37 === 20) out.push({ text: `garbage from m1 #${i}`, t: null });
    const t = START + i * step * 1000;
    const burst = i % 60 >= 30 && i % 60 < 38;
    const row: Record<string, unknown> = {
      ts: iso(t), op: i % 3 === 0 ? 'pull' : 'push', repo: burst ? 'alpha' : ['beta', 'gamma', 'delta'][i % 3],
      scope: 'state', files: 1 + (i % 5), bytes: 1000 * (k + 1) + i, dur_ms: 50 + ((i * 37) % 900),
      trigger: 'timer', machine: MACHINES[k], tenant_id: k < 2 ? 'acme' : 'globex',
    };
    if (burst && i % 2 === 0) {
      row.ok = false;
      row.error = [`upload failed on ${MACHINES[k]}`, 'connection reset'];
    }
    out.push({ text: JSON.stringify(row), t });
  }
  return out;
}

const text = (lines: readonly FleetLine[]): string => lines.map((l) => `${l.text}\n`).join('');

/**
 * The stably ts-sorted concatenation of the files (argument order, then line order), each bad
 * line right after the row before it in its own file, so that it is dated the same; and where
 * each of its lines came from.
 */
function sortedConcatenation(files: readonly { label: string; lines: readonly FleetLine[] }[]): { text: string; origin: string[] } {
  interface Item { t: number; k: number; label: string; line: number; text: string; bad: { label: string; line: number; text: string }[] }
  const items: Item[] = [];
  let k = 0;
  for (const f of files) {
    let last: Item | null = null;
    const leading: Item['bad'] = [];
    f.lines.forEach((l, i) => {
      if (l.t === null) {
        (last === null ? leading : last.bad).push({ label: f.label, line: i + 1, text: l.text });
        return;
      }
      last = { t: l.t, k: k++, label: f.label, line: i + 1, text: l.text, bad: [] };
      items.push(last);
    });
    expect(leading).toEqual([]); // the generator never starts a file with a bad line
  }
  items.sort((a, b) => a.t - b.t || a.k - b.k);
  const origin: string[] = [];
  let out = '';
  for (const it of items) {
    for (const x of [it, ...it.bad]) {
      out += `${x.text}\n`;
      origin.push(`${x.label} line ${x.line}`);
    }
  }
  return { text: out, origin };
}

/** A fleet folder `logs/` with one file per machine; returns the paths as named from `dir`. */
function fleet(name: string, rows: number): { dir: string; labels: string[]; lines: FleetLine[][] } {
  const dir = tempDir(name);
  mkdirSync(join(dir, 'logs'));
  const lines = MACHINES.map((_, k) => machineLog(k, rows));
  const labels = MACHINES.map((m) => `logs/${m}.ndjson`);
  lines.forEach((l, k) => writeFileSync(join(dir, labels[k]!), text(l)));
  return { dir, labels, lines };
}

/** Alert files and resolved history with every `FILE line N` of the reference mapped to its origin. */
function alertsWithOrigins(state: string, origin?: readonly string[]): { files: Record<string, string>; resolved: unknown[] } {
  const mapLine = (s: string): string => (origin === undefined ? s : s.replace(/\S+ line (\d+)$/gm, (_, n: string) => origin[Number(n) - 1]!));
  const dir = join(state, 'log', 'alerts');
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) files[f] = mapLine(readFileSync(join(dir, f), 'utf8'));
  const resolved = readFileSync(join(state, 'log', 'alerts-resolved.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => {
    const o = JSON.parse(l) as { entries: { file: string; line: number }[] };
    if (origin !== undefined) {
      for (const e of o.entries) {
        const [file, , n] = origin[e.line - 1]!.split(' ');
        e.file = file!;
        e.line = Number(n);
      }
    }
    return o;
  });
  return { files, resolved };
}

describe.concurrent('syncscope run FILE… (several files are one input)', () => {
  it('merges by ts: equals one run over the stably sorted concatenation, each alert entry and reject naming its own file and line', async () => {
    const { dir, labels, lines } = fleet('fleet-merge', 240);
    const { text: sorted, origin } = sortedConcatenation(labels.map((label, k) => ({ label, lines: lines[k]! })));
    writeFileSync(join(dir, 'sorted.ndjson'), sorted);

    const merged = await runCli(['run', ...labels, '--state', 'merged', ...FLAGS], { cwd: dir });
    expect(merged.code, merged.stderr).toBe(0);
    const ref = await runCli(['run', 'sorted.ndjson', '--state', 'ref', ...FLAGS], { cwd: dir });
    expect(ref.code, ref.stderr).toBe(0);

    const m = join(dir, 'merged');
    const r = join(dir, 'ref');
    expect(outputs(m, { alerts: false, rejects: false })).toEqual(outputs(r, { alerts: false, rejects: false }));
    const s = snapshot(m)!;
    expect(s.rows).toMatchObject({ read: origin.length, late: 0, rejected: lines[1]!.filter((l) => l.t === null).length });
    expect(s.alerts.open.length + s.alerts.resolved).toBeGreaterThan(0); // the bursts made alerts
    expect(alertsWithOrigins(m)).toEqual(alertsWithOrigins(r, origin));
    // Rejects name their own file and line (in m1, line numbers of m1).
    const rejects = readFileSync(join(m, 'log', 'sync-events.rejects.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { file: string; line: number });
    expect(rejects.map((x) => `${x.file}:${x.line}`)).toEqual(lines[1]!.flatMap((l, i) => (l.t === null ? [`logs/m1.ndjson:${i + 1}`] : [])));
    expect(merged.stderr).toMatch(/^ {2}logs\/m1\.ndjson line \d+: invalid JSON/m);

    // A quoted glob is the same input (matches in code-unit order); so is the same file named twice.
    const globbed = await runCli(['run', 'logs/*.ndjson', '--state', 'globbed', ...FLAGS], { cwd: dir });
    expect(globbed.code, globbed.stderr).toBe(0);
    expect(outputs(join(dir, 'globbed'))).toEqual(outputs(m));
    const twice = await runCli(['run', ...labels, 'logs/m0.ndjson', './logs/m1.ndjson', '--state', 'twice', ...FLAGS], { cwd: dir });
    expect(twice.code, twice.stderr).toBe(0);
    expect(outputs(join(dir, 'twice'))).toEqual(outputs(m));
  });

  it('a restart after rows are appended to one of many files reads only those rows; --rebuild gives the exact sorted result again', async () => {
    const { dir, labels, lines } = fleet('fleet-restart', 200);
    const first = await runCli(['run', ...labels, '--state', 'state', ...FLAGS], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    const before = snapshot(join(dir, 'state'))!;

    // m3 (the slowest writer, so its new rows are the newest) grows; m0 gets a line in its middle
    // overwritten (same length): a re-read would reject it.
    const more = machineLog(3, 30, 200);
    appendFileSync(join(dir, 'logs/m3.ndjson'), text(more));
    const m0 = readFileSync(join(dir, 'logs/m0.ndjson'), 'utf8').split('\n');
    const victim = m0[100]!;
    m0[100] = 'x'.repeat(victim.length);
    writeFileSync(join(dir, 'logs/m0.ndjson'), m0.join('\n'));

    const again = await runCli(['run', ...labels, '--state', 'state', ...FLAGS], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/resumed from checkpoint, 30 read this run/);
    const after = snapshot(join(dir, 'state'))!;
    expect(after.rows).toEqual({ ...before.rows, read: before.rows.read + 30, valid: before.rows.valid + 30 });

    // The reference: the same files (m0 as it was) read in one fresh run.
    m0[100] = victim;
    writeFileSync(join(dir, 'logs/m0.ndjson'), m0.join('\n'));
    const fresh = await runCli(['run', ...labels, '--state', 'fresh', ...FLAGS], { cwd: dir });
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(outputs(join(dir, 'state'))).toEqual(outputs(join(dir, 'fresh')));

    // A file that appears later, with old rows, is late beyond --max-lateness; --rebuild sorts it in.
    const m4 = machineLog(3, 50).map((l) => ({ ...l, text: l.text.replace('"m3"', '"m4"') }));
    writeFileSync(join(dir, 'logs/m4.ndjson'), text(m4));
    const added = await runCli(['run', ...labels, 'logs/m4.ndjson', '--state', 'state', ...FLAGS], { cwd: dir });
    expect(added.code, added.stderr).toBe(0);
    expect(added.stderr).toMatch(/50 read this run/);
    expect(snapshot(join(dir, 'state'))!.rows.late).toBeGreaterThan(0);
    const rebuilt = await runCli(['run', ...labels, 'logs/m4.ndjson', '--state', 'state', '--rebuild', ...FLAGS], { cwd: dir });
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    const all = labels.map((label, k) => ({ label, lines: k === 3 ? [...lines[3]!, ...more] : lines[k]! }));
    writeFileSync(join(dir, 'sorted.ndjson'), sortedConcatenation([...all, { label: 'logs/m4.ndjson', lines: m4 }]).text);
    const ref = await runCli(['run', 'sorted.ndjson', '--state', 'ref', ...FLAGS], { cwd: dir });
    expect(ref.code, ref.stderr).toBe(0);
    expect(snapshot(join(dir, 'state'))!.rows.late).toBe(0);
    expect(outputs(join(dir, 'state'), { alerts: false, rejects: false })).toEqual(outputs(join(dir, 'ref'), { alerts: false, rejects: false }));
  });

  it('bad input: a glob that matches nothing is exit 2; an unreadable one of several is named, the others still run, exit 1', async () => {
    const { dir, labels } = fleet('fleet-bad', 50);
    const none = await runCli(['run', 'logs/*.json', '--state', 'state', ...FLAGS], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toBe('syncscope: no file matches logs/*.json');

    mkdirSync(join(dir, 'logs', 'folder.ndjson'));
    const some = await runCli(['run', ...labels, 'logs/missing.ndjson', 'logs/folder.ndjson', '--state', 'state', ...FLAGS], { cwd: dir });
    expect(some.code, some.stderr).toBe(1);
    expect(some.stderr).toMatch(/logs\/missing\.ndjson.*(not found|no such file).*skipping logs\/missing\.ndjson/i);
    expect(some.stderr).toMatch(/skipping logs\/folder\.ndjson/);
    const ok = await runCli(['run', ...labels, '--state', 'ok', ...FLAGS], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(outputs(join(dir, 'state'))).toEqual(outputs(join(dir, 'ok')));

    const nothing = await runCli(['run', 'logs/missing.ndjson', 'logs/folder.ndjson', '--state', 'none', ...FLAGS], { cwd: dir });
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/^syncscope: none of the 2 input files can be read/);
    const withStdin = await runCli(['run', '-', ...labels, '--state', 'none', ...FLAGS], { cwd: dir });
    expect(withStdin.code).toBe(2);
  });

  it('a glob\'s checkpoint is continued when its matches change entirely; named files with none in common start fresh', async () => {
    const { dir, lines } = fleet('fleet-glob-resume', 60);
    const rows = (k: number): number => lines[k]!.length;
    const first = await runCli(['run', 'logs/m0.ndjson', 'logs/m1.ndjson', '--state', 'state', ...FLAGS], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    mkdirSync(join(dir, 'archive'));
    for (const m of ['m0', 'm1']) renameSync(join(dir, 'logs', `${m}.ndjson`), join(dir, 'archive', `${m}.ndjson`));
    const globbed = await runCli(['run', 'logs/*.ndjson', '--state', 'state', ...FLAGS], { cwd: dir });
    expect(globbed.code, globbed.stderr).toBe(0);
    expect(globbed.stderr).toMatch(/resumed from checkpoint/);
    expect(snapshot(join(dir, 'state'))!.rows.read).toBe(rows(0) + rows(1) + rows(2) + rows(3));
    // A file named by path that the checkpoint does not know: another input, a fresh scan.
    const named = await runCli(['run', 'archive/m0.ndjson', '--state', 'state', ...FLAGS], { cwd: dir });
    expect(named.code, named.stderr).toBe(0);
    expect(named.stderr).toMatch(/the checkpoint is for 4 files, not archive\/m0\.ndjson: scanning archive\/m0\.ndjson from the start/);
    expect(snapshot(join(dir, 'state'))!.rows.read).toBe(rows(0));
  });

  it('lint reads several files as one input and names each finding\'s file', async () => {
    const { dir, labels } = fleet('fleet-lint', 100);
    const r = await runCli(['lint', ...labels, '--since', 'all', '--only', 'rejects', '--format', 'json', '--now', NOW], { cwd: dir });
    expect(r.code, r.stderr).toBe(1);
    const findings = JSON.parse(r.stdout) as { lint: string; files: string[]; lines: number[] }[];
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings) expect(f.files).toEqual(f.lines.map(() => 'logs/m1.ndjson'));
    const text = await runCli(['lint', 'logs/*.ndjson', '--since', 'all', '--only', 'rejects', '--now', NOW], { cwd: dir });
    expect(text.stdout).toMatch(/logs\/m1\.ndjson line \d+/);

    // One of several missing, or a folder: named on stderr, the others linted, an I/O error (2).
    mkdirSync(join(dir, 'logs', 'folder.ndjson'));
    for (const bad of ['logs/missing.ndjson', 'logs/folder.ndjson']) {
      const r2 = await runCli(['lint', 'logs/m0.ndjson', bad, '--since', 'all', '--now', NOW], { cwd: dir });
      expect(r2.code, r2.stderr).toBe(2);
      expect(r2.stderr).toContain(`skipping ${bad}; the other input files are read (exit status 2)`);
      expect(r2.stdout).toMatch(/syncscope lint: .*rows read/);
    }
  });
});

describe('syncscope run --follow GLOB', () => {
  it('follows every match, picks up a new file within a tick, lets go of a file that is gone and keeps its rows', async () => {
    const dir = tempDir('fleet-follow');
    mkdirSync(join(dir, 'logs'));
    const state = join(dir, 'state');
    const p = start(['run', '--follow', join(dir, 'logs', '*.ndjson'), '--state', state, '--tick', '1s', ...FLAGS], { SYNCSCOPE_POLL_MS: '100' });
    await waitFor('the no-match notice', () => /no file matches .*\*\.ndjson yet/.test(p.stderr()));
    writeFileSync(join(dir, 'logs', 'm0.ndjson'), text(machineLog(0, 40)));
    writeFileSync(join(dir, 'logs', 'm1.ndjson'), text(machineLog(1, 40)));
    const read01 = 80 + machineLog(1, 40).filter((l) => l.t === null).length;
    await waitForRead(state, read01);

    const t0 = Date.now();
    writeFileSync(join(dir, 'logs', 'm2.ndjson'), text(machineLog(2, 40)));
    await waitForRead(state, read01 + 40);
    // One rescan (≤ 1 s) plus one tick (1 s); the margin is for a loaded CI box.
    expect(Date.now() - t0).toBeLessThan(4_000);
    expect(p.stderr()).toMatch(/new file .*m2\.ndjson: reading it from the start/);

    rmSync(join(dir, 'logs', 'm0.ndjson'));
    await waitFor('the gone notice', () => /m0\.ndjson is gone: its rows are kept/.test(p.stderr()));
    appendFileSync(join(dir, 'logs', 'm1.ndjson'), text(machineLog(1, 5, 40).filter((l) => l.t !== null)));
    await waitForRead(state, read01 + 45);

    // m2 is rotated (renamed out of the glob, a new file in its place): nothing lost, nothing twice.
    appendFileSync(join(dir, 'logs', 'm2.ndjson'), text(machineLog(2, 3, 40)));
    renameSync(join(dir, 'logs', 'm2.ndjson'), join(dir, 'logs', 'm2.ndjson.1'));
    writeFileSync(join(dir, 'logs', 'm2.ndjson'), text(machineLog(2, 4, 43)));
    await waitForRead(state, read01 + 52);
    const { code } = await p.stop('SIGTERM');
    expect(code).toBe(0);
    expect(snapshot(state)!.rows.read).toBe(read01 + 52);

    // A restart goes on from each file's own position: rows appended while stopped, once.
    appendFileSync(join(dir, 'logs', 'm1.ndjson'), text(machineLog(1, 6, 45).filter((l) => l.t !== null)));
    const again = start(['run', '--follow', join(dir, 'logs', '*.ndjson'), '--state', state, '--tick', '1s', ...FLAGS], { SYNCSCOPE_POLL_MS: '100' });
    await waitForRead(state, read01 + 58);
    expect((await again.stop('SIGTERM')).code).toBe(0);
    expect(snapshot(state)!.rows.read).toBe(read01 + 58);
  });
});
