import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVERY_FAULT, generateLines } from '../bench/gen.js';
import { LineSplitter } from '../pipeline/source/lines.js';
import { ingest } from '../pipeline/engine/ingest.js';
import { lastLineEnd, MIN_PARALLEL_BYTES, scanInParallel } from '../pipeline/engine/parallel-scan.js';
import { rowsOf } from '../pipeline/core/columns.js';
import type { Reject, Row } from '../pipeline/core/row.js';
import { runCliSync, tempDir } from './core-helpers.js';

/** The built worker: vitest runs the sources, but a worker thread needs JavaScript. */
const WORKER = new URL('../dist/pipeline/engine/scan-worker.js', import.meta.url);
const OPTS = { defaultTenant: 'default' };

interface Scan {
  rows: Row[];
  rejects: Reject[];
  read: number;
  offset: number;
  line: number;
}

/** The reference: one splitter and one ingest over the complete lines, on this thread. */
function oneThread(bytes: Buffer, label: string): Scan {
  const end = bytes.lastIndexOf(10) + 1;
  const s = new LineSplitter();
  const c = s.push(bytes.subarray(0, end));
  const res = ingest(c, 0, c.lines.length, label, OPTS);
  return { rows: rowsOf(res.rows), rejects: res.rejects, read: res.read, offset: end, line: s.lineNumber };
}

async function workers(path: string, label: string, size: number, n: number, chunkBytes: number): Promise<Scan> {
  const out: Scan = { rows: [], rejects: [], read: 0, offset: 0, line: 1 };
  const end = await scanInParallel({
    path, label, defaultTenant: 'default', manifests: true, start: 0, line: 1, size, workers: n, chunkBytes,
    onChunk: (c) => {
      out.rows.push(...rowsOf(c.rows));
      out.rejects.push(...c.rejects);
      out.read += c.read;
    },
    stopped: () => false,
  }, WORKER);
  return { ...out, offset: end.offset, line: end.line };
}

const realistic = [...generateLines({ rows: 400, seed: 'par', start: '2026-04-01T00:00:00Z', days: 1, ...EVERY_FAULT })];
const tricky = [
  '',
  '   ',
  '\t',
  '{"not":"a row"}',
  'garbage {',
  '[1,2]',
  `{"ts":"2026-04-01T00:00:00Z","op":"push","repo":"r","scope":"s","machine":"m","trigger":"t","files":1,"bytes":2,"dur_ms":3,"pad":"${'x'.repeat(70 * 1024)}"}`,
  '{"ts":"2026-04-01T00:00:01Z","op":"pull","repo":"r\\u00e9","scope":"s","machine":"m","trigger":"t","files":1,"bytes":2,"dur_ms":3}\r',
  '{"ts":"2026-04-01T00:00:02Z","op":"push","repo":"ü","scope":"s","machine":"m","trigger":"t","files":1,"bytes":2,"dur_ms":3,"error":["a","b"]}',
];

describe('parallel scan (worker threads)', () => {
  it('hands on exactly the rows, rejects, counts and end position of one thread, wherever the chunks cut', async () => {
    const dir = tempDir('par-');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constantFrom(...realistic), fc.constantFrom(...tricky)), { minLength: 1, maxLength: 120 }),
        fc.boolean(),
        fc.option(fc.constantFrom('{"ts":"2026-04', '  ', '{}'), { nil: undefined }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 9000 }),
        async (lines, bom, unterminated, n, chunkBytes) => {
          const text = `${bom ? '\ufeff' : ''}${lines.join('\n')}\n${unterminated ?? ''}`;
          const bytes = Buffer.from(text);
          const path = join(dir, 'log.ndjson');
          writeFileSync(path, bytes);
          const want = oneThread(bytes, 'log.ndjson');
          const got = await workers(path, 'log.ndjson', bytes.length, n, chunkBytes);
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);

  it('lastLineEnd finds the end of the last complete line, even past a read window', () => {
    const dir = tempDir('par-');
    const path = join(dir, 'f');
    writeFileSync(path, `a\nbb\n${'c'.repeat(200_000)}`);
    expect(lastLineEnd(path, 0, 5 + 200_000)).toBe(5);
    expect(lastLineEnd(path, 5, 5 + 200_000)).toBe(5);
    writeFileSync(path, 'a\nbb\n');
    expect(lastLineEnd(path, 0, 5)).toBe(5);
  });

  it('the built CLI writes byte-identical outputs and checkpoint with --threads 1, 2 and 3', () => {
    const dir = tempDir('par-cli-');
    const log = join(dir, 'big.ndjson');
    // Past the size below which a run stays on one thread (8 MiB).
    const lines = [...generateLines({ rows: 36_000, seed: 'threads', start: '2026-04-01T00:00:00Z', days: 3, ...EVERY_FAULT })];
    writeFileSync(log, `${lines.join('\n')}\n`);
    expect(statSync(log).size).toBeGreaterThan(MIN_PARALLEL_BYTES);
    const outputs = (threads: number): Map<string, string> => {
      const state = join(dir, `state-${threads}`);
      const r = runCliSync(['run', log, '--state', state, '--now', '2026-04-04T00:00:00Z', '--threads', String(threads), '--no-progress']);
      expect(r.code, r.stderr).toBe(0);
      const files = new Map<string, string>();
      const walk = (d: string): void => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
          const p = join(d, e.name);
          if (e.isDirectory()) walk(p);
          else if (!e.name.endsWith('.lock')) files.set(p.slice(state.length), stable(readFileSync(p, 'utf8')));
        }
      };
      walk(state);
      return files;
    };
    const one = outputs(1);
    expect(one.size).toBeGreaterThan(4);
    // 2 threads: one scan worker beside the main thread; 3: two workers, merged in input order.
    for (const threads of [2, 3]) {
      const more = outputs(threads);
      expect([...more.keys()].sort()).toEqual([...one.keys()].sort());
      for (const [name, text] of one) expect(more.get(name), `${name} with --threads ${threads}`).toBe(text);
    }
  }, 120_000);
});

/** Wall-clock stamps differ between two runs; everything else must not. */
function stable(text: string): string {
  return text
    .replace(/(\\?)"(generated_at|updated_at|reported_at|saved_at)\1":\1"[^"\\]*\1"/g, '"$2":"…"')
    .replace(/"sha256":"[0-9a-f]+"/g, '"sha256":"…"')
    .replace(/(generated|Generated)[^\n]*\d{4}-\d\d-\d\dT[^\n]*/g, '$1 …');
}

