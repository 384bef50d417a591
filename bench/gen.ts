/**
 * Deterministic, seeded generator of realistic sync-events v1 logs (SPEC §1), streaming: rows
 * are produced one at a time and memory is bounded by the number of keys (tenants, machines,
 * repos, in-flight retries), never by the number of rows.
 *
 *   node dist/bench/gen.js --rows N --seed S --start 2026-04-01T00:00:00Z --days D
 *                          [--tenants T] [--out FILE] [--no-disorder] [--burst-at TS]
 *                          [--faults | --bad-lines --incidents --mass-changes --manifest-breaks --idle-machines]
 *   node dist/bench/gen.js --fleet M --rows N … --out DIR     (one file per machine: DIR/<machine>.ndjson)
 *
 * `--rows` counts output lines (bad lines included). The bundled sample was produced with
 * exactly this command (test/gen.test.ts regenerates it from this line and compares bytes):
 *
 *   node dist/bench/gen.js --rows 4000 --seed 3 --start 2026-04-08T00:00:00Z --days 9 --burst-at 2026-04-14T10:00:00Z --faults --out examples/sample-sync-events.ndjson
 *
 * By default a log is a healthy steady state: `syncscope lint --now <start + days>` finds
 * nothing and no alert opens. What it contains: a diurnal rhythm (busiest 15:00 UTC); log-normal
 * sizes (pushes ~250 KB median, pulls a few MB on average, rare multi-GiB fresh clones); per
 * (tenant, repo, scope) a manifest chain that successful pushes extend; scattered failures
 * (never N = 3 of one tenant and repo within 10 min); every machine pushing at least every 12h
 * (or half the span); a few rows emitted up to ~4 min late (pulls and failures only, so no two
 * pushes of a chain swap places within a second).
 *
 * Faults, each only when asked for (`--faults` = all of them, what the bench uses):
 * `--incidents` failures in bursts (a machine retrying a failing repo every 15–150 s, sometimes
 * a whole tenant), about 3% of rows; `--manifest-breaks` rare breaks (a second writer);
 * `--mass-changes` rare pushes of more than half the tree (and small trees changed by half);
 * `--idle-machines` machines may go quiet for days; `--bad-lines` ~1 bad line per 20k rows (at
 * least 4 in a log of 1000+ rows, one of each kind); `--burst-at TS` one burst that opens an alert.
 *
 * `--fleet M`: M machines' logs, as a fleet collects them, one file each holding only that
 * machine's rows, `--rows` lines per file. It is the same generator over one stream of
 * M × rows lines (one world, clock and set of faults, so manifest chains, incidents and the
 * healthy default hold across the fleet), each row going to its machine's file; machines beyond
 * the cast are numbered copies (`mbpro-rb-2`, …). Faults and bad lines are spread over the fleet
 * as over one log of that size.
 */
import { once } from 'node:events';
import { createWriteStream, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DelayBuffer, DiurnalClock } from './gen-time.js';
import { buildFleet, buildWorld, type Machine, type Repo, type Tenant } from './gen-world.js';
import { Prng } from './prng.js';
import { scriptArgs } from './script-args.js';

export interface GenOptions {
  /** Output lines, bad lines included. */
  rows: number;
  seed: string | number;
  /** RFC 3339 start of the span. */
  start: string;
  /** Length of the span in days (fractions allowed). */
  days: number;
  /** How many tenants, 1–6 (default 5). */
  tenants?: number;
  /** Mix in unparseable / invalid lines (default false). */
  badLines?: boolean;
  /** Failure incidents: retries of a failing repo that open alerts, spreading within a tenant (default false). */
  incidents?: boolean;
  /** Rare pushes of more than half the tracked files; small trees may change by half (default false). */
  massChanges?: boolean;
  /** Rare manifest-chain breaks, a second writer; late pushes (default false). */
  manifestBreaks?: boolean;
  /** Machines may go quiet for days, so stale-machine finds them (default false: each pushes every 12h). */
  idleMachines?: boolean;
  /** Emit a few rows out of ts order (default true). */
  disorder?: boolean;
  /** Force a burst of 6 failures, then a success, starting at the first row at/after this ts (null or absent: none). */
  burstAt?: string | null;
}

/** Every option written out: what the bench passes, so a change of a default never changes what it measures. */
export type FullGenOptions = Required<GenOptions>;

/** Every fault on: the generator's default mix before it was made healthy, which the bench and the stress tests use. */
export const EVERY_FAULT = { badLines: true, incidents: true, massChanges: true, manifestBreaks: true, idleMachines: true } as const;

/** Bump whenever the same options start giving different output: cached bench logs are named by it. */
export const GENERATOR_VERSION = 1;

type Op = 'push' | 'pull';
type ErrorChain = string | string[];

/** One actor: a machine working on one scope of one repo. */
interface Actor {
  machine: Machine;
  repo: Repo;
  scope: string;
  op: Op;
  trigger: string;
}

