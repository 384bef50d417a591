// Exactly once, as properties (SPEC §3 v2): every line of one stream counts, byte-identical or
// not; only the replayed overlap of a restarted stdin stream is a duplicate. In-process, through
// the code the CLI uses (startRun / runBatch with real state folders and checkpoints).
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EVERY_FAULT, generateLines } from '../bench/gen.js';
import { computeOracle, diffWithOracle } from '../bench/oracle.js';
import { startRun } from '../pipeline/engine/run-loop.js';
import { runBatch } from '../pipeline/engine/run.js';
import { FileKv } from '../sinks/kv/file-kv.js';
import type { Snapshot } from '../pipeline/core/snapshot.js';
import { engineConfig, readSnapshot, tempDir } from './core-helpers.js';
import { type EngineConfig } from '../pipeline/state/engine-state.js';

const root = tempDir('once');
let dirs = 0;
const freshDir = (): string => join(root, `d${dirs++}`);
const quiet = (): void => {};

/** One `run -` process: feeds `text`, then either stops (a signal, stdin still open) or sees EOF. */
async function stdinProcess(state: string, engine: EngineConfig, text: string, how: 'signal' | 'eof'): Promise<void> {
  const stdin = new PassThrough();
  // A KV store of its own per process: the KV's one-write-per-second rule would make each quick
  // restart wait for the clock, and the KV is not what this property is about.
  const kv = new FileKv(join(freshDir(), 'kv'));
  const run = startRun({ input: '-', stateDir: state, engine, follow: false, tickMs: Infinity, stdin, stdinTicks: false, emit: quiet, kv });
  if (how === 'eof') {
    stdin.end(text);
  } else {
    stdin.write(text);
    // Let every written chunk reach the run as a 'data' event before the signal.
    while (stdin.readableLength > 0 || stdin.writableLength > 0) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    run.stop();
  }
  await run.done;
}

const lines = (ls: readonly string[]): string => ls.map((l) => `${l}\n`).join('');

describe('every line of a file counts (no dedup by content)', () => {
  it('random logs with byte-identical rows mixed in equal an independent count in which every line counts', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.array(fc.record({ at: fc.nat({ max: 10_000 }), copies: fc.integer({ min: 1, max: 3 }), gap: fc.nat({ max: 4 }) }), { minLength: 1, maxLength: 30 }),
        async (seed, repeats) => {
          const base = [...generateLines({ rows: 300, seed, start: '2026-04-15T00:00:00Z', days: 1, tenants: 3, ...EVERY_FAULT })];
          // Copy lines (valid, invalid, failing alike) to a few lines later: retries, identical pulls.
          const log = base.slice();
          for (const r of repeats) {
            const from = r.at % log.length;
            const to = Math.min(log.length, from + 1 + r.gap);
            log.splice(to, 0, ...Array.from({ length: r.copies }, () => log[from]!));
          }
          const dir = freshDir();
          const path = join(root, `log-${dirs}.ndjson`);
          writeFileSync(path, lines(log));
          await runBatch({ input: path, stateDir: dir, engine: engineConfig({ kind: 'latest' }), emit: quiet, checkpoints: false });
          const got = readSnapshot(dir);
          expect(diffWithOracle(computeOracle(log), got)).toEqual([]);
          expect(got.rows.duplicate).toBe(0);
          expect(got.rows.read).toBe(log.filter((l) => l.trim() !== '').length);
        },
      ),
      { numRuns: 25, seed: 20261130 },
    );
  });
});

describe('stdin restarts: only the replayed overlap is a duplicate', () => {
  const NOW = Date.parse('2026-04-16T00:00:00Z');
  /** Distinct lines, one every 2 minutes: a replay of 50 lines spans 100 minutes, far past the 5m window. */
  function distinctLog(seed: number, n: number): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const l of generateLines({ rows: n, seed, start: '2026-04-15T14:00:00Z', days: (n * 2) / 1440, tenants: 3, ...EVERY_FAULT })) {
      if (l.trim() === '' || seen.has(l)) continue;
      seen.add(l);
      out.push(l);
    }
    return out;
  }

  it('restarts that re-send the last k ∈ [0, 50] lines give the totals of one batch run, with duplicate = Σk', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.array(fc.record({ cut: fc.nat({ max: 1_000 }), k: fc.integer({ min: 0, max: 50 }) }), { minLength: 1, maxLength: 4 }),
        async (seed, restarts) => {
          const log = distinctLog(seed, 240);
          const engine = engineConfig({ kind: 'fixed', ms: NOW });
          const cuts = [...new Set(restarts.map((r) => 1 + Math.floor((r.cut / 1_001) * (log.length - 1))))].sort((a, b) => a - b);
          const state = freshDir();
          let from = 0;
          let replayed = 0;
          for (let i = 0; i <= cuts.length; i++) {
            const end = i < cuts.length ? cuts[i]! : log.length;
            const k = i === 0 ? 0 : Math.min(restarts[i - 1]!.k, from);
            replayed += k;
            await stdinProcess(state, engine, lines(log.slice(from - k, end)), i < cuts.length ? 'signal' : 'eof');
            from = end;
          }
          const ref = freshDir();
          await stdinProcess(ref, engine, lines(log), 'eof');
          const got = readSnapshot(state);
          const want = readSnapshot(ref);
          expect(got.rows).toEqual({ ...want.rows, read: want.rows.read + replayed, duplicate: replayed });
          const strip = (s: Snapshot): unknown => ({ ...s, generated_at: '-', rows: { ...s.rows, read: 0, duplicate: 0 } });
          expect(strip(got)).toEqual(strip(want));
          expect(readFileSync(join(state, 'log', 'evals.aggregate.ndjson'), 'utf8')).toBe(readFileSync(join(ref, 'log', 'evals.aggregate.ndjson'), 'utf8'));
        },
      ),
      { numRuns: 20, seed: 20261130 },
    );
  });

  it('the documented edge: a new line identical to the last line before a restart is taken for the replay', async () => {
    // A row that really happened twice, the second time just after the pipeline restarted, with
    // no replay in between: the stream cannot tell it from a replayed line, so it is a duplicate.
    const row = (ts: string): string => JSON.stringify({ ts, op: 'push', repo: 'r', scope: 's', files: 1, bytes: 1, dur_ms: 0, trigger: 't', machine: 'm', ok: false, error: 'refused' });
    const a = row('2026-04-15T23:00:00Z');
    const retry = row('2026-04-15T23:00:01Z');
    const state = freshDir();
    const engine = engineConfig({ kind: 'fixed', ms: NOW });
    await stdinProcess(state, engine, lines([a, retry]), 'signal');
    await stdinProcess(state, engine, lines([retry, row('2026-04-15T23:00:02Z')]), 'eof');
    expect(readSnapshot(state).rows).toMatchObject({ read: 4, valid: 3, duplicate: 1 });
    // Within one stream the same two lines both count.
    const once = freshDir();
    await stdinProcess(once, engine, lines([a, retry, retry, row('2026-04-15T23:00:02Z')]), 'eof');
    expect(readSnapshot(once).rows).toMatchObject({ read: 4, valid: 4, duplicate: 0 });
  });
});
