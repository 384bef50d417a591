/**
 * Generated logs the benchmarks read, cached (under .tmp/bench/). A file's name holds everything
 * its bytes depend on: the generator's version and every option (a short hash of all of them,
 * plus the readable ones), so changing any option, or a generator default the caller spelled
 * out, can never pick up a stale log. A fleet (one file per machine) is cached as a folder named
 * the same way.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATOR_VERSION, generateLines, writeFleet, writeLines, type FullFleetOptions, type FullGenOptions } from './gen.js';
import { validateRow } from './oracle.js';

/** e.g. `sync-events-v1-1000000r-bench-30d-3f9a0c1d2e.ndjson`; the hash covers every option. */
export function logFileName(opts: FullGenOptions): string {
  return `sync-events-v${GENERATOR_VERSION}-${opts.rows}r-${readableSeed(opts)}-${opts.days}d-${optionsHash(opts)}.ndjson`;
}

/** e.g. `fleet-v1-50x20000r-bench-30d-3f9a0c1d2e`: a folder of one file per machine. */
export function fleetDirName(opts: FullFleetOptions): string {
  return `fleet-v${GENERATOR_VERSION}-${opts.machines}x${opts.rows}r-${readableSeed(opts)}-${opts.days}d-${optionsHash(opts)}`;
}

function optionsHash(opts: FullGenOptions | FullFleetOptions): string {
  const all = Object.entries(opts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify([GENERATOR_VERSION, all])).digest('hex').slice(0, 10);
}

function readableSeed(opts: FullGenOptions): string {
  return String(opts.seed).replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40);
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

/**
 * The fleet for these options in `dir`, generated once and reused: its files' paths in code-unit
 * order, as a shell expands `<folder>/*.ndjson`. Written to a `.partial` folder renamed when
 * complete, so an interrupted run never leaves half a fleet to be reused.
 */
export async function cachedFleet(dir: string, opts: FullFleetOptions, onGenerate: (folder: string) => void = () => {}): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const folder = join(dir, fleetDirName(opts));
  if (!existsSync(folder)) {
    onGenerate(folder);
    const partial = `${folder}.partial`;
    rmSync(partial, { recursive: true, force: true });
    await writeFleet(partial, opts);
    renameSync(partial, folder);
  }
  return readdirSync(folder).filter((f) => f.endsWith('.ndjson')).sort().map((f) => join(folder, f));
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