/** A machine retrying after a failure: the next attempt is due at `at`. */
interface Retry extends Actor {
  at: number;
  failuresLeft: number;
  error: ErrorChain;
  recovers: boolean;
  /** A burst asked for (--burst-at): its failures are never turned into successes. */
  forced?: true;
}

/** Per (tenant, repo, scope): the manifest the last successful push left, and the tracked files. */
interface Chain {
  head: string;
  filesTotal: number;
  /** A fleet: the UTC second (epoch s) of the last successful push. */
  lastPushSecond?: number;
}

// Rates, per row unless said otherwise. Tuned so failures are ~3% of rows.
const P_PUSH = 0.58;
const P_INCIDENT = 0.0055;
const P_ISOLATED_FAILURE = 0.004;
const P_INCIDENT_SPREADS = 0.25; // a second machine of the tenant hits the same outage
const P_RECOVERS = 0.85; // a retry eventually succeeds (else the machine gives up)
const P_NOOP_PUSH = 0.08;
const P_MASS_CHANGE = 0.001; // of successful pushes
const P_MANIFEST_BREAK = 0.0005; // of successful pushes
const P_BIG_PULL = 0.0005; // of successful pulls: a fresh clone of GiBs
const P_LATE = 0.004;
const P_EXPLICIT_DEFAULT_TENANT = 0.1;
const BAD_LINE_EVERY = 20_000;
// Healthy logs stay under the default alert rule: at most 2 failures of a (tenant, repo) within this.
const ALERT_WINDOW_MS = 10 * 60_000;
const KEEPALIVE_MS = 12 * 3_600_000;
const MAX_DELAY_MS = 230_000; // under the 4 min bound, so outputs stay order-independent
const KB = 1000;
const MB = 1000 * KB;
const GIB = 2 ** 30;

const PUSH_TRIGGERS = ['stop-hook', 'cron', 'manual', 'session-start'];
const PUSH_TRIGGER_WEIGHTS = [55, 25, 12, 8];
const PULL_TRIGGERS = ['session-start', 'cron', 'manual'];
const PULL_TRIGGER_WEIGHTS = [50, 30, 20];
const INCIDENT_SIZES = [2, 3, 4, 5, 6, 8, 10];
const INCIDENT_SIZE_WEIGHTS = [30, 25, 15, 12, 8, 6, 4];
const SPACES_IPS = ['162.243.189.2', '138.68.36.115', '104.16.242.91'];

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function parseStart(text: string, what: string): number {
  const ms = RFC3339.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) throw new Error(`${what} must be RFC 3339 with Z or an offset, got "${text}"`);
  return ms;
}

/**
 * The log's lines, one at a time. Same options → the same lines, byte for byte. Options are
 * checked at once (this throws), the lines are made lazily.
 */
export function generateLines(opts: GenOptions): Generator<string> {
  return new LogGenerator(opts, null).lines();
}

/** A fleet: one log per machine, `rows` lines each (bad lines included). */
export interface FleetOptions extends GenOptions {
  /** How many machines, so how many files (names distinct: numbered copies of the cast). */
  machines: number;
}

/** Every option written out, as the bench passes it (see FullGenOptions). */
export type FullFleetOptions = Required<FleetOptions>;

/** One line of a fleet and the machine whose file it belongs to. */
export interface FleetLine {
  machine: string;
  line: string;
}

/**
 * A fleet's logs as one stream of lines, each tagged with its machine: the same world, clock
 * and faults as one log of `rows × machines` lines, but every machine writes exactly `rows` of
 * them. A machine's lines, in stream order, are its file: ts order, with the usual few rows
 * emitted late. `machines` lists the names in code-unit order. Same options → the same lines.
 */
export function generateFleet(opts: FleetOptions): { machines: string[]; lines: Generator<FleetLine> } {
  const generator = new LogGenerator(opts, opts.machines);
  return { machines: generator.machineNames(), lines: generator.fleetLines() };
}

/** A line and the machine it is written by (a bad line's machine: the row it was mangled from). */
interface Entry {
  machine: Machine;
  line: string;
}

class LogGenerator {
  private readonly rng: Prng;
  private readonly tenants: Tenant[];
  private readonly clock: DiurnalClock;
  private readonly late = new DelayBuffer<Entry>();
  private readonly retries: Retry[] = []; // sorted by `at`; a handful at most
  private readonly chains = new Map<string, Chain>();
  /** Per machine and chain: the manifest it last pulled or pushed. */
  private readonly known = new Map<string, string>();
  private burstAt: number | null;
  private nextBad: number;
  private badSeen = 0;
  private readonly badCount: number;
  /** Healthy mode: recent failure ts per (tenant, repo); null when incidents are on. */
  private readonly recentFailures: Map<string, number[]> | null;
  /** Healthy mode: each machine's last successful push (the start before its first); null with idle machines. */
  private readonly lastPush: Map<Machine, number> | null;
  private readonly keepAliveMs: number;
  /** Lines of the whole stream: `rows`, or `rows` per machine in a fleet. */
  private readonly totalRows: number;
  /** A fleet: the lines each machine has still to write; null for one log. */
  private readonly rowsLeft: Map<Machine, number> | null;
  /** A fleet: every machine, in a fixed order (the order rowsLeft is drawn from). */
  private readonly fleet: Machine[];

