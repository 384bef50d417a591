import { DAY_MS, HOUR_MS } from './time.js';
import type { Row } from './row.js';

/**
 * Rows as columns, after Apache Arrow's record batches: one typed array per field, key strings
 * (tenant, repo, machine, scope, trigger, input file) as ids into this thread's name table
 * (NAMES; a batch built elsewhere is re-keyed on arrival), and the
 * high-cardinality texts (manifests, error messages) in a table of the batch's own. Operators
 * loop over the columns and count into id-indexed arrays; the typed arrays move between threads
 * without a copy (transfer lists).
 */
export interface RowBatch {
  readonly length: number;
  /** ts, epoch milliseconds UTC. */
  readonly t: Float64Array;
  /** Hours / days since the epoch (UTC floor): the bucket keys. */
  readonly hour: Int32Array;
  readonly day: Int32Array;
  /** PUSH | FAILED | HAS_FILES_TOTAL. */
  readonly flags: Uint8Array;
  /** Ids into `names`. The tenant is the default tenant when tenant_id is absent or empty. */
  readonly tenant: Int32Array;
  readonly repo: Int32Array;
  readonly machine: Int32Array;
  readonly scope: Int32Array;
  readonly trigger: Int32Array;
  /** The input the row came from (the path as given, `-` for stdin). */
  readonly file: Int32Array;
  /** 1-based line number in its file. */
  readonly line: Float64Array;
  readonly files: Float64Array;
  /** Meaningful only where flags has HAS_FILES_TOTAL. */
  readonly filesTotal: Float64Array;
  readonly bytes: Float64Array;
  readonly durMs: Float64Array;
  /** Ids into `texts`, or ABSENT / NULL. */
  readonly manifestBefore: Int32Array;
  readonly manifestAfter: Int32Array;
  /** Row i's error chain is `texts[errorText[k]]` for errorsFrom[i] ≤ k < errorsFrom[i + 1] (Arrow's list layout). */
  readonly errorsFrom: Int32Array;
  readonly errorText: Int32Array;
  /** This batch's own texts (manifests, errors). */
  readonly texts: readonly string[];
}

export const PUSH = 1;
export const FAILED = 2;
export const HAS_FILES_TOTAL = 4;

/** Manifest codes: the field is missing / is JSON null (other values are text ids). */
export const ABSENT = -1;
export const NULL = -2;

/**
 * An append-only dictionary of key names. Ids are stable for the life of the process, so an
 * operator may keep arrays indexed by them; its size is the number of distinct names seen, the
 * same bound as the operators' own keyed state.
 */
export class NameTable {
  readonly list: string[] = [];
  private readonly ids = new Map<string, number>();

  id(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.list.length;
      const own = internalized(name);
      this.list.push(own);
      this.ids.set(own, id);
    }
    return id;
  }

  /** The id of `name` if it was ever seen, else -1 (no entry is made). */
  find(name: string): number {
    return this.ids.get(name) ?? -1;
  }
}

/**
 * The internalized twin of a string: operators key their records by names, and V8 looks a
 * non-internalized key up in its string table on every keyed access.
 */
function internalized(s: string): string {
  const holder = Object.create(null) as Record<string, true>;
  holder[s] = true;
  return Object.keys(holder)[0]!;
}

/** The one name table of this thread: every batch the engine sees indexes it. */
export const NAMES = new NameTable();

const EMPTY_TEXTS: readonly string[] = Object.freeze([]);

/**
 * Fills the columns of one batch. The scanner writes fields straight into the arrays at `n` and
 * calls `commit()`; any other producer calls `append(row)`. Capacity is fixed: check `full`.
 */
export class RowBatchBuilder {
  n = 0;
  readonly t: Float64Array;
  readonly hour: Int32Array;
  readonly day: Int32Array;
  readonly flags: Uint8Array;
  readonly tenant: Int32Array;
  readonly repo: Int32Array;
  readonly machine: Int32Array;
  readonly scope: Int32Array;
  readonly trigger: Int32Array;
  readonly file: Int32Array;
  readonly line: Float64Array;
  readonly files: Float64Array;
  readonly filesTotal: Float64Array;
  readonly bytes: Float64Array;
  readonly durMs: Float64Array;
  readonly manifestBefore: Int32Array;
  readonly manifestAfter: Int32Array;
  readonly errorsFrom: Int32Array;
  errorText: Int32Array;
  errorCount = 0;
  readonly texts: string[] = [];

