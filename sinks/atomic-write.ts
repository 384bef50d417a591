import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes a whole file so a reader sees the old or the new content, never half: temp file in the
 * same folder, fsync, rename over the target. Creates the folder as needed. `durable: false`
 * skips the fsync for files that are cheap to rebuild and written by the thousand (alerts):
 * the rename still makes them atomic for readers.
 */
const madeDirs = new Set<string>();
let tmpCounter = 0;

export function writeFileAtomic(path: string, data: string | Buffer, options: { durable?: boolean } = {}): void {
  const dir = dirname(path);
  if (!madeDirs.has(dir)) {
    mkdirSync(dir, { recursive: true });
    madeDirs.add(dir);
  }
  const tmp = `${path}.tmp-${process.pid}-${++tmpCounter}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    if (options.durable !== false) fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
