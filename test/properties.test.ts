// SPEC §2/§3 as properties of the whole engine (lines → snapshot): order-free counts do not
// depend on arrival order at all; every output equals the ts-sorted run while no row is later
// than --max-lateness; counts equal a direct computation over the rows; window edges are exact.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { config as rxConfig } from 'rxjs';
import fc from 'fast-check';
import { Engine } from '../pipeline/engine/engine.js';
import { LineSplitter } from '../pipeline/source/lines.js';
import { buildSnapshot } from '../pipeline/engine/snapshot.js';
import { buildTallies } from '../pipeline/engine/tallies.js';
import { formatDay, formatHour, formatTs, type NowPolicy } from '../pipeline/core/time.js';
import { aggregateRows } from '../operators/metrics/cost-per-tenant-day.js';
import { openClusters } from '../operators/metrics/failure-clusters.js';
import { DAY, HOUR, MIN, ms, rawRow, splitAt } from './core-helpers.js';
import { DEFAULT_PRICES } from '../pipeline/core/money.js';
import { type Cluster } from '../pipeline/core/alerts.js';
import { type EngineConfig } from '../pipeline/state/engine-state.js';

const NOW = ms('2026-04-16T19:30:00Z');
const CLOCK = ms('2026-04-20T00:00:00Z');
const L = 5 * MIN;
const W = 10 * MIN;
const N = 3;

interface Gen {
  t: number;
  op: 'push' | 'pull';
  failed: boolean;
  /** How the failure state is spelled on the row. */
  form: Record<string, unknown>;
  bytes: number;
  repo: string;
  tenant: string | undefined;
  machine: string;
  seq: number;
}

const failForms = [{ ok: false }, { error: 'x' }, { error: ['outer', 'inner'] }, { ok: false, error: 'y' }];
const okForms = [{}, { ok: true }, { ok: true, error: 'ignored' }, { error: '' }, { error: [] }];

const genRow = fc.record({
  t: fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: -180, max: 0 }).map((m) => NOW + m * MIN) },
    { weight: 3, arbitrary: fc.integer({ min: -30 * HOUR, max: 0 }).map((d) => NOW + d) },
    { weight: 2, arbitrary: fc.integer({ min: -9 * DAY, max: 0 }).map((d) => NOW + d) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 * HOUR }).map((d) => NOW + d) },
  ),
  op: fc.constantFrom('push' as const, 'pull' as const),
  failed: fc.boolean(),
  formIndex: fc.nat(),
  bytes: fc.oneof(fc.nat({ max: 5000 }), fc.constantFrom(0, 2 ** 39, 2 ** 40 - 1)),
  repo: fc.constantFrom('alpha', 'beta', 'Gamma'),
  tenant: fc.constantFrom(undefined, 'acme', 'zed'),
  machine: fc.constantFrom('m1', 'm2', 'm3', 'm4'),
});

/** Bursts: a few rows on one key within minutes, so clusters open, join and resolve. */
const genBurst = fc.record({
  t0: fc.integer({ min: -200, max: 0 }).map((m) => NOW + m * MIN),
  repo: fc.constantFrom('alpha', 'Gamma'),
  tenant: fc.constantFrom(undefined, 'acme'),
  rows: fc.array(fc.record({
    dt: fc.oneof(fc.integer({ min: 0, max: 12 }).map((m) => m * MIN), fc.integer({ min: 0, max: 12 * MIN })),
    failed: fc.integer({ min: 0, max: 9 }).map((n) => n < 7),
    op: fc.constantFrom('push' as const, 'pull' as const),
    formIndex: fc.nat(),
    machine: fc.constantFrom('m1', 'm2'),
    bytes: fc.nat({ max: 100 }),
  }), { minLength: 1, maxLength: 7 }),
});

