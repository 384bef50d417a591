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
export function writeAll(fd: number, data: Buffer): void {
  for (let done = 0; done < data.length; ) done += writeSync(fd, data, done, data.length - done);
}

function openTemp(tmp: string): number {
  try {
    return openSync(tmp, 'w');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dirname(tmp), { recursive: true });
    return openSync(tmp, 'w');
  }
}

/**
 * Writes a whole file so a reader sees the old or the new content, never half: temp file in the
 * same folder, fsync, rename over the target. Creates the folder as needed, every time it is
 * missing (it may be deleted while a follow runs). `durable: false` skips the fsync for files
 * that are cheap to rebuild and written by the thousand (alerts): the rename still makes them
 * atomic for readers. Errors name the target and the OS error in words (FileError).
 */
export function writeFileAtomic(path: string, data: string | Buffer, options: { durable?: boolean } = {}): void {
  const tmp = tempPathFor(path);
  let fd: number;
  try {
    fd = openTemp(tmp);
  } catch (err) {
    throw onFile(err, 'write', path);
  }
  try {
    try {
      writeAll(fd, typeof data === 'string' ? Buffer.from(data) : data);
      if (options.durable !== false) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw onFile(err, 'write', path);
  }
}
