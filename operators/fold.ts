import { defer, scan, type OperatorFunction } from 'rxjs';
import type { Batch } from '../pipeline/batch.js';

/**
 * The shape every metric operator shares: keyed, plain state folded batch by batch and emitted
 * after each batch. The state object is created per subscription (defer) and updated in place,
 * so a chunk costs one emission, not one per row.
 */
export function foldBatches<S>(seed: () => S, fold: (state: S, batch: Batch) => void): OperatorFunction<Batch, S> {
  return (source) =>
    defer(() => source.pipe(scan((state: S, batch: Batch) => {
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

export function pruneBelow(buckets: Record<number, unknown>, min: number): void {
  for (const k in buckets) if (Number(k) < min) delete buckets[Number(k)];
}

/** Deep copy of plain state (checkpoints must not alias live state). */
export function clonePlain<S>(s: S): S {
  return structuredClone(s);
}