const genRows = fc.tuple(fc.array(genRow, { maxLength: 40 }), fc.array(genBurst, { maxLength: 5 }))
  .filter(([a, b]) => a.length + b.length > 0)
  .map(([singles, bursts]) => {
    const flat = [
      ...singles,
      ...bursts.flatMap((b) => b.rows.map((r) => ({ ...r, t: b.t0 + r.dt, repo: b.repo, tenant: b.tenant }))),
    ];
    return flat.map((r, seq): Gen => {
      const forms = r.failed ? failForms : okForms;
      return { t: r.t, op: r.op, failed: r.failed, form: forms[r.formIndex % forms.length]!, bytes: r.bytes, repo: r.repo, tenant: r.tenant, machine: r.machine, seq };
    });
  })
  .filter((rows) => rows.length > 0);

function lineOf(g: Gen): string {
  return JSON.stringify(rawRow({ ts: formatTs(g.t), op: g.op, bytes: g.bytes, repo: g.repo, machine: g.machine, tenant: g.tenant, seq: g.seq, ...g.form }));
}

function config(nowPolicy: NowPolicy): EngineConfig {
  return { nowPolicy, maxLatenessMs: L, defaultTenant: 'default', cluster: { failures: N, windowMs: W }, prices: DEFAULT_PRICES };
}


const clusterView = (c: Cluster) => ({
  tenant_id: c.tenant_id,
  repo: c.repo,
  opened_at: c.opened_at,
  last_failure_at: c.last_failure_at,
  failures: c.failures.map(({ line: _line, ...f }) => f),
  resolved_at: c.resolved_at,
});
const byJson = <T>(xs: T[]): T[] => xs.map((x) => JSON.stringify(x)).sort().map((s) => JSON.parse(s) as T);

function run(rows: Gen[], policy: NowPolicy, cuts: number[] = []) {
  const engine = new Engine(config(policy));
  const sp = new LineSplitter();
  const buf = Buffer.from(rows.map(lineOf).join('\n') + '\n');
  for (const ch of splitAt(buf, cuts)) engine.feed(sp.push(ch), CLOCK, 'log.ndjson');
  engine.feed(sp.end(), CLOCK, 'log.ndjson');
  const now = engine.end(CLOCK);
  const { generated_at: _g, ...snap } = buildSnapshot(engine.state, DEFAULT_PRICES, now, CLOCK);
  return {
    now,
    snap,
    aggregates: aggregateRows(engine.state.cost, DEFAULT_PRICES),
    tallies: buildTallies(engine.state, now, CLOCK),
    open: openClusters(engine.state.clusters).map(clusterView),
    resolved: byJson(engine.takeResolved().map(clusterView)),
  };
}

const policies: Array<[string, NowPolicy]> = [['fixed NOW', { kind: 'fixed', ms: NOW }], ['--now latest', { kind: 'latest' }]];

