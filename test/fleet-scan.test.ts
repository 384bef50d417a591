// The fast path of a merged batch (worker threads scan each file's bulk, pipeline/engine/fleet-scan.ts)
// against its reference (this thread reads every file): the same rows in the same order, the
// same rejects with the same dates, and each tailer left where the next read must start.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVERY_FAULT, generateLines } from '../bench/gen.js';
import { FileTailer } from '../pipeline/source/file-tailer.js';
import { MergedReader } from '../pipeline/engine/merged-files.js';
import { FleetScan } from '../pipeline/engine/fleet-scan.js';
import type { IngestResult } from '../pipeline/engine/ingest.js';
import { rowsOf } from '../pipeline/core/columns.js';
import { tempDir } from './core-helpers.js';

/** The built worker: vitest runs the sources, but a worker thread needs JavaScript. */
const WORKER = new URL('../dist/pipeline/engine/scan-worker.js', import.meta.url);
const INGEST = { defaultTenant: 'default', manifests: false };
const noop = (): void => {};

interface Read {
  delivered: { rows: string[]; rejects: string[]; rejectTs: number[] }[];
  positions: string[];
  tails: string[];
  errors: string[];
}

async function readFleet(paths: readonly string[], scan: { workers: number; chunkBytes: number } | null): Promise<Read> {
  const files = paths.map((p) => ({ tailer: new FileTailer(p, { emit: noop, plan: [{ path: p, offset: 0, line: 1, final: false }] }), label: p }));
  const fleet = scan === null ? undefined : new FleetScan(
    files.map((f) => {
      const b = f.tailer.bulkRange();
      return b === null ? null : { ...b, label: f.label };
    }),
    { workers: scan.workers, defaultTenant: 'default', manifests: false, chunkBytes: scan.chunkBytes },
    WORKER,
  );
  const out: Read = { delivered: [], positions: [], tails: [], errors: [] };
  const reader = new MergedReader(files, INGEST, {}, (f, err) => out.errors.push(`${f.label}: ${String(err)}`), fleet);
  const deliver = (r: IngestResult): void => {
    out.delivered.push({
      rows: rowsOf(r.rows).map((x) => `${x.file}:${x.line}:${x.t}`),
      rejects: r.rejects.map((x) => `${x.file}:${x.line}:${x.reason}`),
      rejectTs: [...(r.rejectTs ?? [])],
    });
  };
  try {
    while (await reader.step(deliver));
    reader.drain(deliver);
  } finally {
    await fleet?.close();
  }
  for (const f of files) {
    const p = f.tailer.position();
    out.positions.push(`${p.offset}:${p.line}`);
    out.tails.push(f.tailer.finish().lines.join('|'));
    f.tailer.close();
  }
  return out;
}

/**
 * Everything delivered: the rows in the order the engine is fed them; the rejects, each with
 * its date, as a set (they are delivered as read, so files interleave by how reads cut them).
 */
function fed(r: Read): { rows: string[]; rejects: string[] } {
  return {
    rows: r.delivered.flatMap((d) => d.rows),
    rejects: r.delivered.flatMap((d) => d.rejects.map((x, i) => `${x} @${d.rejectTs[i]}`)).sort(),
  };
}

const lines = [...generateLines({ rows: 600, seed: 'fleet-scan', start: '2026-04-01T00:00:00Z', days: 1, ...EVERY_FAULT })];

describe('FleetScan (worker threads) against reading every file on this thread', () => {
  it('feeds the engine the same rows in the same order, the same dated rejects, and leaves each file at the same place', async () => {
    const dir = tempDir('fleet-scan');
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.nat({ max: lines.length }), fc.nat({ max: 200 }), fc.boolean()), { minLength: 1, maxLength: 5 }),
      fc.integer({ min: 1, max: 2 }),
      fc.integer({ min: 200, max: 5000 }),
      async (specs, workers, chunkBytes) => {
        const paths = specs.map(([from, count, unterminated], k) => {
          const p = join(dir, `f${k}-${from}-${count}.ndjson`);
          const body = lines.slice(from, from + count).join('\n');
          writeFileSync(p, body.length === 0 || unterminated ? body : `${body}\n`);
          return p;
        });
        const reference = await readFleet(paths, null);
        const scanned = await readFleet(paths, { workers, chunkBytes });
        expect(scanned.errors).toEqual([]);
        expect(fed(scanned)).toEqual(fed(reference));
        expect(scanned.positions).toEqual(reference.positions);
        expect(scanned.tails).toEqual(reference.tails);
      },
    ), { numRuns: 20 });
  }, 120_000);
});
