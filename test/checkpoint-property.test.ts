// Property: however a run is cut into processes (SIGTERM = checkpoint at that byte; SIGKILL = the
// work since the last checkpoint is lost and redone), the outputs equal one batch run. In-process,
// through the code the CLI uses: Engine + LineSplitter for reading, endPreview for every flush,
// encodeCheckpoint/decodeCheckpoint for the file round trip, and the resolved-alert history as
// the real sink writes it (a kill leaves what was written since the checkpoint, and half a line).
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../pipeline/engine/engine.js';
import { LineSplitter } from '../pipeline/source/lines.js';
import { buildSnapshot } from '../pipeline/engine/snapshot.js';
import { configKey, decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../pipeline/state/checkpoint.js';
import { endPreview } from '../pipeline/engine/session.js';
import { settleHistory } from '../pipeline/engine/outputs.js';
import { ResolvedHistory, resolvedLine } from '../sinks/resolved-history.js';
import { aggregateRows } from '../operators/metrics/cost-per-tenant-day.js';
import { openClusters } from '../operators/metrics/failure-clusters.js';
import { renderAlert } from '../sinks/render-alert.js';
import { EVERY_FAULT, generateLines } from '../bench/gen.js';
import { type Reject } from '../pipeline/core/row.js';
import { alertFileName } from '../pipeline/core/alerts.js';
import type { AggregateRow, Snapshot } from '../pipeline/core/snapshot.js';
import { engineConfig, tempDir } from './core-helpers.js';
import { type EngineConfig } from '../pipeline/state/engine-state.js';

const START = Date.parse('2026-04-08T00:00:00Z');
const H = 3_600_000;

/** Small generated logs (disorder, bad lines, a failure burst) with tail -f replays mixed in. */
function makeLog(seed: number): Buffer {
  const lines = [...generateLines({ rows: 300, seed: `cp-${seed}`, start: '2026-04-08T00:00:00Z', days: 0.15, tenants: 3, burstAt: '2026-04-08T01:00:00Z', ...EVERY_FAULT })];
  const out: string[] = [];
  lines.forEach((l, i) => {
    out.push(i % 97 === 50 ? `${l}\r` : l); // a CRLF line now and then
    if (i % 61 === 60) out.push(...lines.slice(i - 4, i + 1)); // repeated lines: every one counts
    if (i === 150) out.push('   ');
    // A stray line now and then: it takes the ts of the row before it, which a restart must remember.
    if (i % 53 === 20) out.push('sync: warning: stray output');
  });
  // The last line has no newline: it counts at the end of a batch, and must not be counted twice.
  return Buffer.from(out.join('\n'));
}

/**
 * A log of many failure bursts on one-minute ticks, for the resolved-alert history: clusters that
 * resolve at the same instant (ties by file name), keys that go quiet (resolved at last failure +
 * W, long after other keys' clusters resolved by a row), keys quiet to the end, slight disorder.
 */
function makeAlertLog(seed: number): Buffer {
  let x = seed;
  const rnd = (n: number): number => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 16) % n;
  const MIN = 60_000;
  const rows: Array<{ t: number; line: string }> = [];
  const add = (t: number, tenant: string, repo: string, failed: boolean): void => {
    const row = { ts: new Date(t).toISOString(), op: 'push', repo, scope: 'state', files: 1, bytes: 10, dur_ms: 5, trigger: 'cron', machine: `m${rnd(3)}`, tenant_id: tenant };
    rows.push({ t, line: JSON.stringify(failed ? { ...row, error: [`e${rnd(2)}`, 'cause'] } : row) });
  };
  for (let k = 0; k < 8; k++) {
    const tenant = `t${k % 3}`;
    const repo = `r${k}`;
    let t = START + rnd(10) * MIN;
    while (t < START + 3 * H) {
      for (let n = 3 + rnd(3); n > 0; n--, t += MIN) add(t, tenant, repo, true);
      if (k === 7 && t > START + 2 * H) break; // quiet to the end
      t += (rnd(2) === 0 ? rnd(3) : 15 + rnd(25)) * MIN; // a success soon, or W of quiet first
      add(t, tenant, repo, false);
      t += (1 + rnd(20)) * MIN;
    }
  }
  rows.sort((a, b) => a.t - b.t);
  for (let i = 1; i < rows.length; i++) {
    if (rnd(6) === 0 && rows[i]!.t - rows[i - 1]!.t <= 3 * MIN) [rows[i - 1], rows[i]] = [rows[i]!, rows[i - 1]!];
  }
  return Buffer.from(`${rows.map((r) => r.line).join('\n')}\n`);
}

const LOGS = [...[1, 2, 3, 4].map(makeLog), makeAlertLog(1), makeAlertLog(2)];

interface Policy {
  readonly name: string;
  readonly config: EngineConfig;
  /** The injected clock (wall policy: NOW), the same for every process. */
  readonly clock: number;
}

