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

  /**
   * `manifests: false` keeps no manifest text (every manifest reads as ABSENT): `run` never reads
   * them, and two strings a row cost time at every step (transfer, reorder, checkpoint).
   */
  constructor(readonly capacity: number, readonly names: NameTable = NAMES, readonly manifests = true) {
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
    return m === undefined || !this.manifests ? ABSENT : m === null ? NULL : this.text(m);
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

/**
 * Row i as a record: for the rare paths (findings, alert entries, checkpoints), never the hot
 * loop. `names` is the table its ids index (this thread's, unless built against another).
 */
export function rowAt(b: RowBatch, i: number, names: readonly string[] = NAMES.list): Row {
  const f = b.flags[i]!;
  const push = (f & PUSH) !== 0;
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
  const runs = new RowRuns();
  for (let k = 0; k < count; k++) runs.take(b, index[k]!);
  return runs.batch();
}

/** Row `index[k]` of batch `sources[which[k]]` for k < count, in that order, as one new batch. */
export function gatherFrom(sources: readonly RowBatch[], which: ArrayLike<number>, index: ArrayLike<number>, count: number): RowBatch {
  const runs = new RowRuns();
  for (let k = 0; k < count; k++) runs.take(sources[which[k]!]!, index[k]!);
  return runs.batch();
}

/** Above this many texts, a batch whose sources hold more than twice as many texts as picked rows keeps only the texts it uses. */
const COMPACT_TEXTS = 256;

/** Below this many rows a run is copied row by row (a typed-array view costs more than a few rows). */
const SHORT_RUN = 16;

/**
 * Rows picked from batches, in order, kept as runs of consecutive rows of one batch: most picks
 * are long runs (a reorder releases mostly rows in arrival order), which are copied column by
 * column with TypedArray.set instead of row by row.
 */
export class RowRuns {
  private readonly sources: RowBatch[] = [];
  private readonly source: number[] = [];
  private readonly from: number[] = [];
  private readonly to: number[] = [];
  count = 0;

  /** Row i of b. */
  take(b: RowBatch, i: number): void {
    const last = this.source.length - 1;
    if (last >= 0 && this.sources[this.source[last]!] === b && this.to[last] === i) this.to[last] = i + 1;
    else this.push(b, i, i + 1);
    this.count++;
  }

  /** Rows from ≤ i < to of b. */
  takeRange(b: RowBatch, from: number, to: number): void {
    if (to <= from) return;
    const last = this.source.length - 1;
    if (last >= 0 && this.sources[this.source[last]!] === b && this.to[last] === from) this.to[last] = to;
    else this.push(b, from, to);
    this.count += to - from;
  }

  private push(b: RowBatch, from: number, to: number): void {
    let w = this.sources.lastIndexOf(b);
    if (w < 0) w = this.sources.push(b) - 1;
    this.source.push(w);
    this.from.push(from);
    this.to.push(to);
  }

  /**
   * The picked rows as one batch: the source itself when the picks are exactly one whole batch.
   * Its texts are the sources' texts end to end (codes shifted by each source's offset): one
   * array copy per source instead of a lookup per text; or, when the sources' text tables are
   * mostly other rows' (a merge of several files takes a few rows at a time from big batches,
   * and what it keeps must not drag every text it ever saw along), only the texts it uses.
   */
  batch(): RowBatch {
    const count = this.count;
    if (count === 0) return EMPTY_BATCH;
    const sources = this.sources;
    if (this.source.length === 1 && this.from[0] === 0 && this.to[0] === sources[0]!.length) return sources[0]!;
    let total = 0;
    for (const b of sources) total += b.texts.length;
    if (total > COMPACT_TEXTS && total > 2 * count) {
      const texts: string[] = [];
      const seen = sources.map(() => new Map<number, number>());
      const out = this.copy((w, c) => {
        if (c < 0) return c;
        const m = seen[w]!;
        let to = m.get(c);
        if (to === undefined) {
          to = texts.push(sources[w]!.texts[c]!) - 1;
          m.set(c, to);
        }
        return to;
      });
      return { ...out, texts: texts.length === 0 ? EMPTY_TEXTS : texts };
    }
    const shift = new Int32Array(sources.length);
    let texts: readonly string[] = sources[0]!.texts;
    for (let w = 1; w < sources.length; w++) {
      shift[w] = texts.length;
      texts = texts.concat(sources[w]!.texts);
    }
    return { ...this.copy((w, c) => (c < 0 ? c : c + shift[w]!)), texts };
  }

  /** The picked rows, each text code (manifests, errors) of source w turned into `code(w, c)`. */
  private copy(code: (w: number, c: number) => number): RowBatch {
    const out = new RowBatchBuilder(this.count);
    let k = 0;
    for (let r = 0; r < this.source.length; r++) {
      const w = this.source[r]!;
      const b = this.sources[w]!;
      const from = this.from[r]!;
      const to = this.to[r]!;
      copyColumns(out, k, b, from, to);
      for (let i = from, o = k; i < to; i++, o++) {
        out.manifestBefore[o] = code(w, b.manifestBefore[i]!);
        out.manifestAfter[o] = code(w, b.manifestAfter[i]!);
        for (let e = b.errorsFrom[i]!; e < b.errorsFrom[i + 1]!; e++) out.pushError(code(w, b.errorText[e]!));
        out.errorsFrom[o + 1] = out.errorCount;
      }
      k += to - from;
    }
    out.n = this.count;
    return out.finish();
  }
}

/** The fixed-width columns of rows [from, to) of b into out at row k (text codes are the caller's). */
function copyColumns(out: RowBatchBuilder, k: number, b: RowBatch, from: number, to: number): void {
  const len = to - from;
  if (len < SHORT_RUN) {
    for (let i = from, o = k; i < to; i++, o++) {
      out.t[o] = b.t[i]!;
      out.hour[o] = b.hour[i]!;
      out.day[o] = b.day[i]!;
      out.flags[o] = b.flags[i]!;
      out.tenant[o] = b.tenant[i]!;
      out.repo[o] = b.repo[i]!;
      out.machine[o] = b.machine[i]!;
      out.scope[o] = b.scope[i]!;
      out.trigger[o] = b.trigger[i]!;
      out.file[o] = b.file[i]!;
      out.line[o] = b.line[i]!;
      out.files[o] = b.files[i]!;
      out.filesTotal[o] = b.filesTotal[i]!;
      out.bytes[o] = b.bytes[i]!;
      out.durMs[o] = b.durMs[i]!;
    }
  } else {
    out.t.set(b.t.subarray(from, to), k);
    out.hour.set(b.hour.subarray(from, to), k);
    out.day.set(b.day.subarray(from, to), k);
    out.flags.set(b.flags.subarray(from, to), k);
    out.tenant.set(b.tenant.subarray(from, to), k);
    out.repo.set(b.repo.subarray(from, to), k);
    out.machine.set(b.machine.subarray(from, to), k);
    out.scope.set(b.scope.subarray(from, to), k);
    out.trigger.set(b.trigger.subarray(from, to), k);
    out.file.set(b.file.subarray(from, to), k);
    out.line.set(b.line.subarray(from, to), k);
    out.files.set(b.files.subarray(from, to), k);
    out.filesTotal.set(b.filesTotal.subarray(from, to), k);
    out.bytes.set(b.bytes.subarray(from, to), k);
    out.durMs.set(b.durMs.subarray(from, to), k);
  }
}
