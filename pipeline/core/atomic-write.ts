import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { onFile } from './io-error.js';

/** Longest file name (bytes) on the file systems we write to. */
const NAME_MAX = 255;

/** Temp files are `<name>.tmp-<pid>-<n>`; a run removes those a killed process left behind. */
export const TEMP_NAME = /\.tmp-(\d+)-\d+$/;
let tmpCounter = 0;

/** The temp file beside `path`; a long target name is cut (at a character) so the temp name fits NAME_MAX. */
export function tempPathFor(path: string): string {
  const suffix = `.tmp-${process.pid}-${++tmpCounter}`;
  const name = Buffer.from(basename(path));
  const room = NAME_MAX - suffix.length;
  if (name.length <= room) return `${path}${suffix}`;
  let end = room;
  while (end > 0 && ((name[end] ?? 0) & 0xc0) === 0x80) end--; // not inside a UTF-8 sequence
  return join(dirname(path), `${name.subarray(0, end).toString()}${suffix}`);
}

/** writeSync may write less than asked (a signal, a file size limit): write the rest. */
function writeAll(fd: number, data: Buffer): void {
  for (let done = 0; done < data.length; ) done += writeSync(fd, data, done, data.length - done);
}

function openCreating(file: string, flag: 'w' | 'wx'): number {
  try {
    return openSync(file, flag);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dirname(file), { recursive: true });
    return openSync(file, flag);
  }
}

export interface WriteWholeOptions {
  /** Only create the file: when it exists already, write nothing and return false (open flag `wx`). */
  readonly exclusive?: boolean;
  /** fsync before closing; default false. */
  readonly durable?: boolean;
  /** The path errors name, when `file` stands in for it (a temp file); default `file`. */
  readonly shownAs?: string;
}

/**
 * Opens `file` (creating its folder as needed, every time it is missing: it may be deleted while
 * a follow runs), writes all of `data`, fsyncs when `durable`, closes. A file the write
 * failed to fill is removed, never left half-written. Errors name `shownAs` and the OS error in
 * words (FileError). Returns false only for an `exclusive` write whose file exists already.
 */
export function writeWholeFile(file: string, data: string | Buffer, options: WriteWholeOptions = {}): boolean {
  const shownAs = options.shownAs ?? file;
  let fd: number;
  try {
    fd = openCreating(file, options.exclusive === true ? 'wx' : 'w');
  } catch (err) {
    if (options.exclusive === true && (err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw onFile(err, 'write', shownAs);
  }
  try {
    try {
      writeAll(fd, typeof data === 'string' ? Buffer.from(data) : data);
      if (options.durable === true) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    rmSync(file, { force: true });
    throw onFile(err, 'write', shownAs);
  }
  return true;
}

export interface AtomicWriteOptions {
  /**
   * fsync the temp file before the rename, so the new content survives a power cut. Only the
   * checkpoint asks for it (a resume must survive one); every other output is rebuilt from the
   * checkpoint by the next run, and the rename alone already keeps readers from half a file.
   */
  readonly durable?: boolean;
  /**
   * For a file rewritten at every tick: write nothing when this process last wrote these very
   * bytes to `path` and the file is untouched since (same inode, size, mtime and ctime).
   */
  readonly skipUnchanged?: boolean;
}

/** What this process last wrote to each `skipUnchanged` path: a digest of the bytes and the file's stamp right after. */
const lastWritten = new Map<string, { readonly digest: string; readonly stamp: string }>();
/** Paths remembered at most; past it the memory starts over (a forgotten path costs one write or one read). */
const LAST_WRITTEN_MAX = 4096;

function stampOf(path: string): string | null {
  try {
    const st = statSync(path, { bigint: true });
    return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    return null; // gone
  }
}

function remember(path: string, digest: string): void {
  const stamp = stampOf(path);
  if (stamp === null) return;
  if (lastWritten.size >= LAST_WRITTEN_MAX && !lastWritten.has(path)) lastWritten.clear();
  lastWritten.set(path, { digest, stamp });
}

/**
 * Whether `path` holds `bytes` already. From memory when this process wrote it (a stat, no read);
 * the first time, by reading the file once (another run may have left these bytes).
 */
function holdsAlready(path: string, bytes: Buffer, digest: string): boolean {
  const last = lastWritten.get(path);
  if (last !== undefined) return last.digest === digest && stampOf(path) === last.stamp;
  let current: Buffer;
  try {
    current = readFileSync(path);
  } catch {
    return false;
  }
  if (!current.equals(bytes)) return false;
  remember(path, digest);
  return true;
}

/**
 * Writes a whole file so a reader sees the old or the new content, never half: temp file in the
 * same folder, rename over the target (the one temp + rename of syncscope; every output file goes
 * through it), with an fsync before the rename only when `durable`. Errors name the target, not
 * its temp file, and the OS error in words (FileError). Returns false when `skipUnchanged` found
 * nothing to write.
 */
export function writeFileAtomic(path: string, data: string | Buffer, options: AtomicWriteOptions = {}): boolean {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const digest = options.skipUnchanged === true ? createHash('sha256').update(bytes).digest('base64') : null;
  if (digest !== null && holdsAlready(path, bytes, digest)) return false;
  const tmp = tempPathFor(path);
  // The folder can be moved or deleted between the temp write and the rename (a follow runs for
  // months; someone cleans up STATE/log): the temp file is gone with it, so write it again, once.
  for (let attempt = 1; ; attempt++) {
    writeWholeFile(tmp, bytes, { durable: options.durable === true, shownAs: path });
    try {
      renameSync(tmp, path);
      break;
    } catch (err) {
      rmSync(tmp, { force: true });
      if (attempt === 1 && (err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw onFile(err, 'write', path);
    }
  }
  if (digest !== null) remember(path, digest);
  return true;
}