/** Direct computation of the order-free parts of the snapshot (SPEC §3). */
function reference(rows: Gen[], now: number) {
  const vis = rows.filter((r) => r.t <= now);
  const H = Math.floor(now / HOUR);
  const Dd = Math.floor(now / DAY);
  const pushes_per_hour = [];
  for (let k = H - 23; k <= H; k++) {
    const inHour = vis.filter((r) => r.op === 'push' && Math.floor(r.t / HOUR) === k);
    pushes_per_hour.push({ hour: formatHour(k), pushes: inHour.length, failed: inHour.filter((r) => r.failed).length });
  }
  const bytes_per_day = [];
  for (let d = Dd - 6; d <= Dd; d++) {
    const inDay = vis.filter((r) => !r.failed && Math.floor(r.t / DAY) === d);
    bytes_per_day.push({
      day: formatDay(d),
      pushed_bytes: inDay.filter((r) => r.op === 'push').reduce((a, r) => a + r.bytes, 0),
      pulled_bytes: inDay.filter((r) => r.op === 'pull').reduce((a, r) => a + r.bytes, 0),
    });
  }
  const in24 = (r: Gen) => r.t >= (H - 23) * HOUR;
  const in7 = (r: Gen) => r.t >= (Dd - 6) * DAY;
  const repos = [...new Set(vis.filter(in7).map((r) => r.repo))].sort().map((repo) => {
    const rs = vis.filter((r) => r.repo === repo);
    return {
      repo,
      ops_24h: rs.filter(in24).length,
      pushes_24h: rs.filter((r) => in24(r) && r.op === 'push').length,
      pulls_24h: rs.filter((r) => in24(r) && r.op === 'pull').length,
      failed_24h: rs.filter((r) => in24(r) && r.failed).length,
      ops_7d: rs.filter(in7).length,
      failed_7d: rs.filter((r) => in7(r) && r.failed).length,
    };
  });
  const machines = [...new Set(vis.map((r) => r.machine))].sort().map((machine) => {
    const ok = vis.filter((r) => r.machine === machine && r.op === 'push' && !r.failed).map((r) => r.t);
    return { machine, last_success_push: ok.length === 0 ? null : formatTs(Math.max(...ok)) };
  });
  // SPEC §5: every tenant with a row in the input has a key, even when all its rows are after NOW
  const tenants = [...new Set(rows.map((r) => r.tenant ?? 'default'))].sort().map((tenant_id) => {
    const rs = vis.filter((r) => (r.tenant ?? 'default') === tenant_id && in24(r));
    return { tenant_id, ops_24h: rs.length, failed_24h: rs.filter((r) => r.failed).length };
  });
  return { pushes_per_hour, bytes_per_day, repos, machines, tenants };
}

/** SPEC §4 read literally, over ts-sorted rows. */
function referenceClusters(rows: Gen[], now: number) {
  const sorted = rows.filter((r) => r.t <= now).map((r, i) => ({ r, i })).sort((a, b) => a.r.t - b.r.t || a.i - b.i).map((x) => x.r);
  type K = { list: number[]; open: null | { opened_at: number; last_failure_at: number; n: number } };
  const keys = new Map<string, K>();
  const resolved: Array<{ key: string; opened_at: number; last_failure_at: number; n: number; resolved_at: number }> = [];
  for (const r of sorted) {
    const key = `${r.tenant ?? 'default'}/${r.repo}`;
    let k = keys.get(key);
    if (!k) keys.set(key, (k = { list: [], open: null }));
    if (k.open && r.t > k.open.last_failure_at + W) {
      resolved.push({ key, ...k.open, resolved_at: k.open.last_failure_at + W });
      k.open = null;
      k.list = [];
    }
    if (r.failed) {
      k.list.push(r.t);
      k.list = k.list.filter((x) => x >= r.t - W);
      if (!k.open && k.list.length >= N) k.open = { opened_at: r.t, last_failure_at: r.t, n: k.list.length };
      else if (k.open) {
        k.open.last_failure_at = r.t;
        k.open.n++;
      }
    } else if (k.open) {
      resolved.push({ key, ...k.open, resolved_at: r.t });
      k.open = null;
      k.list = [];
    }
  }
  const open: typeof resolved = [];
  for (const [key, k] of keys) {
    if (!k.open) continue;
    if (now > k.open.last_failure_at + W) resolved.push({ key, ...k.open, resolved_at: k.open.last_failure_at + W });
    else open.push({ key, ...k.open, resolved_at: NaN });
  }
  const norm = (xs: typeof resolved) => byJson(xs.map((x) => ({ ...x, resolved_at: Number.isNaN(x.resolved_at) ? null : x.resolved_at })));
  return { open: norm(open), resolved: norm(resolved) };
}

/** Arrival order where no row is more than L behind any row before it: sort by t + jitter, jitter ∈ [0, L]. */
function withinLateness(rows: Gen[], jitter: number[]): Gen[] {
  return rows.map((r, i) => ({ r, k: r.t + (jitter[i % jitter.length] ?? 0) })).sort((a, b) => a.k - b.k).map((x) => x.r);
}

