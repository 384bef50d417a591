// The row lints loop over columns (operators/lint/*.ts); this checks them against a plain
// reference over Row records written from the lints' rules: the same counts and the same kept
// findings, messages included, for random logs (out-of-order arrival, late rows, null and absent
// manifests, several tenants, names like "__proto__", any chunking, any --max-findings).
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { from, last, lastValueFrom } from 'rxjs';
import { HOUR, MIN, iso, tempDir } from './core-helpers.js';
import { NOW_MS, lintFile, writeLines } from './lint-helpers.js';
import { toRow } from '../pipeline/engine/row-parser.js';
import { batchOf, EMPTY_BATCH } from '../pipeline/core/columns.js';
import { formatTs, humanDuration, STALE_MACHINE_MS } from '../pipeline/core/time.js';
import type { Row } from '../pipeline/core/row.js';
import { LINT_SEVERITY, q, showManifest, type Finding, type LintBatch, type LintContext, type LintId, type LintOperator } from '../operators/lint/common.js';
import { lintManifestBreak } from '../operators/lint/manifest-break.js';
import { lintStaleMachine } from '../operators/lint/stale-machine.js';
import { lintMassChange } from '../operators/lint/mass-change.js';
import { lintFutureTs } from '../operators/lint/future-ts.js';
import { WHOLE_INPUT } from '../operators/lint/window.js';

// ---- random logs -----------------------------------------------------------------------------

const TENANTS = ['acme', 'beta', '__proto__'];
const REPOS = ['r', 'constructor'];
const SCOPES = ['state', 'cfg'];
const MACHINES = ['m1', 'm2', 'toString', `far-${'x'.repeat(90)}`];
/** 'ABSENT': the field is left out. */
const MANIFESTS = ['x', 'y', `sha-${'0123456789'.repeat(3)}`, null, 'ABSENT'] as const;

interface Spec {
  tenant: number; // TENANTS.length: no tenant_id (the default tenant)
  repo: number;
  scope: number;
  machine: number;
  push: boolean;
  ok: boolean;
  /** ts = NOW + slot · 10m + sec s: slots are shared, so equal ts happen. */
  slot: number;
  sec: number;
  before: number;
  after: number;
  files: number;
  /** -1: no files_total. */
  total: number;
}

const spec: fc.Arbitrary<Spec> = fc.record({
  tenant: fc.integer({ min: 0, max: TENANTS.length }),
  repo: fc.integer({ min: 0, max: REPOS.length - 1 }),
  scope: fc.integer({ min: 0, max: SCOPES.length - 1 }),
  machine: fc.integer({ min: 0, max: MACHINES.length - 1 }),
  push: fc.integer({ min: 0, max: 4 }).map((x) => x !== 0),
  ok: fc.integer({ min: 0, max: 4 }).map((x) => x !== 0),
  slot: fc.integer({ min: -300, max: 3 }),
  sec: fc.constantFrom(0, 0, 0, 30),
  before: fc.integer({ min: 0, max: MANIFESTS.length - 1 }),
  after: fc.integer({ min: 0, max: MANIFESTS.length - 1 }),
  files: fc.integer({ min: 0, max: 10 }),
  total: fc.integer({ min: -1, max: 10 }),
});

function rawOf(s: Spec): Record<string, unknown> {
  const o: Record<string, unknown> = {
    ts: iso(NOW_MS + s.slot * 10 * MIN + s.sec * 1000),
    op: s.push ? 'push' : 'pull',
    repo: REPOS[s.repo],
    scope: SCOPES[s.scope],
    files: s.files,
    bytes: 1,
    dur_ms: 1,
    trigger: 't',
    machine: MACHINES[s.machine],
    ok: s.ok,
  };
  if (!s.ok) o.error = 'boom';
  if (s.tenant < TENANTS.length) o.tenant_id = TENANTS[s.tenant];
  if (MANIFESTS[s.before] !== 'ABSENT') o.manifest_before = MANIFESTS[s.before];
  if (MANIFESTS[s.after] !== 'ABSENT') o.manifest_after = MANIFESTS[s.after];
  if (s.total >= 0) o.files_total = s.total;
  return o;
}

/** The rows a log of these specs becomes, in arrival order (line k + 1 of `file`). */
function rowsOfSpecs(specs: readonly Spec[], file: string, defaultTenant: string): Row[] {
  return specs.map((s, k) => {
    const raw = rawOf(s);
    const r = toRow(raw, Date.parse(raw.ts as string), file, k + 1, defaultTenant);
    if (r === null) throw new Error(`invalid test row ${JSON.stringify(raw)}`);
    return r;
  });
}

