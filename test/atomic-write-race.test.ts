// writeFileAtomic when its folder is moved away between the temp write and the rename (someone
// cleans up STATE/log while a follow writes into it): the temp file went with the folder, so the
// write must be done again, not fail the tick.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { writeFileAtomic } from '../pipeline/core/atomic-write.js';
import { tempDir } from './core-helpers.js';

/** When armed, the next rename first moves `dir` to `away`: the race, made to happen. */
const race = { armed: false, dir: '', away: '' };

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    renameSync: (from: fs.PathLike, to: fs.PathLike): void => {
      if (race.armed) {
        race.armed = false;
        real.renameSync(race.dir, race.away);
      }
      real.renameSync(from, to);
    },
  };
});

describe('writeFileAtomic and a folder moved away mid-write', () => {
  it('writes the file again in a new folder instead of failing', () => {
    const root = tempDir('atomic-race');
    const log = join(root, 'log');
    fs.mkdirSync(log);
    Object.assign(race, { armed: true, dir: log, away: join(root, 'log-gone') });
    writeFileAtomic(join(log, 'sync-summary.md'), 'fresh');
    expect(race.armed).toBe(false); // the race did happen
    expect(fs.readFileSync(join(log, 'sync-summary.md'), 'utf8')).toBe('fresh');
    expect(fs.readdirSync(log)).toEqual(['sync-summary.md']); // no temp file left
  });
});
