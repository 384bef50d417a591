import { describe, expect, it } from 'vitest';
import { describeError, FileError } from '../pipeline/core/io-error.js';

/** An OS error as Node raises it: code, syscall and path, with Node's own text as the message. */
function osError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: something, ${syscall} '${path}'`), { code, syscall, path, errno: -1 });
}

describe('OS errors in words', () => {
  it('names what was being done and the path, never the system call', () => {
    expect(describeError(osError('EACCES', 'scandir', '/s/kv/ALERTS'))).toBe('cannot list /s/kv/ALERTS: permission denied (EACCES)');
    expect(describeError(osError('ENOENT', 'open', '/s/x.json'))).toBe('cannot open /s/x.json: not found (ENOENT)');
    expect(describeError(osError('EROFS', 'rename', '/s/log/a.md'))).toBe('cannot rename /s/log/a.md: read-only file system (EROFS)');
    expect(describeError(osError('ENOSPC', 'write', '/s/log/a.md'))).toBe('cannot write /s/log/a.md: no space left on device (ENOSPC)');
    expect(describeError(osError('EACCES', 'mkdir', '/s/log'))).toBe('cannot create /s/log: permission denied (EACCES)');
  });

  it('keeps an already worded FileError as it is', () => {
    const e = new FileError('write', 'state/log/sync-summary.md', osError('ENOSPC', 'write', '/tmp/x.tmp') as never);
    expect(describeError(e)).toBe('cannot write state/log/sync-summary.md: no space left on device (ENOSPC)');
  });
});
