// The engine's fan-out in virtual time: one batch stream to many operators, zipped back into one
// record per batch. Cases after RxJS's own `scan` spec: a projection that throws, early
// unsubscribe, an empty source; plus the Engine's wiring of every metric operator.
import { describe, expect, it } from 'vitest';
import { map, scan, type OperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { Batch } from '../pipeline/core/batch.js';
import { fanOut, OperatorFailure } from '../pipeline/engine/fan-out.js';
import { Engine } from '../pipeline/engine/engine.js';
import { LineSplitter } from '../pipeline/source/lines.js';
import { DEFAULT_PRICES } from '../pipeline/core/money.js';
import { batch, fail, line, ms, okRow, row } from './core-helpers.js';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

const B: Record<string, Batch> = {
  a: batch([okRow({ ts: '2026-04-16T10:00:00Z' })]),
  b: batch([fail({ ts: '2026-04-16T10:01:00Z' }), okRow({ ts: '2026-04-16T10:02:00Z' })]),
  c: batch([row({ ts: '2026-04-16T10:03:00Z' })]),
};

/** Counts batches and rows it folded; `seen` is the log of every fold, shared with the test. */
function counter(seen: string[], name: string): OperatorFunction<Batch, { batches: number; rows: number }> {
  return scan((s, b: Batch) => {
    seen.push(`${name}:${b.rows.length}`);
    return { batches: s.batches + 1, rows: s.rows + b.rows.length };
  }, { batches: 0, rows: 0 });
}

/** Throws on the batch with `rows` rows; counts otherwise. */
function throwsOn(rows: number): OperatorFunction<Batch, number> {
  return scan((n, b: Batch) => {
    if (b.rows.length === rows) throw new Error(`bad batch of ${rows}`);
    return n + 1;
  }, 0);
}

describe('fanOut', () => {
  it('every operator sees every batch once, in order, and one record per batch comes out', () => {
    const seen: string[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const out$ = fanOut(cold('a-b-c|', B), {
        x: { name: 'x', operator: counter(seen, 'x'), init: () => ({ batches: 0, rows: 0 }) },
        y: { name: 'y', operator: counter(seen, 'y'), init: () => ({ batches: 0, rows: 0 }) },
      }, () => expect.unreachable('no operator throws'));
      expectObservable(out$.pipe(map((r) => [r.batch.rows.length, r.states.x.batches, r.states.x.rows, r.states.y.rows]))).toBe('a-b-c|', {
        a: [1, 1, 1, 1],
        b: [2, 2, 3, 3],
        c: [1, 3, 4, 4],
      });
    });
    expect(seen).toEqual(['x:1', 'y:1', 'x:2', 'y:2', 'x:1', 'y:1']);
  });

  it('a projection that throws is reported once and named; it stays at its last state while the others go on', () => {
    const failures: OperatorFailure[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const out$ = fanOut(cold('a-b-c|', B), {
        good: { name: 'good', operator: counter([], 'good'), init: () => ({ batches: 0, rows: 0 }) },
        bad: { name: 'bytes-per-day', operator: throwsOn(2), init: () => -1 },
      }, (f) => failures.push(f));
      // No error reaches the subscriber: the stream completes with every batch.
      expectObservable(out$.pipe(map((r) => [r.states.good.batches, r.states.bad]))).toBe('a-b-c|', {
        a: [1, 1],
        b: [2, 1],
        c: [3, 1],
      });
    });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(OperatorFailure);
    expect(failures[0]!.operator).toBe('bytes-per-day');
    expect(failures[0]!.message).toBe('operator bytes-per-day failed: bad batch of 2');
  });

  it('an operator that throws on the first batch is frozen at a fresh state', () => {
    const failures: string[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const out$ = fanOut(cold('a-b|', B), {
        bad: { name: 'first', operator: throwsOn(1), init: () => 0 },
        good: { name: 'good', operator: counter([], 'good'), init: () => ({ batches: 0, rows: 0 }) },
      }, (f) => failures.push(f.operator));
      expectObservable(out$.pipe(map((r) => [r.states.bad, r.states.good.batches]))).toBe('a-b|', { a: [0, 1], b: [0, 2] });
    });
    expect(failures).toEqual(['first']);
  });

  it('early unsubscribe: no operator folds a batch after the subscriber leaves', () => {
    const seen: string[] = [];
    scheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a-b-c|', B);
      const out$ = fanOut(source, { x: { name: 'x', operator: counter(seen, 'x'), init: () => ({ batches: 0, rows: 0 }) } }, () => {});
      expectObservable(out$.pipe(map((r) => r.states.x.batches)), '^--!').toBe('-1-', { 1: 1 });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
    expect(seen).toEqual(['x:1']);
  });

  it('empty source: completes at once, nothing folded, nothing emitted', () => {
    const seen: string[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const out$ = fanOut(cold<Batch>('|'), { x: { name: 'x', operator: counter(seen, 'x'), init: () => ({ batches: 0, rows: 0 }) } }, () => {});
      expectObservable(out$).toBe('|');
    });
    expect(seen).toEqual([]);
  });

  it('an error from the batch source itself travels to the subscriber (it is not an operator failure)', () => {
    const failures: string[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const out$ = fanOut(cold('a-#', B, new Error('read failed')), {
        x: { name: 'x', operator: counter([], 'x'), init: () => ({ batches: 0, rows: 0 }) },
      }, (f) => failures.push(f.operator));
      expectObservable(out$.pipe(map((r) => r.states.x.batches))).toBe('a-#', { a: 1 }, new Error('read failed'));
    });
    expect(failures).toEqual([]);
  });
});

