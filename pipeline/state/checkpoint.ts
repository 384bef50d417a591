import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { compactTs, formatTs } from '../core/time.js';
import type { InputPosition } from '../source/position.js';
import { writeFileAtomic } from '../core/atomic-write.js';
import type { HistoryMark } from '../core/alerts.js';
import { initEngineState, type EngineConfig, type EngineState } from './engine-state.js';
import { restoreReorder, saveReorder, type SavedReorder } from '../../operators/metrics/reorder-by-ts.js';

/**
 * Checkpoints under `state/.syncscope/`: everything a restart needs to go on exactly where the
 * last run stopped (engine state with pending reorder rows, as compact records, and open
 * clusters; the input position, with a stdin stream's recent line digests; the committed length
 * of the rejects file; the final length of alerts-resolved.ndjson and the clusters written there
 * while still open).
 *
 * File format (version 4: v3 plus the §3.1 operators' state), two lines:
 *   {"format":"syncscope-checkpoint","version":4,"sha256":"<hex of line 2>","saved_at":"..."}
 *   <body JSON>
 * The body is JSON with a small codec for what plain JSON loses: bigints (exact byte sums past
 * 2^53) as {"$bigint":"digits"}, non-finite numbers (-Infinity marks "nothing seen yet") as
 * {"$num":"-Infinity"}; object keys that begin with "$" (a repo or machine name can) are escaped
 * by doubling the "$", so a name from the input can never be mistaken for a tag.
 */
export const CHECKPOINT_FORMAT = 'syncscope-checkpoint';
export const CHECKPOINT_VERSION = 4;
export const CHECKPOINT_FILE = 'checkpoint.json';

/** The settings that change numbers: a checkpoint made under other settings is not resumed. */
export interface ConfigKey {
  max_lateness_ms: number;
  tenant: string;
  alert_failures: number;
  alert_window_ms: number;
  price_base_cents_per_month: string;
  egress_included_bytes: number;
  egress_cents_per_gib: string;
  /** `wall`, `latest`, or the fixed RFC 3339 NOW (a fixed NOW drops rows after it for good). */
  now: string;
}


export interface Checkpoint {
  config: ConfigKey;
  input: InputPosition;
  /** Length of the rejects file that matches this state (later bytes are re-derived on resume). */
  rejects_bytes: number;
  /** alerts-resolved.ndjson as this state left it (see sinks/resolved-history.ts). */
  resolved_history: HistoryMark;
  engine: EngineState;
}

// ---- codec ------------------------------------------------------------------------------------

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

// BigInt, non-finite numbers and Maps (a histogram's bucket counts) have no JSON form of their
// own: each becomes a one-key `$` object; a real key starting with `$` is escaped as `$$`.
function replacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return { $bigint: v.toString() };
  if (v instanceof Map) return { $map: [...v] };
  if (typeof v === 'number' && !Number.isFinite(v)) return { $num: String(v) };
  if (isPlainObject(v)) {
    let escaped: Record<string, unknown> | null = null;
    for (const key in v) {
      if (key.charCodeAt(0) === 36 /* $ */) {
        escaped = {};
        break;
      }
    }
    if (escaped === null) return v;
    for (const key in v) escaped[key.charCodeAt(0) === 36 ? `$${key}` : key] = v[key];
    return escaped;
  }
  return v;
}

function reviver(_k: string, v: unknown): unknown {
  if (!isPlainObject(v)) return v;
  const keys = Object.keys(v);
  if (keys.length === 1) {
    const only = keys[0]!;
    const val = v[only];
    if (only === '$bigint' && typeof val === 'string' && /^-?\d+$/.test(val)) return BigInt(val);
    if (only === '$num' && (val === 'Infinity' || val === '-Infinity' || val === 'NaN')) return Number(val);
    if (only === '$map' && Array.isArray(val) && val.every((e) => Array.isArray(e) && e.length === 2)) return new Map(val as [unknown, unknown][]);
  }
  let needs = false;
  for (const key of keys) if (key.startsWith('$$')) needs = true;
  if (!needs) return v;
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key.startsWith('$$') ? key.slice(1) : key] = v[key];
  return out;
}

