/**
 * The floor: the least work any ndjson consumer must do — read the file, split it into lines,
 * JSON.parse each non-empty one. Nothing else, so "pipeline ÷ floor" says how much the real
 * work costs on top of parsing. Prints {"rows":N,"ms":T}. Several files (a fleet) are read one
 * after the other and summed: the same bytes a merged `run` reads.
 *
 *   node dist/bench/floor.js FILE [FILE…]
 */
import { createReadStream } from 'node:fs';

async function floor(paths: readonly string[]): Promise<{ rows: number; ms: number }> {
  const started = performance.now();
  let rows = 0;
  let carry: Buffer | null = null;
  let sink: unknown = null; // keeps the parse results observable, so nothing is optimised away
  const parseLines = (text: string): void => {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      if (line.length === 0) continue;
      try {
        sink = JSON.parse(line);
      } catch {
        // a bad line still costs the parse attempt, as it does in any consumer
      }
      rows++;
    }
  };
  for (const path of paths) {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      const buf: Buffer = carry === null ? (chunk as Buffer) : Buffer.concat([carry, chunk as Buffer]);
      const lastNewline = buf.lastIndexOf(10);
      if (lastNewline < 0) {
        carry = buf;
        continue;
      }
      parseLines(buf.toString('utf8', 0, lastNewline));
      carry = lastNewline + 1 < buf.length ? buf.subarray(lastNewline + 1) : null;
    }
    if (carry !== null) parseLines(carry.toString('utf8'));
    carry = null; // a file's last line ends with the file
  }
  if (sink === undefined) process.stderr.write(''); // never true; reads `sink` once
  return { rows, ms: Math.round(performance.now() - started) };
}

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node dist/bench/floor.js FILE [FILE…]\n');
  process.exit(2);
}
floor(files).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (err: unknown) => {
    process.stderr.write(`floor: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
