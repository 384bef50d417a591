import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_SINCE_MS, lintFails, lintScan } from './lint.js';
import { runBatch } from '../engine/run.js';
import { statusFromFileKv } from './status.js';
import { loadSyncLists } from '../core/sync-lists.js';
import { formatTs, humanDuration, parseDuration } from '../core/time.js';
import { tenantKey, type KvStore, type TenantTally } from '../core/kv-store.js';
import { LINT_IDS } from '../../operators/lint/common.js';
import { stateLayout } from '../core/layout.js';
import { FileKv } from '../../sinks/kv/file-kv.js';
import { fetchStatus, HttpKvStore } from '../../sinks/kv/http-kv.js';
import { slug } from '../core/alerts.js';
import { renderEvent } from '../../sinks/notices.js';
import * as z from 'zod';
import { durationProblem, engineConfigFrom, parseOrUsage } from './options.js';
import { type EngineConfig } from '../state/engine-state.js';

/**
 * `syncscope doctor`: the "is it working?" checklist (SPEC §8) on a live install. Every check
 * answers PASS or FAIL with a reason and a fix; doctor exits 0 only when every check that ran
 * passed. Nothing under the real state folder is written: the simulation runs on a copy.
 */
export interface CheckResult {
  readonly id: 'dur-ms' | 'dashboard-fresh' | 'no-open-alerts' | 'lint' | 'simulate';
  readonly title: string;
  /** null = skipped (only the simulation, without --simulate). */
  readonly ok: boolean | null;
  readonly reason: string;
  readonly fix: string | null;
  /** One entry per item a FAIL is about (e.g. each open alert file). */
  readonly details: string[];
}

export interface DoctorOptions {
  readonly stateDir: string;
  /** The log (STATE/log/sync-events.ndjson unless --log). */
  readonly log: string;
  /** Engine config with NOW pinned (fixed). */
  readonly engine: EngineConfig;
  /** Dashboard older than this (by the wall clock) fails. */
  readonly maxAgeMs: number;
  /** With --tenant: lint only that tenant's rows. */
  readonly tenant: string | null;
  readonly simulate: boolean;
  readonly kvUrl?: string;
  /** How many of the newest rows must carry dur_ms. */
  readonly recentRows?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Wall clock (dashboard age, KV updated_at); injectable for tests. */
  readonly clock?: () => number;
  /**
   * The flags doctor was given that shape what it sees (--state, --now, --tenant, --config, the
   * alert rule, --max-lateness), already split into words, and --log when given: the commands it
   * suggests carry them, so pasting one reproduces doctor's view. Default: `--state STATE`.
   */
  readonly given?: GivenFlags;
}

export interface GivenFlags {
  readonly flags: readonly string[];
  readonly log: string | null;
}

/** A word for a POSIX shell: as is when plain, else single-quoted. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** `syncscope <command>` with the flags doctor was given and the log it read, ready to paste. */
export function suggestedCommand(o: DoctorOptions, command: 'run' | 'lint'): string {
  const given = o.given ?? { flags: ['--state', o.stateDir], log: null };
  // lint and run take the log as FILE; without --log, --state already names it.
  const words = ['syncscope', command, ...given.flags, ...(given.log === null ? [] : [given.log])];
  return words.map(shellWord).join(' ');
}

/** Flags of `syncscope doctor` that `run` and `lint` take too, as commander names them. */
const SHARED_FLAGS = [
  ['now', '--now'],
  ['tenant', '--tenant'],
  ['config', '--config'],
  ['maxLateness', '--max-lateness'],
  ['alertFailures', '--alert-failures'],
  ['alertWindow', '--alert-window'],
] as const;

/** What doctor was given, from its parsed flags: --state always, the others when given. */
export function givenFlags(raw: Record<string, unknown>, stateDir: string): GivenFlags {
  const flags = ['--state', stateDir];
  for (const [key, flag] of SHARED_FLAGS) {
    const v = raw[key];
    if (typeof v === 'string') flags.push(flag, v);
  }
  return { flags, log: typeof raw.log === 'string' ? raw.log : null };
}

export const RECENT_ROWS = 20;
export const SIMULATED_TENANT = 'doctor-simulated';

