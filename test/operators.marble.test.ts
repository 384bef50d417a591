// Each metric operator in virtual time: a cold source of Batch messages, the operator, and a
// projection of its state to the view the snapshot uses, compared frame by frame.
import { batchOf, EMPTY_BATCH, rowsOf } from '../pipeline/core/columns.js';
import { describe, expect, it } from 'vitest';
import { map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { Batch } from '../pipeline/core/batch.js';
import { pushesPerHour, pushesPerHourView } from '../operators/metrics/pushes-per-hour.js';
import { bytesPerDay, bytesPerDayView } from '../operators/metrics/bytes-per-day.js';
import { repoFailureRate, repoFailureRateView } from '../operators/metrics/repo-failure-rate.js';
import { lastSuccessPush, lastSuccessPushView } from '../operators/metrics/last-success-push.js';
import { tenantTally, tenantTallyView } from '../operators/metrics/tenant-tally.js';
import { reorderByTs } from '../operators/metrics/reorder-by-ts.js';
import { failureClusters, openClusters, type FailureClustersState } from '../operators/metrics/failure-clusters.js';
import { aggregateRows, costPerTenantDay, weekCostView } from '../operators/metrics/cost-per-tenant-day.js';
import { formatDay, formatHour, formatTs } from '../pipeline/core/time.js';
import { batch, fail, ms, okRow, row, MIN, type RowSpec } from './core-helpers.js';
import { type Row } from '../pipeline/core/row.js';
import { type Cluster } from '../pipeline/core/alerts.js';
import { DEFAULT_PRICES } from '../pipeline/core/money.js';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

function marble<V>(source: Record<string, Batch>, src: string, pipe: (o: Observable<Batch>) => Observable<V>, out: string, values: Record<string, V>): void {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(pipe(cold(src, source))).toBe(out, values);
  });
}

const NOW = ms('2026-04-16T19:30:00Z');

describe('pushesPerHour', () => {
  const nonZero = (s: Parameters<typeof pushesPerHourView>[0]) => {
    const v = pushesPerHourView(s, NOW);
    expect(v).toHaveLength(24);
    expect(formatHour(v[0]!.hour)).toBe('2026-04-15T20:00:00Z');
    expect(formatHour(v[23]!.hour)).toBe('2026-04-16T19:00:00Z');
    return v.filter((e) => e.pushes > 0 || e.failed > 0).map((e) => [formatHour(e.hour), e.pushes, e.failed]);
  };
  it('counts every push (failed too), skips pulls, keeps only [H-23h, H+1h)', () => {
    marble(
      {
        a: batch([okRow({ ts: '2026-04-16T19:10:00Z' }), fail({ ts: '2026-04-16T19:20:00Z' }), okRow({ ts: '2026-04-16T19:25:00Z', op: 'pull' })], { nowFloor: NOW }),
        b: batch([row({ ts: '2026-04-15T20:00:00Z' }), row({ ts: '2026-04-15T19:59:59.999Z' }), row({ ts: '2026-04-16T18:59:59.999Z', error: 'e' })], { nowFloor: NOW }),
        c: batch([], { now: NOW }),
      },
      'a-b-c|',
      (o) => o.pipe(pushesPerHour(), map(nonZero)),
      'a-b-c|',
      {
        a: [['2026-04-16T19:00:00Z', 2, 1]],
        b: [['2026-04-15T20:00:00Z', 1, 0], ['2026-04-16T18:00:00Z', 1, 1], ['2026-04-16T19:00:00Z', 2, 1]],
        c: [['2026-04-15T20:00:00Z', 1, 0], ['2026-04-16T18:00:00Z', 1, 1], ['2026-04-16T19:00:00Z', 2, 1]],
      },
    );
  });
  it('prunes buckets more than 24h below nowFloor, never the ones in the window', () => {
    marble(
      { a: batch([row({ ts: '2026-04-14T00:00:00Z' }), row({ ts: '2026-04-15T20:00:00Z' })], { nowFloor: NOW }) },
      'a|',
      (o) => o.pipe(pushesPerHour(), map((s) => Object.keys(s.hours).map((k) => formatHour(Number(k))))),
      'a|',
      { a: ['2026-04-15T20:00:00Z'] },
    );
  });
});