function maxBehind(arrival: Gen[]): number {
  let newest = -Infinity;
  let worst = 0;
  for (const r of arrival) {
    worst = Math.max(worst, newest - r.t);
    newest = Math.max(newest, r.t);
  }
  return worst;
}

const stableSortByTs = (rows: Gen[]): Gen[] => rows.map((r, i) => ({ r, i })).sort((a, b) => a.r.t - b.r.t || a.i - b.i).map((x) => x.r);

describe.each(policies)('engine properties (%s)', (_name, policy) => {
  it('order-free counts equal a direct computation over the rows, for any arrival order and chunking', () => {
    fc.assert(
      fc.property(genRows, fc.array(fc.nat(), { maxLength: 60 }), fc.array(fc.nat(), { maxLength: 6 }), (rows, keys, cuts) => {
        const arrival = rows.map((r, i) => ({ r, k: keys[i] ?? i })).sort((a, b) => a.k - b.k).map((x) => x.r);
        const got = run(arrival, policy, cuts);
        const now = policy.kind === 'fixed' ? policy.ms : Math.max(...rows.map((r) => r.t));
        expect(got.now).toBe(now);
        const ref = reference(rows, now);
        expect(got.snap.pushes_per_hour).toEqual(ref.pushes_per_hour);
        expect(got.snap.bytes_per_day).toEqual(ref.bytes_per_day);
        expect(got.snap.repos).toEqual(ref.repos);
        expect(got.snap.machines).toEqual(ref.machines);
        expect(got.tallies.map(({ tenant_id, ops_24h, failed_24h }) => ({ tenant_id, ops_24h, failed_24h }))).toEqual(ref.tenants);
        expect(got.snap.rows).toMatchObject({ read: rows.length, valid: rows.length, rejected: 0, duplicate: 0 });
      }),
      { numRuns: 150 },
    );
  });

  it('sum of hourly pushes = push rows with ts in [H-23h, NOW]; sum of daily bytes = direct sum over [D-6d, NOW]', () => {
    fc.assert(
      fc.property(genRows, (rows) => {
        const got = run(rows, policy);
        const now = got.now;
        const H = Math.floor(now / HOUR);
        const Dd = Math.floor(now / DAY);
        const pushes = rows.filter((r) => r.op === 'push' && r.t <= now && r.t >= (H - 23) * HOUR).length;
        expect(got.snap.pushes_per_hour).toHaveLength(24);
        expect(got.snap.pushes_per_hour.reduce((a, h) => a + h.pushes, 0)).toBe(pushes);
        const bytes = rows.filter((r) => !r.failed && r.t <= now && r.t >= (Dd - 6) * DAY).reduce((a, r) => a + r.bytes, 0);
        expect(got.snap.bytes_per_day).toHaveLength(7);
        expect(got.snap.bytes_per_day.reduce((a, d) => a + Number(d.pushed_bytes) + Number(d.pulled_bytes), 0)).toBe(bytes);
      }),
      { numRuns: 100 },
    );
  });

  it('every output equals the ts-sorted run while no row is later than max-lateness (clusters, cost, alerts, counts)', () => {
    fc.assert(
      fc.property(genRows, fc.array(fc.integer({ min: 0, max: L }), { minLength: 1, maxLength: 60 }), fc.array(fc.nat(), { maxLength: 6 }), (rows, jitter, cuts) => {
        const arrival = withinLateness(rows, jitter);
        expect(maxBehind(arrival)).toBeLessThanOrEqual(L);
        const got = run(arrival, policy, cuts);
        const sorted = run(stableSortByTs(arrival), policy);
        expect(got.snap.rows.late).toBe(0);
        expect(got.snap).toEqual(sorted.snap);
        expect(got.aggregates).toEqual(sorted.aggregates);
        expect(got.tallies).toEqual(sorted.tallies);
        expect(got.open).toEqual(sorted.open);
        expect(got.resolved).toEqual(sorted.resolved);
      }),
      { numRuns: 150 },
    );
  });

  it('clusters equal SPEC §4 applied literally to the ts-sorted rows', () => {
    fc.assert(
      fc.property(genRows, fc.array(fc.integer({ min: 0, max: L }), { minLength: 1, maxLength: 60 }), (rows, jitter) => {
        const got = run(withinLateness(rows, jitter), policy);
        const ref = referenceClusters(stableSortByTs(withinLateness(rows, jitter)), got.now);
        const mine = (c: ReturnType<typeof clusterView>) => ({
          key: `${c.tenant_id}/${c.repo}`, opened_at: c.opened_at, last_failure_at: c.last_failure_at, n: c.failures.length, resolved_at: c.resolved_at,
        });
        expect(byJson(got.open.map(mine))).toEqual(ref.open);
        expect(byJson(got.resolved.map(mine))).toEqual(ref.resolved);
        expect(got.snap.alerts.resolved).toBe(ref.resolved.length);
        expect(got.snap.alerts.open.map((a) => a.failures).sort()).toEqual(ref.open.map((o) => o.n).sort());
      }),
      { numRuns: 150 },
    );
  });
});

