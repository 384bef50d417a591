import { closeSync, constants, createReadStream, fstatSync, ftruncateSync, mkdirSync, openSync, statSync, truncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import * as z from 'zod';
import { writeFileAtomic } from '../pipeline/core/atomic-write.js';
import { onFile } from '../pipeline/core/io-error.js';
import { formatTs, instantMs } from '../pipeline/core/time.js';
import { alertFileName, type Cluster, type HistoryMark } from '../pipeline/core/alerts.js';

/** SPEC §4's line for a cluster that resolved at `resolvedAt` (keys in the SPEC's order). */
export function resolvedLine(c: Cluster, resolvedAt: number, file: string = alertFileName(c)): string {
  return JSON.stringify({
    file,
    tenant_id: c.tenant_id,
    repo: c.repo,
    opened_at: formatTs(c.opened_at),
    last_failure_at: formatTs(c.last_failure_at),
    resolved_at: formatTs(resolvedAt),
    failures: c.failures.length,
    entries: c.failures.map((f) => ({
      ts: formatTs(f.t), machine: f.machine, op: f.op, scope: f.scope, trigger: f.trigger, errors: f.errors, file: f.file, line: f.line,
    })),
  });
}

/** A cluster's line with what orders it. */
interface HistoryLine {
  readonly resolved_at: number;
  readonly file: string;
  readonly line: string;
}

/** The file's order: when the clusters resolved, ties by file name (code units). */
function byResolution(a: HistoryLine, b: HistoryLine): number {
  return a.resolved_at - b.resolved_at || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0);
}

function lineOf(c: Cluster, resolvedAt: number): HistoryLine {
  const file = alertFileName(c);
  return { resolved_at: resolvedAt, file, line: resolvedLine(c, resolvedAt, file) };
}

const textOf = (lines: readonly HistoryLine[]): string => {
  let text = '';
  for (const l of lines) text += `${l.line}\n`;
  return text;
};

/**
 * Writes `text` at `offset` and cuts the file right after it (whatever followed is gone); returns
 * where it was written. A file that is shorter than `offset` (removed or cut behind our back) is
 * written at its end instead: never a hole of zero bytes.
 */
function writeAt(path: string, offset: number, text: string): number {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw onFile(err, 'write', path);
    mkdirSync(dirname(path), { recursive: true }); // the folder was removed while running
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT);
  }
  try {
    const at = Math.min(offset, fstatSync(fd).size);
    const data = Buffer.from(text);
    for (let done = 0; done < data.length; ) done += writeSync(fd, data, done, data.length - done, at + done);
    ftruncateSync(fd, at + data.length);
    return at;
  } catch (err) {
    throw onFile(err, 'write', path);
  } finally {
    closeSync(fd);
  }
}

/**
 * `alerts-resolved.ndjson` (SPEC §4): one line per resolved cluster, in the order the clusters
 * resolved (ties by file name), appended as they resolve: no resolved cluster stays in memory
 * and no file is created per cluster.
 *
 * The file is a final part, whose length the checkpoint keeps, then a tail rewritten at every
 * flush. The caller appends to the final part what resolved before a time `through` after
 * which nothing it hands over later can resolve (the reorder threshold: rows that are not late
 * come at or after it, SPEC §2); the tail holds the clusters that only the flush's end-of-input
 * preview resolved, which a later row may still change, so the next flush writes it again. A
 * crash leaves at most a tail or a half-written line after the final part, and a resume cuts
 * the file back to it. One write per append call.
 *
 * An open cluster whose window ran out before `through` resolves at last failure + W whatever
 * comes next (SPEC §4 step 1, or step 4 at the end), so its line is written then: a key that
 * goes quiet does not hold later lines back. The engine hands that cluster over once more when
 * it resolves it; `ahead` holds the names written that way until then. Those are the only names
 * that can recur: a resume cuts the file back to the checkpoint and restores `ahead` with it,
 * and a fresh scan (no checkpoint, `--rebuild`, other settings or input) starts the file over,
 * as it does the rejects file. So no set of every name ever written is needed, and the file
 * never holds a cluster twice.
 *
 * A row later than `--max-lateness` (SPEC §2) can resolve a cluster before lines that are final
 * already: its line comes after them, and it does not join a cluster whose line was written
 * ahead. Without such rows the file equals a batch run's over the same lines.
 */
export class ResolvedHistory {
  /** Where the final part ends. */
  private final: number;
  private readonly ahead: Set<string>;
  /** The tail after the final part as the last flush wrote it ('' once an append cut it). */
  private tailOnDisk = '';

  /** `resume` null: a fresh scan, the file starts over. */
  constructor(private readonly path: string, resume: HistoryMark | null) {
    if (resume === null) {
      writeFileAtomic(path, '');
      this.final = 0;
      this.ahead = new Set();
      return;
    }
    let size = 0;
    try {
      size = statSync(path).size;
    } catch {
      // missing: written again from here on
    }
    // Lines after the checkpoint are written again when their rows are read again: cut them.
    if (size > resume.bytes) truncateSync(path, resume.bytes);
    this.final = Math.min(size, resume.bytes);
    this.ahead = new Set(resume.ahead);
  }