/** The last `n` non-blank lines of a file, reading backwards from its end in blocks. */
export function readTailLines(path: string, n: number): string[] {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const blocks: Buffer[] = [];
    let pos = size;
    let newlines = 0;
    while (pos > 0 && newlines <= n) {
      const len = Math.min(64 * 1024, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, pos);
      for (let i = 0; i < len; i++) if (buf[i] === 10) newlines++;
      blocks.unshift(buf);
    }
    const lines = Buffer.concat(blocks).toString('utf8').split('\n');
    if (pos > 0) lines.shift(); // starts mid-line
    const out = lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)).filter((l) => l.trim() !== '');
    if (pos === 0 && out[0]?.charCodeAt(0) === 0xfeff) out[0] = out[0].slice(1);
    return out.slice(-n);
  } finally {
    closeSync(fd);
  }
}

/** 1. The newest rows carry `dur_ms`. */
export function checkDurMs(log: string, n: number): CheckResult {
  const base = { id: 'dur-ms' as const, title: `the last ${n} rows of the log have dur_ms`, details: [] as string[] };
  if (!existsSync(log)) {
    return { ...base, ok: false, reason: `no log at ${log}`, fix: 'point the sync client at this file, or pass --log FILE / --state DIR' };
  }
  const rows: Array<Record<string, unknown>> = [];
  for (const line of readTailLines(log, n)) {
    try {
      const o = JSON.parse(line) as unknown;
      if (typeof o === 'object' && o !== null && !Array.isArray(o)) rows.push(o as Record<string, unknown>);
    } catch {
      // not a row at all: the rejects lint reports it
    }
  }
  if (rows.length === 0) {
    return { ...base, ok: false, reason: `${log} has no rows at its end`, fix: 'check the sync client writes one JSON row per push and pull (sync-events v1)' };
  }
  const missing = rows.filter((r) => !(typeof r.dur_ms === 'number' && Number.isSafeInteger(r.dur_ms) && r.dur_ms >= 0));
  const positive = rows.filter((r) => typeof r.dur_ms === 'number' && r.dur_ms > 0).length;
  if (missing.length > 0) {
    return {
      ...base,
      ok: false,
      reason: `${missing.length} of the last ${rows.length} rows have no dur_ms (a non-negative integer)`,
      fix: 'update the sync client so every row records dur_ms, the push/pull duration in milliseconds',
      details: missing.slice(0, 5).map((r) => `row with ts ${typeof r.ts === 'string' ? r.ts : '(none)'}: dur_ms = ${JSON.stringify(r.dur_ms) ?? 'absent'}`),
    };
  }
  if (positive === 0) {
    return {
      ...base,
      ok: false,
      reason: `all of the last ${rows.length} rows have dur_ms = 0: a placeholder, not a measurement`,
      fix: 'update the sync client to time each push and pull and write the real duration',
    };
  }
  return { ...base, ok: true, reason: `the last ${rows.length} rows all carry dur_ms (${positive} above 0)`, fix: null };
}

