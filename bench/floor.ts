/**
 * The floor: the least work any ndjson consumer must do — read the file, split it into lines,
 * JSON.parse each non-empty one. Nothing else, so "pipeline ÷ floor" says how much the real
 * work costs on top of parsing. Prints {"rows":N,"ms":T}.
 *
 *   node dist/bench/floor.js FILE
 */
import { createReadStream } from 'node:fs';

async function floor(path: string): Promise<{ rows: number; ms: number }> {
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
  if (sink === undefined) process.stderr.write(''); // never true; reads `sink` once
  return { rows, ms: Math.round(performance.now() - started) };
}

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: node dist/bench/floor.js FILE\n');
  process.exit(2);
}
floor(file).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (err: unknown) => {
    process.stderr.write(`floor: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
