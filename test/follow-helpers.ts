// Shared by follow-e2e, checkpoint-e2e, run-safety and trust: a deterministic log, a long-running
// CLI process, waiting on output files (never fixed sleeps), and the outputs compared between runs.
import { type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Snapshot } from '../pipeline/core/snapshot.js';
import { iso, readSnapshot, runCli, spawnCli, tempDir } from './core-helpers.js';

export const START = Date.parse('2026-04-08T00:00:00Z');
export const STEP_MS = 15_000;
/** Fixed NOW for every run: after every generated row (rows are 15 s apart). */
export const NOW = '2026-04-08T06:00:00Z';

const TENANTS = ['acme', 'globex', 'initech'];
const REPOS = ['alpha', 'beta', 'gamma', 'delta'];

/**
 * Line i of the test log: 15 s apart, three tenants, pushes and pulls, a failure burst every 150
 * rows (opens and resolves alerts), a bad line every 97 rows, and neighbours swapped now and
 * then (out of order, well within --max-lateness).
 */
export function logLine(i: number): string {
  if (i % 97 === 96) return `not json: line ${i}`;
  const j = i % 53 === 10 ? i + 1 : i % 53 === 11 ? i - 1 : i;
  const burst = i % 150 >= 60 && i % 150 < 78;
  const tenant = TENANTS[i % 3]!;
  const row: Record<string, unknown> = {
    ts: iso(START + j * STEP_MS),
    op: i % 4 === 0 ? 'pull' : 'push',
    repo: burst ? 'alpha' : REPOS[Math.floor(i / 3) % 4]!,
    scope: 'state',
    files: 1 + (i % 9),
    bytes: (i * 7919) % 100_000,
    dur_ms: 100 + (i % 50),
    trigger: i % 2 ? 'stop-hook' : 'timer',
    machine: `m${i % 5}`,
    tenant_id: tenant,
  };
  if (burst && i % 2 === 0) {
    row.ok = false;
    row.error = ['upload failed: 503', 'connection reset'];
  }
  return JSON.stringify(row);
}

/** Lines [from, to) with a trailing newline. */
export function logText(from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += `${logLine(i)}\n`;
  return s;
}

/** A temp folder holding a log file with `text`, and the path for a run's state folder beside it. */
export function logFolder(name: string, text: string, file = 'events.ndjson'): { dir: string; log: string; state: string } {
  const dir = tempDir(name);
  const log = join(dir, file);
  writeFileSync(log, text);
  return { dir, log, state: join(dir, 'state') };
}

/** Lines the ingestor rejects among [from, to). */
export function badLines(from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (i % 97 === 96) n++;
  return n;
}

/** The snapshot of `state`, or null before the first write (writes are atomic: never half a file). */
export function snapshot(state: string): Snapshot | null {
  return existsSync(join(state, 'log', 'sync-summary.json')) ? readSnapshot(state) : null;
}

/** Polls `probe` every 25 ms until it returns a truthy value; fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | null | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function waitForRead(state: string, read: number, timeoutMs?: number): Promise<Snapshot> {
  return waitFor(`rows.read = ${read} in ${state}`, () => {
    const s = snapshot(state);
    return s !== null && s.rows.read === read ? s : null;
  }, timeoutMs);
}

export interface Running {
  readonly child: ChildProcessWithoutNullStreams;
  stderr(): string;
  /** Sends `signal` and resolves with the exit code and how long the exit took. */
  stop(signal: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcessWithoutNullStreams>();

/** Starts the built CLI and keeps it running (stdin stays open unless the test ends it); `nodeArgs` go to node itself. */
export function start(args: string[], env: Record<string, string> = {}, nodeArgs: readonly string[] = []): Running {
  const child = spawnCli(args, { env, nodeArgs });
  running.add(child);
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      res({ code, signal });
    });
  });
  return {
    child,
    stderr: () => err,
    exited,
    async stop(signal) {
      const t0 = Date.now();
      child.kill(signal);
      const { code } = await exited;
      return { code, ms: Date.now() - t0 };
    },
  };
}

/** Kills whatever a failed test left running (by pid, only the processes started here). */
export function killLeftovers(): void {
  for (const c of running) c.kill('SIGKILL');
  running.clear();
}

function filesIn(dir: string): Record<string, string> {
  if (!existsSync(dir)) return {};
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) out[f] = readFileSync(join(dir, f), 'utf8');
  return out;
}

/** What must be byte-identical between two runs over the same lines at the same NOW. */
export function outputs(state: string, opts: { rejects?: boolean; alerts?: boolean } = {}): Record<string, unknown> {
  const log = join(state, 'log');
  const json = readFileSync(join(log, 'sync-summary.json'), 'utf8').replace(/"generated_at": "[^"]*"/, '"generated_at": "-"');
  const md = readFileSync(join(log, 'sync-summary.md'), 'utf8').replace(/^generated_at: .*$/m, 'generated_at: -');
  const out: Record<string, unknown> = {
    snapshot: json,
    dashboard: md,
    aggregates: readFileSync(join(log, 'evals.aggregate.ndjson'), 'utf8'),
  };
  if (opts.alerts !== false) {
    out.alerts = filesIn(join(log, 'alerts'));
    out.resolved = readFileSync(join(log, 'alerts-resolved.ndjson'), 'utf8');
  }
  if (opts.rejects !== false) out.rejects = readFileSync(join(log, 'sync-events.rejects.ndjson'), 'utf8');
  return out;
}

/** One plain batch run over `file` into a fresh state folder: the reference outputs. */
export async function reference(file: string, extra: string[] = []): Promise<string> {
  const state = tempDir('ref');
  const r = await runCli(['run', file, '--state', state, '--now', NOW, '--no-progress', ...extra]);
  if (r.code !== 0) throw new Error(`reference run failed: ${r.stderr}`);
  return state;
}