// ---- the reference, over records -------------------------------------------------------------

type Found = Omit<Finding, 'lint' | 'severity'>;

interface Expected {
  count: number;
  findings: Finding[];
}

function tally(lint: LintId, found: Found[], keep: number): Expected {
  return { count: found.length, findings: found.slice(0, keep).map((f) => ({ lint, severity: LINT_SEVERITY[lint], ...f })) };
}

/**
 * Stable ts order within the lateness: a row is late when its ts is below (newest ts seen −
 * lateness); a late row is passed on where it arrives, after every held row below that bound.
 */
function reorderRef(rows: readonly Row[], latenessMs: number): Row[] {
  const out: Row[] = [];
  let held: Row[] = [];
  let newest = -Infinity;
  const releaseBelow = (limit: number): void => {
    const sorted = [...held].sort((a, b) => a.t - b.t);
    out.push(...sorted.filter((r) => r.t < limit));
    held = sorted.filter((r) => r.t >= limit);
  };
  for (const r of rows) {
    if (r.t < newest - latenessMs) {
      releaseBelow(newest - latenessMs);
      out.push(r);
      continue;
    }
    held.push(r);
    newest = Math.max(newest, r.t);
  }
  releaseBelow(Infinity);
  return out;
}

function manifestBreakRef(rows: readonly Row[], latenessMs: number): Found[] {
  const found: Found[] = [];
  const chains = new Map<string, Row>();
  for (const r of reorderRef(rows.filter((x) => x.push && !x.failed), latenessMs)) {
    const key = JSON.stringify([r.tenant, r.repo, r.scope]);
    const p = chains.get(key);
    chains.set(key, r);
    if (p === undefined || p.manifestAfter === undefined || r.manifestBefore === undefined || r.manifestBefore === p.manifestAfter) continue;
    found.push({
      lines: [p.line, r.line],
      files: [p.file, r.file],
      ts: formatTs(r.t),
      message: `tenant ${q(r.tenant)} ${q(r.repo)}/${q(r.scope)}: push on line ${r.line} (machine ${q(r.machine)}) starts from manifest ${showManifest(r.manifestBefore)} but the previous successful push (line ${p.line}, machine ${q(p.machine)}) left ${showManifest(p.manifestAfter)}: a lost update or a second writer; pull on ${q(r.machine)}, re-apply its changes and push again, and let one client push this scope at a time`,
    });
  }
  return found;
}

function staleMachineRef(rows: readonly Row[], nowCut: number, now: number): Found[] {
  const found: Found[] = [];
  const names = [...new Set(rows.filter((r) => r.t <= nowCut).map((r) => r.machine))].sort();
  for (const name of names) {
    const mine = rows.filter((r) => r.t <= nowCut && r.machine === name);
    // The newest row and the newest successful push; among equal ts, the last to arrive / the first.
    const newest = mine.reduce((a, r) => (r.t >= a.t ? r : a));
    const pushes = mine.filter((r) => r.push && !r.failed);
    const lastPush = pushes.length === 0 ? null : pushes.reduce((a, r) => (r.t > a.t ? r : a));
    if (lastPush === null) {
      found.push({
        lines: [newest.line],
        files: [newest.file],
        ts: null,
        message: `machine ${q(name)} has no successful push in the log (newest row on line ${newest.line}): check its sync client runs and can reach the bucket, or retire the machine`,
      });
    } else if (now - lastPush.t > STALE_MACHINE_MS) {
      found.push({
        lines: [lastPush.line],
        files: [lastPush.file],
        ts: formatTs(lastPush.t),
        message: `machine ${q(name)} last pushed successfully ${humanDuration(now - lastPush.t)} before NOW (more than 24h): check its sync client (stop hook installed? credentials valid?) or retire the machine`,
      });
    }
  }
  return found;
}

function massChangeRef(rows: readonly Row[]): Found[] {
  return rows.filter((r) => r.push && r.filesTotal !== null && r.files * 2 > r.filesTotal).map((r) => {
    const total = r.filesTotal!;
    return {
      lines: [r.line],
      files: [r.file],
      ts: formatTs(r.t),
      message: `${r.failed ? 'failed push' : 'push'} of ${r.files} files is ${total === 0 ? '∞' : `${Math.round((r.files * 100) / total)}%`} of files_total ${total} for ${q(r.repo)}/${q(r.scope)} from machine ${q(r.machine)}: check the client did not delete or re-add the whole tree (restore from the previous manifest if so); ignore if it was an intended bulk change or a first push`,
    };
  });
}

