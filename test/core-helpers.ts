// Shared by every test file: row and batch builders, the engine settings the CLI defaults to,
// temp folders removed after each file, the snapshot reader, and the one way tests run the
// BUILT CLI (a build-once guard, a run to completion, and a live child for signal tests).
import { batchOf } from '../pipeline/core/columns.js';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import type { Batch } from '../pipeline/core/batch.js';
import { toRow, type RawRow } from '../pipeline/engine/row-parser.js';
import { DEFAULT_PRICES } from '../pipeline/core/money.js';
import type { Snapshot } from '../pipeline/core/snapshot.js';
import { parseTs, type NowPolicy } from '../pipeline/core/time.js';
import { type Row } from '../pipeline/core/row.js';
import { type EngineConfig } from '../pipeline/state/engine-state.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The bundled CLI: package.json's bin, what `npm i -g` runs (pipeline/cli/bundle.mjs). */
export const CLI = join(REPO_ROOT, 'dist', 'cli', 'syncscope.mjs');
/** tsc's build of the same entry: proof that dist/ holds tsc's output, which a few tests import in a child process. */
const TSC_BIN = join(REPO_ROOT, 'dist', 'pipeline', 'cli', 'bin.js');
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');

export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** An ISO timestamp without milliseconds, as the logs write them. */
export const iso = (t: number): string => new Date(t).toISOString().replace('.000Z', 'Z');

export const ms = (iso: string): number => {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`bad test timestamp ${iso}`);
  return t;
};

export interface RowSpec {
  ts: string | number;
  op?: 'push' | 'pull';
  ok?: boolean;
  error?: string | string[];
  bytes?: number;
  repo?: string;
  scope?: string;
  machine?: string;
  trigger?: string;
  tenant?: string;
  files?: number;
  line?: number;
  durMs?: number;
}

let autoLine = 1;

/** A validated Row as the ingestor would build it. */
export function row(spec: RowSpec): Row {
  const ts = typeof spec.ts === 'number' ? new Date(spec.ts).toISOString() : spec.ts;
  const raw: RawRow = {
    ts,
    op: spec.op ?? 'push',
    repo: spec.repo ?? 'snappy-os',
    scope: spec.scope ?? 'state',
    machine: spec.machine ?? 'mbpro-rb',
    trigger: spec.trigger ?? 'stop-hook',
    files: spec.files ?? 1,
    bytes: spec.bytes ?? 0,
    dur_ms: spec.durMs ?? 10,
  };
  if (spec.ok !== undefined) raw.ok = spec.ok;
  if (spec.error !== undefined) raw.error = spec.error;
  if (spec.tenant !== undefined) raw.tenant_id = spec.tenant;
  const t = parseTs(ts);
  if (Number.isNaN(t)) throw new Error(`bad row ts ${ts}`);
  const r = toRow(raw, t, '-', spec.line ?? autoLine++, 'default');
  if (r === null) throw new Error(`invalid row ${JSON.stringify(raw)}`);
  return r;
}

export const fail = (spec: RowSpec): Row => row({ ok: false, error: 'boom', ...spec });
export const okRow = (spec: RowSpec): Row => row({ ok: true, ...spec });

export function batch(rows: readonly Row[], opts: { now?: number | null; end?: boolean; nowFloor?: number; rejectedTs?: readonly number[] } = {}): Batch {
  const now = opts.now ?? null;
  return { rows: batchOf(rows), nowFloor: opts.nowFloor ?? now ?? -Infinity, now, end: opts.end ?? false, clock: 0, tenantsAhead: null, rejectedTs: opts.rejectedTs ?? [] };
}

/** A JSON line for a fixture / stdin. */
export function line(o: Record<string, unknown>): string {
  return JSON.stringify(o);
}

export function rawRow(spec: RowSpec & Record<string, unknown>): Record<string, unknown> {
  const { ts, op, ok, error, bytes, repo, scope, machine, trigger, tenant, files, line: _l, ...extra } = spec;
  const o: Record<string, unknown> = {
    ts: typeof ts === 'number' ? new Date(ts).toISOString() : ts,
    op: op ?? 'push',
    repo: repo ?? 'snappy-os',
    scope: scope ?? 'state',
    files: files ?? 1,
    bytes: bytes ?? 0,
    dur_ms: 10,
    trigger: trigger ?? 'stop-hook',
    machine: machine ?? 'mbpro-rb',
  };
  if (ok !== undefined) o.ok = ok;
  if (error !== undefined) o.error = error;
  if (tenant !== undefined) o.tenant_id = tenant;
  return { ...o, ...extra };
}

/** The engine settings `syncscope run` defaults to (lateness 5 min, 3 failures in 10 min) at `nowPolicy`. */
export function engineConfig(nowPolicy: NowPolicy, over: Partial<EngineConfig> = {}): EngineConfig {
  return {
    nowPolicy,
    maxLatenessMs: 5 * MIN,
    defaultTenant: 'default',
    cluster: { failures: 3, windowMs: 10 * MIN },
    prices: DEFAULT_PRICES,
    ...over,
  };
}

