import { Observable, type OperatorFunction } from 'rxjs';

/**
 * Runs one async step per request, never two at once. Requests that arrive while a step runs are
 * kept, one of each kind, and run next in `priority` order (a tick before more reading), so a
 * slow flush never stacks up ticks and nothing asked for is lost. When the source completes
 * (the run is stopping) the waiting requests are dropped and the output completes once the
 * running step has finished. A step that rejects errors the output.
 */
export function oneAtATime<K>(step: (request: K) => Promise<void>, priority: readonly K[]): OperatorFunction<K, K> {
  return (source) =>
    new Observable<K>((subscriber) => {
      const waiting = new Set<K>();
      let running = false;
      let sourceDone = false;
      const runWaiting = async (): Promise<void> => {
        running = true;
        try {
          for (let next = pick(); next !== undefined; next = pick()) {
            waiting.delete(next);
            await step(next);
            if (subscriber.closed) return;
            subscriber.next(next);
          }
        } catch (err) {
          subscriber.error(err);
          return;
        } finally {
          running = false;
        }
        if (sourceDone) subscriber.complete();
      };
      const pick = (): K | undefined => (sourceDone ? undefined : priority.find((k) => waiting.has(k)));
      const sub = source.subscribe({
        next: (k) => {
          waiting.add(k);
          if (!running) void runWaiting();
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          waiting.clear();
          if (!running) subscriber.complete();
        },
      });
      return () => sub.unsubscribe();
    });
}
