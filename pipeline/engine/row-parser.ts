import { z } from 'zod';

/**
 * sync-events v1 (SPEC §1). This zod schema is the single source of truth for what a valid
 * row is and for the `RawRow` type. `checkRow` below is a hand-unrolled fast path that must
 * accept exactly what this schema accepts (a property test holds the two together); when it
 * says no, `explainReject` asks zod for the precise reason.
 */
const nonEmpty = z.string().min(1);
const count = z.int().min(0);

const TS_MESSAGE = 'not an RFC 3339 timestamp with seconds and Z or an offset (like 2026-04-16T19:10:38Z)';
const isoDatetime = z.iso.datetime({ offset: true });

/** RFC 3339 §5.6 allows a lowercase `t` and `z`; zod's ISO check wants them upper-case. */
function upperTz(s: string): string {
  return s.replace(/[tz]/g, (c) => c.toUpperCase());
}

export const RowSchema = z.object({
  ts: z.string({ error: TS_MESSAGE }).refine((s) => isoDatetime.safeParse(upperTz(s)).success, TS_MESSAGE),
  op: z.enum(['push', 'pull']),
  repo: nonEmpty,
  scope: nonEmpty,
  machine: nonEmpty,
  trigger: nonEmpty,
  files: count,
  bytes: count,
  dur_ms: count,
  manifest_before: z.string().nullable().optional(),
  manifest_after: z.string().nullable().optional(),
  ok: z.boolean().optional(),
  error: z.union([z.string(), z.array(z.string())]).optional(),
  tenant_id: z.string().optional(),
  files_total: count.optional(),
});

export type RawRow = z.infer<typeof RowSchema>;

/**
 * A validated row as the pipeline keeps it: a compact record of the known fields only. The
 * parsed object is dropped at once, so an unknown field of any size or depth is never kept,
 * cloned or checkpointed. Every Row has one shape, so operator loops stay monomorphic.
 */
export interface Row {
  /** ts in epoch milliseconds, UTC. */
  readonly t: number;
  /** The input it came from: the path as given, or `-` for stdin. */
  readonly file: string;
  /** 1-based line number in its file. */
  readonly line: number;
  readonly op: 'push' | 'pull';
  readonly push: boolean;
  readonly failed: boolean;
  /** tenant_id, or the default tenant when absent or empty. */
  readonly tenant: string;
  readonly repo: string;
  readonly scope: string;
  readonly machine: string;
  readonly trigger: string;
  readonly files: number;
  /** files_total, or null when absent. */
  readonly filesTotal: number | null;
  readonly bytes: number;
  readonly durMs: number;
  /** undefined = the field is absent (not recorded); null is a value (no manifest). */
  readonly manifestBefore: string | null | undefined;
  readonly manifestAfter: string | null | undefined;
  /** The error chain, outermost first: a string error is a chain of one; [] without `error`. */
  readonly errors: readonly string[];
  /** Hours / days since the epoch (UTC floor): the bucket keys. */
  readonly hour: number;
  readonly day: number;
}

const NO_ERRORS: readonly string[] = Object.freeze([]);

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** SPEC §1: failure when ok is false, or ok is absent and error is present and non-empty. */
export function isFailure(raw: RawRow): boolean {
  if (raw.ok !== undefined) return raw.ok === false;
  const e = raw.error;
  return e !== undefined && e.length > 0;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(year: number, month1: number): number {
  return month1 === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month1 - 1] as number);
}

/** The digit at i, or NaN: NaN poisons every sum and fails every range check after it. */
function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
}

function two(s: string, i: number): number {
  return digit(s, i) * 10 + digit(s, i + 1);
}

/**
 * Parses RFC 3339 (as zod's `iso.datetime({ offset: true })` accepts it) to epoch ms, or NaN.
 * The common `YYYY-MM-DDTHH:MM:SS[.fff]Z` layout is parsed by hand; anything else goes through
 * zod and Date.parse, so the two agree by construction on the unusual cases.
 */
export function parseTs(s: string): number {
  const n = s.length;
  if (n >= 20 && n <= 30 && s.charCodeAt(n - 1) === 90 /* Z */ && s.charCodeAt(16) === 58) {
    // Rows come in bursts within the same minute: reuse the parsed `YYYY-MM-DDTHH:MM` prefix.
    let base: number;
    if (s.startsWith(lastMinutePrefix)) base = lastMinuteMs;
    else {
      base = parseMinutePrefix(s);
      if (base === base) {
        lastMinutePrefix = s.slice(0, 16);
        lastMinuteMs = base;
      }
    }
    if (base === base) {
      const se = two(s, 17);
      let ms = 0;
      let ok = se >= 0 && se <= 59;
      if (ok && n > 20) {
        // Fraction: '.' then at least one digit; milliseconds are its first three digits.
        ok = s.charCodeAt(19) === 46 && n > 21;
        for (let i = 20; ok && i < n - 1; i++) {
          const c = digit(s, i);
          if (c !== c) ok = false;
          else if (i < 23) ms += c * (i === 20 ? 100 : i === 21 ? 10 : 1);
        }
      }
      if (ok) return base + se * 1000 + ms;
    }
  }
  const upper = upperTz(s);
  if (!isoDatetime.safeParse(upper).success) return NaN;
  return Date.parse(upper);
}