/** 2. sync-summary.md's generated_at is within --max-age of the wall clock. */
export function checkDashboardFresh(stateDir: string, maxAgeMs: number, wallClock: number, runCommand = `syncscope run --state ${shellWord(stateDir)}`): CheckResult {
  const path = stateLayout(stateDir).summaryMd;
  const base = { id: 'dashboard-fresh' as const, title: 'the dashboard is fresh', details: [] as string[] };
  const fixRun = `is \`syncscope run --follow\` running for this state? Start it; for a batch install run from cron, pass --max-age of at least the cron interval (e.g. --max-age 70m)`;
  if (!existsSync(path)) return { ...base, ok: false, reason: `no dashboard at ${path}`, fix: `run \`${runCommand}\`` };
  const first = readFileSync(path, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^generated_at:\s*(\S+)\s*$/.exec(first);
  const at = m ? Date.parse(m[1]!) : NaN;
  if (!Number.isFinite(at)) {
    return { ...base, ok: false, reason: `${path} does not start with "generated_at: <RFC3339>"`, fix: `rebuild it with \`${runCommand}\`` };
  }
  const age = wallClock - at;
  const stamp = formatTs(at);
  if (age > maxAgeMs) {
    return { ...base, ok: false, reason: `generated_at ${stamp} is ${humanDuration(age)} old, more than --max-age ${humanDuration(maxAgeMs)}`, fix: fixRun };
  }
  if (age < -maxAgeMs) {
    return { ...base, ok: false, reason: `generated_at ${stamp} is ${humanDuration(-age)} in the future`, fix: 'fix the clock of the machine that runs syncscope (enable NTP)' };
  }
  return { ...base, ok: true, reason: `generated_at ${stamp} is ${humanDuration(Math.max(0, age))} old (--max-age ${humanDuration(maxAgeMs)})`, fix: null };
}

function frontMatter(text: string): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  const lines = text.split('\n');
  if (lines[0] !== '---') return out;
  for (let i = 1; i < lines.length && lines[i] !== '---'; i++) {
    const m = /^([a-z_]+):\s*(.*)$/.exec(lines[i]!);
    if (m) out[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  return out;
}

/** 3. No open alert file; a FAIL lists each one. */
export function checkNoOpenAlerts(stateDir: string): CheckResult {
  const dir = stateLayout(stateDir).alertsDir;
  const base = { id: 'no-open-alerts' as const, title: 'no open alert' };
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.md')).sort() : [];
  if (files.length === 0) return { ...base, ok: true, reason: `${dir} holds no alert file`, fix: null, details: [] };
  const details = files.map((f) => {
    let fm: Record<string, string> = {};
    try {
      fm = frontMatter(readFileSync(join(dir, f), 'utf8'));
    } catch {
      // listed by name alone
    }
    const facts = [fm.tenant_id && `tenant ${fm.tenant_id}`, fm.repo && `repo ${fm.repo}`, fm.opened_at && `opened ${fm.opened_at}`, fm.failures && `${fm.failures} failures`]
      .filter(Boolean).join(', ');
    return facts ? `${join(dir, f)} (${facts})` : join(dir, f);
  });
  return {
    ...base,
    ok: false,
    reason: `${files.length} open alert file${files.length === 1 ? '' : 's'} in ${dir}`,
    fix: 'read each file\'s error chain and fix the cause; an alert resolves on the next successful row of that tenant and repo, or after the alert window of quiet',
    details,
  };
}

/** 4. `syncscope lint` would exit 0 (run in-process, same scan, same default 24h window). */
export async function checkLint(o: DoctorOptions): Promise<CheckResult> {
  const base = { id: 'lint' as const, title: 'lint exits 0' };
  if (!existsSync(o.log)) return { ...base, ok: false, reason: `no log at ${o.log} to lint`, fix: 'pass --log FILE or --state DIR', details: [] };
  const report = await lintScan({
    input: o.log,
    engine: o.engine,
    tenant: o.tenant,
    lints: LINT_IDS,
    keep: 0,
    sinceMs: DEFAULT_SINCE_MS,
    lists: loadSyncLists(o.stateDir, o.env ?? process.env),
  });
  const per = report.lints.filter((id) => (report.counts[id] ?? 0) > 0).map((id) => `${id} ${report.counts[id]}`);
  const counts = `${report.errors} error${report.errors === 1 ? '' : 's'}, ${report.warnings} warning${report.warnings === 1 ? '' : 's'}`;
  if (lintFails(report, 'warning')) {
    return {
      ...base,
      ok: false,
      reason: `lint finds ${counts} (${per.join(', ')})`,
      fix: `run \`${suggestedCommand(o, 'lint')}\` for each finding and its fix`,
      details: [],
    };
  }
  return { ...base, ok: true, reason: 'lint finds no error and no warning', fix: null, details: [] };
}

/** N+1 failures of the synthetic tenant within W, the last at NOW. */
export function burstRows(now: number, failures: number, windowMs: number): string[] {
  const step = Math.max(1, Math.min(1000, Math.floor(windowMs / (failures + 2))));
  const out: string[] = [];
  for (let i = 0; i <= failures; i++) {
    const t = now - (failures - i) * step;
    out.push(JSON.stringify({
      ts: new Date(t).toISOString(),
      op: 'push',
      repo: SIMULATED_TENANT,
      scope: 'state',
      files: 1,
      bytes: 0,
      dur_ms: 1,
      trigger: 'doctor-simulate',
      machine: 'syncscope-doctor',
      ok: false,
      error: 'simulated failure (syncscope doctor --simulate)',
      tenant_id: SIMULATED_TENANT,
    }));
  }
  return out;
}

/** 5. A synthetic failure burst on a copy of the state gives an alert file and a failing tenant. */
export async function checkSimulate(o: DoctorOptions): Promise<CheckResult> {
  const base = { id: 'simulate' as const, title: 'a simulated failure burst raises an alert and a failing tenant' };
  const clock = o.clock ?? Date.now;
  const now = o.engine.nowPolicy.kind === 'fixed' ? o.engine.nowPolicy.ms : clock();
  const rule = o.engine.cluster;
  const tmp = mkdtempSync(join(tmpdir(), 'syncscope-doctor-'));
  try {
    const state = join(tmp, 'state');
    const log = resolve(o.log);
    if (existsSync(o.stateDir)) {
      // Everything but the log itself (it can be large; the simulation reads its tail instead),
      // the run checkpoint and the resolved-alert history (the simulation is a fresh scan of its
      // own input, which starts the history over).
      const layout = stateLayout(o.stateDir);
      const skip = new Set([log, resolve(layout.internalDir), resolve(layout.resolvedHistory)]);
      cpSync(o.stateDir, state, { recursive: true, filter: (src) => !skip.has(resolve(src)) });
    } else mkdirSync(state, { recursive: true });
    const burst = burstRows(now, rule.failures, rule.windowMs);
    // Embedded KV: the recent real rows go along, so the run also exercises the real data.
    // Remote KV: only the synthetic tenant, so no real tenant's tally is overwritten.
    const tail = o.kvUrl === undefined && existsSync(o.log) ? readTailLines(o.log, 1000) : [];
    const input = join(tmp, 'simulated-events.ndjson');
    writeFileSync(input, `${[...tail, ...burst].join('\n')}\n`);

    let kv: HttpKvStore | undefined;
    if (o.kvUrl !== undefined) {
      // A doctor answers promptly: few, short retries (the outbox is in the temp copy, thrown away).
      kv = new HttpKvStore({
        baseUrl: o.kvUrl,
        outboxPath: join(state, '.syncscope', 'kv-outbox.json'),
        env: o.env ?? process.env,
        retry: { attempts: 3, baseDelayMs: 200, maxDelayMs: 1000 },
        requestTimeoutMs: 5000,
      });
    }
    const notices: string[] = [];
    await runBatch({
      input,
      stateDir: state,
      engine: { ...o.engine, nowPolicy: { kind: 'fixed', ms: now } },
      kv,
      checkpoints: false,
      emit: (e) => void notices.push(renderEvent(e)),
    });

    const alertsDir = stateLayout(state).alertsDir;
    const marker = `-${slug(SIMULATED_TENANT)}-`;
    const alerts = existsSync(alertsDir) ? readdirSync(alertsDir).filter((f) => f.startsWith('sync-degraded-') && f.includes(marker)) : [];
    const problems: string[] = [];
    if (alerts.length === 0) problems.push(`no alert file for tenant ${SIMULATED_TENANT} appeared in the copy's log/alerts`);

    let statusText: string;
    if (kv === undefined) {
      const tally = await new FileKv(stateLayout(state).kvDir).get(tenantKey(SIMULATED_TENANT));
      const failing = tally !== null && (JSON.parse(tally) as TenantTally).failing === true;
      const status = await statusFromFileKv(state, clock());
      if (!failing) problems.push(`the embedded KV has no failing tally for ${SIMULATED_TENANT}`);
      if (status.failing < 1) problems.push(`the status counts no failing tenant (${status.failing} of ${status.total})`);
      statusText = `embedded KV status ${status.status}, ${status.failing} of ${status.total} failing`;
    } else {
      const flushed = await kv.flush();
      if (flushed.unreachable !== undefined) {
        problems.push(`the Worker did not take the report: ${flushed.unreachable}`);
        statusText = 'Worker unreachable';
      } else {
        const status = await fetchStatus(o.kvUrl!);
        if (status.failing < 1) problems.push(`the Worker's /_status counts no failing tenant (${status.failing} of ${status.total})`);
        statusText = `Worker status ${status.status}, ${status.failing} of ${status.total} failing`;
        await clearSimulatedTenant(kv, clock);
      }
    }
    if (problems.length > 0) {
      if (notices.length > 0) problems.push(`the run said: ${notices.join('; ')}`);
      return {
        ...base,
        ok: false,
        reason: problems.join('; '),
        fix: 'the pipeline does not turn failures into alerts: check --alert-failures/--alert-window, that `syncscope run` can write STATE/log/alerts and STATE/kv, and (with --kv-url) the Worker and its token',
        details: [],
      };
    }
    return {
      ...base,
      ok: true,
      reason: `${rule.failures + 1} failures of tenant ${SIMULATED_TENANT} within ${humanDuration(rule.windowMs)} opened ${alerts[0]}; ${statusText} (on a temporary copy of the state, now removed)`,
      fix: null,
      details: [],
    };
  } catch (err) {
    return {
      ...base,
      ok: false,
      reason: `the simulation failed: ${(err as Error).message}`,
      fix: o.kvUrl !== undefined ? 'check --kv-url and SYNCSCOPE_REPORT_SECRET (the simulated tenant needs a token of its own)' : 'check the state folder is readable and the temp dir writable',
      details: [],
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** After a remote simulation: report the synthetic tenant as not failing, so /_status recovers. */
async function clearSimulatedTenant(kv: KvStore & { flush(): Promise<unknown> }, clock: () => number): Promise<void> {
  const at = formatTs(clock());
  const t: TenantTally = {
    tenant_id: SIMULATED_TENANT,
    failing: false,
    open_alerts: 0,
    ops_24h: 0,
    failed_24h: 0,
    last_alert_at: null,
    reported_at: at,
    updated_at: at,
  };
  await kv.put(tenantKey(SIMULATED_TENANT), JSON.stringify(t), { metadata: { failing: false, updated_at: t.updated_at } });
  await kv.flush();
}

export async function runDoctor(o: DoctorOptions): Promise<CheckResult[]> {
  const clock = o.clock ?? Date.now;
  const results: CheckResult[] = [
    checkDurMs(o.log, o.recentRows ?? RECENT_ROWS),
    checkDashboardFresh(o.stateDir, o.maxAgeMs, clock(), suggestedCommand(o, 'run')),
    checkNoOpenAlerts(o.stateDir),
    await checkLint(o),
  ];
  if (o.simulate) results.push(await checkSimulate(o));
  else {
    results.push({
      id: 'simulate',
      title: 'a simulated failure burst raises an alert and a failing tenant',
      ok: null,
      reason: 'skipped: pass --simulate',
      fix: null,
      details: [],
    });
  }
  return results;
}

export function renderChecks(results: readonly CheckResult[]): string {
  const out: string[] = [];
  results.forEach((r, i) => {
    const mark = r.ok === null ? 'SKIP' : r.ok ? 'PASS' : 'FAIL';
    out.push(`${mark}  ${i + 1}. ${r.title}: ${r.reason}`);
    for (const d of r.details) out.push(`        - ${d}`);
    if (r.ok === false && r.fix !== null) out.push(`        fix: ${r.fix}`);
  });
  const ran = results.filter((r) => r.ok !== null);
  const failed = ran.filter((r) => r.ok === false).length;
  out.push('', failed === 0 ? `doctor: all ${ran.length} checks pass` : `doctor: ${failed} of ${ran.length} checks fail`);
  return `${out.join('\n')}\n`;
}

const DoctorFlags = z.object({
  log: z.string().min(1).optional(),
  maxAge: z.string().optional().transform((v, ctx) => {
    if (v === undefined) return undefined;
    const problem = durationProblem(v, 1000);
    if (problem !== null) {
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    return parseDuration(v);
  }),
  simulate: z.boolean().default(false),
  format: z.enum(['text', 'json']),
});

/** `syncscope doctor`: commander has parsed the flags (commands.ts). */
export async function doctorCommand(raw: Record<string, unknown>): Promise<void> {
  const flags = parseOrUsage(DoctorFlags, raw);
  const { cli, engine } = engineConfigFrom(raw);
  const started = Date.now();
  const nowPolicy = engine.nowPolicy.kind === 'wall' ? { kind: 'fixed' as const, ms: started } : engine.nowPolicy;
  const results = await runDoctor({
    stateDir: cli.state,
    log: flags.log ?? resolve(cli.state, 'log', 'sync-events.ndjson'),
    engine: { ...engine, nowPolicy },
    maxAgeMs: flags.maxAge ?? 2 * cli.tick,
    tenant: typeof raw.tenant === 'string' ? cli.tenant : null,
    simulate: flags.simulate,
    given: givenFlags(raw, cli.state),
    ...(cli.kvUrl !== undefined ? { kvUrl: cli.kvUrl } : {}),
  });
  if (flags.format === 'json') process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else process.stdout.write(renderChecks(results));
  process.exitCode = results.every((r) => r.ok !== false) ? 0 : 1;
}
