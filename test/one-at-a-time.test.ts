// The run loop's scheduler: ticks, polls and wake-ups in, one async step at a time out.
import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { oneAtATime } from '../pipeline/engine/one-at-a-time.js';

type Req = 'tick' | 'work';

/** Steps that finish only when the test says so; `started` logs the order they began in. */
function manualSteps() {
  const started: Req[] = [];
  const finish: Array<(err?: Error) => void> = [];
  const step = (r: Req): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      started.push(r);
      finish.push((err) => (err === undefined ? resolve() : reject(err)));
    });
  const finishNext = async (err?: Error): Promise<void> => {
    finish.shift()!(err);
    await new Promise((r) => setImmediate(r));
  };
  return { started, step, finishNext };
}

function collect(source: Subject<Req>, step: (r: Req) => Promise<void>) {
  const out = { done: [] as Req[], completed: false, error: null as unknown };
  source.pipe(oneAtATime(step, ['tick', 'work'])).subscribe({
    next: (r) => out.done.push(r),
    complete: () => (out.completed = true),
    error: (e: unknown) => (out.error = e),
  });
  return out;
}

describe('oneAtATime', () => {
  it('never runs two steps at once; requests made meanwhile wait as one of each kind, a tick first', async () => {
    const s = manualSteps();
    const src = new Subject<Req>();
    const out = collect(src, s.step);
    src.next('work');
    src.next('work');
    src.next('tick');
    src.next('work');
    src.next('tick');
    expect(s.started).toEqual(['work']);
    await s.finishNext();
    expect(s.started).toEqual(['work', 'tick']);
    await s.finishNext();
    expect(s.started).toEqual(['work', 'tick', 'work']);
    await s.finishNext();
    expect(out.done).toEqual(['work', 'tick', 'work']);
    expect(out.completed).toBe(false);
  });

  it('a request made by the running step itself runs after it', async () => {
    const src = new Subject<Req>();
    const started: Req[] = [];
    let more = 2;
    const step = async (r: Req): Promise<void> => {
      started.push(r);
      await Promise.resolve();
      if (r === 'work' && more-- > 0) src.next('work');
    };
    collect(src, step);
    src.next('work');
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['work', 'work', 'work']);
  });

  it('completing the source drops waiting requests and completes once the running step is done', async () => {
    const s = manualSteps();
    const src = new Subject<Req>();
    const out = collect(src, s.step);
    src.next('work');
    src.next('tick');
    src.complete();
    expect(out.completed).toBe(false);
    await s.finishNext();
    expect(s.started).toEqual(['work']);
    expect(out.done).toEqual(['work']);
    expect(out.completed).toBe(true);
  });

  it('an empty source completes at once', () => {
    const src = new Subject<Req>();
    const out = collect(src, async () => {});
    src.complete();
    expect(out.completed).toBe(true);
  });

  it('a step that rejects errors the output and runs nothing more', async () => {
    const s = manualSteps();
    const src = new Subject<Req>();
    const out = collect(src, s.step);
    src.next('work');
    src.next('tick');
    await s.finishNext(new Error('disk gone'));
    expect((out.error as Error).message).toBe('disk gone');
    expect(s.started).toEqual(['work']);
  });
});