describe('input health (SPEC §3: read counts non-blank lines; read = valid + rejected + duplicate)', () => {
  const garbage = fc.oneof(
    fc.constantFrom('not json', '{"ts":', '[1,2]', '"str"', 'null', '42', '{}', '{"ts":"2026-04-16T10:00:00Z","op":"push"}'),
    fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim().length > 0 && !/[\r\n]/.test(s) && !/^\s*[[{"\d-]|^\s*(true|false|null)\s*$/.test(s)),
  );
  const item = fc.oneof(
    { weight: 6, arbitrary: genRow.map((r) => ({ kind: 'row' as const, r })) },
    { weight: 2, arbitrary: garbage.map((g) => ({ kind: 'bad' as const, g })) },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', '\t', '  \t ').map((b) => ({ kind: 'blank' as const, b })) },
    { weight: 2, arbitrary: fc.nat().map((k) => ({ kind: 'dup' as const, k })) },
  );
  it.each(policies)('holds for any mix of rows, garbage, blanks and repeated lines (%s)', (_n, policy) => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 50 }), fc.array(fc.nat(), { maxLength: 5 }), (items, cuts) => {
        const lines: string[] = [];
        const rowLines: string[] = [];
        let bad = 0;
        let nonBlank = 0;
        items.forEach((it, seq) => {
          if (it.kind === 'row') {
            const l = lineOf({ t: it.r.t, op: it.r.op, failed: it.r.failed, form: it.r.failed ? { ok: false } : {}, bytes: it.r.bytes, repo: it.r.repo, tenant: it.r.tenant, machine: it.r.machine, seq });
            lines.push(l);
            rowLines.push(l);
            nonBlank++;
          } else if (it.kind === 'bad') {
            lines.push(it.g);
            bad++;
            nonBlank++;
          } else if (it.kind === 'blank') lines.push(it.b);
          else if (rowLines.length > 0) {
            lines.push(rowLines[it.k % rowLines.length]!);
            nonBlank++;
          }
        });
        const engine = new Engine(config(policy));
        const sp = new LineSplitter();
        for (const ch of splitAt(Buffer.from(lines.join('\n')), cuts)) engine.feed(sp.push(ch), CLOCK, 'log.ndjson');
        engine.feed(sp.end(), CLOCK, 'log.ndjson');
        const now = engine.end(CLOCK);
        const h = buildSnapshot(engine.state, DEFAULT_PRICES, now, CLOCK).rows;
        expect(h.read).toBe(nonBlank);
        expect(h.rejected).toBe(bad);
        expect(h.read).toBe(h.valid + h.rejected + h.duplicate);
      }),
      { numRuns: 200 },
    );
  });
});

// SPEC §1: repo, machine and tenant_id are any non-empty strings. A name that happens to be an
// Object.prototype property must be counted like any other (and must never crash the run or
// touch Object.prototype): "Bad input never stops the pipeline", and this input is not even bad.
const PROTO_KEYS = new Set(Object.getOwnPropertyNames(Object.prototype));

