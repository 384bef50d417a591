import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { from, last, lastValueFrom } from 'rxjs';
import { NOW_MS, ev, lintLines, listsOf, tempDir, writeLines } from './lint-helpers.js';
import { compileGlobs, parseGlobText, SYNC_AGGREGATE_PATH, SYNC_LOG_PATH, syncVerdict, type SyncLists } from '../pipeline/sync-lists.js';
import { lintPrivacy } from '../operators/lint-privacy.js';

/** A state dir with these list files (undefined = no file). */
function stateWith(allow?: string, deny?: string): string {
  const dir = tempDir();
  if (allow !== undefined) writeLines(join(dir, 'bin', 'sync', 'SYNC_ALLOW'), [allow]);
  if (deny !== undefined) writeLines(join(dir, 'bin', 'sync', 'SYNC_DENY'), [deny]);
  return dir;
}

function verdicts(lists: SyncLists) {
  const log = syncVerdict(lists, SYNC_LOG_PATH);
  const agg = syncVerdict(lists, SYNC_AGGREGATE_PATH);
  return { logSynced: log.synced, aggSynced: agg.synced };
}

async function findings(lists: SyncLists) {
  const s = await lastValueFrom(from([{ rows: [], rejects: [], now: NOW_MS, end: true }]).pipe(lintPrivacy({ nowCut: NOW_MS, keep: Infinity }, lists), last()));
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
  it('is clean when the log is denied and the aggregates are allowed', async () => {
    expect(await findings(listsOf(stateWith('state/**', 'state/log/sync-events.ndjson')))).toEqual([]);
  });

  it('names the leak, why, and where the fix goes', async () => {
    const dir = stateWith();
    const f = await findings(listsOf(dir));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ lint: 'privacy', severity: 'error', lines: [], ts: null });
    expect(f[0]!.message).toContain(`${SYNC_LOG_PATH} would be synced (there is no SYNC_ALLOW list, so everything is allowed; there is no SYNC_DENY list)`);
    expect(f[0]!.message).toContain(`add "${SYNC_LOG_PATH}" to ${join(dir, 'bin', 'sync', 'SYNC_DENY')}`);
  });

  it('reports aggregates both not allowed and denied, with both fixes', async () => {
    const f = await findings(listsOf(stateWith('state/notes/**', 'state/log/*')));
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('not allowed: no glob in SYNC_ALLOW');
    expect(f[0]!.message).toContain('denied: matched by "state/log/*" in SYNC_DENY');
    expect(f[0]!.message).toContain(`add "!${SYNC_AGGREGATE_PATH}" at the end of`);
  });

  it('runs in the scan whatever the rows', async () => {
    const r = await lintLines([ev(NOW_MS)], { lints: ['privacy'], lists: listsOf(stateWith(undefined, '**/*.ndjson')) });
    expect(r.counts.privacy).toBe(1);
    expect(r.errors).toBe(1);
  });
});
