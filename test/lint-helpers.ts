// Shared by lint*.test.ts, doctor.test.ts and export.test.ts: the lint fixtures' NOW, event
// lines, sync lists, the engine config the CLI would build at that NOW, and an in-process lint scan.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { lintScan, type LintReport } from '../pipeline/cli/lint.js';
import { loadSyncLists, type SyncLists } from '../pipeline/core/sync-lists.js';
import { LINT_IDS, type LintId } from '../operators/lint/common.js';
import { engineConfig, FIXTURES, iso, tempDir } from './core-helpers.js';
import { type EngineConfig } from '../pipeline/state/engine-state.js';

export const LINT_FIXTURES = join(FIXTURES, 'lint');

/** NOW of every lint fixture. */
export const NOW = '2026-04-16T12:00:00Z';
export const NOW_MS = Date.parse(NOW);

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

/** The engine settings `syncscope lint --now NOW` would build. */
export function engineAtNow(over: Partial<EngineConfig> = {}): EngineConfig {
  return engineConfig({ kind: 'fixed', ms: NOW_MS }, over);
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
  /** The row lints' window; default the whole input (these tests judge every row). */
  sinceMs?: number;
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
    engine: engineAtNow(o.engine),
    tenant: o.tenant ?? null,
    lints: o.lints ?? LINT_IDS,
    keep: o.keep ?? Infinity,
    sinceMs: o.sinceMs ?? Infinity,
    lists,
  });
}

export async function lintLines(lines: readonly string[], o: LintOpts = {}): Promise<LintReport> {
  return lintFile(writeLines(join(tempDir(), 'events.ndjson'), lines), o);
}