describe('bytesPerDay', () => {
  it('successful rows only, push vs pull, 7 buckets [D-6d, D+1d)', () => {
    const view = (s: Parameters<typeof bytesPerDayView>[0]) => {
      const v = bytesPerDayView(s, NOW);
      expect(v.map((e) => formatDay(e.day))).toEqual(['2026-04-10', '2026-04-11', '2026-04-12', '2026-04-13', '2026-04-14', '2026-04-15', '2026-04-16']);
      return v.filter((e) => e.pushed_bytes !== 0 || e.pulled_bytes !== 0).map((e) => [formatDay(e.day), e.pushed_bytes, e.pulled_bytes]);
    };
    marble(
      {
        a: batch([row({ ts: '2026-04-16T01:00:00Z', bytes: 100 }), row({ ts: '2026-04-16T02:00:00Z', op: 'pull', bytes: 7 }),
          fail({ ts: '2026-04-16T03:00:00Z', bytes: 1000 }), row({ ts: '2026-04-16T04:00:00Z', bytes: 5, error: ['x'] })], { nowFloor: NOW }),
        b: batch([row({ ts: '2026-04-10T00:00:00Z', op: 'pull', bytes: 3 }), row({ ts: '2026-04-09T23:59:59.999Z', bytes: 11 }),
          row({ ts: '2026-04-16T05:00:00Z', bytes: 20, ok: true, error: 'ignored' })], { nowFloor: NOW }),
      },
      'a-b|',
      (o) => o.pipe(bytesPerDay(), map(view)),
      'a-b|',
      {
        a: [['2026-04-16', 100, 7]],
        b: [['2026-04-10', 0, 3], ['2026-04-16', 120, 7]],
      },
    );
  });
});

describe('repoFailureRate', () => {
  it('ops = push + pull; 24h and 7d windows; repos sorted; a repo with no row in 7d is left out', () => {
    marble(
      {
        a: batch([row({ ts: '2026-04-16T19:00:00Z', repo: 'b' }), fail({ ts: '2026-04-16T10:00:00Z', repo: 'b', op: 'pull' }),
          row({ ts: '2026-04-15T19:59:00Z', repo: 'a' }), fail({ ts: '2026-04-12T00:00:00Z', repo: 'a' }),
          row({ ts: '2026-04-09T12:00:00Z', repo: 'old' })], { nowFloor: NOW }),
        b: batch([row({ ts: '2026-04-15T20:00:00Z', repo: 'a', op: 'pull' }), row({ ts: '2026-04-10T00:00:00Z', repo: 'B' })], { nowFloor: NOW }),
      },
      'a-b|',
      (o) => o.pipe(repoFailureRate(), map((s) => repoFailureRateView(s, NOW))),
      'a-b|',
      {
        a: [
          { repo: 'a', ops_24h: 0, pushes_24h: 0, pulls_24h: 0, failed_24h: 0, ops_7d: 2, failed_7d: 1 },
          { repo: 'b', ops_24h: 2, pushes_24h: 1, pulls_24h: 1, failed_24h: 1, ops_7d: 2, failed_7d: 1 },
        ],
        b: [
          { repo: 'B', ops_24h: 0, pushes_24h: 0, pulls_24h: 0, failed_24h: 0, ops_7d: 1, failed_7d: 0 },
          { repo: 'a', ops_24h: 1, pushes_24h: 0, pulls_24h: 1, failed_24h: 0, ops_7d: 3, failed_7d: 1 },
          { repo: 'b', ops_24h: 2, pushes_24h: 1, pulls_24h: 1, failed_24h: 1, ops_7d: 2, failed_7d: 1 },
        ],
      },
    );
  });
});

describe('lastSuccessPush', () => {
  it('newest successful push per machine whatever the arrival order; null until one; sorted', () => {
    marble(
      {
        a: batch([row({ ts: '2026-04-16T10:00:00Z', machine: 'm1', op: 'pull' }), fail({ ts: '2026-04-16T11:00:00Z', machine: 'm2' })]),
        b: batch([row({ ts: '2026-04-16T09:00:00Z', machine: 'm1' }), row({ ts: '2026-04-16T12:00:00Z', machine: 'm0' })]),
        c: batch([row({ ts: '2026-04-16T08:00:00Z', machine: 'm1' }), fail({ ts: '2026-04-16T13:00:00Z', machine: 'm1' }),
          row({ ts: '2026-04-16T14:00:00Z', machine: 'm1', op: 'pull' })]),
      },
      'ab-c|',
      (o) => o.pipe(lastSuccessPush(), map((s) => lastSuccessPushView(s).map((m) => [m.machine, m.last_success_push === null ? null : formatTs(m.last_success_push)]))),
      'ab-c|',
      {
        a: [['m1', null], ['m2', null]],
        b: [['m0', '2026-04-16T12:00:00Z'], ['m1', '2026-04-16T09:00:00Z'], ['m2', null]],
        c: [['m0', '2026-04-16T12:00:00Z'], ['m1', '2026-04-16T09:00:00Z'], ['m2', null]],
      },
    );
  });
});

