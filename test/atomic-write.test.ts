// writeFileAtomic on real files: folders that vanish, names near the 255-byte limit, errors
// that name the target rather than its temp file, and skipUnchanged.
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempPathFor, writeFileAtomic, TEMP_NAME } from '../pipeline/core/atomic-write.js';
import { tempDir } from './core-helpers.js';

const dir = (): string => tempDir('atomic');

describe('writeFileAtomic', () => {
  it('creates a folder again when it was deleted between two writes', () => {
    const alerts = join(dir(), 'log', 'alerts');
    writeFileAtomic(join(alerts, 'a.md'), 'first');
    rmSync(alerts, { recursive: true });
    writeFileAtomic(join(alerts, 'b.md'), 'second', { durable: false });
    expect(readFileSync(join(alerts, 'b.md'), 'utf8')).toBe('second');
  });

  it('writes a target whose name is 250 bytes (ASCII or multi-byte): the temp name stays within 255 bytes', () => {
    const d = dir();
    for (const name of ['a'.repeat(250), `${'é'.repeat(124)}.md`, `${'€'.repeat(83)}x`]) {
      expect(Buffer.byteLength(name)).toBeGreaterThanOrEqual(250);
      const target = join(d, name);
      const tmp = basename(tempPathFor(target));
      expect(Buffer.byteLength(tmp)).toBeLessThanOrEqual(255);
      expect(tmp).toMatch(TEMP_NAME); // still recognised by the stale-temp cleanup
      expect(tmp).not.toContain('\uFFFD'); // cut between characters, never inside one
      writeFileAtomic(target, name);
      expect(readFileSync(target, 'utf8')).toBe(name);
    }
    expect(readdirSync(d).filter((f) => TEMP_NAME.test(f))).toEqual([]);
  });

  it('a failed write names the target (not its temp file), says why in words, and leaves no temp file', () => {
    const d = dir();
    const target = join(d, 'sync-summary.md');
    mkdirSync(join(target, 'in-the-way'), { recursive: true });
    expect(() => writeFileAtomic(target, 'x')).toThrow(`cannot write ${target}: is a directory (EISDIR)`);
    expect(readdirSync(d)).toEqual(['sync-summary.md']);
  });

  it('a failed write keeps the OS error code (callers branch on it)', () => {
    const d = dir();
    writeFileAtomic(join(d, 'file'), '');
    let code: unknown;
    try {
      writeFileAtomic(join(d, 'file', 'below'), 'x');
    } catch (err) {
      code = (err as NodeJS.ErrnoException).code;
    }
    expect(code).toBe('ENOTDIR');
  });

  describe('skipUnchanged', () => {
    /** The file's identity and times: unchanged exactly when nothing wrote or replaced it. */
    const stamp = (path: string): string => {
      const st = statSync(path, { bigint: true });
      return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    };

    it('the bytes it last wrote there, file untouched: nothing written (same inode and times); other bytes are written', () => {
      const path = join(dir(), 'alerts', 'a.md');
      expect(writeFileAtomic(path, 'open, 3 failures', { skipUnchanged: true })).toBe(true);
      const first = stamp(path);
      expect(writeFileAtomic(path, 'open, 3 failures', { skipUnchanged: true })).toBe(false);
      expect(stamp(path)).toBe(first);
      expect(writeFileAtomic(path, 'open, 4 failures', { skipUnchanged: true })).toBe(true);
      expect(readFileSync(path, 'utf8')).toBe('open, 4 failures');
      expect(stamp(path)).not.toBe(first);
      expect(readdirSync(join(path, '..'))).toEqual(['a.md']);
    });

    it('writes again when the file was deleted, its folder too, or changed by someone else, even to the same size and mtime', () => {
      const d = dir();
      const path = join(d, 'log', 'a.md');
      writeFileAtomic(path, 'same', { skipUnchanged: true });
      rmSync(path);
      expect(writeFileAtomic(path, 'same', { skipUnchanged: true })).toBe(true);
      rmSync(join(d, 'log'), { recursive: true });
      expect(writeFileAtomic(path, 'same', { skipUnchanged: true })).toBe(true);
      expect(readFileSync(path, 'utf8')).toBe('same');
      const { atime, mtime } = statSync(path);
      writeFileSync(path, 'edit'); // in place, same size, mtime put back: the ctime still moves
      utimesSync(path, atime, mtime);
      expect(writeFileAtomic(path, 'same', { skipUnchanged: true })).toBe(true);
      expect(readFileSync(path, 'utf8')).toBe('same');
    });

    it('a file another run left with these very bytes is not rewritten, the first time either', () => {
      const path = join(dir(), 'evals.aggregate.ndjson');
      writeFileSync(path, 'left by the last run\n');
      const before = stamp(path);
      expect(writeFileAtomic(path, 'left by the last run\n', { skipUnchanged: true })).toBe(false);
      expect(stamp(path)).toBe(before);
      expect(writeFileAtomic(path, 'new\n', { skipUnchanged: true })).toBe(true);
    });
  });
});
