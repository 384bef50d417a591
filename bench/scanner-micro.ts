/**
 * Micro-benchmark of the line scanner against the reference path, per line, on a log held in
 * memory (split the way LineSplitter splits it, in 64 KiB reads). Not a test: it prints figures.
 * Three ways to turn a line into a row:
 *
 *   scanner    LineScanner.scanLine into a batch, the reference path then append when it refuses
 *   reference  JSON.parse + parseTs + toRow, as ingest does (a Row record, no batch)
 *   refBatch   the reference path, then RowBatchBuilder.append(row)
 *
 *   node dist/bench/scanner-micro.js FILE [repeats]
 *
 * Each path runs in processes of its own (JIT state never shared), the paths taking turns
 * `repeats` times (default 5); a process times 7 passes over the log by CPU time and keeps the
 * last 5. Prints the median ns per line of each path and its ratio to the reference.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LineSplitter } from '../pipeline/source/lines.js';
import { LineScanner } from '../pipeline/engine/line-scanner.js';
import { toRow } from '../pipeline/engine/row-parser.js';
import { parseTs } from '../pipeline/core/time.js';
import { NAMES, RowBatchBuilder } from '../pipeline/core/columns.js';
import type { Row } from '../pipeline/core/row.js';

const PATHS = ['scanner', 'reference', 'refBatch'] as const;
type Path = (typeof PATHS)[number];
const PASSES = 7;
const WARM_PASSES = 2;
const BATCH_ROWS = 8192;
const FILE_NAME = 'bench.ndjson';
const DEFAULT_TENANT = 'default';

function reference(text: string, line: number): Row | null {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return null;
  const rec = o as Record<string, unknown>;
  const t = typeof rec.ts === 'string' ? parseTs(rec.ts) : NaN;
  return t === t ? toRow(rec, t, FILE_NAME, line, DEFAULT_TENANT) : null;
}

function readLines(path: string): string[] {
  const data = readFileSync(path);
  const splitter = new LineSplitter();
  const lines: string[] = [];
  for (let at = 0; at < data.length; at += 65_536) lines.push(...splitter.push(data.subarray(at, at + 65_536)).lines);
  lines.push(...splitter.end().lines);
  return lines.filter((l) => l.length > 0);
}

/** One child: `passes` timed passes of one path; prints the ns per line of the passes after the warm ones. */
function child(path: string, which: Path): void {
  const lines = readLines(path);
  const fileId = NAMES.id(FILE_NAME);
  const defaultTenantId = NAMES.id(DEFAULT_TENANT);
  const scanner = new LineScanner();
  const one: (out: RowBatchBuilder, text: string, line: number) => boolean =
    which === 'scanner'
      ? (out, text, line) => {
          if (scanner.scanLine(text, out, fileId, line, defaultTenantId)) return true;
          const row = reference(text, line);
          if (row !== null) out.append(row);
          return row !== null;
        }
      : which === 'reference'
        ? (_out, text, line) => reference(text, line) !== null
        : (out, text, line) => {
            const row = reference(text, line);
            if (row !== null) out.append(row);
            return row !== null;
          };
  const nsPerLine: number[] = [];
  for (let pass = 0; pass < PASSES; pass++) {
    const started = process.cpuUsage();
    let out = new RowBatchBuilder(BATCH_ROWS);
    let rows = 0;
    for (let i = 0; i < lines.length; i++) {
      if (out.full) out = new RowBatchBuilder(BATCH_ROWS);
      if (one(out, lines[i]!, i + 1)) rows++;
    }
    const used = process.cpuUsage(started);
    if (rows === 0) throw new Error('no rows');
    nsPerLine.push(((used.user + used.system) * 1000) / lines.length);
  }
  process.stdout.write(`${JSON.stringify({ lines: lines.length, nsPerLine: nsPerLine.slice(WARM_PASSES) })}\n`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function main(): void {
  const [path, third] = process.argv.slice(2);
  if (path === undefined) {
    process.stderr.write('usage: node dist/bench/scanner-micro.js FILE [repeats]\n');
    process.exit(2);
  }
  if (process.env.SCANNER_MICRO_PATH !== undefined) {
    child(path, process.env.SCANNER_MICRO_PATH as Path);
    return;
  }
  const repeats = Number(third ?? 5);
  const samples: Record<Path, number[]> = { scanner: [], reference: [], refBatch: [] };
  let lines = 0;
  for (let r = 0; r < repeats; r++) {
    for (const which of PATHS) {
      const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), path], {
        env: { ...process.env, SCANNER_MICRO_PATH: which },
        encoding: 'utf8',
      });
      const res = JSON.parse(out) as { lines: number; nsPerLine: number[] };
      lines = res.lines;
      samples[which].push(...res.nsPerLine);
    }
  }
  const ref = median(samples.reference);
  const result = Object.fromEntries(
    PATHS.map((p) => [p, { nsPerLine: Math.round(median(samples[p])), vsReference: Number((median(samples[p]) / ref).toFixed(2)) }]),
  );
  process.stdout.write(`${JSON.stringify({ lines, samplesPerPath: samples.scanner.length, ...result })}\n`);
}

main();