const POLICIES: Policy[] = [
  { name: 'fixed NOW after the log', config: engineConfig({ kind: 'fixed', ms: START + 4 * H }), clock: START + 30 * H },
  { name: 'fixed NOW inside the log', config: engineConfig({ kind: 'fixed', ms: START + 2 * H }), clock: START + 30 * H },
  { name: 'NOW = latest', config: engineConfig({ kind: 'latest' }), clock: START + 30 * H },
  { name: 'wall clock inside the log (rows ahead held)', config: engineConfig({ kind: 'wall' }), clock: START + 2 * H + 17 * 60_000 },
];

interface Outcome {
  snapshot: Snapshot;
  aggregates: AggregateRow[];
  open: string[];
  /** alerts-resolved.ndjson */
  resolved: string;
  rejects: Reject[];
}

const GENERATED_AT = START + 40 * H;

function outcomeOf(e: Engine, now: number, resolved: string, rejects: Reject[]): Outcome {
  return {
    snapshot: buildSnapshot(e.state, e.config.prices, now, GENERATED_AT),
    aggregates: aggregateRows(e.state.cost, e.config.prices),
    open: openClusters(e.state.clusters).map((c) => `${alertFileName(c)}\n${renderAlert(c)}`),
    resolved,
    rejects: rejects.slice(),
  };
}

const dir = tempDir('cp-property');
let files = 0;
const newHistoryPath = (): string => join(dir, `alerts-resolved-${++files}.ndjson`);

/**
 * The reference: one engine, one scan, end() — what `syncscope run FILE` always did — with every
 * resolved cluster held to the end, sorted by resolution (ties by file name) as SPEC §4 orders
 * the history: no history sink involved.
 */
function batch(bytes: Buffer, p: Policy): Outcome {
  const e = new Engine(p.config);
  const s = new LineSplitter();
  const rejects: Reject[] = [];
  rejects.push(...e.feed(s.push(bytes), p.clock, '/log'));
  rejects.push(...e.feed(s.end(), p.clock, '/log'));
  const now = e.end(p.clock);
  const resolved = e.takeResolved().map((c) => ({ at: c.resolved_at!, file: alertFileName(c), line: resolvedLine(c, c.resolved_at!) }));
  resolved.sort((a, b) => a.at - b.at || (a.file < b.file ? -1 : 1));
  return outcomeOf(e, now, resolved.map((r) => `${r.line}\n`).join(''), rejects);
}

type Kind = 'chunk' | 'tick' | 'term' | 'kill';
interface Event {
  readonly at: number;
  readonly kind: Kind;
}

interface Proc {
  engine: Engine;
  history: ResolvedHistory;
  splitter: LineSplitter;
  readPos: number;
}

let restartPoints = 0;
let previewsChecked = 0;

