import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EVERY_FAULT, generateFleet, generateLines, parseGenArgs, writeFleet, type FleetOptions, type GenOptions } from '../bench/gen.js';
import type { OracleCluster } from '../bench/oracle-alerts.js';
import {
  computeOracle, computeOracleFromFile, computeOracleFromFiles, diffWithOracle, parseRfc3339, validateRow, type OracleSummary, type ValidRow,
} from '../bench/oracle.js';

const BASE: GenOptions = { rows: 20_000, seed: 'test', start: '2026-04-01T00:00:00Z', days: 7, ...EVERY_FAULT };
const generate = (o: Partial<GenOptions> = {}): string[] => [...generateLines({ ...BASE, ...o })];

interface Parsed {
  raw: Record<string, unknown>;
  row: ValidRow;
}

/** The lines the oracle's validator accepts, in file order. */
function validRows(lines: string[]): Parsed[] {
  const out: Parsed[] = [];
  for (const line of lines) {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      continue;
    }
    const v = validateRow(raw);
    if ('row' in v) out.push({ raw: raw as Record<string, unknown>, row: v.row });
  }
  return out;
}

/** Largest amount by which a row's ts is behind the newest ts before it. */
function maxBehindMs(rows: Parsed[]): number {
  let newest = -Infinity;
  let worst = 0;
  for (const { row } of rows) {
    worst = Math.max(worst, newest - row.t);
    newest = Math.max(newest, row.t);
  }
  return worst;
}

const tenantOf = (p: Parsed): string => (p.raw.tenant_id as string | undefined) ?? 'default';
const byTs = (rows: Parsed[]): Parsed[] => [...rows].sort((a, b) => a.row.t - b.row.t);

/** (tenant, repo) keys with ≥ `n` failures within 10 minutes that a success follows later. */
function recoveredBursts(rows: Parsed[], n: number): string[] {
  const byKey = new Map<string, Parsed[]>();
  for (const p of byTs(rows)) {
    const key = `${tenantOf(p)}/${p.row.repo}`;
    const list = byKey.get(key);
    if (list === undefined) byKey.set(key, [p]);
    else list.push(p);
  }
  const found: string[] = [];
  for (const [key, list] of byKey) {
    const failures = list.filter((p) => p.row.failed);
    for (let i = 0; i + n - 1 < failures.length; i++) {
      const last = (failures[i + n - 1] as Parsed).row.t;
      if (last - (failures[i] as Parsed).row.t <= 10 * 60_000 && list.some((p) => !p.row.failed && p.row.t > last)) {
        found.push(key);
        break;
      }
    }
  }
  return found;
}

const LOG = generate();
const ROWS = validRows(LOG);