describe('tenantTally', () => {
  it('ops and failed ops per tenant in the last 24h; every tenant seen is listed', () => {
    marble(
      {
        a: batch([row({ ts: '2026-04-16T19:00:00Z', tenant: 'acme' }), fail({ ts: '2026-04-16T18:00:00Z', tenant: 'acme', op: 'pull' }),
          row({ ts: '2026-04-16T19:29:00Z' }), row({ ts: '2026-04-14T00:00:00Z', tenant: 'zed' })], { nowFloor: NOW }),
        b: batch([row({ ts: '2026-04-15T20:00:00Z', tenant: 'zed' }), row({ ts: '2026-04-15T19:59:59Z', tenant: 'zed' }), row({ ts: '2026-04-16T01:00:00Z', tenant: '' })], { nowFloor: NOW }),
      },
      'a-b|',
      (o) => o.pipe(tenantTally(), map((s) => tenantTallyView(s, NOW))),
      'a-b|',
      {
        a: [
          { tenant_id: 'acme', ops_24h: 2, failed_24h: 1 },
          { tenant_id: 'default', ops_24h: 1, failed_24h: 0 },
          { tenant_id: 'zed', ops_24h: 0, failed_24h: 0 },
        ],
        b: [
          { tenant_id: 'acme', ops_24h: 2, failed_24h: 1 },
          { tenant_id: 'default', ops_24h: 2, failed_24h: 0 },
          { tenant_id: 'zed', ops_24h: 1, failed_24h: 0 },
        ],
      },
    );
  });
});

const D = '2026-04-16T';
const at = (hms: string): string => `${D}${hms}Z`;
const hms = (t: number): string => new Date(t).toISOString().slice(11, 23).replace(/\.000$/, '');

describe('reorderByTs (max lateness 5m)', () => {
  const L = 5 * MIN;
  const view = (b: Batch & { reorder?: { late: number } }) => ({ rows: rowsOf(b.rows).map((r) => `${hms(r.t)}#${r.line}`), late: b.reorder?.late });
  it('holds rows until no on-time row can precede them, releases late rows at once, flushes at end', () => {
    marble(
      {
        a: batch([row({ ts: at('10:00:00'), line: 1 }), row({ ts: at('10:03:00'), line: 2 }), row({ ts: at('10:01:00'), line: 3 })]),
        b: batch([row({ ts: at('10:10:00'), line: 4 }), row({ ts: at('10:05:00'), line: 5 }), row({ ts: at('10:05:00'), line: 6 })]),
        c: batch([row({ ts: at('10:02:00'), line: 7 }), row({ ts: at('10:07:00'), line: 8 })]),
        d: batch([], { now: ms(at('10:10:00')), end: true }),
      },
      'a-b-c-d|',
      (o) => o.pipe(reorderByTs(L), map(view)),
      'a-b-c-d|',
      {
        a: { rows: [], late: 0 },
        // threshold 10:05: rows strictly below go; the two 10:05 rows wait (not late)
        b: { rows: ['10:00:00#1', '10:01:00#3', '10:03:00#2'], late: 0 },
        // 10:02 is 8m behind 10:10: late, passed on at once; 10:07 waits
        c: { rows: ['10:02:00#7'], late: 1 },
        d: { rows: ['10:05:00#5', '10:05:00#6', '10:07:00#8', '10:10:00#4'], late: 1 },
      },
    );
  });
  it('a row exactly max-lateness behind the newest is on time, 1 ms more is late', () => {
    marble(
      {
        a: batch([row({ ts: at('10:10:00'), line: 1 }), row({ ts: at('10:05:00'), line: 2 }), row({ ts: at('10:04:59.999'), line: 3 })]),
        b: batch([], { now: ms(at('10:10:00')), end: true }),
      },
      'a-b|',
      (o) => o.pipe(reorderByTs(L), map(view)),
      'a-b|',
      { a: { rows: ['10:04:59.999#3'], late: 1 }, b: { rows: ['10:05:00#2', '10:10:00#1'], late: 1 } },
    );
  });
  it('ticks never release rows: only newer rows or the end of input do', () => {
    const t0 = ms(at('10:00:00'));
    marble(
      {
        a: { rows: batchOf([row({ ts: at('10:00:00'), line: 1 }), row({ ts: at('09:58:00'), line: 2 })]), nowFloor: t0, now: null, end: false, clock: 0, tenantsAhead: null, rejectedTs: [] },
        b: { rows: EMPTY_BATCH, nowFloor: t0 + 4 * MIN, now: t0 + 4 * MIN, end: false, clock: 0, tenantsAhead: null, rejectedTs: [] },
        c: { rows: EMPTY_BATCH, nowFloor: t0 + L, now: t0 + L, end: false, clock: 0, tenantsAhead: null, rejectedTs: [] },
      },
      'a-b-c|',
      (o) => o.pipe(reorderByTs(L), map(view)),
      'a-b-c|',
      { a: { rows: [], late: 0 }, b: { rows: [], late: 0 }, c: { rows: [], late: 0 } },
    );
  });
});