/** JSON text of any checkpoint value, bigints and ±Infinity included. */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, replacer);
}

export function decodeJson(text: string): unknown {
  return JSON.parse(text, reviver);
}

export function encodeCheckpoint(cp: Checkpoint, savedAt: number): string {
  const { engine, ...rest } = cp;
  return encodeCheckpointWith(rest, encodeEngineState(engine), savedAt);
}

const PENDING_HEAD = '{"reorder":{"pending":';

/**
 * `encodeJson(state)` in substance, faster: the reorder buffer can hold every row of a long run
 * of one ts, and rows are flat records of strings, finite numbers, null and string arrays with
 * fixed field names, which plain JSON encodes exactly as the codec would (no bigint, no
 * non-finite number, no "$" key), without a replacer call per value. The reorder state is
 * written first so its rows are spliced in at a fixed place.
 */
export function encodeEngineState(state: EngineState): string {
  const { reorder, ...rest } = state;
  const { pending, ...saved } = saveReorder(reorder);
  const text = encodeJson({ reorder: { pending: 0, ...saved }, ...rest });
  const marker = `${PENDING_HEAD}0`;
  if (!text.startsWith(marker)) throw new Error('checkpoint: unexpected engine state encoding');
  return `${PENDING_HEAD}${JSON.stringify(pending)}${text.slice(marker.length)}`;
}

/**
 * The checkpoint with its engine state already encoded (`encodeJson(state)`): a final flush
 * encodes the state before ending the engine in place, instead of ending a deep copy.
 */
export function encodeCheckpointWith(rest: Omit<Checkpoint, 'engine'>, engineJson: string, savedAt: number): string {
  const head = encodeJson({ config: rest.config, input: rest.input, rejects_bytes: rest.rejects_bytes, resolved_history: rest.resolved_history });
  const body = `${head.slice(0, -1)},"engine":${engineJson}}`;
  const header = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    state_shape: stateShape(),
    sha256: createHash('sha256').update(body).digest('hex'),
    saved_at: formatTs(savedAt),
  };
  return `${JSON.stringify(header)}\n${body}\n`;
}

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

const Header = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  version: z.number(),
  state_shape: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  saved_at: z.string(),
});

/** Every key path of the initial engine state: changes when an operator's state layout changes. */
function shapeOf(v: unknown, path: string, out: string[]): void {
  if (!isPlainObject(v)) return;
  for (const k of Object.keys(v).sort()) {
    const p = `${path}.${k}`;
    out.push(p);
    shapeOf(v[k], p, out);
  }
}

/** Short hash of the engine state's layout, written in the header: a checkpoint from a build whose
 * operators keep different state is rebuilt from the log instead of being misread. */
let shape: string | null = null;
export function stateShape(): string {
  if (shape === null) {
    const paths: string[] = [];
    // The shape of the state as the file holds it (pending rows as records).
    shapeOf(decodeJson(encodeEngineState(initEngineState())), '', paths);
    shape = createHash('sha256').update(paths.join('\n')).digest('hex').slice(0, 16);
  }
  return shape;
}

const FingerprintSchema = z.object({
  dev: z.string(),
  ino: z.string(),
  birth: z.string(),
  head: z.string().nullable(),
});

const count = z.number().int().min(0);
/** Any number but NaN: ±Infinity are valid markers ("nothing seen yet"), which z.number() rejects. */
const anyNumber = z.custom<number>((v) => typeof v === 'number' && !Number.isNaN(v), 'a number');

const FilePositionSchema = z.object({ kind: z.literal('file'), path: z.string().min(1), fingerprint: FingerprintSchema.nullable(), offset: count, line: z.number().int().min(1) });