  constructor(readonly capacity: number, readonly names: NameTable = NAMES) {
    this.t = new Float64Array(capacity);
    this.hour = new Int32Array(capacity);
    this.day = new Int32Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.tenant = new Int32Array(capacity);
    this.repo = new Int32Array(capacity);
    this.machine = new Int32Array(capacity);
    this.scope = new Int32Array(capacity);
    this.trigger = new Int32Array(capacity);
    this.file = new Int32Array(capacity);
    this.line = new Float64Array(capacity);
    this.files = new Float64Array(capacity);
    this.filesTotal = new Float64Array(capacity);
    this.bytes = new Float64Array(capacity);
    this.durMs = new Float64Array(capacity);
    this.manifestBefore = new Int32Array(capacity);
    this.manifestAfter = new Int32Array(capacity);
    this.errorsFrom = new Int32Array(capacity + 1);
    this.errorText = new Int32Array(Math.max(16, capacity >> 3));
  }

  get full(): boolean {
    return this.n >= this.capacity;
  }

  /** A text id of this batch (manifests, errors). */
  text(s: string): number {
    this.texts.push(s);
    return this.texts.length - 1;
  }

  /** One more error of the row being written (before its commit). */
  pushError(textId: number): void {
    if (this.errorCount === this.errorText.length) {
      const grown = new Int32Array(this.errorText.length * 2);
      grown.set(this.errorText);
      this.errorText = grown;
    }
    this.errorText[this.errorCount++] = textId;
  }

  /** Ends the row at `n` whose fields were written: derives hour and day, closes its error list. */
  commit(): void {
    const i = this.n;
    const t = this.t[i]!;
    this.hour[i] = Math.floor(t / HOUR_MS);
    this.day[i] = Math.floor(t / DAY_MS);
    this.n = i + 1;
    this.errorsFrom[i + 1] = this.errorCount;
  }

  append(r: Row): void {
    const i = this.n;
    const names = this.names;
    this.t[i] = r.t;
    this.flags[i] = (r.push ? PUSH : 0) | (r.failed ? FAILED : 0) | (r.filesTotal !== null ? HAS_FILES_TOTAL : 0);
    this.tenant[i] = names.id(r.tenant);
    this.repo[i] = names.id(r.repo);
    this.machine[i] = names.id(r.machine);
    this.scope[i] = names.id(r.scope);
    this.trigger[i] = names.id(r.trigger);
    this.file[i] = names.id(r.file);
    this.line[i] = r.line;
    this.files[i] = r.files;
    this.filesTotal[i] = r.filesTotal ?? 0;
    this.bytes[i] = r.bytes;
    this.durMs[i] = r.durMs;
    this.manifestBefore[i] = this.manifest(r.manifestBefore);
    this.manifestAfter[i] = this.manifest(r.manifestAfter);
    for (let k = 0; k < r.errors.length; k++) this.pushError(this.text(r.errors[k]!));
    this.commit();
  }

  private manifest(m: string | null | undefined): number {
    return m === undefined ? ABSENT : m === null ? NULL : this.text(m);
  }

  /** The batch so far (views over the arrays: the builder is not written to again). */
  finish(): RowBatch {
    const n = this.n;
    return {
      length: n,
      t: this.t.subarray(0, n),
      hour: this.hour.subarray(0, n),
      day: this.day.subarray(0, n),
      flags: this.flags.subarray(0, n),
      tenant: this.tenant.subarray(0, n),
      repo: this.repo.subarray(0, n),
      machine: this.machine.subarray(0, n),
      scope: this.scope.subarray(0, n),
      trigger: this.trigger.subarray(0, n),
      file: this.file.subarray(0, n),
      line: this.line.subarray(0, n),
      files: this.files.subarray(0, n),
      filesTotal: this.filesTotal.subarray(0, n),
      bytes: this.bytes.subarray(0, n),
      durMs: this.durMs.subarray(0, n),
      manifestBefore: this.manifestBefore.subarray(0, n),
      manifestAfter: this.manifestAfter.subarray(0, n),
      errorsFrom: this.errorsFrom.subarray(0, n + 1),
      errorText: this.errorText.subarray(0, this.errorCount),
      texts: this.texts.length === 0 ? EMPTY_TEXTS : this.texts,
    };
  }
}

/** A batch of no rows. */
export const EMPTY_BATCH: RowBatch = new RowBatchBuilder(0).finish();