describe('Engine fan-out', () => {
  const NOW = ms('2026-04-16T12:00:00Z');
  const config = {
    nowPolicy: { kind: 'fixed' as const, ms: NOW },
    maxLatenessMs: 5 * 60_000,
    defaultTenant: 'default',
    cluster: { failures: 3, windowMs: 10 * 60_000 },
    prices: DEFAULT_PRICES,
  };

  it('every metric operator counts every row once, across slices of a big chunk and several feeds', () => {
    // 1,300 rows in one chunk (three slices of 512) and 200 more in a second feed.
    const lines: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const ts = new Date(NOW - 3_600_000 + i * 1000).toISOString().replace('.000Z', 'Z');
      lines.push(line({
        ts, op: i % 3 === 0 ? 'pull' : 'push', repo: `r${i % 7}`, scope: 's', machine: `m${i % 4}`, trigger: 't',
        files: 1, bytes: 10, dur_ms: 5, ok: i % 10 !== 0, tenant_id: `t${i % 5}`,
      }));
    }
    const engine = new Engine(config);
    const sp = new LineSplitter();
    engine.feed(sp.push(Buffer.from(`${lines.slice(0, 1300).join('\n')}\n`)), NOW, 'log');
    engine.feed(sp.push(Buffer.from(`${lines.slice(1300).join('\n')}\n`)), NOW, 'log');
    const frames: number[] = [];
    engine.frame$.subscribe((f) => frames.push(f.now));
    engine.end(NOW);
    expect(frames).toEqual([NOW]);
    const s = engine.state;
    const pushes = lines.filter((l) => l.includes('"push"')).length;
    const okBytes = 10 * lines.filter((l) => l.includes('"ok":true')).length;
    expect(s.health).toEqual({ read: 1500, valid: 1500, rejected: 0, duplicate: 0 });
    const hourly = Object.values(s.hourly.hours).reduce((n, c) => n + c[0], 0);
    expect(hourly).toBe(pushes);
    const bytes = Object.values(s.daily.days).reduce((n, d) => n + Number(d.pushed) + Number(d.pulled), 0);
    expect(bytes).toBe(okBytes);
    const tenantOps = Object.values(s.tenants.tenants).reduce((n, h) => n + Object.values(h).reduce((m, c) => m + c[0], 0), 0);
    expect(tenantOps).toBe(1500);
    const repoOps = Object.values(s.repos.repos).reduce((n, r) => n + Object.values(r.days).reduce((m, c) => m + c[0], 0), 0);
    expect(repoOps).toBe(1500);
    const costOps = Object.values(s.cost.days).reduce((n, d) => n + Object.values(d).reduce((m, a) => m + a.ops, 0), 0);
    expect(costOps).toBe(1500);
    expect(Object.keys(s.machines.machines).sort()).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(engine.failures).toEqual([]);
  });

  it('two engines seeded from one state count independently (the seed is copied, never shared)', () => {
    const one = new Engine(config);
    const sp = new LineSplitter();
    const l = line({ ts: '2026-04-16T11:00:00Z', op: 'push', repo: 'r', scope: 's', machine: 'm', trigger: 't', files: 1, bytes: 1, dur_ms: 1 });
    one.feed(sp.push(Buffer.from(`${l}\n`)), NOW, 'log');
    const seed = one.state;
    const a = new Engine(config, seed);
    const b = new Engine(config, seed);
    a.feed(new LineSplitter().push(Buffer.from(`${l}\n${l}\n`)), NOW, 'log');
    const hours = (e: Engine): number => Object.values(e.state.hourly.hours).reduce((n, c) => n + c[0], 0);
    expect([hours(one), hours(a), hours(b)]).toEqual([1, 3, 1]);
    expect([one.state.health.read, a.state.health.read, b.state.health.read]).toEqual([1, 3, 1]);
  });
});