const BodySchema = z.object({
  config: z.object({
    max_lateness_ms: z.number(),
    tenant: z.string(),
    alert_failures: z.number(),
    alert_window_ms: z.number(),
    price_base_cents_per_month: z.string(),
    egress_included_bytes: z.number(),
    egress_cents_per_gib: z.string(),
    now: z.string(),
  }),
  input: z.discriminatedUnion('kind', [
    FilePositionSchema,
    z.object({ kind: z.literal('files'), files: z.array(FilePositionSchema) }),
    z.object({ kind: z.literal('stdin'), ended: z.boolean(), recent: z.array(z.string().regex(/^[0-9a-f]{32}$/)).max(1000) }),
  ]),
  rejects_bytes: count,
  resolved_history: z.object({ bytes: count, ahead: z.array(z.string()) }),
  // The operators' state is checked by replaying it (the caller's trial, trialEngineState), not field by field: its
  // layout belongs to the operators, and a layout change is caught by the header's state_shape.
  engine: z.object({
    health: z.object({ read: count, valid: count, rejected: count, duplicate: count }),
    latestTs: anyNumber.nullable(),
    future: z.array(z.record(z.string(), z.unknown())),
    lastRowTs: z.record(z.string(), z.number()),
    futureRejectTs: z.array(z.number()),
    hourly: z.record(z.string(), z.unknown()),
    daily: z.record(z.string(), z.unknown()),
    repos: z.record(z.string(), z.unknown()),
    machines: z.record(z.string(), z.unknown()),
    tenants: z.record(z.string(), z.unknown()),
    reorder: z.object({ pending: z.array(z.record(z.string(), z.unknown())), late: count }).loose(),
    clusters: z.record(z.string(), z.unknown()),
    cost: z.record(z.string(), z.unknown()),
    topErrors: z.record(z.string(), z.unknown()),
    latency: z.record(z.string(), z.unknown()),
    trend: z.record(z.string(), z.unknown()),
    rejectsHourly: z.record(z.string(), z.unknown()),
  }),
});

/** Parses and checks a checkpoint file's text; throws CheckpointError saying what is wrong. */
export function decodeCheckpoint(text: string): Checkpoint {
  const nl = text.indexOf('\n');
  if (nl < 0) throw new CheckpointError('not a checkpoint file (no header line)');
  let headerRaw: unknown;
  try {
    headerRaw = JSON.parse(text.slice(0, nl));
  } catch (err) {
    throw new CheckpointError(`header is not JSON (${(err as Error).message})`);
  }
  const h = Header.safeParse(headerRaw);
  if (!h.success) throw new CheckpointError('not a syncscope checkpoint header');
  if (h.data.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(`format version ${h.data.version} is not supported (this syncscope reads version ${CHECKPOINT_VERSION})`);
  }
  if (h.data.state_shape !== stateShape()) {
    throw new CheckpointError('it was written by a syncscope build whose engine keeps its state differently');
  }
  const body = text.slice(nl + 1).replace(/\n$/, '');
  if (createHash('sha256').update(body).digest('hex') !== h.data.sha256) {
    throw new CheckpointError('checksum mismatch (truncated or edited)');
  }
  let raw: unknown;
  try {
    raw = decodeJson(body);
  } catch (err) {
    throw new CheckpointError(`body is not JSON (${(err as Error).message})`);
  }
  const r = BodySchema.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new CheckpointError(`unexpected content at ${first?.path.join('.') || '(body)'}: ${first?.message ?? 'invalid'}`);
  }
  const cp = raw as Checkpoint;
  // The reorder keeps its pending rows as columns; the file holds them as records.
  cp.engine.reorder = restoreReorder(cp.engine.reorder as unknown as SavedReorder);
  return cp;
}

// ---- config -----------------------------------------------------------------------------------

const ratText = (r: { num: bigint; den: bigint }): string => (r.den === 1n ? `${r.num}` : `${r.num}/${r.den}`);