describe('names are data: Object.prototype property names as repo / machine / tenant_id', () => {
  // rxjs reports an error thrown inside a subscriber later, from a timer: catch those here.
  let async: unknown[] = [];
  beforeEach(() => {
    async = [];
    rxConfig.onUnhandledError = (err) => async.push(err);
  });
  afterEach(() => {
    rxConfig.onUnhandledError = null;
  });
  const rowsNamed = (field: 'repo' | 'machine' | 'tenant', name: string): Gen[] =>
    [0, 1, 2, 3].map((i): Gen => ({
      t: NOW - (10 - i) * MIN, op: 'push', failed: i < 3, form: i < 3 ? { ok: false } : {}, bytes: 7,
      repo: field === 'repo' ? name : 'plain-repo',
      tenant: field === 'tenant' ? name : undefined,
      machine: field === 'machine' ? name : 'plain-machine',
      seq: i,
    }));
  for (const field of ['repo', 'machine', 'tenant'] as const) {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      it(`${field} "${name}" is counted like any other name`, async () => {
        let got: ReturnType<typeof run> | undefined;
        try {
          expect(() => (got = run(rowsNamed(field, name), { kind: 'fixed', ms: NOW }))).not.toThrow();
          const g = got!;
          const repo = field === 'repo' ? name : 'plain-repo';
          const tenant = field === 'tenant' ? name : 'default';
          const machine = field === 'machine' ? name : 'plain-machine';
          expect(g.snap.repos).toEqual([{ repo, ops_24h: 4, pushes_24h: 4, pulls_24h: 0, failed_24h: 3, ops_7d: 4, failed_7d: 3 }]);
          expect(g.snap.machines).toEqual([{ machine, last_success_push: formatTs(NOW - 7 * MIN) }]);
          expect(g.tallies.map((t) => [t.tenant_id, t.ops_24h, t.failed_24h])).toEqual([[tenant, 4, 3]]);
          // three failures within W open a cluster; the success resolves it
          expect(g.snap.alerts).toEqual({ open: [], resolved: 1 });
          expect(g.resolved.map((c) => [c.tenant_id, c.repo, c.failures.length])).toEqual([[tenant, repo, 3]]);
          expect(g.aggregates.map((a) => [a.tenant_id, a.ops, a.push_bytes])).toEqual([[tenant, 4, 7]]);
          expect(g.snap.cost.by_tenant.map((t) => t.tenant_id)).toEqual([tenant]);
        } finally {
          // nothing may leak onto Object.prototype (clean up whatever did, so later tests are unaffected)
          const proto = Object.prototype as Record<string, unknown>;
          const leaked = Object.getOwnPropertyNames(proto).filter((k) => !PROTO_KEYS.has(k));
          for (const k of leaked) delete proto[k];
          await new Promise((r) => setTimeout(r, 5));
          expect(leaked).toEqual([]);
          expect(async.map(String)).toEqual([]);
        }
      });
    }
  }
});

