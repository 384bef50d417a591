import { getSystemErrorMap } from 'node:util';

/**
 * Plain words for the OS errors the CLI meets on its files and sockets, the one place they are
 * worded; any other code gets the OS's own text.
 */
const ERRNO_WORDS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'not found',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EEXIST: 'already exists',
  ENOTEMPTY: 'directory not empty',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  ENAMETOOLONG: 'file name too long',
  EFBIG: 'file too large',
  ELOOP: 'too many symbolic links',
  EBUSY: 'busy',
  EIO: 'input/output error',
  EADDRINUSE: 'address already in use',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

export type OsError = NodeJS.ErrnoException & { code: string };

/** An error from the OS (ENOSPC, EACCES, …), as opposed to a bug or a usage error. */
export function isOsError(err: unknown): err is OsError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return err instanceof Error && typeof code === 'string' && /^E[A-Z0-9_]+$/.test(code);
}

/** "read-only file system (EROFS)". */
export function inWords(err: OsError): string {
  const words = ERRNO_WORDS[err.code] ?? (err.errno === undefined ? undefined : getSystemErrorMap().get(err.errno)?.[1]);
  return `${words ?? err.message} (${err.code})`;
}

/**
 * An OS error told with the path the user knows (a target file, not its temp file): "cannot
 * write state/log/sync-summary.md: read-only file system (EROFS)". Keeps `code` for callers
 * that branch on it.
 */
export class FileError extends Error {
  override readonly name = 'FileError';
  readonly code: string;

  constructor(action: string, readonly path: string, cause: OsError) {
    super(`cannot ${action} ${path}: ${inWords(cause)}`, { cause });
    this.code = cause.code;
  }
}

/** Re-tells an OS error as a FileError on `path`; other errors (and FileErrors) pass through. */
export function onFile(err: unknown, action: string, path: string): unknown {
  return isOsError(err) && !(err instanceof FileError) ? new FileError(action, path, err) : err;
}

/** What a failed system call was doing, in words ("cannot list …", not "cannot scandir …"). */
const SYSCALL_WORDS: Readonly<Record<string, string>> = {
  scandir: 'list',
  opendir: 'list',
  open: 'open',
  read: 'read',
  stat: 'read',
  lstat: 'read',
  fstat: 'read',
  access: 'read',
  write: 'write',
  mkdir: 'create',
  rename: 'rename',
  unlink: 'remove',
  rmdir: 'remove',
  rm: 'remove',
  copyfile: 'copy',
  watch: 'watch',
};

/** One line for any OS error: the FileError's own, else the failed call and its path in words. */
export function describeOsError(err: OsError): string {
  if (err instanceof FileError || err.path === undefined) return err.message;
  const syscall = err.syscall ?? '';
  return new FileError(SYSCALL_WORDS[syscall] ?? (syscall === '' ? 'use' : syscall), err.path, err).message;
}

/**
 * Foreign text (a parser's message quoting a file, a web server's error page) made fit for a
 * one-line message: runs of whitespace, line breaks included, become one space; cut at `max`.
 */
export function singleLine(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** Bad usage: the one error class the CLI maps to exit code 2 with a plain message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Any error as one line for a message: an OS error in words with its path, else its own message. */
export function describeError(err: unknown): string {
  if (isOsError(err)) return describeOsError(err);
  return err instanceof Error ? err.message : String(err);
}