  /** What a checkpoint saved now must keep. */
  mark(): HistoryMark {
    return { bytes: this.final, ahead: [...this.ahead] };
  }

  /**
   * Appends to the final part, in order, the clusters the live engine `resolved` for good and the
   * `open` ones whose window (`windowMs` after the last failure) ran out before `through`. The
   * caller promises that every cluster it hands over resolved before `through` and that none it
   * hands over later will. Returns the names written.
   */
  append(resolved: readonly Cluster[], open: readonly Cluster[], windowMs: number, through: number): string[] {
    const lines: HistoryLine[] = [];
    for (const c of resolved) {
      const p = lineOf(c, c.resolved_at as number);
      if (!this.ahead.delete(p.file)) lines.push(p); // else: written when its window ran out
    }
    for (const c of open) {
      const at = c.last_failure_at + windowMs;
      if (at >= through) continue;
      const name = alertFileName(c);
      if (this.ahead.has(name)) continue;
      this.ahead.add(name);
      lines.push(lineOf(c, at));
    }
    if (lines.length === 0) return [];
    lines.sort(byResolution);
    const text = textOf(lines);
    this.final = writeAt(this.path, this.final, text) + Buffer.byteLength(text);
    this.tailOnDisk = '';
    return lines.map((p) => p.file);
  }

  /** Rewrites the tail: the preview's `tentative` resolutions, in order. */
  writeTail(tentative: readonly Cluster[]): void {
    const lines: HistoryLine[] = [];
    for (const c of tentative) if (!this.ahead.has(alertFileName(c))) lines.push(lineOf(c, c.resolved_at as number));
    lines.sort(byResolution);
    const text = textOf(lines);
    if (text === this.tailOnDisk) return;
    this.final = writeAt(this.path, this.final, text);
    this.tailOnDisk = text;
  }
}

const HistoryEntry = z.object({
  ts: instantMs,
  machine: z.string(),
  op: z.string(),
  scope: z.string(),
  trigger: z.string(),
  errors: z.array(z.string()),
  file: z.string(),
  line: z.number().int().min(1),
});

/** The line resolvedLine writes; unknown keys are ignored, as in the input rows. */
const HistoryLineSchema = z
  .object({
    file: z.string().regex(/^sync-degraded-[^/]*\.md$/, 'not an alert file name'),
    tenant_id: z.string(),
    repo: z.string(),
    opened_at: instantMs,
    last_failure_at: instantMs,
    resolved_at: instantMs,
    failures: z.number().int().min(1),
    entries: z.array(HistoryEntry),
  })
  .refine((l) => l.failures === l.entries.length, { message: 'failures differs from the number of entries' });

/** A line of alerts-resolved.ndjson read back: the alert's file name and its cluster (resolved_at set). */
export interface ResolvedAlert {
  readonly file: string;
  readonly cluster: Cluster & { resolved_at: number };
}

/** Reads one line resolvedLine wrote, or throws an Error saying what is wrong with it. */
export function parseResolvedLine(text: string): ResolvedAlert {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('not JSON');
  }
  const r = HistoryLineSchema.safeParse(json);
  if (!r.success) throw new Error(r.error.issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
  const l = r.data;
  const seq = /-h[0-9a-f]{8}-(\d+)\.md$/.exec(l.file);
  return {
    file: l.file,
    cluster: {
      tenant_id: l.tenant_id,
      repo: l.repo,
      opened_at: l.opened_at,
      seq: seq === null ? 1 : Number(seq[1]),
      last_failure_at: l.last_failure_at,
      failures: l.entries.map((e) => ({ t: e.ts, file: e.file, line: e.line, machine: e.machine, op: e.op, scope: e.scope, trigger: e.trigger, errors: e.errors })),
      resolved_at: l.resolved_at,
    },
  };
}

/** One line of the history file: the alert it holds, or why it could not be read. */
export type HistoryRead = { readonly line: number; readonly alert: ResolvedAlert } | { readonly line: number; readonly problem: string };

/**
 * The lines of alerts-resolved.ndjson in file order (1-based line numbers), read as a stream so a
 * long history is never held whole; blank lines are skipped. A missing file has no lines.
 */
export async function* readResolvedHistory(path: string): AsyncGenerator<HistoryRead> {
  try {
    statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw onFile(err, 'read', path);
  }
  let n = 0;
  try {
    for await (const text of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
      n++;
      if (text.trim() === '') continue;
      let read: HistoryRead;
      try {
        read = { line: n, alert: parseResolvedLine(text) };
      } catch (err) {
        read = { line: n, problem: (err as Error).message };
      }
      yield read;
    }
  } catch (err) {
    throw onFile(err, 'read', path);
  }
}
