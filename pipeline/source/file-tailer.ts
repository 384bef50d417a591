import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, readdirSync, statSync, type BigIntStats } from 'node:fs';
import { onFile } from '../core/io-error.js';
import type { EventSink } from '../core/events.js';
import { basename, dirname, join } from 'node:path';
import { LineSplitter, type LineChunk } from './lines.js';
import { type FilePosition, type Fingerprint } from './position.js';

/**
 * Reads a log file like `tail -F`, by polling (fs.stat + fs.read from an offset; never fs.watch):
 *
 * - appended bytes are read from the last offset; an unterminated last line waits for its newline;
 * - rename-and-recreate (logrotate `create`): the old file's descriptor stays open and is drained
 *   to its end (its unterminated last line, now final, counts), then the new file is read from 0;
 * - copytruncate (same file, now shorter than what was read, or a different first line): the file
 *   is read again from 0;
 * - a missing file is waited for, while the open descriptor (if any) keeps being read;
 * - a file is identified by device + inode (+ birth time where the fs has one) and a hash of its
 *   first line, never by its path alone.
 *
 * `planStart` maps a checkpointed position onto the files now on disk, including a rotation or
 * truncation that happened while syncscope was stopped.
 */
export const HEAD_BYTES = 4096;
const CHUNK_BYTES = 1 << 20;
const SIBLING_SCAN_LIMIT = 5000;

export type { FilePosition };

function sha(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex').slice(0, 32);
}

/** Hash of the first line (capped at 4 KiB), or null while the first line is not complete. */
export function headHashOfFd(fd: number): string | null {
  const buf = Buffer.alloc(HEAD_BYTES);
  let n = 0;
  while (n < HEAD_BYTES) {
    const got = readSync(fd, buf, n, HEAD_BYTES - n, n);
    if (got === 0) break;
    n += got;
  }
  const nl = buf.subarray(0, n).indexOf(10);
  if (nl < 0 && n < HEAD_BYTES) return null;
  return sha(buf.subarray(0, nl < 0 ? HEAD_BYTES : nl));
}

export function headHashOfPath(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    return headHashOfFd(fd);
  } finally {
    closeSync(fd);
  }
}

