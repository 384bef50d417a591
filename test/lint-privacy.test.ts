import { readdirSync } from 'node:fs';
import { join, posix, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { from, last, lastValueFrom } from 'rxjs';
import { iso, runCliSync, tempDir } from './core-helpers.js';
import { NOW_MS, PRIVATE_DENY, ev, lintLines, listsOf, writeLines } from './lint-helpers.js';
import { compileGlobs, parseGlobText, SYNC_AGGREGATE_PATH, syncVerdict, type SyncLists } from '../pipeline/core/sync-lists.js';
import { lintPrivacy } from '../operators/lint/privacy.js';
import { EMPTY_BATCH } from '../pipeline/core/columns.js';
import { WHOLE_INPUT } from '../operators/lint/window.js';

/** A state dir with these list files (undefined = no file). */
function stateWith(allow?: string, deny?: string): string {
  const dir = tempDir();
  if (allow !== undefined) writeLines(join(dir, 'bin', 'sync', 'SYNC_ALLOW'), [allow]);
  if (deny !== undefined) writeLines(join(dir, 'bin', 'sync', 'SYNC_DENY'), [deny]);
  return dir;
}

const SYNC_LOG_PATH = 'state/log/sync-events.ndjson';

function verdicts(lists: SyncLists) {
  const log = syncVerdict(lists, SYNC_LOG_PATH);
  const agg = syncVerdict(lists, SYNC_AGGREGATE_PATH);
  return { logSynced: log.synced, aggSynced: agg.synced };
}

async function findings(lists: SyncLists) {
  const s = await lastValueFrom(from([{ rows: EMPTY_BATCH, rejects: [], rejectTs: [], now: NOW_MS, end: true }]).pipe(lintPrivacy({ nowCut: NOW_MS, keep: Infinity, window: WHOLE_INPUT }, lists), last()));
  return s.out.findings;
}

describe('privacy: list parsing', () => {
  it('takes one glob per line or :-separated, drops comments, blanks, ./ and leading /', () => {
    expect(parseGlobText('# header\n\nstate/log/*\r\n  ./state/tmp/** : /state/cache/**\n# state/never\n!state/log/evals.aggregate.ndjson\n'))
      .toEqual(['state/log/*', 'state/tmp/**', 'state/cache/**', '!state/log/evals.aggregate.ndjson']);
    expect(parseGlobText('a/**:b/*.ndjson::c')).toEqual(['a/**', 'b/*.ndjson', 'c']);
    expect(parseGlobText('')).toEqual([]);
  });
});

describe('privacy: verdicts', () => {
  it('without any list everything is synced, so the log leaks', () => {
    expect(verdicts(listsOf(stateWith()))).toEqual({ logSynced: true, aggSynced: true });
  });

  it('state/log/* in SYNC_DENY keeps the log out but also the aggregates', () => {
    expect(verdicts(listsOf(stateWith(undefined, 'state/log/*')))).toEqual({ logSynced: false, aggSynced: false });
  });

  it('a negation after the deny glob takes the aggregates back', () => {
    expect(verdicts(listsOf(stateWith(undefined, 'state/log/*\n!state/log/evals.aggregate.ndjson')))).toEqual({ logSynced: false, aggSynced: true });
    // Order matters (last match decides): the negation first is overridden by the glob after it.
    expect(verdicts(listsOf(stateWith(undefined, '!state/log/evals.aggregate.ndjson\nstate/log/*')))).toEqual({ logSynced: false, aggSynced: false });
  });

  it('**/*.ndjson in SYNC_DENY denies both', () => {
    expect(verdicts(listsOf(stateWith(undefined, '**/*.ndjson')))).toEqual({ logSynced: false, aggSynced: false });
  });

  it('state/** allowed with the log denied is right', () => {
    expect(verdicts(listsOf(stateWith('state/**', 'state/log/sync-events.ndjson')))).toEqual({ logSynced: false, aggSynced: true });
  });

  it('a negation in SYNC_ALLOW keeps the log out with no deny list', () => {
    expect(verdicts(listsOf(stateWith('state/**\n!state/log/sync-events.ndjson')))).toEqual({ logSynced: false, aggSynced: true });
  });

  it('an allow list that does not cover the aggregates leaves them out', () => {
    expect(verdicts(listsOf(stateWith('state/notes/**', 'state/log/sync-events.ndjson')))).toEqual({ logSynced: false, aggSynced: false });
  });

  it('an allow list of only comments allows nothing', () => {
    expect(verdicts(listsOf(stateWith('# nothing yet\n\n')))).toEqual({ logSynced: false, aggSynced: false });
  });

  it('a near-miss glob does not deny the log', () => {
    expect(verdicts(listsOf(stateWith(undefined, 'state/logs/*\nstate/log/*.json\nlog/sync-events.ndjson')))).toEqual({ logSynced: true, aggSynced: true });
  });

  it('matches dot paths (dot: true)', () => {
    const lists = listsOf(stateWith(undefined, 'state/**'));
    expect(syncVerdict(lists, 'state/.syncscope/checkpoint.json').synced).toBe(false);
    const star = { allow: null, deny: compileGlobs('test', ['state/*/x']), allowFile: 'A', denyFile: 'D' };
    expect(syncVerdict(star, 'state/.hidden/x').denied).toBe(true);
  });
});

describe('privacy: env', () => {
  it('takes :-separated globs from env, which win over the files', () => {
    const dir = stateWith(undefined, '# file denies nothing that matters\nstate/tmp/**');
    expect(verdicts(listsOf(dir))).toEqual({ logSynced: true, aggSynced: true });
    const env = { SYNC_DENY: 'state/tmp/**:state/log/sync-events.ndjson' };
    expect(verdicts(listsOf(dir, env))).toEqual({ logSynced: false, aggSynced: true });
    expect(listsOf(dir, env).deny?.source).toBe('env SYNC_DENY');
  });

  it('a bad env list overrides a good file', () => {
    const dir = stateWith('state/**', 'state/log/sync-events.ndjson');
    expect(verdicts(listsOf(dir, { SYNC_DENY: 'state/tmp/**' }))).toEqual({ logSynced: true, aggSynced: true });
    expect(verdicts(listsOf(dir, { SYNC_ALLOW: 'state/notes/**' }))).toEqual({ logSynced: false, aggSynced: false });
  });

  it('a blank env value counts as unset', () => {
    const dir = stateWith(undefined, 'state/log/sync-events.ndjson');
    expect(verdicts(listsOf(dir, { SYNC_DENY: '  ' }))).toEqual({ logSynced: false, aggSynced: true });
  });
});

describe('privacy: findings', () => {
  const denyFile = (dir: string): string => join(dir, 'bin', 'sync', 'SYNC_DENY');

  it('is clean when the private trees are denied and the aggregates are allowed', async () => {
    expect(await findings(listsOf(stateWith(undefined, PRIVATE_DENY)))).toEqual([]);
  });

  it('flags the checkpoint when only the logs and the KV are denied', async () => {
    const dir = stateWith(undefined, 'state/log/**\n!state/log/evals.aggregate.ndjson\nstate/kv/**');
    const f = await findings(listsOf(dir));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ lint: 'privacy', severity: 'error', lines: [], ts: null });
    expect(f[0]!.message).toMatch(/^state\/\.syncscope\/\*\* would be synced \(checkpoint\.json, kv-outbox\.json, run\.lock, <any file>, <any dir>\/<any file>: /);
    expect(f[0]!.message).toContain('there is no SYNC_ALLOW list, so everything is allowed; no glob in SYNC_DENY');
    expect(f[0]!.message).toContain('machine IDs and full error chains');
    expect(f[0]!.message).toContain(`add "state/.syncscope/**" at the end of ${denyFile(dir)}`);
  });

  it('flags state/** allowed with only the event log denied: one finding per leaking tree, naming its files', async () => {
    const dir = stateWith('state/**', 'state/log/sync-events.ndjson');
    const messages = (await findings(listsOf(dir))).map((x) => x.message);
    expect(messages).toHaveLength(3);
    expect(messages[0]).toMatch(/^state\/log\/\*\* would be synced \(sync-summary\.md, sync-summary\.json, sync-events\.rejects\.ndjson, alerts\/sync-degraded-\S+\.md, alerts-resolved\.ndjson, <any file>, <any dir>\/<any file>: matched by "state\/\*\*" in SYNC_ALLOW/);
    expect(messages[0]).not.toContain('sync-events.ndjson,');
    expect(messages[0]).toContain('add "state/log/**" then "!state/log/evals.aggregate.ndjson" at the end of');
    expect(messages[1]).toMatch(/^state\/\.syncscope\/\*\* would be synced \(checkpoint\.json, /);
    expect(messages[2]).toMatch(/^state\/kv\/\*\* would be synced \(ALERTS\/[0-9a-f]+\.json, /);
    expect(messages[2]).toContain(`add "state/kv/**" at the end of ${denyFile(dir)}`);
  });

  it('flags files of a tree that per-file globs miss, such as new files', async () => {
    const perFile = 'state/log/*.ndjson\nstate/log/*.md\nstate/log/*.json\nstate/log/alerts/*\n!state/log/evals.aggregate.ndjson\nstate/.syncscope/**\nstate/kv/**';
    const f = await findings(listsOf(stateWith(undefined, perFile)));
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toMatch(/^state\/log\/\*\* would be synced \(<any file>, <any dir>\/<any file>: there is no SYNC_ALLOW list, so everything is allowed; no glob in SYNC_DENY/);
  });

  it('is clean with an allow list of exactly the aggregates', async () => {
    expect(await findings(listsOf(stateWith(SYNC_AGGREGATE_PATH)))).toEqual([]);
  });

  it('is clean with state/** then !state/log/evals.aggregate.ndjson in SYNC_DENY and no allow list', async () => {
    expect(await findings(listsOf(stateWith(undefined, `state/**\n!${SYNC_AGGREGATE_PATH}`)))).toEqual([]);
  });

  it('with no list at all is not a finding (a fresh install lints clean)', async () => {
    expect(await findings(listsOf(stateWith()))).toEqual([]);
  });

  it('reports aggregates both not allowed and denied, with both fixes', async () => {
    const f = await findings(listsOf(stateWith('state/notes/**', 'state/log/*')));
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('not allowed: no glob in SYNC_ALLOW');
    expect(f[0]!.message).toContain('denied: matched by "state/log/*" in SYNC_DENY');
    expect(f[0]!.message).toContain(`add "!${SYNC_AGGREGATE_PATH}" at the end of`);
  });

  it('points the fix at the env list when the env decides', async () => {
    const f = await findings(listsOf(stateWith(), { SYNC_DENY: `state/log/**:!${SYNC_AGGREGATE_PATH}:state/kv/**` }));
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('add "state/.syncscope/**" at the end of SYNC_DENY (env)');
  });

  it('never cites the spec', async () => {
    const f = await findings(listsOf(stateWith('state/notes/**', 'state/log/*')));
    const g = await findings(listsOf(stateWith(undefined, 'state/tmp/**')));
    for (const x of [...f, ...g]) expect(x.message).not.toMatch(/SPEC|§/);
  });

  it('runs in the scan whatever the rows', async () => {
    const r = await lintLines([ev(NOW_MS)], { lints: ['privacy'], lists: listsOf(stateWith(undefined, '**/*.ndjson')) });
    // the aggregates are denied; the summaries, the checkpoint and the KV files are synced
    expect(r.counts.privacy).toBe(4);
    expect(r.errors).toBe(4);
  });
});

describe('privacy: what syncscope really writes', () => {
  /** Every file under dir, as repo-relative POSIX paths below `state/`. */
  function filesUnder(root: string, dir = ''): string[] {
    return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? filesUnder(root, join(dir, e.name)) : [`state/${join(dir, e.name).split(sep).join('/')}`]);
  }

  it('flags an allow glob of the kind of any file `syncscope run` writes', async () => {
    const state = join(tempDir(), 'state');
    const failures = [0, 1, 2, 3].map((i) => ev(NOW_MS - (10 - i) * 60_000, { ok: false, error: ['outer', 'inner'] }));
    const log = writeLines(join(tempDir(), 'events.ndjson'), [...failures, 'not json']);
    expect(runCliSync(['run', log, '--state', state, '--now', iso(NOW_MS - 6 * 60_000)]).code).toBe(0);
    const written = filesUnder(state).filter((f) => f !== SYNC_AGGREGATE_PATH);
    expect(written).toEqual(expect.arrayContaining(['state/.syncscope/checkpoint.json', 'state/log/sync-summary.md']));
    expect(written.some((f) => f.startsWith('state/log/alerts/'))).toBe(true);
    expect(written.some((f) => f.startsWith('state/kv/'))).toBe(true);
    for (const file of written) {
      const ofItsKind = `${posix.dirname(file)}/*${posix.extname(file)}`;
      const f = await findings(listsOf(stateWith(`${ofItsKind}\n${SYNC_AGGREGATE_PATH}`)));
      const tree = `${file.split('/').slice(0, 2).join('/')}/**`;
      expect(f.map((x) => x.message.split(' ')[0]), `${file} via ${ofItsKind}`).toEqual([tree]);
    }
  });
});