describe('generateLines', () => {
  it('gives byte-identical output for the same seed', () => {
    expect(generate().join('\n')).toBe(LOG.join('\n'));
    expect(generate({ seed: 42, rows: 3000 })).toEqual(generate({ seed: '42', rows: 3000 }));
  });

  it('gives different logs for different seeds', () => {
    const other = generate({ seed: 'other' });
    expect(other).toHaveLength(LOG.length);
    const same = other.filter((line, i) => line === LOG[i]).length;
    expect(same).toBe(0);
  });

  it('emits exactly `rows` lines, all inside [start, start + days)', () => {
    expect(LOG).toHaveLength(20_000);
    const start = Date.parse(BASE.start);
    for (const { row } of ROWS) {
      expect(row.t).toBeGreaterThanOrEqual(start);
      expect(row.t).toBeLessThan(start + 7 * 86_400_000);
    }
    expect(generate({ rows: 0 })).toEqual([]);
  });

  it('streams: a billion-row log yields its first lines at once', () => {
    const it = generateLines({ ...BASE, rows: 1_000_000_000 });
    const first: string[] = [];
    for (const line of it) {
      first.push(line);
      if (first.length === 1000) break;
    }
    expect(validRows(first).length).toBeGreaterThan(990);
  });

  it('writes valid rows except for a few planned bad lines of each kind', () => {
    const summary = computeOracle(LOG);
    expect(summary.rows).toEqual({ read: 20_000, valid: 19_996, rejected: 4, late: 0, duplicate: 0 });
    const bad = LOG.filter((line) => {
      try {
        return !('row' in validateRow(JSON.parse(line)));
      } catch {
        return true;
      }
    });
    expect(bad.some((l) => !l.startsWith('{'))).toBe(true); // garbage
    expect(bad.some((l) => l.startsWith('{') && !l.endsWith('}'))).toBe(true); // truncated
    expect(bad.some((l) => /"bytes":"\d+"/.test(l))).toBe(true); // wrong type
    expect(bad.some((l) => /"ts":"[^"]{19}"/.test(l))).toBe(true); // no offset
  });

  it('writes about one bad line per 20k rows, none when disabled', () => {
    expect(computeOracle(generate({ rows: 120_000, days: 30 })).rows.rejected).toBe(6);
    expect(computeOracle(generate({ badLines: false })).rows.rejected).toBe(0);
    expect(computeOracle(generate({ rows: 1000 })).rows.rejected).toBe(4);
  });

  it('mixes tenants, and default-tenant rows mostly omit tenant_id', () => {
    const tenants = new Set(ROWS.map(tenantOf));
    expect(tenants.size).toBe(5);
    const defaults = ROWS.filter((p) => tenantOf(p) === 'default');
    const omitted = defaults.filter((p) => !('tenant_id' in p.raw)).length;
    expect(omitted / defaults.length).toBeGreaterThan(0.8);
    expect(omitted).toBeLessThan(defaults.length);
  });

  it('keeps disorder under 4 minutes, and has some', () => {
    const behind = maxBehindMs(ROWS);
    expect(behind).toBeLessThan(4 * 60_000);
    expect(behind).toBeGreaterThan(60_000);
    // Without disorder: the same rows, and only sub-second clock granularity remains
    // (whole-second writers next to millisecond writers).
    const ordered = generate({ disorder: false });
    expect([...ordered].sort()).toEqual([...LOG].sort());
    expect(maxBehindMs(validRows(ordered))).toBeLessThan(1000);
  });

  it('fails 1–6% of rows, in bursts', () => {
    for (const rows of [ROWS, validRows(generate({ seed: 'x', rows: 50_000, days: 20 }))]) {
      const failed = rows.filter((p) => p.row.failed).length / rows.length;
      expect(failed).toBeGreaterThan(0.01);
      expect(failed).toBeLessThan(0.06);
    }
    expect(recoveredBursts(ROWS, 5).length).toBeGreaterThan(3);
  });

  it('writes every failure encoding SPEC §1 allows', () => {
    const failures = ROWS.filter((p) => p.row.failed).map((p) => p.raw);
    expect(failures.some((r) => r.ok === false && typeof r.error === 'string')).toBe(true);
    expect(failures.some((r) => r.ok === false && Array.isArray(r.error) && r.error.length >= 3)).toBe(true);
    expect(failures.some((r) => !('ok' in r) && typeof r.error === 'string' && r.error !== '')).toBe(true);
    // An old client writes error "" on success without ok: a success by the rule.
    expect(ROWS.some((p) => !p.row.failed && !('ok' in p.raw) && p.raw.error === '')).toBe(true);
  });

  it('chains manifests per (tenant, repo, scope), with rare breaks', () => {
    const head = new Map<string, unknown>();
    let links = 0;
    let breaks = 0;
    for (const p of byTs(ROWS)) {
      if (p.row.op !== 'push' || p.row.failed) continue;
      const key = `${tenantOf(p)}/${p.row.repo}/${String(p.raw.scope)}`;
      if (head.has(key)) {
        links++;
        if (head.get(key) !== p.raw.manifest_before) breaks++;
      }
      head.set(key, p.raw.manifest_after);
    }
    expect(links).toBeGreaterThan(10_000);
    expect(breaks).toBeGreaterThan(0);
    expect(breaks / links).toBeLessThan(0.01);
  });

  it('has realistic sizes, a diurnal rhythm and rare mass changes', () => {
    const bytesPerRow = LOG.reduce((n, l) => n + l.length + 1, 0) / LOG.length;
    expect(bytesPerRow).toBeGreaterThan(240);
    expect(bytesPerRow).toBeLessThan(300);
    const pushBytes = ROWS.filter((p) => p.row.op === 'push' && !p.row.failed && p.row.bytes > 0).map((p) => p.row.bytes).sort((a, b) => a - b);
    const median = pushBytes[pushBytes.length >> 1] as number;
    expect(median).toBeGreaterThan(100_000);
    expect(median).toBeLessThan(1_000_000);
    const hourOf = (p: Parsed): number => new Date(p.row.t).getUTCHours();
    const afternoon = ROWS.filter((p) => hourOf(p) >= 12 && hourOf(p) < 18).length;
    const night = ROWS.filter((p) => hourOf(p) < 6).length;
    expect(afternoon).toBeGreaterThan(2 * night);
    const pushes = ROWS.filter((p) => p.row.op === 'push');
    const mass = pushes.filter((p) => typeof p.raw.files_total === 'number' && (p.raw.files as number) > p.raw.files_total / 2);
    expect(mass.length).toBeGreaterThan(0);
    expect(mass.length / pushes.length).toBeLessThan(0.005);
  });
});

describe('examples/sample-sync-events.ndjson', () => {
  const sample = readFileSync(new URL('../examples/sample-sync-events.ndjson', import.meta.url), 'utf8');
  const sampleRows = validRows(sample.split('\n'));

  it('is exactly what the command documented in bench/gen.ts regenerates', () => {
    const source = readFileSync(new URL('../bench/gen.ts', import.meta.url), 'utf8');
    const command = /^ \*\s+(node dist\/bench\/gen\.js .*--out examples\/sample-sync-events\.ndjson)\s*$/m.exec(source)?.[1];
    expect(command).toBeDefined();
    const opts = parseGenArgs((command as string).split(/\s+/).slice(2));
    const regenerated = [...generateLines(opts)].map((l) => `${l}\n`).join('');
    expect(regenerated === sample).toBe(true); // not toBe: a 1 MB diff helps nobody
  });

  it('is small, and has a few bad lines', () => {
    expect(Buffer.byteLength(sample)).toBeLessThan(1_200_000);
    const summary = computeOracle(sample.split('\n'));
    expect(summary.rows.read).toBe(4000);
    expect(summary.rows.rejected).toBeGreaterThanOrEqual(3);
  });

  it('has a clear failure burst (≥ 5 within 10 min) followed by a success', () => {
    expect(recoveredBursts(sampleRows, 5)).not.toEqual([]);
  });
});

describe('oracle', () => {
  it('parses RFC 3339 with Z or an offset, seconds required', () => {
    expect(parseRfc3339('2026-04-16T19:10:38Z')).toBe(Date.UTC(2026, 3, 16, 19, 10, 38));
    expect(parseRfc3339('2026-04-16T21:10:38.5+02:00')).toBe(Date.UTC(2026, 3, 16, 19, 10, 38, 500));
    expect(parseRfc3339('2026-04-16T19:10:38.123456Z')).toBe(Date.UTC(2026, 3, 16, 19, 10, 38, 123));
    expect(parseRfc3339('2024-02-29T00:00:00-05:30')).toBe(Date.UTC(2024, 1, 29, 5, 30));
    for (const bad of ['2026-04-16T19:10:38', '2026-04-16T19:10Z', '2026-02-29T00:00:00Z', '2026-04-16 19:10:38Z', '2026-04-16T24:00:00Z']) {
      expect(parseRfc3339(bad)).toBeNaN();
    }
  });

  it('computes windows, failures and machines as SPEC §2–§3 say', () => {
    const row = (fields: Record<string, unknown>): string => JSON.stringify({
      op: 'push', repo: 'r1', scope: 'state', machine: 'm1', trigger: 'cron', files: 1, bytes: 100, dur_ms: 5, ...fields,
    });
    const log = [ // in ts order, so no row is late
      row({ ts: '2026-04-09T23:59:59Z', repo: 'r4', machine: 'm4', op: 'pull' }), // before 7d
      row({ ts: '2026-04-10T00:00:00Z', repo: 'r3', machine: 'm3', op: 'pull' }), // first day of 7d
      row({ ts: '2026-04-15T19:59:59Z', repo: 'r2' }), // just outside 24h, inside 7d
      row({ ts: '2026-04-15T20:00:00Z', ok: false, error: 'x' }), // first hour of the 24h window
      row({ ts: '2026-04-16T10:00:00Z', op: 'pull', bytes: 50, error: '' }), // ok absent, empty error: success
      row({ ts: '2026-04-16T10:00:01Z', op: 'pull', bytes: 70, error: ['a', 'b'] }), // ok absent, error: failure
      row({ ts: '2026-04-16T10:00:02Z', ok: true, error: 'ignored', bytes: 7 }), // ok wins over error
      '{"ts":"2026-04-16T11:00:00Z","op":"push"',
      '',
      '   ',
      row({ ts: '2026-04-16T12:00:00Z', bytes: '12' }),
      row({ ts: '2026-04-16T21:00:00.120+02:00', machine: 'm5' }), // = 19:00:00.120Z
      row({ ts: '2026-04-16T19:10:38Z', ok: true }), // NOW = the newest row
    ];
    const s = computeOracle(log);
    expect(s.now).toBe('2026-04-16T19:10:38Z');
    expect(s.rows).toEqual({ read: 11, valid: 9, rejected: 2, late: 0, duplicate: 0 });
    expect(s.pushes_per_hour).toHaveLength(24);
    expect(s.pushes_per_hour[0]).toEqual({ hour: '2026-04-15T20:00:00Z', pushes: 1, failed: 1 });
    expect(s.pushes_per_hour[14]).toEqual({ hour: '2026-04-16T10:00:00Z', pushes: 1, failed: 0 });
    expect(s.pushes_per_hour[23]).toEqual({ hour: '2026-04-16T19:00:00Z', pushes: 2, failed: 0 });
    expect(s.bytes_per_day.map((d) => d.day)).toEqual(['2026-04-10', '2026-04-11', '2026-04-12', '2026-04-13', '2026-04-14', '2026-04-15', '2026-04-16']);
    expect(s.bytes_per_day[0]).toEqual({ day: '2026-04-10', pushed_bytes: 0, pulled_bytes: 100 });
    expect(s.bytes_per_day[5]).toEqual({ day: '2026-04-15', pushed_bytes: 100, pulled_bytes: 0 });
    expect(s.bytes_per_day[6]).toEqual({ day: '2026-04-16', pushed_bytes: 207, pulled_bytes: 50 });
    expect(s.repos).toEqual([
      { repo: 'r1', ops_24h: 6, pushes_24h: 4, pulls_24h: 2, failed_24h: 2, ops_7d: 6, failed_7d: 2 },
      { repo: 'r2', ops_24h: 0, pushes_24h: 0, pulls_24h: 0, failed_24h: 0, ops_7d: 1, failed_7d: 0 },
      { repo: 'r3', ops_24h: 0, pushes_24h: 0, pulls_24h: 0, failed_24h: 0, ops_7d: 1, failed_7d: 0 },
    ]);
    expect(s.machines).toEqual([
      { machine: 'm1', last_success_push: '2026-04-16T19:10:38Z' },
      { machine: 'm3', last_success_push: null },
      { machine: 'm4', last_success_push: null },
      { machine: 'm5', last_success_push: '2026-04-16T19:00:00.120Z' },
    ]);
  });

  it('counts late rows and leaves rows after a fixed NOW out', () => {
    const row = (ts: string): string => JSON.stringify({ ts, op: 'push', repo: 'r', scope: 's', machine: 'm', trigger: 't', files: 0, bytes: 0, dur_ms: 0 });
    const s = computeOracle([row('2026-04-16T12:00:00Z'), row('2026-04-16T11:54:59Z'), row('2026-04-16T11:55:00Z'), row('2026-04-16T13:00:00Z')], {
      now: Date.parse('2026-04-16T12:30:00Z'),
    });
    expect(s.rows.late).toBe(1);
    expect(s.pushes_per_hour[23]).toEqual({ hour: '2026-04-16T12:00:00Z', pushes: 1, failed: 0 });
    expect(s.machines).toEqual([{ machine: 'm', last_success_push: '2026-04-16T12:00:00Z' }]);
  });

  it('reports each field where a snapshot differs, and nothing when equal', () => {
    const expected = computeOracle(generate({ rows: 2000 }));
    const snapshot = JSON.parse(JSON.stringify({ ...expected, generated_at: 'x', cost: {}, whatIsWrong: {} }));
    expect(diffWithOracle(expected, snapshot)).toEqual([]);
    snapshot.repos[0].failed_7d += 1;
    snapshot.machines.pop();
    expect(diffWithOracle(expected, snapshot)).toEqual([
      `repos[0].failed_7d: got ${expected.repos[0]!.failed_7d + 1}, expected ${expected.repos[0]!.failed_7d}`,
      `machines: length ${expected.machines.length - 1}, expected ${expected.machines.length}`,
    ]);
  });
});

describe('the default log: a healthy steady state', () => {
  const opts: GenOptions = { rows: 20_000, seed: 'healthy', start: '2026-04-01T00:00:00Z', days: 7 };
  const lines = [...generateLines(opts)];
  const rows = validRows(lines);

  it('has no bad line, no manifest break, no mass change', () => {
    expect(rows.length).toBe(lines.length);
    const head = new Map<string, unknown>();
    let breaks = 0;
    for (const p of byTs(rows)) {
      if (p.row.op !== 'push' || p.row.failed) continue;
      const key = `${tenantOf(p)}/${p.row.repo}/${String(p.raw.scope)}`;
      if (head.has(key) && head.get(key) !== p.raw.manifest_before) breaks++;
      head.set(key, p.raw.manifest_after);
    }
    expect(breaks).toBe(0);
    const mass = rows.filter((p) => p.row.op === 'push' && typeof p.raw.files_total === 'number' && (p.raw.files as number) * 2 > p.raw.files_total);
    expect(mass).toEqual([]);
  });

  it('fails now and then, but never 3 times for one tenant and repo within 10 min', () => {
    const failed = rows.filter((p) => p.row.failed).length / rows.length;
    expect(failed).toBeGreaterThan(0.005);
    const byKey = new Map<string, number[]>();
    for (const p of byTs(rows)) if (p.row.failed) byKey.set(`${tenantOf(p)}/${p.row.repo}`, [...(byKey.get(`${tenantOf(p)}/${p.row.repo}`) ?? []), p.row.t]);
    for (const ts of byKey.values()) for (let i = 0; i + 2 < ts.length; i++) expect(ts[i + 2]! - ts[i]!).toBeGreaterThan(10 * 60_000);
  });

  it('has every machine push successfully within the last 24h of the log', () => {
    const end = Date.parse(opts.start) + opts.days * 86_400_000;
    const last = new Map<string, number>();
    for (const p of byTs(rows)) if (p.row.op === 'push' && !p.row.failed) last.set(p.row.machine, p.row.t);
    expect(last.size).toBeGreaterThan(5);
    for (const t of last.values()) expect(end - t).toBeLessThan(24 * 3_600_000);
  });

  it('takes the faults back one flag at a time; --faults is all of them, the mix before v2', () => {
    const base = ['--rows', '10', '--seed', '1', '--start', opts.start, '--days', '1'];
    expect(parseGenArgs(base)).toEqual({ rows: 10, seed: '1', start: opts.start, days: 1, disorder: true });
    expect(parseGenArgs([...base, '--faults'])).toEqual({ rows: 10, seed: '1', start: opts.start, days: 1, disorder: true, ...EVERY_FAULT });
    expect(parseGenArgs([...base, '--faults', '--no-bad'])).toMatchObject({ ...EVERY_FAULT, badLines: false });
    expect(parseGenArgs([...base, '--incidents', '--mass-changes'])).toEqual({ rows: 10, seed: '1', start: opts.start, days: 1, disorder: true, incidents: true, massChanges: true });
    expect(parseGenArgs([...base, '--manifest-breaks', '--idle-machines', '--bad-lines'])).toMatchObject({ manifestBreaks: true, idleMachines: true, badLines: true });
  });
});

// ---- a fleet: one file per machine ------------------------------------------------------------

const FLEET: FleetOptions = { machines: 8, rows: 2_500, seed: 'fleet', start: '2026-04-01T00:00:00Z', days: 7, ...EVERY_FAULT };

/** Each machine's lines in the order its file holds them. */
function fleetFiles(opts: FleetOptions): Map<string, string[]> {
  const { machines, lines } = generateFleet(opts);
  const files = new Map(machines.map((m) => [m, [] as string[]]));
  for (const { machine, line } of lines) (files.get(machine) as string[]).push(line);
  return files;
}

const FILES = fleetFiles(FLEET);

describe('generateFleet', () => {
  it('gives the same files for the same seed, other files for another', () => {
    expect(fleetFiles(FLEET)).toEqual(FILES);
    const other = fleetFiles({ ...FLEET, seed: 'other' });
    expect([...other.keys()]).toEqual([...FILES.keys()]);
    expect(other.get('mbpro-rb')).not.toEqual(FILES.get('mbpro-rb'));
  });

  it('writes exactly --rows lines per machine, each file only its machine\'s rows', () => {
    expect(FILES.size).toBe(8);
    for (const [machine, lines] of FILES) {
      expect(lines).toHaveLength(2_500);
      const rows = validRows(lines);
      expect(rows.length).toBeGreaterThan(2_400);
      for (const p of rows) expect(p.row.machine).toBe(machine);
    }
  });

  it('names machines distinctly, in code-unit order, several tenants even in a small fleet', () => {
    const names = [...FILES.keys()];
    expect(names).toEqual([...names].sort());
    expect(new Set(validRows([...FILES.values()].flat()).map(tenantOf)).size).toBeGreaterThanOrEqual(4);
    const big = generateFleet({ ...FLEET, machines: 50, rows: 1 }).machines;
    expect(new Set(big).size).toBe(50);
    expect(big).toContain('mbpro-rb');
    expect(big).toContain('mbpro-rb-2');
    expect(big.every((m) => /^[a-z0-9-]+$/.test(m))).toBe(true);
  });

  it('keeps each file in ts order but for the usual few late rows (under 4 min); none with --no-disorder', () => {
    const behind = [...FILES.values()].map((lines) => maxBehindMs(validRows(lines)));
    expect(Math.max(...behind)).toBeLessThan(4 * 60_000);
    expect(Math.max(...behind)).toBeGreaterThan(60_000);
    for (const lines of fleetFiles({ ...FLEET, disorder: false }).values()) expect(maxBehindMs(validRows(lines))).toBeLessThan(1000);
  });

  it('spreads the faults over the fleet: bad lines of each kind, incidents that open alerts', () => {
    const all = [...FILES.values()].flat();
    expect(computeOracle(all).rows.rejected).toBe(4); // as one log of 20,000 lines
    expect(recoveredBursts(validRows(all), 5).length).toBeGreaterThan(0);
  });

  it('is one world: manifest chains and the healthy default hold across the merged fleet (ties in argument order)', () => {
    // 30 machines, most writing whole seconds: pushes of one chain a fraction of a second apart must not swap.
    const healthy = validRows([...fleetFiles({ machines: 30, rows: 1_000, seed: 'h', start: '2026-04-01T00:00:00Z', days: 7 }).values()].flat());
    const head = new Map<string, unknown>();
    let links = 0;
    const failures = new Map<string, number[]>();
    for (const p of byTs(healthy)) {
      if (p.row.failed) failures.set(`${tenantOf(p)}/${p.row.repo}`, [...(failures.get(`${tenantOf(p)}/${p.row.repo}`) ?? []), p.row.t]);
      if (p.row.op !== 'push' || p.row.failed) continue;
      const key = `${tenantOf(p)}/${p.row.repo}/${String(p.raw.scope)}`;
      if (head.has(key)) {
        links++;
        expect(p.raw.manifest_before, key).toBe(head.get(key));
      }
      head.set(key, p.raw.manifest_after);
    }
    expect(links).toBeGreaterThan(10_000);
    for (const ts of failures.values()) for (let i = 0; i + 2 < ts.length; i++) expect(ts[i + 2]! - ts[i]!).toBeGreaterThan(10 * 60_000);
  });

  it('--fleet needs --out DIR; writeFleet writes <machine>.ndjson there and refuses a folder holding other logs', async () => {
    const base = ['--rows', '40', '--seed', '1', '--start', '2026-04-01T00:00:00Z', '--days', '1'];
    expect(() => parseGenArgs([...base, '--fleet', '3'])).toThrow(/--out DIR/);
    expect(() => parseGenArgs([...base, '--fleet', '0', '--out', 'x'])).toThrow(/positive integer/);
    expect(parseGenArgs([...base, '--fleet', '3', '--out', 'logs'])).toMatchObject({ fleet: 3, out: 'logs', rows: 40 });
    const dir = mkdtempSync(join(tmpdir(), 'syncscope-fleet-'));
    try {
      const opts: FleetOptions = { machines: 3, rows: 40, seed: 1, start: '2026-04-01T00:00:00Z', days: 1 };
      const paths = await writeFleet(join(dir, 'logs'), opts);
      expect(paths).toEqual(generateFleet(opts).machines.map((m) => join(dir, 'logs', `${m}.ndjson`)));
      const files = fleetFiles(opts);
      for (const [m, lines] of files) expect(readFileSync(join(dir, 'logs', `${m}.ndjson`), 'utf8')).toBe(`${lines.join('\n')}\n`);
      await writeFleet(join(dir, 'logs'), opts); // the same fleet again: fine
      writeFileSync(join(dir, 'logs', 'old-machine.ndjson'), '');
      await expect(writeFleet(join(dir, 'logs'), opts)).rejects.toThrow(/other \.ndjson file.*old-machine\.ndjson/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---- the oracle over several files ------------------------------------------------------------

describe('computeOracleFromFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'syncscope-oracle-fleet-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes each machine's lines to dir/<name>/<machine>.ndjson; the paths in code-unit order. */
  const writeFiles = (name: string, files: Map<string, string[]>): string[] => {
    mkdirSync(join(dir, name));
    return [...files].map(([m, lines]) => {
      const path = join(dir, name, `${m}.ndjson`);
      writeFileSync(path, `${lines.join('\n')}\n`);
      return path;
    });
  };
  /** The summary without what names input files and lines. */
  const unlabelled = (s: OracleSummary): unknown => {
    const strip = (c: OracleCluster): unknown => ({ ...c, entries: c.entries.map(({ file: _f, line: _l, ...rest }) => rest) });
    return { ...s, alerts: { open: s.alerts.open.map(strip), resolved: s.alerts.resolved.map(strip) }, rejects: [] };
  };

  const fleet = fleetFiles({ ...FLEET, machines: 5, rows: 3_000, seed: 'oracle-fleet', badLines: false });
  const paths = writeFiles('fleet', fleet);

  it('equals the oracle over one file holding the stably ts-sorted concatenation, apart from file and line', async () => {
    const concatenated = [...fleet.values()].flat().map((line, i) => ({ line, i, t: Date.parse((JSON.parse(line) as { ts: string }).ts) }));
    concatenated.sort((a, b) => a.t - b.t || a.i - b.i);
    const one = join(dir, 'sorted.ndjson');
    writeFileSync(one, `${concatenated.map((x) => x.line).join('\n')}\n`);
    const merged = await computeOracleFromFiles(paths);
    expect(merged.alerts.resolved.length).toBeGreaterThan(0);
    expect(merged.rows).toEqual({ read: 15_000, valid: 15_000, rejected: 0, late: 0, duplicate: 0 });
    expect(unlabelled(merged)).toEqual(unlabelled(await computeOracleFromFile(one)));
  });

  it('names each alert entry by its own file and its line there', async () => {
    const merged = await computeOracleFromFiles(paths);
    const entries = [...merged.alerts.open, ...merged.alerts.resolved].flatMap((c) => c.entries);
    expect(new Set(entries.map((e) => e.file)).size).toBeGreaterThan(1);
    for (const e of entries) {
      expect(paths).toContain(e.file);
      const line = readFileSync(e.file, 'utf8').split('\n')[e.line - 1] as string;
      expect(Date.parse((JSON.parse(line) as { ts: string }).ts)).toBe(e.t);
      expect(line).toContain(`"machine":"${e.machine}"`);
    }
  });

  it('counts a row late against its own file, which a k-way merge keeps: the sum of each file\'s own', async () => {
    const maxLatenessMs = 60_000;
    const merged = await computeOracleFromFiles(paths, { maxLatenessMs });
    let sum = 0;
    for (const p of paths) sum += (await computeOracleFromFile(p, { maxLatenessMs })).rows.late;
    expect(sum).toBeGreaterThan(0);
    expect(merged.rows.late).toBe(sum);
  });

  it('reads a path named twice once, under its first name', async () => {
    const a = paths[0] as string;
    const again = `${dirname(a)}/./${basename(a)}`;
    const twice = await computeOracleFromFiles([a, paths[1] as string, again, a]);
    expect(twice).toEqual(await computeOracleFromFiles([a, paths[1] as string]));
  });

  it('breaks ts ties by argument order, then line order', async () => {
    const row = (ts: string, ok: boolean): string => JSON.stringify({ ts, op: 'push', repo: 'web', scope: 'state', files: 1, bytes: 1, dur_ms: 1, trigger: 'cron', machine: 'm', ok, ...(ok ? {} : { error: 'x' }) });
    mkdirSync(join(dir, 'ties'));
    const a = join(dir, 'ties', 'a.ndjson');
    const b = join(dir, 'ties', 'b.ndjson');
    // a: three failures open an alert, then a success at 09:03; b: a failure at 09:03 too.
    writeFileSync(a, ['09:00', '09:01', '09:02'].map((t) => row(`2026-05-10T${t}:00Z`, false)).concat(row('2026-05-10T09:03:00Z', true)).join('\n'));
    writeFileSync(b, row('2026-05-10T09:03:00Z', false));
    const now = Date.parse('2026-05-10T09:30:00Z');
    const ab = await computeOracleFromFiles([a, b], { now });
    const ba = await computeOracleFromFiles([b, a], { now });
    // a first: its success resolves the alert at 09:03, b's failure starts a new list.
    expect(ab.alerts.resolved.map((c) => c.entries.map((e) => `${basename(e.file)}:${e.line}`))).toEqual([['a.ndjson:1', 'a.ndjson:2', 'a.ndjson:3']]);
    // b first: its failure joins the open alert, then a's success resolves it.
    expect(ba.alerts.resolved.map((c) => c.entries.map((e) => `${basename(e.file)}:${e.line}`))).toEqual([['a.ndjson:1', 'a.ndjson:2', 'a.ndjson:3', 'b.ndjson:1']]);
  });

  it('counts rejected lines, each named by its file and line', async () => {
    const faulty = writeFiles('faulty', fleetFiles({ ...FLEET, machines: 4, rows: 1_500, seed: 'rejects' }));
    const merged = await computeOracleFromFiles(faulty);
    expect(merged.rows.rejected).toBe(4);
    expect(merged.rejects).toHaveLength(4);
    for (const r of merged.rejects) {
      const line = readFileSync(r.file, 'utf8').split('\n')[r.line - 1] as string;
      let valid = false;
      try {
        valid = 'row' in validateRow(JSON.parse(line));
      } catch {
        // not JSON: rejected indeed
      }
      expect(valid, `${r.file}:${r.line}`).toBe(false);
    }
    expect(merged.rows.read).toBe(6_000);
  });
});
