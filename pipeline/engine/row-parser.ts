import * as z from 'zod';
import { DAY_MS, HOUR_MS, isRfc3339 } from '../core/time.js';
import type { Row } from '../core/row.js';

/**
 * sync-events v1 (SPEC §1). This zod schema is the single source of truth for what a valid
 * row is and for the `RawRow` type. `checkRow` below is a hand-unrolled fast path that must
 * accept exactly what this schema accepts (a property test holds the two together); when it
 * says no, `explainReject` asks zod for the precise reason.
 */
const nonEmpty = z.string().min(1);
const count = z.int().min(0);

const TS_MESSAGE = 'not an RFC 3339 timestamp with seconds and Z or an offset (like 2026-04-16T19:10:38Z)';

export const RowSchema = z.object({
  ts: z.string({ error: TS_MESSAGE }).refine((s) => isRfc3339(s), TS_MESSAGE),
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

const NO_ERRORS: readonly string[] = Object.freeze([]);

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

const interned = new Map<string, string>();
/** Distinct names kept interned at most; past it the map starts over, so months of churn in names cost no memory. */
export const INTERN_MAX = 65_536;

/**
 * The internalized twin of a key string (repo, machine, tenant). Strings parsed from JSON are
 * not internalized, and V8 looks every such key up in its string table on each keyed access;
 * handing operators the internalized copy makes their record lookups direct. Only a speed-up:
 * a name seen again after the map started over is the same string by value.
 */
export function intern(s: string): string {
  let k = interned.get(s);
  if (k === undefined) {
    if (interned.size >= INTERN_MAX) interned.clear();
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

/** How many names are interned now (for the bound's test). */
export function internedCount(): number {
  return interned.size;
}