describe('failureClusters (N = 3, W = 10m)', () => {
  const rule = { failures: 3, windowMs: 10 * MIN };
  const c = (x: Cluster) => ({
    key: `${x.tenant_id}/${x.repo}`,
    opened: hms(x.opened_at),
    last: hms(x.last_failure_at),
    failures: x.failures.map((f) => hms(f.t)),
    resolved: x.resolved_at === null ? null : hms(x.resolved_at),
  });
  const view = (s: FailureClustersState) => ({ open: openClusters(s).map(c), resolved: s.resolved.map(c) });
  const F = (hm: string, extra: Partial<RowSpec> = {}): Row => fail({ ts: at(hm), ...extra });
  const S = (hm: string, extra: Partial<RowSpec> = {}): Row => okRow({ ts: at(hm), ...extra });
  const run = (src: string, batches: Record<string, Batch>, values: Record<string, ReturnType<typeof view>>) =>
    marble(batches, src, (o) => o.pipe(failureClusters(rule), map(view)), src, values);

  it('opens on the N-th failure within W, joins later failures, resolves on a success', () => {
    const open3 = { key: 'default/snappy-os', opened: '10:02:00', last: '10:02:00', failures: ['10:00:00', '10:01:00', '10:02:00'], resolved: null };
    const open4 = { ...open3, last: '10:05:00', failures: [...open3.failures, '10:05:00'] };
    run('a-b-c-d|', {
      a: batch([F('10:00:00'), F('10:01:00')]),
      b: batch([F('10:02:00')]),
      c: batch([F('10:05:00')]),
      d: batch([S('10:06:00')]),
    }, {
      a: { open: [], resolved: [] },
      b: { open: [open3], resolved: [] },
      c: { open: [open4], resolved: [] },
      d: { open: [], resolved: [{ ...open4, resolved: '10:06:00' }] },
    });
  });

  it('step 1: a row after last_failure + W resolves at last_failure + W; a failure at exactly + W still joins', () => {
    const base = { key: 'default/snappy-os', opened: '10:02:00', failures: ['10:00:00', '10:01:00', '10:02:00'] };
    run('a-b-c|', {
      a: batch([F('10:00:00'), F('10:01:00'), F('10:02:00')]),
      b: batch([F('10:12:00')]),
      c: batch([S('10:22:00.001')]),
    }, {
      a: { open: [{ ...base, last: '10:02:00', resolved: null }], resolved: [] },
      b: { open: [{ ...base, last: '10:12:00', failures: [...base.failures, '10:12:00'], resolved: null }], resolved: [] },
      c: { open: [], resolved: [{ ...base, last: '10:12:00', failures: [...base.failures, '10:12:00'], resolved: '10:22:00' }] },
    });
  });

  it('step 1 then step 2: a failure after the quiet window resolves the old cluster and starts a fresh list', () => {
    const first = { key: 'default/snappy-os', opened: '10:02:00', last: '10:02:00', failures: ['10:00:00', '10:01:00', '10:02:00'] };
    run('a-b-c|', {
      a: batch([F('10:00:00'), F('10:01:00'), F('10:02:00')]),
      b: batch([F('10:12:00.001'), F('10:13:00')]),
      c: batch([F('10:14:00')]),
    }, {
      a: { open: [{ ...first, resolved: null }], resolved: [] },
      b: { open: [], resolved: [{ ...first, resolved: '10:12:00' }] },
      c: {
        open: [{ key: 'default/snappy-os', opened: '10:14:00', last: '10:14:00', failures: ['10:12:00.001', '10:13:00', '10:14:00'], resolved: null }],
        resolved: [], // `resolved` lists what each batch resolved; c resolved nothing
      },
    });
  });

  it('step 4: a batch with NOW resolves at last_failure + W only once NOW is strictly past it', () => {
    const open = { key: 'default/snappy-os', opened: '10:02:00', last: '10:03:00', failures: ['10:00:00', '10:01:00', '10:02:00', '10:03:00'] };
    run('a-b-c|', {
      a: batch([F('10:00:00'), F('10:01:00'), F('10:02:00'), F('10:03:00')]),
      b: batch([], { now: ms(at('10:13:00')) }),
      c: batch([], { now: ms(at('10:13:00.001')) }),
    }, {
      a: { open: [{ ...open, resolved: null }], resolved: [] },
      b: { open: [{ ...open, resolved: null }], resolved: [] },
      c: { open: [], resolved: [{ ...open, resolved: '10:13:00' }] },
    });
  });

  it('re-opens after a resolve: the list was cleared, so N new failures are needed', () => {
    const first = { key: 'default/snappy-os', opened: '10:02:00', last: '10:02:00', failures: ['10:00:00', '10:01:00', '10:02:00'], resolved: '10:03:00' };
    run('a-b-c|', {
      a: batch([F('10:00:00'), F('10:01:00'), F('10:02:00'), S('10:03:00')]),
      b: batch([F('10:04:00'), F('10:05:00')]),
      c: batch([F('10:06:00')]),
    }, {
      a: { open: [], resolved: [first] },
      b: { open: [], resolved: [] },
      c: { open: [{ key: 'default/snappy-os', opened: '10:06:00', last: '10:06:00', failures: ['10:04:00', '10:05:00', '10:06:00'], resolved: null }], resolved: [] },
    });
  });

  it('keys (tenant, repo) are independent when interleaved; same repo under two tenants is two keys', () => {
    const A = { repo: 'a' };
    const B = { repo: 'b' };
    const X = { repo: 'a', tenant: 'xco' };
    const openA = { key: 'default/a', opened: '10:02:00', last: '10:02:00', failures: ['10:00:00', '10:01:00', '10:02:00'], resolved: null };
    const openB = { key: 'default/b', opened: '10:03:00', last: '10:03:00', failures: ['10:00:30', '10:01:30', '10:03:00'], resolved: null };
    run('a-b-c|', {
      a: batch([F('10:00:00', A), F('10:00:30', B), F('10:00:40', X), F('10:01:00', A), F('10:01:30', B), F('10:01:40', X)]),
      b: batch([F('10:02:00', A), S('10:02:30', X), F('10:03:00', B)]),
      c: batch([S('10:04:00', A), F('10:04:10', X)]),
    }, {
      a: { open: [], resolved: [] },
      b: { open: [openA, openB], resolved: [] },
      c: {
        open: [openB, { key: 'xco/a', opened: '10:04:10', last: '10:04:10', failures: ['10:00:40', '10:01:40', '10:04:10'], resolved: null }],
        resolved: [{ ...openA, resolved: '10:04:00' }],
      },
    });
  });

  it('a success before N is reached does NOT clear the list (step 3 clears only an open cluster)', () => {
    run('a-b|', {
      a: batch([F('10:00:00'), F('10:01:00'), S('10:02:00')]),
      b: batch([F('10:03:00')]),
    }, {
      a: { open: [], resolved: [] },
      b: { open: [{ key: 'default/snappy-os', opened: '10:03:00', last: '10:03:00', failures: ['10:00:00', '10:01:00', '10:03:00'], resolved: null }], resolved: [] },
    });
  });

  it('window edge: a failure exactly W after the first still counts (ts == t − W is kept); 1 ms more does not', () => {
    run('a|', {
      a: batch([F('10:00:00'), F('10:05:00'), F('10:10:00')]),
    }, {
      a: { open: [{ key: 'default/snappy-os', opened: '10:10:00', last: '10:10:00', failures: ['10:00:00', '10:05:00', '10:10:00'], resolved: null }], resolved: [] },
    });
    run('a|', { a: batch([F('10:00:00'), F('10:05:00'), F('10:10:00.001')]) }, { a: { open: [], resolved: [] } });
  });

  it('an error-chain success (ok:true with error) resolves; ok absent + error "" is a success too', () => {
    const open = { key: 'default/snappy-os', opened: '10:02:00', last: '10:02:00', failures: ['10:00:00', '10:01:00', '10:02:00'] };
    run('a-b|', {
      a: batch([F('10:00:00'), F('10:01:00'), F('10:02:00')]),
      b: batch([row({ ts: at('10:03:00'), error: '' })]),
    }, {
      a: { open: [{ ...open, resolved: null }], resolved: [] },
      b: { open: [], resolved: [{ ...open, resolved: '10:03:00' }] },
    });
  });

  it('carries each failure\'s details (machine, op, scope, trigger, full chain) into the cluster', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a|', {
        a: batch([
          fail({ ts: at('10:00:00'), machine: 'm1', op: 'pull', scope: 'home', trigger: 'cron', error: ['outer', 'inner'] }),
          row({ ts: at('10:01:00'), ok: false }),
          fail({ ts: at('10:02:00'), error: 'single' }),
        ]),
      });
      expectObservable(src.pipe(failureClusters(rule), map((s) => openClusters(s)[0]!.failures.map(({ line: _l, ...f }) => f)))).toBe('a|', {
        a: [
          { t: ms(at('10:00:00')), file: '-', machine: 'm1', op: 'pull', scope: 'home', trigger: 'cron', errors: ['outer', 'inner'] },
          { t: ms(at('10:01:00')), file: '-', machine: 'mbpro-rb', op: 'push', scope: 'state', trigger: 'stop-hook', errors: [] },
          { t: ms(at('10:02:00')), file: '-', machine: 'mbpro-rb', op: 'push', scope: 'state', trigger: 'stop-hook', errors: ['single'] },
        ],
      });
    });
  });
});

