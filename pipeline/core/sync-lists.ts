import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import picomatch from 'picomatch';

/**
 * The sync client's allow/deny lists (SPEC §7 privacy lint), and what they decide for a path.
 *
 * Sources, per list: env `SYNC_ALLOW` / `SYNC_DENY` when set and not blank, else the file
 * `<state>/bin/sync/SYNC_ALLOW` / `SYNC_DENY` when it exists, else no list. The env wins, as an
 * override of the file. Either source holds globs one per line or `:`-separated (both may be
 * mixed); blank entries are ignored, and so are lines starting with `#` (comments). A leading
 * `./` or `/` is dropped: globs are relative to the repo root, like `state/log/*`.
 *
 * Matching: picomatch with `dot: true` against repo-relative paths such as
 * `state/log/sync-events.ndjson`. Within one list the last matching glob decides
 * (gitignore-like): `!glob` takes back what earlier globs put in the list.
 *
 * A path is synced when it is allowed — there is no allow list (everything is allowed), or the
 * allow list has it — and the deny list (if any) does not have it. An allow list that exists but
 * holds no glob allows nothing.
 */
export interface Glob {
  readonly text: string;
  readonly negated: boolean;
  readonly test: (path: string) => boolean;
}

export interface GlobList {
  /** Where it came from, for messages: `env SYNC_DENY` or the file path. */
  readonly source: string;
  readonly globs: readonly Glob[];
}

export interface SyncLists {
  readonly allow: GlobList | null;
  readonly deny: GlobList | null;
  /** The file a fix should go to, whether it exists or not. */
  readonly allowFile: string;
  readonly denyFile: string;
}

/** The one output that must be synced (billing reads it from the bucket). */
export const SYNC_AGGREGATE_PATH = 'state/log/evals.aggregate.ndjson';

/** A folder of files syncscope writes that name machines or hold error text: none may be synced. */
export interface PrivateTree {
  /** `state/log/`: the fix denies `<dir>**`. */
  readonly dir: string;
  /** What its files hold, for the message. */
  readonly holds: string;
  /** Paths under dir that are not private (taken back after the deny glob in the fix). */
  readonly except: readonly string[];
  /**
   * Every file syncscope writes there (sinks/layout.ts and the internal files), then stand-ins
   * for any other file at any depth: judging these, not one sample, tells a glob that covers the
   * whole tree from one that misses some of it.
   */
  readonly probes: readonly string[];
}

const ANY_FILE = '<any file>';
const ANY_NESTED_FILE = '<any dir>/<any file>';

function privateTree(dir: string, holds: string, files: readonly string[], except: readonly string[] = []): PrivateTree {
  return { dir, holds, except, probes: [...files, ANY_FILE, ANY_NESTED_FILE].map((f) => `${dir}${f}`) };
}

export const PRIVATE_TREES: readonly PrivateTree[] = [
  privateTree('state/log/', 'the event log, the summaries, the rejects and the alerts name machines and hold error text', [
    'sync-events.ndjson',
    'sync-summary.md',
    'sync-summary.json',
    'sync-events.rejects.ndjson',
    'alerts/sync-degraded-20260416T191038Z-default-snappy-os-h1a2b3c4d.md',
    'alerts-resolved.ndjson',
  ], [SYNC_AGGREGATE_PATH]),
  privateTree('state/.syncscope/', 'the checkpoint and the KV outbox hold machine IDs and full error chains', [
    'checkpoint.json',
    'kv-outbox.json',
    'run.lock',
  ]),
  privateTree('state/kv/', 'the embedded KV holds every tenant\'s failure tallies', [
    'ALERTS/74656e616e743a64656661756c74.json', // the key `tenant:default`, hex
  ]),
];

/** Neither list exists anywhere (no env, no file): nothing for the privacy lint to judge. */
export function noSyncLists(lists: SyncLists): boolean {
  return lists.allow === null && lists.deny === null;
}