export function configKey(c: EngineConfig): ConfigKey {
  const p = c.nowPolicy;
  return {
    max_lateness_ms: c.maxLatenessMs,
    tenant: c.defaultTenant,
    alert_failures: c.cluster.failures,
    alert_window_ms: c.cluster.windowMs,
    price_base_cents_per_month: ratText(c.prices.baseCentsPerMonth),
    egress_included_bytes: c.prices.includedEgressBytes,
    egress_cents_per_gib: ratText(c.prices.egressCentsPerGiB),
    now: p.kind === 'fixed' ? formatTs(p.ms) : p.kind,
  };
}

const CONFIG_LABELS: Record<keyof ConfigKey, string> = {
  max_lateness_ms: '--max-lateness (ms)',
  tenant: '--tenant',
  alert_failures: '--alert-failures',
  alert_window_ms: '--alert-window (ms)',
  price_base_cents_per_month: '--price-base-usd (cents/month)',
  egress_included_bytes: '--egress-included (bytes)',
  egress_cents_per_gib: '--egress-usd-per-gib (cents/GiB)',
  now: '--now',
};

/** Human lines for each setting that differs, e.g. `--alert-failures: 3 → 5`; empty when equal. */
export function diffConfig(saved: ConfigKey, current: ConfigKey): string[] {
  const out: string[] = [];
  for (const k of Object.keys(CONFIG_LABELS) as Array<keyof ConfigKey>) {
    if (saved[k] !== current[k]) out.push(`${CONFIG_LABELS[k]}: ${String(saved[k])} → ${String(current[k])}`);
  }
  return out;
}

// ---- engine state -----------------------------------------------------------------------------


// ---- files ------------------------------------------------------------------------------------

export function checkpointPath(internalDir: string): string {
  return join(internalDir, CHECKPOINT_FILE);
}

export type LoadResult =
  | { kind: 'none' }
  | { kind: 'ok'; checkpoint: Checkpoint }
  /** Unusable: moved aside to `movedTo` (null when even that failed). */
  | { kind: 'corrupt'; reason: string; movedTo: string | null };

/** Reads the checkpoint; an unreadable or corrupt one is moved aside, never thrown. */
export function loadCheckpoint(internalDir: string, config: EngineConfig, clock: number, trial: (state: EngineState) => void): LoadResult {
  const path = checkpointPath(internalDir);
  if (!existsSync(path)) return { kind: 'none' };
  let reason: string;
  try {
    const cp = decodeCheckpoint(readFileSync(path, 'utf8'));
    // Only a checkpoint made under the same settings is replayed through this config's engine;
    // others are rebuilt anyway (the caller decides), so their state need not be trialled.
    if (diffConfig(cp.config, configKey(config)).length === 0) trial(cp.engine);
    return { kind: 'ok', checkpoint: cp };
  } catch (err) {
    reason = err instanceof CheckpointError ? err.message : `${(err as NodeJS.ErrnoException).code ?? 'error'}: ${(err as Error).message}`;
  }
  const aside = `${path}.corrupt-${compactTs(clock)}`;
  try {
    renameSync(path, aside);
    return { kind: 'corrupt', reason, movedTo: aside };
  } catch {
    try {
      rmSync(path, { force: true });
    } catch {
      // reported below as "could not be moved aside"
    }
    return { kind: 'corrupt', reason, movedTo: null };
  }
}

/** Durable (fsync before the rename, SPEC §8): a resume must survive a power cut. */
export function saveCheckpoint(internalDir: string, cp: Checkpoint | string, savedAt: number): void {
  writeFileAtomic(checkpointPath(internalDir), typeof cp === 'string' ? cp : encodeCheckpoint(cp, savedAt), { durable: true });
}

export function discardCheckpoint(internalDir: string): boolean {
  const path = checkpointPath(internalDir);
  if (!existsSync(path)) return false;
  rmSync(path, { force: true });
  return true;
}
