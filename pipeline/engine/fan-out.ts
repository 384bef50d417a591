import { catchError, concat, map, of, share, tap, zip, type Observable, type OperatorFunction } from 'rxjs';
import type { Batch } from '../core/batch.js';

/** An operator threw: its name, and what it threw. Its numbers stay as they were before. */
export class OperatorFailure extends Error {
  constructor(readonly operator: string, override readonly cause: unknown) {
    super(`operator ${operator} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'OperatorFailure';
  }
}

/**
 * Wires one operator for the fan-out. An error on its channel is reported once, named, and the
 * operator is frozen from then on: `frozen` gives its emission for every later batch (its last
 * state, or a fresh one if it never emitted), so a zip over all operators stays aligned and every
 * other metric keeps going.
 */
export function guarded<B, S>(
  name: string,
  operator: OperatorFunction<B, S>,
  frozen: (last: S | undefined, batch: B) => S,
  report: (f: OperatorFailure) => void,
): OperatorFunction<B, S> {
  return (source) => {
    let last: S | undefined;
    let input: B | undefined;
    return source.pipe(
      tap((b) => (input = b)),
      operator,
      tap((s) => (last = s)),
      catchError((err: unknown) => {
        report(new OperatorFailure(name, err));
        return concat(of(frozen(last, input as B)), source.pipe(map((b) => frozen(last, b))));
      }),
    );
  };
}

/** One metric operator as the fan-out takes it: a name for errors, the operator, a fresh state. */
export interface Metric<S> {
  readonly name: string;
  readonly operator: OperatorFunction<Batch, S>;
  readonly init: () => S;
}

export type Metrics<M> = { readonly [K in keyof M]: Metric<M[K]> };

/**
 * One batch stream to many operators: each sees every batch once, in order, and emits its state
 * after it; the result zips those emissions into one record per batch, next to the batch itself.
 * Operators that throw are reported through `report` and frozen (see guarded).
 */
export function fanOut<M extends Record<string, unknown>>(
  batches$: Observable<Batch>,
  metrics: Metrics<M>,
  report: (f: OperatorFailure) => void,
): Observable<{ readonly batch: Batch; readonly states: M }> {
  const shared$ = batches$.pipe(share());
  const keys = Object.keys(metrics) as Array<keyof M & string>;
  const streams = keys.map((k) => {
    const m = metrics[k];
    return shared$.pipe(guarded(m.name, m.operator, (last) => last ?? m.init(), report));
  });
  return zip([shared$, ...streams]).pipe(
    map(([batch, ...states]) => {
      const out = {} as M;
      for (let i = 0; i < keys.length; i++) out[keys[i]!] = states[i] as M[keyof M & string];
      return { batch: batch as Batch, states: out };
    }),
  );
}