/** The one-line stderr notice `lint` prints instead of judging when there is no list. */
export function noSyncListsNotice(lists: SyncLists): string {
  return `syncscope: privacy: no SYNC_ALLOW or SYNC_DENY list (env, or files in ${dirname(lists.allowFile)}); nothing to check`;
}

/** Where a fix to a list goes: the env variable when the env decides, else the file. */
export function listTarget(list: GlobList | null, file: string, name: 'SYNC_ALLOW' | 'SYNC_DENY'): string {
  return list?.source === `env ${name}` ? `${name} (env)` : file;
}

/** Globs of a list's text: lines, then `:`-separated parts; comments and blanks dropped. */
export function parseGlobText(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    for (const part of t.split(':')) {
      let g = part.trim();
      if (g === '') continue;
      const neg = g.startsWith('!');
      if (neg) g = g.slice(1);
      while (g.startsWith('./')) g = g.slice(2);
      while (g.startsWith('/')) g = g.slice(1);
      if (g === '') continue;
      out.push(neg ? `!${g}` : g);
    }
  }
  return out;
}

export function compileGlobs(source: string, texts: readonly string[]): GlobList {
  return {
    source,
    globs: texts.map((text) => {
      const negated = text.startsWith('!');
      const test = picomatch(negated ? text.slice(1) : text, { dot: true });
      return { text, negated, test: (p: string) => test(p) };
    }),
  };
}

function listFrom(name: 'SYNC_ALLOW' | 'SYNC_DENY', file: string, env: Readonly<Record<string, string | undefined>>): GlobList | null {
  const fromEnv = env[name];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return compileGlobs(`env ${name}`, parseGlobText(fromEnv));
  if (!existsSync(file)) return null;
  return compileGlobs(file, parseGlobText(readFileSync(file, 'utf8')));
}

export function loadSyncLists(stateDir: string, env: Readonly<Record<string, string | undefined>> = process.env): SyncLists {
  const dir = join(stateDir, 'bin', 'sync');
  const allowFile = join(dir, 'SYNC_ALLOW');
  const denyFile = join(dir, 'SYNC_DENY');
  return { allow: listFrom('SYNC_ALLOW', allowFile, env), deny: listFrom('SYNC_DENY', denyFile, env), allowFile, denyFile };
}

/** The glob that decides a path's membership in a list (the last that matches), or null. */
export function decidingGlob(list: GlobList, path: string): Glob | null {
  let deciding: Glob | null = null;
  for (const g of list.globs) if (g.test(path)) deciding = g;
  return deciding;
}

export function inList(list: GlobList | null, path: string): boolean {
  if (list === null) return false;
  const g = decidingGlob(list, path);
  return g !== null && !g.negated;
}

export interface SyncVerdict {
  readonly path: string;
  readonly allowed: boolean;
  readonly denied: boolean;
  readonly synced: boolean;
  /** Why allowed / not allowed, and why denied / not denied, in words. */
  readonly allowReason: string;
  readonly denyReason: string;
}

function reason(list: GlobList | null, path: string, name: string, none: string): string {
  if (list === null) return none;
  const g = decidingGlob(list, path);
  if (g === null) return list.globs.length === 0 ? `${name} (${list.source}) holds no glob` : `no glob in ${name} (${list.source}) matches it`;
  return `${g.negated ? 'taken back' : 'matched'} by ${JSON.stringify(g.text)} in ${name} (${list.source})`;
}

export function syncVerdict(lists: SyncLists, path: string): SyncVerdict {
  const allowed = lists.allow === null || inList(lists.allow, path);
  const denied = inList(lists.deny, path);
  return {
    path,
    allowed,
    denied,
    synced: allowed && !denied,
    allowReason: reason(lists.allow, path, 'SYNC_ALLOW', 'there is no SYNC_ALLOW list, so everything is allowed'),
    denyReason: reason(lists.deny, path, 'SYNC_DENY', 'there is no SYNC_DENY list'),
  };
}
