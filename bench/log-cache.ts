/**
 * Generated logs the benchmarks read, cached (under .tmp/bench/). A file's name holds everything
 * its bytes depend on: the generator's version and every option (a short hash of all of them,
 * plus the readable ones), so changing any option, or a generator default the caller spelled
 * out, can never pick up a stale log.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATOR_VERSION, generateLines, writeLines, type FullGenOptions } from './gen.js';
import { validateRow } from './oracle.js';

/** e.g. `sync-events-v1-1000000r-bench-30d-3f9a0c1d2e.ndjson`; the hash covers every option. */
export function logFileName(opts: FullGenOptions): string {
  const all = Object.entries(opts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const hash = createHash('sha256').update(JSON.stringify([GENERATOR_VERSION, all])).digest('hex').slice(0, 10);
  const seed = String(opts.seed).replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40);
  return `sync-events-v${GENERATOR_VERSION}-${opts.rows}r-${seed}-${opts.days}d-${hash}.ndjson`;
}

/** The log for these options in `dir`, generated once and reused. */
export async function cachedLog(dir: string, opts: FullGenOptions, onGenerate: (file: string) => void = () => {}): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, logFileName(opts));
  if (existsSync(file)) return file;
  onGenerate(file);
  await writeFileAtomically(file, (out) => writeLines(generateLines(opts), out));
  return file;
}

/** jq stops at the first bad line, so it gets a copy holding only the rows the validator accepts. */
export async function validRowsFile(file: string): Promise<string> {
  const clean = file.replace(/\.ndjson$/, '.valid.ndjson');
  if (existsSync(clean)) return clean;
  await writeFileAtomically(clean, (out) => writeLines(validLines(file), out));
  return clean;
}

export async function countLines(file: string): Promise<number> {
  let n = 0;
  for await (const line of splitLines(file)) if (line !== '') n++;
  return n;
}

async function* splitLines(file: string): AsyncGenerator<string> {
  let carry = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const parts = (carry + (chunk as string)).split('\n');
    carry = parts.pop() as string;
    yield* parts;
  }
  if (carry !== '') yield carry;
}

async function* validLines(file: string): AsyncGenerator<string> {
  for await (const line of splitLines(file)) {
    try {
      if ('row' in validateRow(JSON.parse(line))) yield line;
    } catch {
      // not JSON: left out
    }
  }
}

async function writeFileAtomically(file: string, write: (out: NodeJS.WritableStream) => Promise<void>): Promise<void> {
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  await write(out);
  out.end();
  await once(out, 'finish');
  renameSync(partial, file);
}