const madeDirs: string[] = [];
// Registered when a test file first imports this module: its temp folders go after its last test.
afterAll(() => {
  for (const d of madeDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh folder `syncscope-NAME-XXXXXX` under the OS temp dir, removed after the test file. */
export function tempDir(name = 'test'): string {
  const d = mkdtempSync(join(tmpdir(), `syncscope-${name}-`));
  madeDirs.push(d);
  return d;
}

/** STATE/log/sync-summary.json as written by a run. */
export function readSnapshot(state: string): Snapshot {
  return JSON.parse(readFileSync(join(state, 'log', 'sync-summary.json'), 'utf8')) as Snapshot;
}

function newestSourceMtime(): number {
  let newest = 0;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (name.endsWith('.ts')) newest = Math.max(newest, st.mtimeMs);
    }
  };
  for (const d of ['pipeline', 'operators', 'sinks']) walk(join(REPO_ROOT, d));
  return newest;
}

function sleepSync(msec: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, msec);
}

/**
 * `npm test` builds before vitest; a lone `npx vitest run test/cli-run.e2e.test.ts` builds here
 * (tsc, then the bundle) when dist is missing or older than a source file. A lock dir keeps
 * parallel test files from building over each other.
 */
export function ensureBuilt(): void {
  const stale = (): boolean => [TSC_BIN, CLI].some((f) => !existsSync(f) || statSync(f).mtimeMs < newestSourceMtime());
  if (!stale()) return;
  const lock = join(REPO_ROOT, '.tmp', 'test-build.lock');
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // a lock left by a killed test process is stale after 5 minutes
      try {
        if (Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* gone meanwhile */
      }
      if (Date.now() > deadline) throw new Error(`build lock ${lock} held for 2 min`);
      sleepSync(200);
    }
  }
  try {
    if (!stale()) return;
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    // tsc still emits on type errors; only a missing output is fatal here (others may be mid-edit).
    if (r.status !== 0) {
      if (!existsSync(TSC_BIN)) throw new Error(`tsc failed:\n${r.stdout}\n${r.stderr}`);
      console.warn(`tsc reported errors (the emitted dist is used anyway):\n${r.stdout}`);
    }
    const b = spawnSync(process.execPath, [join(REPO_ROOT, 'pipeline', 'cli', 'bundle.mjs')], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (b.status !== 0) throw new Error(`bundling the CLI failed:\n${b.stdout}\n${b.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The env for a child CLI: this one without anything that would change its behaviour, plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('SYNC_') || k.startsWith('SYNCSCOPE_')) delete env[k];
  return { ...env, ...extra };
}

export interface CliOptions {
  cwd?: string;
  /** Added to the cleaned env of `childEnv`. */
  env?: Record<string, string>;
  /** Arguments for node itself, before the CLI path (e.g. `--import` hooks). */
  nodeArgs?: readonly string[];
  /** A command that execs the rest of its arguments (`node CLI …`), e.g. `sh -c 'ulimit … && exec "$@"' sh`. */
  launcher?: readonly [string, ...string[]];
}

/** The command line, cwd and env every run of the built CLI uses. */
function cliCommand(args: readonly string[], opts: CliOptions): { file: string; argv: string[]; cwd: string; env: NodeJS.ProcessEnv } {
  const node: [string, ...string[]] = [process.execPath, ...(opts.nodeArgs ?? []), CLI, ...args];
  const [file, ...argv] = opts.launcher === undefined ? node : [...opts.launcher, ...node];
  return { file, argv, cwd: opts.cwd ?? REPO_ROOT, env: childEnv(opts.env) };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions extends CliOptions {
  /** Written to stdin, which is then closed (closed at once without it). */
  input?: string | Buffer;
}

/** Runs the built CLI to completion, blocking; throws if it cannot start or runs past 30 s. */
export function runCliSync(args: readonly string[], opts: RunCliOptions = {}): CliResult {
  const { file, argv, cwd, env } = cliCommand(args, opts);
  const r = spawnSync(file, argv, { cwd, env, input: opts.input ?? '', encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the built CLI to completion without blocking (for concurrent tests, or while a live child runs). */
export function runCli(args: readonly string[], opts: RunCliOptions = {}): Promise<CliResult> {
  return new Promise((res, rej) => {
    const child = spawnCli(args, opts);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', rej);
    child.on('close', (code) => res({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** Starts the built CLI as a live child the test feeds, reads or signals; stdin, stdout and stderr are pipes. */
export function spawnCli(args: readonly string[], opts: CliOptions = {}): ChildProcessWithoutNullStreams {
  const { file, argv, cwd, env } = cliCommand(args, opts);
  return spawn(file, argv, { cwd, env, stdio: 'pipe' });
}

/** The bytes cut at the given points (taken modulo length+1), for chunk-boundary properties. */
export function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const pts = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of pts) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}
