import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DAY, HOUR, MIN, iso } from './core-helpers.js';
import { LINT_FIXTURES, NOW, NOW_MS, ev, lintFile, lintLines } from './lint-helpers.js';
import { LINT_IDS, LINT_SEVERITY, type LintId } from '../operators/lint/common.js';
import { REPORT_ORDER, selectLints } from '../pipeline/cli/lint.js';

const fixture = (name: string): string => join(LINT_FIXTURES, name);

async function only(id: LintId, file: string, engine = {}) {
  const r = await lintFile(fixture(file), { lints: [id], engine });
  expect(r.lints).toEqual([id]);
  return r;
}

describe('stale-machine', () => {
  it('flags a machine whose last successful push is older than 24h, and one that never pushed', async () => {
    const r = await only('stale-machine', 'stale-machine.trigger.ndjson');
    expect(r.counts['stale-machine']).toBe(2);
    expect(r.findings.map((f) => f.lines)).toEqual([[1], [2]]);
    const [old, never] = r.findings;
    expect(old!.ts).toBe('2026-04-15T11:00:00Z');
    expect(old!.message).toContain('"old-laptop"');
    expect(old!.message).toContain('1d 1h');
    expect(never!.ts).toBeNull();
    expect(never!.message).toContain('"pull-only" has no successful push');
    expect(old!.severity).toBe('warning');
    expect(r.errors).toBe(0);
    expect(r.warnings).toBe(2);
  });

  it('is clean at exactly 24h and ignores machines seen only after NOW', async () => {
    const r = await only('stale-machine', 'stale-machine.clean.ndjson');
    expect(r.counts['stale-machine']).toBe(0);
    expect(r.findings).toEqual([]);
  });

  it('treats machine names like "__proto__" and "constructor" as plain keys', async () => {
    const r = await lintLines([
      ev(NOW_MS - 2 * DAY, { machine: '__proto__' }),
      ev(NOW_MS - HOUR, { machine: 'constructor' }),
      ev(NOW_MS - 3 * DAY, { machine: 'toString', op: 'pull' }),
    ], { lints: ['stale-machine', 'manifest-break'] });
    expect(r.findings.map((f) => f.message.slice(0, 30))).toEqual(['machine "__proto__" last pushe', 'machine "toString" has no succ']);
  });

  it('uses the newest row as NOW with --now latest', async () => {
    const r = await lintLines([ev(NOW_MS - 3 * DAY, { machine: 'a' }), ev(NOW_MS, { machine: 'b' })], { lints: ['stale-machine'], engine: { nowPolicy: { kind: 'latest' } } });
    expect(r.now).toBe(NOW_MS);
    expect(r.findings.map((f) => f.message.includes('"a"'))).toEqual([true]);
  });
});

describe('mass-change', () => {
  it('flags pushes of more than half of files_total, strictly, failed ones included', async () => {
    const r = await only('mass-change', 'mass-change.trigger.ndjson');
    expect(r.counts['mass-change']).toBe(2);
    expect(r.findings.map((f) => f.lines)).toEqual([[1], [5]]);
    expect(r.findings[0]!.message).toContain('6 files is 60% of files_total 10');
    expect(r.findings[1]!.message).toMatch(/^failed push of 9 files is 90%/);
    expect(r.findings[1]!.ts).toBe('2026-04-16T10:20:00Z');
  });

  it('is clean at 50%, for pulls, without files_total, and for 0 of 0', async () => {
    expect((await only('mass-change', 'mass-change.clean.ndjson')).counts['mass-change']).toBe(0);
  });
});

