import { defer, scan, type OperatorFunction } from 'rxjs';

/**
 * The shape every operator shares, after RxJS's own `scan`: keyed, plain state folded batch by
 * batch and emitted after each batch. The state is created per subscription (defer) and updated
 * in place, so a chunk costs one emission, not one per row, and two subscribers never count into
 * one state. A fold that throws errors the stream: the subscriber's error handler decides.
 */
export function foldBatches<B, S>(seed: () => S, fold: (state: S, batch: B) => void): OperatorFunction<B, S> {
  return (source) =>
    defer(() => source.pipe(scan((state: S, batch: B) => {
      fold(state, batch);
      return state;
    }, seed())));
}

/** [all, failed] counts for one bucket. */
export type Counts = [number, number];

/** Counts keyed by bucket index (hour or day since the epoch). */
export type BucketCounts = Record<number, Counts>;

export function bump(buckets: BucketCounts, key: number, failed: boolean): void {
  const c = buckets[key];
  if (c === undefined) buckets[key] = [1, failed ? 1 : 0];
  else {
    c[0]++;
    if (failed) c[1]++;
  }
}

/** Sum of buckets with from ≤ key < to. */
export function sumBuckets(buckets: BucketCounts, from: number, to: number): Counts {
  const out: Counts = [0, 0];
  for (const k in buckets) {
    const key = Number(k);
    if (key >= from && key < to) {
      const c = buckets[key] as Counts;
      out[0] += c[0];
      out[1] += c[1];
    }
  }
  return out;
}

const lastPruneHour = new WeakMap<object, number>();

/** True once per state per hour of the NOW floor: pruning more often finds nothing new. */
export function pruneDue(state: object, nowFloor: number): boolean {
  const hour = Math.floor(nowFloor / 3_600_000);
  if (lastPruneHour.get(state) === hour) return false;
  lastPruneHour.set(state, hour);
  return true;
}

/**
 * The oldest hour a 24h window can still show: NOW never goes below `nowFloor`, so a row of an
 * earlier hour can be skipped at fold time (a batch over months keeps one day of histograms).
 */
export function firstLiveHour(nowFloor: number): number {
  return Math.floor(nowFloor / 3_600_000) - 23;
}

export function pruneBelow(buckets: Record<number, unknown>, min: number): void {
  for (const k in buckets) if (Number(k) < min) delete buckets[Number(k)];
}

/**
 * The seed factory for an operator that may continue from restored state: a fresh `init()`, or a
 * private copy of `restored` for each subscription (never the restored object itself).
 */
export function seeded<S>(restored: S | undefined, init: () => S): () => S {
  return restored === undefined ? init : () => adoptPlain(structuredClone(restored));
}

/**
 * A keyed record with no prototype: names come from the input, and a repo called
 * `__proto__` or `constructor` must be data like any other, never an inherited member.
 */
export function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/**
 * Re-homes every plain object of restored state (a checkpoint's JSON) onto a null prototype,
 * recursively, so restored keyed records behave exactly like fresh `dict()`s.
 */
export function adoptPlain<T>(value: T): T {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = adoptPlain(value[i]);
    return value;
  }
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) === null) return value;
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out = Object.create(null) as Record<string, unknown>;
  for (const k of Object.keys(value)) out[k] = adoptPlain((value as Record<string, unknown>)[k]);
  return out as T;
}

/**
 * One entry per bucket of the `count` buckets that end with bucket `last` (included), oldest
 * first, e.g. the 24 hours up to NOW's hour; `bucket` is undefined where nothing was counted.
 */
export function recentBuckets<T, E>(buckets: Record<number, T>, last: number, count: number, entry: (key: number, bucket: T | undefined) => E): E[] {
  const out: E[] = [];
  for (let k = last - count + 1; k <= last; k++) out.push(entry(k, buckets[k]));
  return out;
}


const slotCaches = new WeakMap<object, unknown[]>();

/**
 * The entries of a keyed record by name id (pipeline/core/columns.ts), filled as rows name them,
 * so a row's lookup is an array index rather than a keyed access. Only for records whose entries
 * are objects that are never deleted or replaced.
 */
export function slotsOf<T>(records: Record<string, T>): (T | undefined)[] {
  let slots = slotCaches.get(records);
  if (slots === undefined) slotCaches.set(records, (slots = []));
  return slots as (T | undefined)[];
}

/**
 * Per name id, the bucket a key counted into last and that bucket's cell: a key's rows come in
 * runs within one hour or day, so most rows skip the keyed bucket lookup. Start a new cache
 * whenever buckets are pruned (a cached cell must never outlive its bucket).
 */
export interface CellCache {
  readonly bucket: number[];
  readonly cell: Counts[];
}

export const newCellCache = (): CellCache => ({ bucket: [], cell: [] });

/** bump() through the cache of key `id`. */
export function bumpCell(cache: CellCache, id: number, buckets: BucketCounts, bucket: number, failed: boolean): void {
  let c = cache.bucket[id] === bucket ? cache.cell[id] : undefined;
  if (c === undefined) {
    c = buckets[bucket] ??= [0, 0];
    cache.bucket[id] = bucket;
    cache.cell[id] = c;
  }
  c[0]++;
  if (failed) c[1]++;
}