  /** `fleetSize`: a fleet of that many machines, `rows` lines each; null: one log of `rows` lines. */
  constructor(private readonly opts: GenOptions, fleetSize: number | null) {
    const { rows, days } = opts;
    if (!Number.isSafeInteger(rows) || rows < 0) throw new Error(`rows must be a non-negative integer, got ${rows}`);
    if (!(days > 0)) throw new Error(`days must be positive, got ${days}`);
    this.rng = new Prng(opts.seed);
    this.tenants = fleetSize === null ? buildWorld(opts.tenants ?? 5) : buildFleet(opts.tenants ?? 5, fleetSize);
    this.fleet = fleetSize === null ? [] : this.tenants.flatMap((x) => x.machines);
    this.rowsLeft = fleetSize === null ? null : new Map(this.fleet.map((m) => [m, rows]));
    this.totalRows = rows * (fleetSize ?? 1);
    if (!Number.isSafeInteger(this.totalRows)) throw new Error(`rows × machines must be a safe integer, got ${this.totalRows}`);
    this.clock = new DiurnalClock(parseStart(opts.start, 'start'), days, Math.max(this.totalRows, 1));
    const burstAt = opts.burstAt ?? null;
    this.burstAt = burstAt === null ? null : parseStart(burstAt, 'burstAt');
    this.badCount = opts.badLines === true ? badLineCount(this.totalRows) : 0;
    this.nextBad = this.pickBadSlot();
    this.recentFailures = opts.incidents === true ? null : new Map();
    const start = parseStart(opts.start, 'start');
    this.lastPush = opts.idleMachines === true ? null : new Map(this.tenants.flatMap((x) => x.machines).map((m) => [m, start]));
    this.keepAliveMs = Math.min(KEEPALIVE_MS, (days * 86_400_000) / 2);
  }

  *lines(): Generator<string> {
    for (const entry of this.entries()) yield entry.line;
  }

  *fleetLines(): Generator<FleetLine> {
    for (const { machine, line } of this.entries()) yield { machine: machine.name, line };
  }