describe('future-ts', () => {
  it('flags rows more than 5 minutes after NOW', async () => {
    const r = await only('future-ts', 'future-ts.trigger.ndjson');
    expect(r.counts['future-ts']).toBe(2);
    expect(r.findings.map((f) => f.lines[0])).toEqual([2, 4]);
    expect(r.findings[1]!.message).toContain('1d after NOW');
  });

  it('is clean up to NOW + 5m, and always with --now latest', async () => {
    expect((await only('future-ts', 'future-ts.clean.ndjson')).counts['future-ts']).toBe(0);
    const latest = await only('future-ts', 'future-ts.trigger.ndjson', { nowPolicy: { kind: 'latest' } });
    expect(latest.counts['future-ts']).toBe(0);
  });

  it('pins a wall-clock NOW at the start of the scan', async () => {
    const r = await lintLines([ev(Date.now() + 2 * HOUR), ev(Date.now() - HOUR)], { lints: ['future-ts'], engine: { nowPolicy: { kind: 'wall' } } });
    expect(r.findings.map((f) => f.lines)).toEqual([[1]]);
  });
});

describe('rejects', () => {
  it('reports every rejected line with its reason and never the line itself', async () => {
    const r = await only('rejects', 'rejects.trigger.ndjson');
    expect(r.counts.rejects).toBe(3);
    expect(r.findings.map((f) => f.lines)).toEqual([[2], [4], [5]]);
    expect(r.findings[0]!.message).toContain('(invalid JSON)');
    expect(r.findings[0]!.message).not.toContain('warning, not json');
    expect(r.findings[1]!.message).toContain('dur_ms');
    expect(r.findings[2]!.message).toContain('not an object');
    expect(JSON.stringify(r.findings)).not.toContain('SECRET-IN-REJECT');
    expect(r.findings.every((f) => f.severity === 'error')).toBe(true);
    expect(r.errors).toBe(3);
  });

  it('tolerates a BOM, CRLF and blank lines', async () => {
    const r = await only('rejects', 'rejects.clean.ndjson');
    expect(r.counts.rejects).toBe(0);
    expect(r.health.valid).toBe(2);
  });
});

describe('manifest-break (fixtures)', () => {
  it('flags a push that does not start where the previous one ended', async () => {
    const r = await only('manifest-break', 'manifest-break.trigger.ndjson');
    expect(r.counts['manifest-break']).toBe(1);
    const f = r.findings[0]!;
    expect(f.lines).toEqual([2, 3]);
    expect(f.ts).toBe('2026-04-16T10:20:00Z');
    expect(f.message).toContain('starts from manifest m1 but the previous successful push (line 2, machine "a") left m2');
    expect(f.severity).toBe('error');
  });

  it('ignores failed pushes and pulls, and keeps scopes apart', async () => {
    expect((await only('manifest-break', 'manifest-break.clean.ndjson')).counts['manifest-break']).toBe(0);
  });
});

describe('alert-threshold', () => {
  const twoDays = [ev(NOW_MS - 2 * DAY), ev(NOW_MS - DAY), ev(NOW_MS - HOUR)];
  const eightDays = [ev(NOW_MS - 8 * DAY), ev(NOW_MS - HOUR)];
  const rule = (failures: number, windowMs: number) => ({ cluster: { failures, windowMs } });

  it('flags fewer failures or a longer window than the defaults with under 7 days of rows', async () => {
    const fewer = await lintLines(twoDays, { lints: ['alert-threshold'], engine: rule(2, 10 * MIN) });
    expect(fewer.counts['alert-threshold']).toBe(1);
    expect(fewer.findings[0]!.message).toContain('2 failures within 10m');
    expect(fewer.findings[0]!.message).toContain('1d 23h of rows');
    const longer = await lintLines(twoDays, { lints: ['alert-threshold'], engine: rule(3, 30 * MIN) });
    expect(longer.counts['alert-threshold']).toBe(1);
    const empty = await lintLines([], { lints: ['alert-threshold'], engine: rule(1, 10 * MIN) });
    expect(empty.findings[0]!.message).toContain('no rows');
  });

  it('is clean with the defaults, with looser rules, and once 7 days of rows exist', async () => {
    for (const [rows, engine] of [
      [twoDays, rule(3, 10 * MIN)],
      [twoDays, rule(5, 5 * MIN)],
      [eightDays, rule(2, 30 * MIN)],
    ] as const) {
      expect((await lintLines(rows, { lints: ['alert-threshold'], engine })).counts['alert-threshold']).toBe(0);
    }
  });

  it('does not count rows after NOW as baseline', async () => {
    const r = await lintLines([ev(NOW_MS - HOUR), ev(NOW_MS + 9 * DAY)], { lints: ['alert-threshold'], engine: rule(2, 10 * MIN) });
    expect(r.counts['alert-threshold']).toBe(1);
  });
});