/** The same log cut into processes at the events; the outputs the last process writes. */
function simulate(bytes: Buffer, p: Policy, events: readonly Event[]): Outcome {
  let saved: string | null = null;
  const rejects: Reject[] = []; // the rejects file
  const path = newHistoryPath(); // alerts-resolved.ndjson
  const restore = (): Proc => {
    if (saved === null) {
      rejects.length = 0; // a fresh scan starts the rejects file over
      return { engine: new Engine(p.config), history: new ResolvedHistory(path, null), splitter: new LineSplitter(), readPos: 0 };
    }
    const cp = decodeCheckpoint(saved);
    if (cp.input.kind !== 'file') throw new Error('expected a file position');
    expect(cp.config).toEqual(configKey(p.config));
    rejects.length = cp.rejects_bytes; // Outputs cuts what was appended after the checkpoint
    return {
      engine: new Engine(p.config, cp.engine),
      history: new ResolvedHistory(path, cp.resolved_history),
      splitter: new LineSplitter(cp.input.offset, cp.input.line),
      readPos: cp.input.offset,
    };
  };
  const feedTo = (proc: Proc, end: number): void => {
    if (end <= proc.readPos) return;
    rejects.push(...proc.engine.feed(proc.splitter.push(bytes.subarray(proc.readPos, end)), p.clock, '/log'));
    proc.readPos = end;
    settleHistory(proc.history, proc.engine); // Outputs.settle
  };
  let proc = restore();
  for (const ev of events) {
    feedTo(proc, ev.at);
    if (ev.kind === 'tick') {
      // A follow tick: outputs from a preview; the live state must not change, and the preview
      // must show what a batch over the complete lines read so far shows.
      const before = JSON.stringify(proc.engine.state, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
      const pv = endPreview(proc.engine, p.clock);
      proc.history.writeTail(pv.resolved);
      const prefix = batch(bytes.subarray(0, proc.splitter.consumed), p);
      const got = outcomeOf(pv.engine, pv.now, readFileSync(path, 'utf8'), []);
      expect(got.snapshot).toEqual(prefix.snapshot);
      expect(got.aggregates).toEqual(prefix.aggregates);
      expect(got.open).toEqual(prefix.open);
      expect(got.resolved).toBe(prefix.resolved);
      expect(JSON.stringify(proc.engine.state, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).toBe(before);
      previewsChecked++;
    } else if (ev.kind === 'term') {
      const cp: Checkpoint = {
        config: configKey(p.config),
        input: { kind: 'file', path: '/log', fingerprint: null, offset: proc.splitter.consumed, line: proc.splitter.lineNumber },
        rejects_bytes: rejects.length,
        resolved_history: proc.history.mark(),
        engine: proc.engine.state,
      };
      saved = encodeCheckpoint(cp, p.clock);
      // Then the flush's outputs: the preview's tentative lines after the final part.
      proc.history.writeTail(endPreview(proc.engine, p.clock).resolved);
      proc = restore();
      restartPoints++;
    } else if (ev.kind === 'kill') {
      appendFileSync(path, '{"file":"sync-degraded-half a line'); // killed in the middle of a write
      proc = restore();
      restartPoints++;
    }
  }
  feedTo(proc, bytes.length);
  const final = endPreview(proc.engine, p.clock, [{ chunk: proc.splitter.end(), label: '/log' }]);
  rejects.push(...final.tailRejects);
  proc.history.writeTail(final.resolved);
  return outcomeOf(final.engine, final.now, readFileSync(path, 'utf8'), rejects);
}

describe('checkpoint/restart property', () => {
  const expected = new Map<string, Outcome>();
  const reference = (log: number, pol: number): Outcome => {
    const key = `${log}/${pol}`;
    let o = expected.get(key);
    if (o === undefined) expected.set(key, (o = batch(LOGS[log]!, POLICIES[pol]!)));
    return o;
  };

  afterAll(() => {
    // ~1,000 restart points in all (the brief's figure), plus the previews' batch-equality checks.
    expect(restartPoints).toBeGreaterThanOrEqual(1000);
    expect(previewsChecked).toBeGreaterThan(50);
  });

  it('the reference logs exercise what the checkpoint must carry', () => {
    for (let pol = 0; pol < POLICIES.length; pol++) {
      const o = reference(0, pol);
      const rows = o.snapshot.rows;
      // Repeated lines in a file all count (only a stdin restart's replay is a duplicate), so the
      // checkpoint carries no dedup memory and the totals must still match at every cut.
      expect(rows.duplicate).toBe(0);
      expect(rows.valid + rows.rejected).toBe(rows.read);
      expect(rows.rejected).toBeGreaterThan(0);
      // The §3.1 outputs have something to carry across a restart (their operators' state, the
      // per-file ts a rejected line takes, rejects held ahead of a wall-clock NOW).
      const s = o.snapshot;
      expect(s.top_errors_24h.length).toBeGreaterThan(0);
      expect(s.latency_24h.length).toBeGreaterThan(0);
      expect(s.trend.ops_7d).toBeGreaterThan(0);
      expect(s.health.newest_row_ts).not.toBeNull();
      expect(s.health.reasons.some((r) => /rejected line/.test(r)), POLICIES[pol]!.name).toBe(true);
    }
    for (const log of [0, 4, 5]) {
      const full = reference(log, 0);
      const lines = full.resolved.split('\n').filter((l) => l !== '');
      expect(lines.length).toBe(full.snapshot.alerts.resolved);
      expect(lines.length).toBeGreaterThan(log === 0 ? 1 : 20);
    }
  });

  it('1,000 random kill/restart points: totals always equal the batch result', () => {
    const event = fc.record({
      // Unbiased: fast-check's default bias would pile the cuts up at the very start and end.
      at: fc.noBias(fc.integer({ min: 0, max: 1_000_000 })),
      kind: fc.constantFrom<Kind>('term', 'term', 'term', 'kill', 'kill', 'chunk', 'chunk', 'tick'),
    });
    fc.assert(
      fc.property(
        fc.nat({ max: LOGS.length - 1 }),
        fc.nat({ max: POLICIES.length - 1 }),
        fc.array(event, { minLength: 8, maxLength: 18 }),
        (log, pol, raw) => {
          const bytes = LOGS[log]!;
          const events = raw.map((e) => ({ at: Math.floor((e.at / 1_000_000) * bytes.length), kind: e.kind })).sort((a, b) => a.at - b.at);
          const got = simulate(bytes, POLICIES[pol]!, events);
          const want = reference(log, pol);
          expect(got.snapshot).toEqual(want.snapshot);
          expect(got.aggregates).toEqual(want.aggregates);
          expect(got.open).toEqual(want.open);
          expect(got.resolved).toEqual(want.resolved);
          expect(got.rejects).toEqual(want.rejects);
        },
      ),
      { numRuns: 140, seed: 20260416 },
    );
  });
});