let lastMinutePrefix = '\u0000never';
let lastMinuteMs = 0;

/** `YYYY-MM-DDTHH:MM` (validated, years from 1970) to epoch ms, or NaN. */
function parseMinutePrefix(s: string): number {
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58) return NaN;
  const y = two(s, 0) * 100 + two(s, 2);
  const mo = two(s, 5);
  const d = two(s, 8);
  const h = two(s, 11);
  const mi = two(s, 14);
  const ok = y >= 1970 && mo >= 1 && mo <= 12 && d >= 1 && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 &&
    d <= daysInMonth(y, mo);
  return ok ? Date.UTC(y, mo - 1, d, h, mi, 0, 0) : NaN;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

const interned = new Map<string, string>();

/**
 * The internalized twin of a key string (repo, machine, tenant). Strings parsed from JSON are
 * not internalized, and V8 looks every such key up in its string table on each keyed access;
 * handing operators the internalized copy makes their record lookups direct. Bounded by the
 * number of distinct keys, like operator state itself.
 */
function intern(s: string): string {
  let k = interned.get(s);
  if (k === undefined) {
    const holder = Object.create(null) as Record<string, true>;
    holder[s] = true;
    k = Object.keys(holder)[0] as string;
    interned.set(k, k);
  }
  return k;
}

/**
 * The fast path: validates a parsed object against RowSchema and builds its Row, reading each
 * field once (parsed rows come in many shapes, so every property load is a slow generic one).
 * Returns null when RowSchema would say no; the schema stays authoritative, and a property
 * test holds the two together (test/schema.test.ts).
 */
export function toRow(o: Record<string, unknown>, t: number, file: string, line: number, defaultTenant: string): Row | null {
  const op = o.op;
  const repo = o.repo;
  const scope = o.scope;
  const machine = o.machine;
  const trigger = o.trigger;
  const bytes = o.bytes;
  const files = o.files;
  const durMs = o.dur_ms;
  if ((op !== 'push' && op !== 'pull') || typeof repo !== 'string' || repo.length === 0 ||
      typeof scope !== 'string' || scope.length === 0 || typeof machine !== 'string' || machine.length === 0 ||
      typeof trigger !== 'string' || trigger.length === 0 || !isCount(files) || !isCount(bytes) ||
      !isCount(durMs)) return null;
  const mb = o.manifest_before;
  const ma = o.manifest_after;
  if ((mb !== undefined && mb !== null && typeof mb !== 'string') ||
      (ma !== undefined && ma !== null && typeof ma !== 'string')) return null;
  const ok = o.ok;
  const error = o.error;
  const tenantId = o.tenant_id;
  const filesTotal = o.files_total;
  if ((ok !== undefined && typeof ok !== 'boolean') || (tenantId !== undefined && typeof tenantId !== 'string') ||
      (filesTotal !== undefined && !isCount(filesTotal))) return null;
  let failed: boolean;
  let errors: readonly string[];
  if (error === undefined) {
    failed = ok === false;
    errors = NO_ERRORS;
  } else if (typeof error === 'string') {
    failed = ok === undefined ? error.length > 0 : ok === false;
    errors = [error];
  } else if (Array.isArray(error)) {
    for (let i = 0; i < error.length; i++) if (typeof error[i] !== 'string') return null;
    failed = ok === undefined ? error.length > 0 : ok === false;
    errors = error.length === 0 ? NO_ERRORS : (error as string[]);
  } else return null;
  return {
    t,
    file,
    line,
    op,
    push: op === 'push',
    failed,
    tenant: intern(tenantId !== undefined && tenantId.length > 0 ? tenantId : defaultTenant),
    repo: intern(repo),
    scope,
    machine: intern(machine),
    trigger,
    files,
    filesTotal: filesTotal === undefined ? null : filesTotal,
    bytes,
    durMs,
    manifestBefore: mb as string | null | undefined,
    manifestAfter: ma as string | null | undefined,
    errors,
    hour: Math.floor(t / HOUR_MS),
    day: Math.floor(t / DAY_MS),
  };
}

/** True when `o` (apart from ts) satisfies RowSchema: the fast path's verdict. */
export function checkRow(o: Record<string, unknown>): boolean {
  return toRow(o, 0, '-', 0, 'default') !== null;
}

/** A one-line reason naming the first bad fields, e.g. `bytes: Too small: expected number to be >=0`. */
export function explainReject(o: unknown): string {
  const r = RowSchema.safeParse(o);
  if (r.success) return 'rejected';
  return r.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(row)'}: ${i.message}`)
    .join('; ');
}