describe('costPerTenantDay', () => {
  it('aggregates per (tenant, day) with the egress allowance used in ts order', () => {
    const prices = { ...DEFAULT_PRICES, includedEgressBytes: 1000 };
    const view = (s: Parameters<typeof aggregateRows>[0]) => aggregateRows(s, prices).map((r) => [r.day, r.tenant_id, r.ops, r.pull_bytes, r.billable_egress_bytes, r.cost_usd_cents]);
    marble(
      {
        a: batch([row({ ts: '2026-04-15T10:00:00Z', op: 'pull', bytes: 600, tenant: 'a' }), fail({ ts: '2026-04-15T11:00:00Z', op: 'pull', bytes: 5000, tenant: 'b' })]),
        b: batch([row({ ts: '2026-04-16T10:00:00Z', op: 'pull', bytes: 300, tenant: 'b' }), row({ ts: '2026-04-16T11:00:00Z', op: 'pull', bytes: 2 ** 30 + 100, tenant: 'a' })]),
      },
      'a-b|',
      (o) => o.pipe(costPerTenantDay(prices), map(view)),
      'a-b|',
      {
        // April: 500/30 = 16.67 cents a day; b's only row on the 15th failed: no share, 0.
        a: [['2026-04-15', 'a', 1, 600, 0, 17], ['2026-04-15', 'b', 1, 0, 0, 0]],
        // 600 + 300 = 900 used, 100 left; a's pull of 2^30 + 100 bills exactly 2^30 bytes = 1 cent.
        b: [
          ['2026-04-15', 'a', 1, 600, 0, 17], ['2026-04-15', 'b', 1, 0, 0, 0],
          ['2026-04-16', 'a', 1, 2 ** 30 + 100, 2 ** 30, 18], ['2026-04-16', 'b', 1, 300, 0, 1],
        ],
      },
    );
  });
  it('weekly view sums exact day amounts and rounds once', () => {
    marble(
      { a: batch([row({ ts: '2026-04-14T10:00:00Z' }), row({ ts: '2026-04-15T10:00:00Z' }), row({ ts: '2026-04-16T10:00:00Z' }), row({ ts: '2026-04-09T10:00:00Z' })]) },
      'a|',
      (o) => o.pipe(costPerTenantDay(DEFAULT_PRICES), map((s) => weekCostView(s, DEFAULT_PRICES, NOW))),
      'a|',
      // three April days in the week at 50/3 each = 50 exactly (per-day rounding would give 51)
      { a: { week_usd_cents: 50, by_tenant: [{ tenant_id: 'default', week_usd_cents: 50 }] } },
    );
  });
});
