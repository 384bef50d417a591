// writeFileAtomic on real files: folders that vanish, names near the 255-byte limit, and errors
// that name the target rather than its temp file.
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
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
});