  machineNames(): string[] {
    return this.fleet.map((m) => m.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private *entries(): Generator<Entry> {
    for (let i = 0; i < this.totalRows; i++) {
      const slot = this.clock.at(i, this.rng.next());
      if (i === this.nextBad) {
        yield* this.late.release(slot);
        const bad = this.badLine(slot);
        this.wrote(bad.machine);
        yield bad;
        this.badSeen++;
        this.nextBad = this.pickBadSlot();
        continue;
      }
      this.dropRetriesOfDoneMachines();
      const due = this.retries[0];
      const { t, machine, line } = due !== undefined && due.at <= slot ? this.retryRow(due) : this.freshRow(slot);
      this.wrote(machine);
      // Drawn even with disorder off, so --no-disorder gives the same rows, only in order.
      const delay = this.rng.chance(P_LATE) ? this.lateness() : 0;
      if (delay > 0 && this.opts.disorder !== false && (this.opts.manifestBreaks === true || !isSuccessfulPush(line))) {
        this.late.hold({ machine, line }, t + delay);
      } else {
        yield* this.late.release(t);
        yield { machine, line };
      }
    }
    yield* this.late.drain();
  }

  // ---- a fleet: every machine writes exactly `rows` lines -----------------------------------

  /**
   * A fleet's files are merged by ts, equal ts in argument order, and most clients write whole
   * seconds: two successful pushes of one chain within one second, from two machines, could swap
   * places and look like a manifest break. So in a fleet they are kept in distinct seconds (a
   * push moves to the next second, a fraction of one late). One log keeps its own order.
   */
  private pushTime(chain: Chain, t: number): number {
    if (this.rowsLeft === null) return t;
    const last = chain.lastPushSecond;
    const at = last !== undefined && Math.floor(t / 1000) <= last ? (last + 1) * 1000 : t;
    chain.lastPushSecond = Math.floor(at / 1000);
    return at;
  }

  private wrote(machine: Machine): void {
    const left = this.rowsLeft?.get(machine);
    if (left !== undefined) this.rowsLeft?.set(machine, left - 1);
  }

  private hasRowsLeft(machine: Machine): boolean {
    return this.rowsLeft === null || (this.rowsLeft.get(machine) ?? 0) > 0;
  }

  /** A machine that has written all its lines retries nothing more (its file is full). */
  private dropRetriesOfDoneMachines(): void {
    if (this.rowsLeft === null) return;
    for (let i = this.retries.length - 1; i >= 0; i--) {
      if (!this.hasRowsLeft((this.retries[i] as Retry).machine)) this.retries.splice(i, 1);
    }
  }

  /**
   * A machine drawn with weight = its lines still to write: sampling without replacement, so
   * each machine's lines spread over the whole span and all files fill up together at the end.
   */
  private pickFleetMachine(rowsLeft: Map<Machine, number>): Machine {
    let total = 0;
    for (const n of rowsLeft.values()) total += n;
    let r = this.rng.next() * total;
    let last: Machine | undefined;
    for (const m of this.fleet) {
      const n = rowsLeft.get(m) ?? 0;
      if (n === 0) continue;
      last = m;
      if (r < n) return m;
      r -= n;
    }
    if (last === undefined) throw new Error('every machine of the fleet has written its rows');
    return last; // r at the very top, by rounding
  }

  /** Mostly seconds to two minutes behind; some up to ~4 min, enough to show in sparse logs. */
  private lateness(): number {
    return this.rng.chance(0.3) ? 120_000 + this.rng.next() * (MAX_DELAY_MS - 120_000) : this.rng.logUniform(5_000, 120_000);
  }

  // ---- which row comes next ----------------------------------------------------------------

  private freshRow(t: number): { t: number; machine: Machine; line: string } {
    const idle = this.idleMachine(t);
    if (idle !== undefined) return { t, machine: idle, line: this.successRow(this.actorFor(idle, 'push'), t) };
    const actor = this.pickActor();
    const { machine } = actor;
    if (this.burstAt !== null && t >= this.burstAt) {
      this.burstAt = null;
      return { t, machine, line: this.startIncident(actor, t, 6, true, this.errorFor(actor), true) };
    }
    if (this.rng.chance(P_INCIDENT)) {
      const size = this.rng.weighted(INCIDENT_SIZES, INCIDENT_SIZE_WEIGHTS);
      const error = this.errorFor(actor);
      if (this.recentFailures !== null) {
        // Healthy: a failure and at most one retry, never enough for an alert.
        if (!this.mayFail(actor, t)) return { t, machine, line: this.successRow(actor, t) };
        return { t, machine, line: this.startIncident(actor, t, 2, true, error) };
      }
      const line = this.startIncident(actor, t, size, this.rng.chance(P_RECOVERS), error);
      if (this.rng.chance(P_INCIDENT_SPREADS)) this.spreadIncident(actor, t, error);
      return { t, machine, line };
    }
    if (this.rng.chance(P_ISOLATED_FAILURE) && this.mayFail(actor, t)) return { t, machine, line: this.failedRow(actor, t, this.errorFor(actor)) };
    return { t, machine, line: this.successRow(actor, t) };
  }

  /**
   * Healthy mode: a machine whose last successful push is more than the keep-alive ago pushes
   * next (in a fleet, one with lines left to write).
   */
  private idleMachine(t: number): Machine | undefined {
    if (this.lastPush === null) return undefined;
    for (const [m, at] of this.lastPush) if (t - at > this.keepAliveMs && this.hasRowsLeft(m)) return m;
    return undefined;
  }

  private actorFor(machine: Machine, op: Op): Actor {
    const repo = this.rng.pick(machine.repos);
    return { machine, repo, scope: repo.scopes[0] as string, op, trigger: this.pickTrigger(op) };
  }

  /**
   * Healthy mode: whether a failure of this (tenant, repo) at `t` keeps every window of the alert
   * rule's W under N = 3 failures (at most one other within W either side); records it if so.
   * Always true when incidents are on.
   */
  private mayFail(a: Actor, t: number, forced = false): boolean {
    const recent = this.recentFailures;
    if (recent === null) return true;
    const key = `${a.machine.tenant.id}\u0000${a.repo.name}`;
    const list = (recent.get(key) ?? []).filter((x) => x >= t - 2 * ALERT_WINDOW_MS);
    if (!forced && list.filter((x) => Math.abs(x - t) <= ALERT_WINDOW_MS).length >= 2) return false;
    list.push(t);
    recent.set(key, list);
    return true;
  }

  private retryRow(r: Retry): { t: number; machine: Machine; line: string } {
    this.retries.shift();
    if (r.failuresLeft === 0 || !this.mayFail(r, r.at, r.forced === true)) return { t: r.at, machine: r.machine, line: this.successRow(r, r.at) };
    const line = this.failedRow(r, r.at, r.error);
    this.scheduleNext(r, r.at, r.failuresLeft - 1);
    return { t: r.at, machine: r.machine, line };
  }

  /** The first failure of an incident; the machine retries `size − 1` more times. */
  private startIncident(actor: Actor, t: number, size: number, recovers: boolean, error: ErrorChain, forced = false): string {
    if (forced) this.mayFail(actor, t, true);
    const line = this.failedRow(actor, t, error);
    this.scheduleNext({ ...actor, at: t, failuresLeft: 0, error, recovers, ...(forced ? { forced: true as const } : {}) }, t, size - 1);
    return line;
  }

  /** A shared outage: another machine of the tenant fails on the same repo shortly after. */
  private spreadIncident(first: Actor, t: number, error: ErrorChain): void {
    const others = first.machine.tenant.machines.filter((m) => m !== first.machine && m.repos.includes(first.repo));
    if (others.length === 0) return;
    const machine = this.rng.pick(others);
    const actor: Actor = { ...first, machine, trigger: this.pickTrigger(first.op) };
    const at = t + this.rng.logUniform(20_000, 90_000);
    this.enqueue({ ...actor, at, failuresLeft: this.rng.between(2, 4), error, recovers: true });
  }

  private scheduleNext(r: Retry, t: number, failuresLeft: number): void {
    if (failuresLeft > 0) {
      this.enqueue({ ...r, at: t + this.rng.logUniform(15_000, 150_000), failuresLeft });
    } else if (r.recovers) {
      this.enqueue({ ...r, at: t + this.rng.logUniform(60_000, 900_000), failuresLeft: 0 });
    }
  }

  private enqueue(r: Retry): void {
    let i = this.retries.length;
    while (i > 0 && (this.retries[i - 1] as Retry).at > r.at) i--;
    this.retries.splice(i, 0, r);
  }

  private pickActor(op?: Op): Actor {
    let machine: Machine;
    if (this.rowsLeft !== null) machine = this.pickFleetMachine(this.rowsLeft);
    else {
      const tenant = this.rng.weighted(this.tenants, this.tenants.map((x) => x.weight));
      machine = this.rng.pick(tenant.machines);
    }
    const repo = this.rng.pick(machine.repos);
    const scope = repo.scopes.length > 1 && this.rng.chance(0.25) ? (repo.scopes[1] as string) : (repo.scopes[0] as string);
    const theOp = op ?? (this.rng.chance(P_PUSH) ? 'push' : 'pull');
    return { machine, repo, scope, op: theOp, trigger: this.pickTrigger(theOp) };
  }

  private pickTrigger(op: Op): string {
    return op === 'push'
      ? this.rng.weighted(PUSH_TRIGGERS, PUSH_TRIGGER_WEIGHTS)
      : this.rng.weighted(PULL_TRIGGERS, PULL_TRIGGER_WEIGHTS);
  }

  // ---- row contents ------------------------------------------------------------------------

  private chainOf(a: Actor): { key: string; chain: Chain } {
    const key = `${a.machine.tenant.id}\u0000${a.repo.name}\u0000${a.scope}`;
    let chain = this.chains.get(key);
    if (chain === undefined) {
      chain = { head: this.manifest(), filesTotal: Math.round(this.rng.logUniform(30, 5000)) };
      this.chains.set(key, chain);
    }
    return { key, chain };
  }

  private successRow(a: Actor, slot: number): string {
    const { key, chain } = this.chainOf(a);
    const t = a.op === 'push' ? this.pushTime(chain, slot) : slot;
    const knownKey = `${a.machine.name}\u0000${key}`;
    const known = this.known.get(knownKey) ?? chain.head;
    let files: number;
    let bytes: number;
    let before: string | null;
    let after: string;
    if (a.op === 'push') {
      before = chain.head;
      if (a.trigger === 'stop-hook' && this.rng.chance(P_NOOP_PUSH)) {
        files = 0;
        bytes = 0;
        after = chain.head;
      } else {
        if (this.rng.chance(P_MASS_CHANGE) && this.opts.massChanges === true) {
          files = Math.ceil(chain.filesTotal * (0.55 + 0.45 * this.rng.next()));
          bytes = Math.round(this.rng.logNormal(40 * MB, 1));
        } else {
          files = Math.min(chain.filesTotal, 1 + Math.floor(this.rng.logNormal(3, 1.1)));
          bytes = Math.round(this.rng.logNormal(250 * KB, 1.4));
        }
        if (this.rng.chance(P_MANIFEST_BREAK) && this.opts.manifestBreaks === true) before = known !== chain.head ? known : this.manifest();
        after = this.manifest();
        chain.head = after;
        chain.filesTotal = Math.max(1, chain.filesTotal + this.rng.between(-1, 2));
        if (this.opts.massChanges !== true) files = Math.min(files, Math.floor(chain.filesTotal / 2));
      }
      this.lastPush?.set(a.machine, t);
    } else {
      before = known;
      after = chain.head;
      if (known === chain.head) {
        files = 0; // up to date: only the manifest was fetched
        bytes = this.rng.between(1 * KB, 4 * KB);
      } else if (this.rng.chance(P_BIG_PULL)) {
        files = chain.filesTotal; // a fresh clone
        bytes = Math.round(this.rng.logUniform(1 * GIB, 6 * GIB));
      } else {
        files = Math.min(chain.filesTotal, 1 + Math.floor(this.rng.logNormal(6, 1.2)));
        bytes = Math.round(this.rng.logNormal(900 * KB, 1.8));
      }
    }
    this.known.set(knownKey, after);
    const throughputBytesPerMs = this.rng.logNormal(12_000, 0.6); // ~12 MB/s
    const durMs = Math.round(80 + this.rng.logNormal(120, 0.5) + bytes / throughputBytesPerMs + files * 1.5);
    return this.format(a, t, { files, bytes, durMs, before, after, filesTotal: chain.filesTotal, error: null });
  }

  private failedRow(a: Actor, t: number, error: ErrorChain): string {
    const { key, chain } = this.chainOf(a);
    const before = a.op === 'push' ? chain.head : (this.known.get(`${a.machine.name}\u0000${key}`) ?? chain.head);
    const cap = this.opts.massChanges === true ? chain.filesTotal : Math.floor(chain.filesTotal / 2);
    const files = a.op === 'push' ? Math.min(cap, 1 + Math.floor(this.rng.logNormal(3, 1.1))) : 0;
    const timedOut = JSON.stringify(error).includes('ETIMEDOUT');
    const bytes = this.rng.chance(0.5) ? 0 : Math.round(this.rng.logNormal(80 * KB, 1.2)); // partial transfer
    const durMs = timedOut ? 30_000 + this.rng.int(5_000) : Math.round(this.rng.logNormal(900, 0.8));
    return this.format(a, t, { files, bytes, durMs, before, after: null, filesTotal: chain.filesTotal, error });
  }

  private format(
    a: Actor,
    t: number,
    f: { files: number; bytes: number; durMs: number; before: string | null; after: string | null; filesTotal: number; error: ErrorChain | null },
  ): string {
    const m = a.machine;
    const manifest = (v: string | null): string => (v === null ? 'null' : `"${v}"`);
    let line =
      `{"ts":"${formatTs(t, m)}","op":"${a.op}","repo":"${a.repo.name}","scope":"${a.scope}",` +
      `"files":${f.files},"bytes":${f.bytes},"dur_ms":${f.durMs},` +
      `"manifest_before":${manifest(f.before)},"manifest_after":${manifest(f.after)},` +
      `"trigger":"${a.trigger}","machine":"${m.name}"`;
    const tenant = m.tenant.id;
    if (tenant !== 'default' || this.rng.chance(P_EXPLICIT_DEFAULT_TENANT)) line += `,"tenant_id":"${tenant}"`;
    if (m.legacy) {
      // Old client: no ok, no files_total; writes error "" on success and a flat string on failure.
      const flat = f.error === null ? '' : Array.isArray(f.error) ? f.error.join(': ') : f.error;
      return `${line},"error":${JSON.stringify(flat)}}`;
    }
    line += `,"files_total":${f.filesTotal},"ok":${f.error === null}`;
    return f.error === null ? `${line}}` : `${line},"error":${JSON.stringify(f.error)}}`;
  }

  private manifest(): string {
    return `sha-${this.rng.hex(10)}`;
  }

  /** An error chain (outermost first) or a one-line error, as the sync client reports it. */
  private errorFor(a: Actor): ErrorChain {
    const verb = a.op === 'push' ? 'upload' : 'download';
    const api = a.op === 'push' ? 'PutObject' : 'GetObject';
    const outer = `${a.op} failed: ${verb} ${a.scope}.tar`;
    const kind = this.rng.int(6);
    switch (kind) {
      case 0:
        return [outer, `${api}: 503 SlowDown`, `connect ETIMEDOUT ${this.rng.pick(SPACES_IPS)}:443`];
      case 1:
        return [outer, `${api}: 503 SlowDown`];
      case 2:
        return [outer, 'read ECONNRESET'];
      case 3:
        return `${a.op} failed: getaddrinfo ENOTFOUND nyc3.digitaloceanspaces.com`;
      case 4:
        return a.op === 'push'
          ? [`push failed: lock ${a.repo.name}/${a.scope}`, 'remote lock held by another machine (age 41s)']
          : [outer, `extract ${a.scope}.tar`, 'ENOSPC: no space left on device'];
      default:
        return [`${a.op} failed: list ${a.repo.name}/`, 'ListObjectsV2: 403 SignatureDoesNotMatch', 'clock skew 912s'];
    }
  }

  // ---- bad lines ---------------------------------------------------------------------------

  /** Bad lines sit at one random slot in each of `badCount` equal segments of the log. */
  private pickBadSlot(): number {
    if (this.badSeen >= this.badCount) return -1;
    const segment = Math.floor(this.totalRows / this.badCount);
    return this.badSeen * segment + this.rng.int(segment);
  }

  /** Kinds rotate, so any log with four or more bad lines has one of each. */
  private badLine(t: number): Entry {
    const actor = this.pickActor('pull'); // a pull: mangling it never breaks a manifest chain
    return { machine: actor.machine, line: this.mangle(this.successRow(actor, t)) };
  }

  private mangle(line: string): string {
    switch (this.badSeen % 4) {
      case 0:
        return `sync: warning: could not lock state/log/sync-events.ndjson (held by pid ${this.rng.between(1000, 65000)})`;
      case 1:
        return line.slice(0, Math.floor(line.length * (0.3 + 0.5 * this.rng.next()))); // writer killed mid-line
      case 2:
        return line.replace(/"bytes":(\d+)/, '"bytes":"$1"');
      default:
        return line.replace(/"ts":"([^"]{19})[^"]*"/, '"ts":"$1"'); // local time without an offset
    }
  }
}

/** A successful push line as format() writes it (ok true, or an old client's empty error). */
function isSuccessfulPush(line: string): boolean {
  return line.includes('"op":"push"') && (line.endsWith('"ok":true}') || line.endsWith('"error":""}'));
}

function badLineCount(rows: number): number {
  if (rows >= 1000) return Math.max(4, Math.round(rows / BAD_LINE_EVERY));
  return rows >= 100 ? 1 : 0;
}

/** ts as the machine's client writes it: whole seconds in UTC, milliseconds, or a +02:00 offset. */
function formatTs(t: number, m: Machine): string {
  if (m.tsStyle === 'millis') return new Date(Math.floor(t)).toISOString();
  if (m.tsStyle === 'offset') return `${new Date(Math.floor(t / 1000) * 1000 + 7_200_000).toISOString().slice(0, 19)}+02:00`;
  return `${new Date(Math.floor(t / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

// ---- CLI ---------------------------------------------------------------------------------

export interface GenCli extends GenOptions {
  out?: string;
  /** A fleet of this many machines, `rows` lines each, written to the folder `out`. */
  fleet?: number;
}

const GEN_FLAGS = {
  rows: { type: 'string' },
  seed: { type: 'string' },
  start: { type: 'string' },
  days: { type: 'string' },
  tenants: { type: 'string' },
  out: { type: 'string' },
  'no-bad': { type: 'boolean' },
  faults: { type: 'boolean' },
  'bad-lines': { type: 'boolean' },
  incidents: { type: 'boolean' },
  'mass-changes': { type: 'boolean' },
  'manifest-breaks': { type: 'boolean' },
  'idle-machines': { type: 'boolean' },
  'no-disorder': { type: 'boolean' },
  'burst-at': { type: 'string' },
  fleet: { type: 'string' },
} as const;

/** Parses the CLI arguments (exported so the test can regenerate the sample from the documented command). */
export function parseGenArgs(argv: string[]): GenCli {
  const { values } = parseArgs({ args: argv, strict: true, options: GEN_FLAGS });
  const need = (name: 'rows' | 'seed' | 'start' | 'days'): string => {
    const v = values[name];
    if (v === undefined) throw new Error(`--${name} is required`);
    return v;
  };
  const number = (name: string, text: string): number => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n)) throw new Error(`--${name} must be a number, got "${text}"`);
    return n;
  };
  const cli: GenCli = {
    rows: number('rows', need('rows')),
    seed: need('seed'),
    start: need('start'),
    days: number('days', need('days')),
    disorder: values['no-disorder'] !== true,
  };
  const all = values.faults === true;
  if (all || values['bad-lines'] === true) cli.badLines = values['no-bad'] !== true;
  if (all || values.incidents === true) cli.incidents = true;
  if (all || values['mass-changes'] === true) cli.massChanges = true;
  if (all || values['manifest-breaks'] === true) cli.manifestBreaks = true;
  if (all || values['idle-machines'] === true) cli.idleMachines = true;
  if (values.tenants !== undefined) cli.tenants = number('tenants', values.tenants);
  if (values['burst-at'] !== undefined) cli.burstAt = values['burst-at'];
  if (values.out !== undefined) cli.out = values.out;
  if (values.fleet !== undefined) {
    const machines = number('fleet', values.fleet);
    if (!Number.isSafeInteger(machines) || machines < 1) throw new Error(`--fleet must be a positive integer, got "${values.fleet}"`);
    if (cli.out === undefined) throw new Error('--fleet writes one file per machine: give the folder with --out DIR');
    cli.fleet = machines;
  }
  return cli;
}

/**
 * Writes the lines to a stream in ~64 KiB writes, waiting for 'drain' when the stream's
 * buffer is full, so a slow consumer (a pipe into the pipeline) never makes us buffer the log.
 */
export async function writeLines(lines: Iterable<string> | AsyncIterable<string>, out: NodeJS.WritableStream): Promise<void> {
  let batch = '';
  /** Writes the batch; false when the stream wants us to wait for 'drain'. */
  const flush = (): boolean => {
    const ok = out.write(batch);
    batch = '';
    return ok;
  };
  if (Symbol.asyncIterator in lines) {
    for await (const line of lines) {
      batch += line + '\n';
      if (batch.length >= 65_536 && !flush()) await once(out, 'drain');
    }
  } else {
    for (const line of lines) {
      batch += line + '\n';
      if (batch.length >= 65_536 && !flush()) await once(out, 'drain');
    }
  }
  if (batch.length > 0 && !flush()) await once(out, 'drain');
}

/**
 * Writes a fleet into `dir` (created if need be): `<machine>.ndjson` per machine, each in ~64 KiB
 * writes that wait for 'drain'. Refuses a folder holding other .ndjson files, which a glob over
 * it would take for part of the fleet. Returns the files' paths in code-unit order.
 */
export async function writeFleet(dir: string, opts: FleetOptions): Promise<string[]> {
  const { machines, lines } = generateFleet(opts);
  mkdirSync(dir, { recursive: true });
  const ours = new Set(machines.map((m) => `${m}.ndjson`));
  const strangers = readdirSync(dir).filter((f) => f.endsWith('.ndjson') && !ours.has(f));
  if (strangers.length > 0) throw new Error(`${dir} already holds ${strangers.length} other .ndjson file(s) (${strangers.slice(0, 3).join(', ')}), which a glob would mix into the fleet`);
  const outs = new Map(machines.map((m) => [m, { stream: createWriteStream(join(dir, `${m}.ndjson`)), batch: '' }]));
  const failed = new Promise<never>((_, reject) => {
    for (const { stream } of outs.values()) stream.once('error', reject);
  });
  // Listened for from the start: a small file may finish while others are still being written.
  const finished = Promise.all([...outs.values()].map((o) => once(o.stream, 'finish')));
  finished.catch(() => {}); // an error is reported through `failed`
  const write = async (out: { stream: NodeJS.WritableStream; batch: string }): Promise<void> => {
    const ok = out.stream.write(out.batch);
    out.batch = '';
    if (!ok) await Promise.race([once(out.stream, 'drain'), failed]);
  };
  for (const { machine, line } of lines) {
    const out = outs.get(machine) as { stream: NodeJS.WritableStream; batch: string };
    out.batch += line + '\n';
    if (out.batch.length >= 65_536) await write(out);
  }
  for (const out of outs.values()) {
    if (out.batch.length > 0) await write(out);
    out.stream.end();
  }
  await Promise.race([finished, failed]);
  return machines.map((m) => join(dir, `${m}.ndjson`));
}

const USAGE = `usage: node dist/bench/gen.js --rows N --seed S --start TS --days D [options]   (or: npm run gen -- ...)
       node dist/bench/gen.js --fleet M --rows N --seed S --start TS --days D --out DIR [options]

Writes a deterministic, seeded sync-events log (ndjson): the same options give the same bytes.

  --rows N         output lines, bad lines included
  --seed S         any string or number
  --start TS       RFC 3339 start of the span, e.g. 2026-04-01T00:00:00Z
  --days D         length of the span in days (fractions allowed)
  --tenants T      how many tenants, 1–6 (default 5)
  --no-disorder    every row in ts order (default: a few rows up to ~4 min late)

By default the log is healthy: \`syncscope lint --now <start + days>\` finds nothing and no alert
opens. Faults, each only when asked for:
  --faults           all of the below (what the bench and the stress tests use)
  --bad-lines        unparseable / invalid lines: ~1 per 20k rows, at least 4 in 1000+
  --no-bad           with --faults: no bad lines
  --incidents        failure bursts (retries every 15-150 s, spreading in a tenant) that open alerts
  --mass-changes     rare pushes of more than half the tracked files
  --manifest-breaks  rare manifest-chain breaks (a second writer)
  --idle-machines    machines may go quiet for days (stale-machine)
  --burst-at TS      one burst of 6 failures, then a success, at the first row at/after TS
  --out FILE       write to FILE (default: stdout)
  -h, --help       this text

A fleet, as collected from many machines:
  --fleet M        M machines, one log each: DIR/<machine>.ndjson (--out DIR is the folder),
                   --rows lines per file. Each file holds only its machine's rows, in the order
                   the machine wrote them (ts order, plus the few late rows unless --no-disorder).
                   Machine names are distinct (beyond the cast, 15 machines with 5 tenants,
                   numbered copies such as mbpro-rb-2); faults are spread over the fleet.
                   Read it with
                   syncscope run 'DIR/*.ndjson' --now latest
`;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  scriptArgs({ name: 'gen', npm: 'gen', usage: USAGE }, argv, GEN_FLAGS); // --help, and unknown flags in one line
  let cli: GenCli;
  let lines: Generator<string> | null = null;
  try {
    cli = parseGenArgs(argv);
    if (cli.fleet === undefined) lines = generateLines(cli);
    else generateFleet({ ...cli, machines: cli.fleet }); // checks every option now, as generateLines does
  } catch (err) {
    process.stderr.write(`gen: ${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (lines === null) {
    await writeFleet(cli.out as string, { ...cli, machines: cli.fleet as number });
    return;
  }
  if (cli.out === undefined) {
    // `gen | head` closes the pipe early: that is the reader's choice, not an error.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
    await writeLines(lines, process.stdout);
    return;
  }
  const file = createWriteStream(cli.out);
  const failed = new Promise<never>((_, reject) => file.once('error', reject));
  await Promise.race([writeLines(lines, file), failed]);
  file.end();
  await Promise.race([once(file, 'finish'), failed]);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`gen: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
