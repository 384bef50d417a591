import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
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
  /** fsync before closing; default true. */
  readonly durable?: boolean;
  /** The path errors name, when `file` stands in for it (a temp file); default `file`. */
  readonly shownAs?: string;
}

/**
 * Opens `file` (creating its folder as needed, every time it is missing: it may be deleted while
 * a follow runs), writes all of `data`, fsyncs unless `durable: false`, closes. A file the write
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
      if (options.durable !== false) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    rmSync(file, { force: true });
    throw onFile(err, 'write', shownAs);
  }
  return true;
}

/**
 * Writes a whole file so a reader sees the old or the new content, never half: temp file in the
 * same folder, fsync, rename over the target (the one temp + rename of syncscope; every output
 * file goes through it). `durable: false` skips the fsync for files that are cheap to rebuild or
 * written by the thousand (alerts, the KV outbox; SPEC §8 requires it of the checkpoint): the
 * rename still makes them atomic for readers. Errors name the target, not its temp file, and the
 * OS error in words (FileError).
 */
export function writeFileAtomic(path: string, data: string | Buffer, options: { durable?: boolean } = {}): void {
  const tmp = tempPathFor(path);
  writeWholeFile(tmp, data, { durable: options.durable !== false, shownAs: path });
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw onFile(err, 'write', path);
  }
}