describe('one scan, every lint', () => {
  it('runs all lints together over one log with the same results as one by one', async () => {
    const lines = [
      ev('2026-04-10T00:00:00Z', { machine: 'old', manifest_before: 'a', manifest_after: 'b' }),
      ev('2026-04-16T11:00:00Z', { files: 8, files_total: 10, manifest_before: 'x', manifest_after: 'c' }),
      'nope',
      ev('2026-04-16T13:00:00Z', { machine: 'skew' }),
    ];
    const all = await lintLines(lines, { engine: { cluster: { failures: 2, windowMs: 10 * MIN } } });
    expect(all.counts).toEqual({
      'manifest-break': 1, rejects: 1, privacy: 0, 'stale-machine': 1, 'mass-change': 1, 'future-ts': 1, 'alert-threshold': 1,
    });
    expect(all.errors).toBe(2);
    expect(all.warnings).toBe(4);
    // Errors first, then warnings; each finding carries its lint's severity.
    expect(all.findings.map((f) => f.lint)).toEqual(['manifest-break', 'rejects', 'stale-machine', 'mass-change', 'future-ts', 'alert-threshold']);
    for (const f of all.findings) expect(f.severity).toBe(LINT_SEVERITY[f.lint]);
    expect(all.health).toEqual({ read: 4, valid: 3, rejected: 1, duplicate: 0 });
    expect(iso(all.now)).toBe(NOW);
  });

  it('keeps only `keep` findings per lint but counts them all', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? `bad ${i}` : ev(NOW_MS - i * MIN)));
    const r = await lintLines(lines, { lints: ['rejects'], keep: 3 });
    expect(r.counts.rejects).toBe(25);
    expect(r.findings.map((f) => f.lines[0])).toEqual([1, 3, 5]);
  });

  it('with a tenant, lints only that tenant\'s rows (rows without tenant_id are its own)', async () => {
    const lines = [
      ev(NOW_MS - HOUR, { tenant_id: 'other', files: 9, files_total: 10, machine: 'their-box' }),
      ev(NOW_MS - HOUR, { files: 9, files_total: 10, machine: 'my-box' }),
      ev(NOW_MS - 2 * HOUR, { tenant_id: 'acme', files: 7, files_total: 10, machine: 'acme-box' }),
    ];
    const r = await lintLines(lines, { lints: ['mass-change', 'stale-machine'], tenant: 'acme', engine: { defaultTenant: 'acme' } });
    expect(r.findings.map((f) => f.lines[0])).toEqual([2, 3]);
    expect(JSON.stringify(r.findings)).not.toContain('their-box');
  });
});

describe('selectLints', () => {
  it('selects with --only and --skip, in SPEC order', () => {
    expect(selectLints(undefined, undefined)).toEqual([...LINT_IDS]);
    expect(REPORT_ORDER).toEqual(['manifest-break', 'rejects', 'privacy', 'stale-machine', 'mass-change', 'future-ts', 'alert-threshold']);
    expect(selectLints('privacy,rejects', undefined)).toEqual(['rejects', 'privacy']);
    expect(selectLints(undefined, 'privacy, stale-machine')).toEqual(['mass-change', 'manifest-break', 'future-ts', 'rejects', 'alert-threshold']);
    expect(selectLints('privacy,rejects', 'privacy')).toEqual(['rejects']);
  });

  it('rejects unknown or empty ids', () => {
    expect(() => selectLints('privacy,bogus', undefined)).toThrow(/unknown lint "bogus"/);
    expect(() => selectLints(undefined, 'nope')).toThrow(/--skip: unknown lint "nope"/);
    expect(() => selectLints(',', undefined)).toThrow(/at least one/);
  });
});