function futureTsRef(rows: readonly Row[], nowCut: number): Found[] {
  return rows.filter((r) => r.t > nowCut + 5 * MIN).map((r) => ({
    lines: [r.line],
    files: [r.file],
    ts: formatTs(r.t),
    message: `row from machine ${q(r.machine)} is ${humanDuration(r.t - nowCut)} after NOW (more than 5m): fix that machine's clock (enable NTP); the row is left out of every output until NOW reaches it`,
  }));
}

/** Every row lint of the reference, in report order (errors first). */
function reference(rows: readonly Row[], o: { latenessMs: number; nowCut: number; now: number; keep: number }): Map<LintId, Expected> {
  return new Map<LintId, Expected>([
    ['manifest-break', tally('manifest-break', manifestBreakRef(rows, o.latenessMs), o.keep)],
    ['stale-machine', tally('stale-machine', staleMachineRef(rows, o.nowCut, o.now), o.keep)],
    ['mass-change', tally('mass-change', massChangeRef(rows), o.keep)],
    ['future-ts', tally('future-ts', futureTsRef(rows, o.nowCut), o.keep)],
  ]);
}

// ---- the properties --------------------------------------------------------------------------

const LATENESS = fc.constantFrom(0, 5 * MIN, 2 * HOUR, 3 * 24 * HOUR);
const KEEP = fc.constantFrom(0, 1, 3, Infinity);
const log = fc.array(spec, { minLength: 1, maxLength: 60 });

function operatorFor(id: LintId, ctx: LintContext, latenessMs: number): LintOperator {
  switch (id) {
    case 'manifest-break': return lintManifestBreak(ctx, latenessMs);
    case 'stale-machine': return lintStaleMachine(ctx);
    case 'mass-change': return lintMassChange(ctx);
    case 'future-ts': return lintFutureTs(ctx);
    default: throw new Error(`no row lint ${id}`);
  }
}

let unseen = 0;

describe('columnar lints against a reference over records', () => {
  it('give the same counts and kept findings for any chunking of the batches', async () => {
    await fc.assert(
      fc.asyncProperty(log, fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 12 }), LATENESS, KEEP, fc.boolean(), async (specs, cuts, latenessMs, keep, fixedNow) => {
        const rows = rowsOfSpecs(specs, 'events.ndjson', 'default');
        const nowCut = fixedNow ? NOW_MS : Infinity;
        const now = fixedNow ? NOW_MS : Math.max(...rows.map((r) => r.t));
        const batches: LintBatch[] = [];
        for (let pos = 0, c = 0; pos < rows.length; c++) {
          const size = cuts[c % cuts.length]!;
          batches.push({ rows: batchOf(rows.slice(pos, pos + size)), rejects: [], rejectTs: [], now: null, end: false });
          pos += size;
        }
        batches.push({ rows: EMPTY_BATCH, rejects: [], rejectTs: [], now, end: true });
        const expected = reference(rows, { latenessMs, nowCut, now, keep });
        for (const [id, want] of expected) {
          const got = await lastValueFrom(from(batches).pipe(operatorFor(id, { nowCut, keep, window: WHOLE_INPUT }, latenessMs), last()));
          expect({ id, count: got.out.count, findings: got.out.findings }).toEqual({ id, ...want });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('give the same findings through the lint scan, with and without --tenant', async () => {
    await fc.assert(
      fc.asyncProperty(log, LATENESS, KEEP, fc.integer({ min: -1, max: TENANTS.length }), async (specs, latenessMs, keep, which) => {
        // -1: no --tenant; TENANTS.length: a name never seen before (only rows without tenant_id are its own).
        const tenant = which < 0 ? null : TENANTS[which] ?? `nobody-${unseen++}`;
        const defaultTenant = tenant ?? 'default';
        const file = writeLines(join(tempDir(), 'events.ndjson'), specs.map((s) => JSON.stringify(rawOf(s))));
        const rows = rowsOfSpecs(specs, file, defaultTenant).filter((r) => tenant === null || r.tenant === tenant);
        const report = await lintFile(file, {
          lints: ['manifest-break', 'stale-machine', 'mass-change', 'future-ts'],
          tenant,
          keep,
          engine: { defaultTenant, maxLatenessMs: latenessMs },
        });
        const expected = reference(rows, { latenessMs, nowCut: NOW_MS, now: NOW_MS, keep });
        expect(report.counts).toEqual(Object.fromEntries([...expected].map(([id, e]) => [id, e.count])));
        expect(report.findings).toEqual([...expected.values()].flatMap((e) => e.findings));
      }),
      { numRuns: 60 },
    );
  });
});