describe('window edges (SPEC §2)', () => {
  const edgeRows = (now: number): Gen[] => {
    const H = Math.floor(now / HOUR) * HOUR;
    const Dd = Math.floor(now / DAY) * DAY;
    const ts = [H - 23 * HOUR - 1, H - 23 * HOUR, now - 1, now, now + 1, H + HOUR - 1, Dd - 6 * DAY - 1, Dd - 6 * DAY, Dd + DAY - 1];
    return ts.map((t, seq) => ({ t, op: 'push', failed: false, form: {}, bytes: 2 ** seq, repo: `r${seq}`, tenant: undefined, machine: `m${seq}`, seq }));
  };
  for (const nowIso of ['2026-04-16T19:30:00Z', '2026-04-16T19:00:00Z', '2026-04-16T00:00:00Z', '2026-04-16T23:59:59.999Z']) {
    it(`NOW = ${nowIso}: hours [H-23h, H+1h) and days [D-6d, D+1d), rows with ts ≤ NOW only`, () => {
      const now = ms(nowIso);
      const rows = edgeRows(now);
      const got = run(rows, { kind: 'fixed', ms: now });
      const H = Math.floor(now / HOUR) * HOUR;
      const Dd = Math.floor(now / DAY) * DAY;
      expect(got.snap.pushes_per_hour[0]!.hour).toBe(formatTs(H - 23 * HOUR));
      expect(got.snap.pushes_per_hour[23]!.hour).toBe(formatTs(H));
      expect(got.snap.bytes_per_day[0]!.day).toBe(formatDay((Dd - 6 * DAY) / DAY));
      expect(got.snap.bytes_per_day[6]!.day).toBe(formatDay(Dd / DAY));
      const in24 = rows.filter((r) => r.t <= now && r.t >= H - 23 * HOUR);
      expect(got.snap.pushes_per_hour.reduce((a, h) => a + h.pushes, 0)).toBe(in24.length);
      expect(got.snap.pushes_per_hour[0]!.pushes).toBe(rows.filter((r) => r.t >= H - 23 * HOUR && r.t < H - 22 * HOUR && r.t <= now).length);
      const in7 = rows.filter((r) => r.t <= now && r.t >= Dd - 6 * DAY);
      expect(got.snap.bytes_per_day.reduce((a, d) => a + Number(d.pushed_bytes), 0)).toBe(in7.reduce((a, r) => a + r.bytes, 0));
      // the row 1 ms after NOW is in no output; the one at NOW is
      expect(got.snap.machines.map((m) => m.machine)).toEqual(rows.filter((r) => r.t <= now).map((r) => r.machine).sort());
      expect(got.snap.machines.map((m) => m.machine)).toContain('m3');
      expect(got.snap.machines.map((m) => m.machine)).not.toContain('m4');
      expect(got.snap.repos.map((r) => r.repo)).toEqual(in7.map((r) => r.repo).sort());
    });
  }

  it('hand-computed: NOW 19:30, rows at 2026-04-15T19:59:59.999Z / 20:00Z / NOW / NOW+1ms', () => {
    const mk = (iso: string, seq: number, op: 'push' | 'pull' = 'push'): Gen =>
      ({ t: ms(iso), op, failed: false, form: {}, bytes: 10 ** seq, repo: 'r', tenant: undefined, machine: 'm', seq });
    const rows = [
      mk('2026-04-15T19:59:59.999Z', 0), mk('2026-04-15T20:00:00Z', 1), mk('2026-04-16T19:30:00Z', 2),
      mk('2026-04-16T19:30:00.001Z', 3), mk('2026-04-10T00:00:00Z', 4, 'pull'), mk('2026-04-09T23:59:59.999Z', 5, 'pull'),
    ];
    const got = run(rows, { kind: 'fixed', ms: NOW });
    expect(got.snap.pushes_per_hour.filter((h) => h.pushes > 0)).toEqual([
      { hour: '2026-04-15T20:00:00Z', pushes: 1, failed: 0 },
      { hour: '2026-04-16T19:00:00Z', pushes: 1, failed: 0 },
    ]);
    expect(got.snap.bytes_per_day.filter((d) => d.pushed_bytes !== 0 || d.pulled_bytes !== 0)).toEqual([
      { day: '2026-04-10', pushed_bytes: 0, pulled_bytes: 10_000 },
      { day: '2026-04-15', pushed_bytes: 11, pulled_bytes: 0 },
      { day: '2026-04-16', pushed_bytes: 100, pulled_bytes: 0 },
    ]);
    expect(got.snap.repos).toEqual([{ repo: 'r', ops_24h: 2, pushes_24h: 2, pulls_24h: 0, failed_24h: 0, ops_7d: 4, failed_7d: 0 }]);
    expect(got.snap.machines).toEqual([{ machine: 'm', last_success_push: '2026-04-16T19:30:00Z' }]);
  });
});