function statOrNull(path: string): BigIntStats | null {
  try {
    return statSync(path, { bigint: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

interface Identity {
  dev: string;
  ino: string;
  birth: string;
}

function identityOf(st: BigIntStats): Identity {
  return { dev: st.dev.toString(), ino: st.ino.toString(), birth: st.birthtimeNs.toString() };
}

/** Same device and inode, and the same birth time when both sides know one. */
export function sameFile(a: Identity, b: Identity): boolean {
  return a.dev === b.dev && a.ino === b.ino && (a.birth === '0' || b.birth === '0' || a.birth === b.birth);
}

export interface StartStep {
  readonly path: string;
  readonly offset: number;
  readonly line: number;
  /** A rotated-away file: read to its end (the last line counts even without a newline), then go on. */
  readonly final: boolean;
}

interface Candidate {
  path: string;
  st: BigIntStats;
}

/** Regular files next to `path` (same folder), names starting with its basename first. */
function siblings(path: string): Candidate[] {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  names = names.filter((n) => n !== base && !n.includes('.tmp-')).slice(0, SIBLING_SCAN_LIMIT);
  names.sort((a, b) => Number(!a.startsWith(base)) - Number(!b.startsWith(base)) || (a < b ? -1 : a > b ? 1 : 0));
  const out: Candidate[] = [];
  for (const n of names) {
    const p = join(dir, n);
    try {
      const st = statSync(p, { bigint: true });
      if (st.isFile()) out.push({ path: p, st });
    } catch {
      // vanished or unreadable: not a candidate
    }
  }
  return out;
}

/**
 * Where to read from, given the checkpointed position (null: from the start). Never seeks past
 * a file's size. Emits an event for a rotation or truncation found while stopped.
 */
export function planStart(path: string, saved: FilePosition | null, emit: EventSink): StartStep[] {
  const fromStart: StartStep = { path, offset: 0, line: 1, final: false };
  if (saved === null || saved.fingerprint === null) return [fromStart];
  const fp: Fingerprint = saved.fingerprint;
  const { offset, line } = saved;
  const resumeOld = (old: string, how: 'copytruncate' | 'rotated-renamed' | 'rotated-copied'): StartStep[] => {
    emit({ kind: 'resume-in-old-file', path, how, old, offset, line });
    return [{ path: old, offset, line, final: true }, fromStart];
  };
  const copyOf = (exclude: Identity | null): string | null => {
    if (fp.head === null) return null;
    for (const c of siblings(path)) {
      if (exclude !== null && sameFile(identityOf(c.st), exclude)) continue;
      if (Number(c.st.size) >= offset && headHashOfPath(c.path) === fp.head) return c.path;
    }
    return null;
  };

  const st = statOrNull(path);
  if (st !== null && sameFile(identityOf(st), fp)) {
    const head = headHashOfPath(path);
    if (Number(st.size) >= offset && (fp.head === null || head === fp.head)) return [{ path, offset, line, final: false }];
    const copy = copyOf(identityOf(st));
    if (copy !== null) return resumeOld(copy, 'copytruncate');
    emit({ kind: 'truncated-while-stopped', path, offset });
    return [fromStart];
  }

  for (const c of siblings(path)) {
    if (!sameFile(identityOf(c.st), fp) || Number(c.st.size) < offset) continue;
    if (fp.head !== null && headHashOfPath(c.path) !== fp.head) continue;
    return resumeOld(c.path, 'rotated-renamed');
  }
  if (st !== null && st.isFile() && fp.head !== null && Number(st.size) >= offset && headHashOfPath(path) === fp.head) {
    emit({ kind: 'copied-while-stopped', path, offset });
    return [{ path, offset, line, final: false }];
  }
  const copy = copyOf(st === null ? null : identityOf(st));
  if (copy !== null) return resumeOld(copy, 'rotated-copied');
  emit({ kind: 'gone-while-stopped', path, dev: fp.dev, ino: fp.ino, offset });
  return [fromStart];
}

interface Source extends Identity {
  fd: number;
  /** The name it was opened under (for messages). */
  name: string;
  head: string | null;
  splitter: LineSplitter;
  /** Bytes handed to the splitter (>= splitter.consumed: an unterminated line is carried). */
  readPos: number;
  final: boolean;
  knownSize: number;
}

export interface TailerOptions {
  readonly emit: EventSink;
  readonly plan: readonly StartStep[];
  /** Bytes per read call (default 1 MiB). */
  readonly chunkBytes?: number;
}

const EMPTY_CHUNK = (first: number, endOffset: number): LineChunk => ({ lines: [], first, tooLong: [], endOffset });

export class FileTailer {
  private readonly sources: Source[] = [];
  private readonly buf: Buffer;
  private readonly emit: EventSink;
  private missing = false;
  /** The path has held a regular file since this tailer started. */
  private seen = false;
  private notFile = false;
  private closed = false;

  constructor(readonly path: string, opts: TailerOptions) {
    this.emit = opts.emit;
    this.buf = Buffer.alloc(opts.chunkBytes ?? CHUNK_BYTES);
    for (const step of opts.plan) {
      const s = this.open(step.path, step.offset, step.line, step.final);
      if (s !== null) this.sources.push(s);
    }
  }

  /** Bytes of the current file not yet read (for a progress bar); null when unknown. */
  get progress(): { read: number; total: number } | null {
    const s = this.sources[this.sources.length - 1];
    if (s === undefined) return null;
    try {
      return { read: s.readPos, total: fstatSync(s.fd).size };
    } catch {
      return null;
    }
  }

  /** Where the next line to feed starts: the checkpoint position. */
  position(): FilePosition {
    const s = this.sources[0];
    if (s === undefined) return { kind: 'file', path: this.path, fingerprint: null, offset: 0, line: 1 };
    if (s.head === null && s.splitter.consumed > 0) s.head = headHashOfFd(s.fd);
    return {
      kind: 'file',
      path: this.path,
      fingerprint: { dev: s.dev, ino: s.ino, birth: s.birth, head: s.head },
      offset: s.splitter.consumed,
      line: s.splitter.lineNumber,
    };
  }

  /**
   * Reads what is there, up to about `budget` bytes, handing each chunk of complete lines to
   * `onChunk`. With `follow`, first checks the path for rotation, truncation and reappearance.
   * Returns true when the budget ran out before the end (call again soon).
   */
  read(onChunk: (c: LineChunk) => void, budget: number, follow: boolean): boolean {
    if (this.closed) return false;
    if (follow) this.check(onChunk);
    let used = 0;
    while (used < budget) {
      const cur = this.sources[0];
      if (cur === undefined) return false;
      let n: number;
      try {
        n = readSync(cur.fd, this.buf, 0, Math.min(this.buf.length, budget - used), cur.readPos);
      } catch (err) {
        throw onFile(err, 'read', cur.name); // a read on a descriptor names no path by itself
      }
      if (n > 0) {
        cur.readPos += n;
        used += n;
        onChunk(cur.splitter.push(this.buf.subarray(0, n)));
        if (cur.head === null) cur.head = headHashOfFd(cur.fd);
        continue;
      }
      if (this.sources.length > 1 || cur.final) {
        // A rotated-away file is complete: its last line counts even without a newline.
        onChunk(cur.splitter.end());
        this.sources.shift();
        closeQuietly(cur.fd);
        continue;
      }
      return false;
    }
    return true;
  }

  /**
   * The unread bytes of the file being read, for a scan elsewhere (worker threads): only when it
   * is the one file left to read and nothing is carried (the next byte starts a line).
   */
  bulkRange(): { path: string; start: number; line: number; size: number } | null {
    const s = this.sources[0];
    if (s === undefined || this.sources.length > 1 || s.readPos !== s.splitter.consumed) return null;
    let size: number;
    try {
      size = fstatSync(s.fd).size;
    } catch {
      return null;
    }
    return { path: s.name, start: s.readPos, line: s.splitter.lineNumber, size };
  }

  /** The lines up to `offset` (a line start, `line` its number) were read elsewhere: go on from there. */
  skipTo(offset: number, line: number): void {
    const s = this.sources[0];
    if (s === undefined) return;
    s.readPos = offset;
    s.splitter = new LineSplitter(offset, line);
    if (s.head === null && offset > 0) s.head = headHashOfFd(s.fd);
  }

  /** End of a batch: the current file's unterminated last line, if any (the position stays before it). */
  finish(): LineChunk {
    const s = this.sources[0];
    if (s === undefined) return EMPTY_CHUNK(1, 0);
    return s.splitter.end();
  }

  /** SIGHUP: look at the path again now (a new file there is switched to after the old one's tail). */
  reopen(onChunk: (c: LineChunk) => void): void {
    this.missing = false;
    this.notFile = false;
    this.check(onChunk);
  }

  close(): void {
    this.closed = true;
    for (const s of this.sources.splice(0)) closeQuietly(s.fd);
  }

  private open(path: string, offset: number, line: number, final: boolean): Source | null {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const st = fstatSync(fd, { bigint: true });
    const size = Number(st.size);
    if (offset > size) {
      // Never seek past the end: planStart checked, but the file may have shrunk since.
      this.emit({ kind: 'file-shorter-than-checkpoint', path, size: Number(size), offset });
      offset = 0;
      line = 1;
    }
    return {
      ...identityOf(st),
      fd,
      name: path,
      head: size > 0 ? headHashOfFd(fd) : null,
      splitter: new LineSplitter(offset, line),
      readPos: offset,
      final,
      knownSize: size,
    };
  }

  /** One look at the path: appearance, rotation, truncation. */
  private check(onChunk: (c: LineChunk) => void): void {
    const st = statOrNull(this.path);
    if (st === null) {
      if (!this.missing) {
        this.missing = true;
        this.emit({ kind: 'file-missing', path: this.path, oldStillRead: this.sources.length > 0 });
      }
      return;
    }
    if (!st.isFile()) {
      if (!this.notFile) {
        this.notFile = true;
        this.emit({ kind: 'file-not-regular', path: this.path });
      }
      return;
    }
    if (this.missing || this.notFile) {
      this.missing = false;
      this.notFile = false;
      this.emit({ kind: 'file-present', path: this.path, again: this.seen });
    }
    this.seen = true;
    const last = this.sources[this.sources.length - 1];
    if (last === undefined) {
      const s = this.open(this.path, 0, 1, false);
      if (s !== null) this.sources.push(s);
      return;
    }
    const id = identityOf(st);
    const size = Number(st.size);
    if (!sameFile(last, id)) {
      const next = this.open(this.path, 0, 1, false);
      if (next === null) return;
      if (last.head !== null && next.head === last.head && next.knownSize >= last.readPos) {
        // Replaced by a copy of itself (same first line, not shorter): same log, new inode.
        closeQuietly(last.fd);
        Object.assign(last, { fd: next.fd, dev: next.dev, ino: next.ino, birth: next.birth, name: next.name, knownSize: next.knownSize });
        this.emit({ kind: 'file-replaced-by-copy', path: this.path, offset: last.readPos });
        return;
      }
      last.final = true;
      this.sources.push(next);
      this.emit({ kind: 'file-rotated', path: this.path });
      return;
    }
    let rewritten = size < last.readPos;
    if (!rewritten && size !== last.knownSize && last.head !== null) {
      const h = headHashOfFd(last.fd);
      rewritten = h !== null && h !== last.head;
    }
    last.knownSize = size;
    if (!rewritten) return;
    const tail = last.splitter.end();
    if (tail.lines.length > 0 || tail.tooLong.length > 0) onChunk(tail);
    last.splitter = new LineSplitter(0, 1);
    last.readPos = 0;
    last.head = size > 0 ? headHashOfFd(last.fd) : null;
    this.emit({ kind: 'file-truncated', path: this.path });
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
