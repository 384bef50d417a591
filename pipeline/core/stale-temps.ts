import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TEMP_NAME } from './atomic-write.js';
import { onFile } from './io-error.js';

/**
 * Removes the temp files of atomic writes (`<name>.tmp-<pid>-<n>`) that a killed process left in
 * `dirs` (kill -9 gives it no chance to). Only the holder of the state lock calls this: no other
 * process writes there, so every temp file that is not this process's own is a leftover, even
 * when its pid names a live process again (pids are reused, e.g. after a reboot).
 */
export function removeStaleTemps(dirs: readonly string[]): void {
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // not written yet
      throw onFile(err, 'list', dir);
    }
    for (const name of names) {
      const pid = TEMP_NAME.exec(name)?.[1];
      if (pid === undefined || Number(pid) === process.pid) continue;
      const path = join(dir, name);
      try {
        rmSync(path, { force: true });
      } catch (err) {
        throw onFile(err, 'remove', path);
      }
    }
  }
}
