// Shared by lint*.test.ts, doctor.test.ts and export.test.ts: event lines, temp dirs, the engine
// config the CLI would build, an in-process lint scan, and a spawner for the BUILT CLI.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { lintScan, type LintReport } from '../pipeline/cli/lint.js';
import { loadSyncLists, type SyncLists } from '../pipeline/core/sync-lists.js';
import { LINT_IDS, type LintId } from '../operators/lint/common.js';
import { DEFAULT_PRICES } from '../pipeline/core/money.js';
import { type EngineConfig } from '../pipeline/engine/engine-state.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = join(ROOT, 'dist', 'pipeline', 'cli', 'bin.js');
export const LINT_FIXTURES = join(ROOT, 'test', 'fixtures', 'lint');

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

/** NOW of every lint fixture. */
export const NOW = '2026-04-16T12:00:00Z';
export const NOW_MS = Date.parse(NOW);

export const iso = (t: number): string => new Date(t).toISOString().replace('.000Z', 'Z');

/** One sync-events v1 line: a successful push unless told otherwise. */
export function ev(ts: string | number, over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    ts: typeof ts === 'number' ? iso(ts) : ts,
    op: 'push',
    repo: 'snappy-os',
    scope: 'state',
    files: 1,
    bytes: 100,
    dur_ms: 120,
    trigger: 'stop-hook',
    machine: 'mbpro-rb',
    ok: true,
    ...over,
  });
}

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix = 'syncscope-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

export function writeLines(path: string, lines: readonly string[]): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  return path;
}

/** A SYNC_DENY that passes the privacy lint: every private output denied, the aggregates taken back. */
export const PRIVATE_DENY = 'state/log/**\n!state/log/evals.aggregate.ndjson\nstate/.syncscope/**\nstate/kv/**';

/** Sync lists that pass the privacy lint: PRIVATE_DENY, everything else allowed. */
export function writeGoodLists(stateDir: string): void {
  writeLines(join(stateDir, 'bin', 'sync', 'SYNC_DENY'), ['# machine IDs and error text stay local', PRIVATE_DENY]);
}

export function engineConfig(over: Partial<EngineConfig> = {}): EngineConfig {
  return {
    nowPolicy: { kind: 'fixed', ms: NOW_MS },
    maxLatenessMs: 5 * MIN,
    defaultTenant: 'default',
    cluster: { failures: 3, windowMs: 10 * MIN },
    prices: DEFAULT_PRICES,
    ...over,
  };
}

const NO_LISTS_ENV: Record<string, string | undefined> = {};

/** Lists of a state dir as the CLI loads them, but never from this process's env. */
export function listsOf(stateDir: string, env: Record<string, string | undefined> = NO_LISTS_ENV): SyncLists {
  return loadSyncLists(stateDir, env);
}

export interface LintOpts {
  lints?: readonly LintId[];
  engine?: Partial<EngineConfig>;
  tenant?: string | null;
  keep?: number;
  lists?: SyncLists;
}

/** The in-process scan the lint command runs. */
export async function lintFile(input: string, o: LintOpts = {}): Promise<LintReport> {
  let lists = o.lists;
  if (lists === undefined) {
    const state = tempDir();
    writeGoodLists(state);
    lists = listsOf(state);
  }
  return lintScan({
    input,
    engine: engineConfig(o.engine),
    tenant: o.tenant ?? null,
    lints: o.lints ?? LINT_IDS,
    keep: o.keep ?? Infinity,
    lists,
  });
}

export async function lintLines(lines: readonly string[], o: LintOpts = {}): Promise<LintReport> {
  return lintFile(writeLines(join(tempDir(), 'events.ndjson'), lines), o);
}

/** The env for a child CLI: this one without anything that would change its behaviour. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('SYNC_') || k.startsWith('SYNCSCOPE_')) delete env[k];
  return { ...env, ...extra };
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`npm test` builds first). */
export function cli(args: readonly string[], opts: { env?: Record<string, string>; input?: string; cwd?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: childEnv(opts.env),
    input: opts.input ?? '',
    cwd: opts.cwd ?? ROOT,
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