/** The error chain of row i, outermost first. */
export function errorsAt(b: RowBatch, i: number): string[] {
  const out: string[] = [];
  for (let k = b.errorsFrom[i]!; k < b.errorsFrom[i + 1]!; k++) out.push(b.texts[b.errorText[k]!]!);
  return out;
}

function manifestAt(b: RowBatch, code: number): string | null | undefined {
  return code === ABSENT ? undefined : code === NULL ? null : b.texts[code]!;
}

/** Row i as a record: for the rare paths (findings, alert entries, checkpoints), never the hot loop. */
export function rowAt(b: RowBatch, i: number): Row {
  const f = b.flags[i]!;
  const push = (f & PUSH) !== 0;
  const names = NAMES.list;
  return {
    t: b.t[i]!,
    file: names[b.file[i]!]!,
    line: b.line[i]!,
    op: push ? 'push' : 'pull',
    push,
    failed: (f & FAILED) !== 0,
    tenant: names[b.tenant[i]!]!,
    repo: names[b.repo[i]!]!,
    scope: names[b.scope[i]!]!,
    machine: names[b.machine[i]!]!,
    trigger: names[b.trigger[i]!]!,
    files: b.files[i]!,
    filesTotal: (f & HAS_FILES_TOTAL) !== 0 ? b.filesTotal[i]! : null,
    bytes: b.bytes[i]!,
    durMs: b.durMs[i]!,
    manifestBefore: manifestAt(b, b.manifestBefore[i]!),
    manifestAfter: manifestAt(b, b.manifestAfter[i]!),
    errors: errorsAt(b, i),
    hour: b.hour[i]!,
    day: b.day[i]!,
  };
}

/** Rows as a batch (restored checkpoints, tests). */
export function batchOf(rows: readonly Row[], names: NameTable = NAMES): RowBatch {
  const b = new RowBatchBuilder(rows.length, names);
  for (let i = 0; i < rows.length; i++) b.append(rows[i]!);
  return b.finish();
}

/** Every row of a batch as records. */
export function rowsOf(b: RowBatch): Row[] {
  const out: Row[] = [];
  for (let i = 0; i < b.length; i++) out.push(rowAt(b, i));
  return out;
}

/** The rows at `index[0..count)` of `b`, in that order, as a new batch (a filter or a permutation). */
export function gather(b: RowBatch, index: ArrayLike<number>, count: number): RowBatch {
  return gatherFrom([b], new Int32Array(count), index, count);
}

/**
 * Row `index[k]` of batch `sources[which[k]]` for k < count, in that order, as one new batch.
 * Its texts are the sources' texts end to end (codes shifted by each source's offset): one array
 * copy per source instead of a lookup per text.
 */
export function gatherFrom(sources: readonly RowBatch[], which: ArrayLike<number>, index: ArrayLike<number>, count: number): RowBatch {
  const out = new RowBatchBuilder(count);
  const shift = new Int32Array(sources.length);
  let texts: readonly string[] = sources.length === 1 ? sources[0]!.texts : EMPTY_TEXTS;
  if (sources.length > 1) {
    const all: string[] = [];
    for (let w = 0; w < sources.length; w++) {
      shift[w] = all.length;
      const own = sources[w]!.texts;
      for (let i = 0; i < own.length; i++) all.push(own[i]!);
    }
    texts = all;
  }
  for (let k = 0; k < count; k++) {
    const w = which[k]!;
    const b = sources[w]!;
    const i = index[k]!;
    const by = shift[w]!;
    out.t[k] = b.t[i]!;
    out.flags[k] = b.flags[i]!;
    out.tenant[k] = b.tenant[i]!;
    out.repo[k] = b.repo[i]!;
    out.machine[k] = b.machine[i]!;
    out.scope[k] = b.scope[i]!;
    out.trigger[k] = b.trigger[i]!;
    out.file[k] = b.file[i]!;
    out.line[k] = b.line[i]!;
    out.files[k] = b.files[i]!;
    out.filesTotal[k] = b.filesTotal[i]!;
    out.bytes[k] = b.bytes[i]!;
    out.durMs[k] = b.durMs[i]!;
    const mb = b.manifestBefore[i]!;
    const ma = b.manifestAfter[i]!;
    out.manifestBefore[k] = mb < 0 ? mb : mb + by;
    out.manifestAfter[k] = ma < 0 ? ma : ma + by;
    for (let e = b.errorsFrom[i]!; e < b.errorsFrom[i + 1]!; e++) out.pushError(b.errorText[e]! + by);
    out.commit();
  }
  return { ...out.finish(), texts };
}
