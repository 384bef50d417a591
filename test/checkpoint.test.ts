// The checkpoint file: codec (bigints, ±Infinity, "$" keys), integrity checks, corrupt-file
// recovery, config comparison. In-process; the CLI behaviour is in checkpoint-e2e.test.ts.
import { saveReorder } from '../operators/metrics/reorder-by-ts.js';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine, trialEngineState } from '../pipeline/engine/engine.js';
import { LineSplitter } from '../pipeline/source/lines.js';
import {
  CHECKPOINT_FILE, CheckpointError, configKey, decodeCheckpoint, decodeJson, diffConfig, encodeCheckpoint, encodeEngineState, encodeJson,
  loadCheckpoint, saveCheckpoint, type Checkpoint,
} from '../pipeline/state/checkpoint.js';
import { rational, DEFAULT_PRICES } from '../pipeline/core/money.js';
import { engineConfig, tempDir } from './core-helpers.js';
import { type EngineConfig } from '../pipeline/state/engine-state.js';

const tmp = (): string => tempDir('cp');

const CONFIG: EngineConfig = engineConfig({ kind: 'fixed', ms: Date.parse('2026-04-09T00:00:00Z') });

const line = (ts: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ ts, op: 'pull', repo: 'r', scope: 'state', machine: 'm', trigger: 't', files: 1, bytes: 10, dur_ms: 1, ...extra });

function checkpointOf(engine: Engine, splitter: LineSplitter): Checkpoint {
  return {
    config: configKey(CONFIG),
    input: { kind: 'file', path: '/x/log', fingerprint: { dev: '1', ino: '2', birth: '0', head: 'abc' }, offset: splitter.consumed, line: splitter.lineNumber },
    rejects_bytes: 0,
    resolved_history: { bytes: 0, ahead: [] },
    engine: engine.state,
  };
}

describe('checkpoint codec', () => {
  it('round-trips bigints, ±Infinity, Maps and objects whose keys start with "$"', () => {
    const value = {
      big: 2n ** 70n,
      neg: -Infinity,
      pos: Infinity,
      n: 5,
      tagLike: { $bigint: '12' },
      numLike: { $num: '-Infinity' },
      escaped: { $$x: 1, $y: [{ $bigint: 'no' }] },
      arr: [1n, -Infinity, null, 'x'],
      histogram: new Map([[840, 3], [1024, 1]]),
      mapLike: { $map: [[1, 2]] },
    };
    const back = decodeJson(encodeJson(value));
    expect(back).toEqual(value);
    expect(typeof (back as { big: unknown }).big).toBe('bigint');
    expect((back as { histogram: unknown }).histogram).toBeInstanceOf(Map);
    expect((back as { mapLike: unknown }).mapLike).not.toBeInstanceOf(Map);
  });

  it('a held row keeps only its known fields: an unknown field (even a "$bigint"-shaped one) never reaches the checkpoint', () => {
    const e = new Engine(CONFIG);
    const s = new LineSplitter();
    // Within the lateness window of the newest row: held in the reorder buffer, so the row is
    // part of the checkpoint, as a compact record without its unknown fields.
    e.feed(s.push(Buffer.from(`${line('2026-04-08T10:00:00Z', { x: { $bigint: '7' }, fat: 'y'.repeat(5000) })}\n${line('2026-04-08T10:01:00Z')}\n`)), 0, 'log.ndjson');
    const text = encodeCheckpoint(checkpointOf(e, s), 0);
    const cp = decodeCheckpoint(text);
    const pending = saveReorder(cp.engine.reorder).pending;
    expect(pending.length).toBeGreaterThan(0);
    expect(pending[0]).toMatchObject({ repo: 'r', machine: 'm', bytes: 10, file: 'log.ndjson', line: 1 });
    expect(pending[0]).not.toHaveProperty('x');
    expect(pending[0]).not.toHaveProperty('raw');
    expect(text).not.toContain('"x"');
    expect(text).not.toContain('yyyy');
  });

  it('an engine restored from a checkpoint continues exactly like the original', () => {
    const text = [0, 1, 2, 3, 4, 5].map((i) => line(`2026-04-08T10:0${i}:00Z`, i % 2 ? { ok: false, error: 'boom' } : {})).join('\n') + '\n';
    const whole = new Engine(CONFIG);
    whole.feed(new LineSplitter().push(Buffer.from(text)), 0, 'log.ndjson');
    whole.end(0);
    const cut = text.indexOf('\n', text.length / 2) + 1;
    const first = new Engine(CONFIG);
    const s1 = new LineSplitter();
    first.feed(s1.push(Buffer.from(text.slice(0, cut))), 0, 'log.ndjson');
    const cp = decodeCheckpoint(encodeCheckpoint(checkpointOf(first, s1), 0));
    expect(cp.input).toMatchObject({ kind: 'file', offset: cut });
    const second = new Engine(CONFIG, cp.engine);
    second.feed(new LineSplitter(cut, s1.lineNumber).push(Buffer.from(text.slice(cut))), 0, 'log.ndjson');
    second.end(0);
    // As the checkpoint holds it (the reorder's segment numbering is its own business); a restored
    // state may list its top-level keys in another order: compare values.
    expect(decodeJson(encodeEngineState(second.state))).toEqual(decodeJson(encodeEngineState(whole.state)));
  });
});

describe('engine state encoding (fast path for held rows)', () => {
  it('decodes to exactly what the general codec gives, for any held rows and names', () => {
    const name = fc.oneof(fc.constantFrom('$bigint', '$$x', '__proto__', 'constructor', 'reorder', 'r'), fc.string({ minLength: 1, maxLength: 8 }));
    const rowLine = fc.record({
      sec: fc.nat({ max: 400 }),
      repo: name,
      machine: name,
      tenant: fc.option(name, { nil: undefined }),
      bytes: fc.constantFrom(0, 1, 2 ** 53 - 1),
      failed: fc.boolean(),
      errors: fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
      manifest: fc.option(fc.option(fc.string({ maxLength: 5 }), { nil: null }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(rowLine, { maxLength: 40 }), (specs) => {
        const text = specs.map((r) => JSON.stringify({
          ts: new Date(Date.parse('2026-04-08T10:00:00Z') + r.sec * 1000).toISOString(), op: 'push', repo: r.repo, scope: 's', machine: r.machine,
          trigger: 't', files: 1, files_total: r.failed ? null : 3, bytes: r.bytes, dur_ms: 1, ...(r.tenant === undefined ? {} : { tenant_id: r.tenant }),
          ...(r.failed ? { ok: false, error: r.errors } : {}), ...(r.manifest === undefined ? {} : { manifest_before: r.manifest }),
        })).join('\n');
        const e = new Engine(CONFIG);
        e.feed(new LineSplitter().push(Buffer.from(`${text}\n`)), 0, 'log.ndjson');
        expect(decodeJson(encodeEngineState(e.state))).toEqual(decodeJson(encodeJson({ ...e.state, reorder: saveReorder(e.state.reorder) })));
      }),
      { numRuns: 200, seed: 20261130 },
    );
  });
});

describe('checkpoint integrity', () => {
  const good = (): string => {
    const e = new Engine(CONFIG);
    const s = new LineSplitter();
    e.feed(s.push(Buffer.from(`${line('2026-04-08T10:00:00Z')}\n`)), 0, 'log.ndjson');
    return encodeCheckpoint(checkpointOf(e, s), Date.parse('2026-04-08T11:00:00Z'));
  };

  it('is versioned and checksummed', () => {
    const text = good();
    const header = JSON.parse(text.slice(0, text.indexOf('\n'))) as Record<string, unknown>;
    expect(header).toMatchObject({ format: 'syncscope-checkpoint', version: 4 });
    expect(header.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(() => decodeCheckpoint(text)).not.toThrow();
  });

  it.each([
    ['garbage', () => 'garbage{', /no header line|not JSON/],
    ['a truncated file', () => good().slice(0, 300), /checksum|not JSON/],
    ['an edited body', () => good().replace('"read":1', '"read":9'), /checksum/],
    ['another format version', () => good().replace('"version":4', '"version":5'), /version 5 is not supported/],
    ['a version 3 file (no state for the health, top errors, latency and trend)', () => good().replace('"version":4', '"version":3'), /version 3 is not supported/],
    ['a version 2 file (its outputs had resolved alerts as files)', () => good().replace('"version":4', '"version":2'), /version 2 is not supported/],
    ['a version 1 file (it kept raw rows and dedup memory)', () => good().replace('"version":4', '"version":1'), /version 1 is not supported/],
    ['another state layout', () => good().replace(/"state_shape":"[0-9a-f]+"/, '"state_shape":"0000"'), /keeps its state differently/],
    ['empty', () => '', /no header line/],
  ])('rejects %s with a reason', (_name, make, reason) => {
    let err: unknown;
    try {
      decodeCheckpoint(make());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(reason);
  });

  it('rejects a well-formed file whose counts are not counts', () => {
    const text = good();
    const body = text.slice(text.indexOf('\n') + 1).trimEnd().replace('"read":1', '"read":-1');
    const header = JSON.parse(text.slice(0, text.indexOf('\n'))) as Record<string, unknown>;
    header.sha256 = createHash('sha256').update(body).digest('hex');
    expect(() => decodeCheckpoint(`${JSON.stringify(header)}\n${body}\n`)).toThrow(/engine\.health\.read/);
  });

  it('loadCheckpoint moves a corrupt file aside and says why; a good one loads', () => {
    const dir = join(tmp(), '.syncscope');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, CHECKPOINT_FILE), '{"not": "a checkpoint"');
    const clock = Date.parse('2026-04-08T12:00:00Z');
    const r = loadCheckpoint(dir, CONFIG, clock, (st) => trialEngineState(st, CONFIG, clock));
    expect(r.kind).toBe('corrupt');
    if (r.kind !== 'corrupt') return;
    expect(r.movedTo).toBe(join(dir, `${CHECKPOINT_FILE}.corrupt-20260408T120000Z`));
    expect(readFileSync(r.movedTo!, 'utf8')).toBe('{"not": "a checkpoint"');
    expect(existsSync(join(dir, CHECKPOINT_FILE))).toBe(false);
    expect(loadCheckpoint(dir, CONFIG, clock, (st) => trialEngineState(st, CONFIG, clock)).kind).toBe('none');

    const e = new Engine(CONFIG);
    const s = new LineSplitter();
    e.feed(s.push(Buffer.from(`${line('2026-04-08T10:00:00Z')}\n`)), 0, 'log.ndjson');
    saveCheckpoint(dir, checkpointOf(e, s), clock);
    const ok = loadCheckpoint(dir, CONFIG, clock, (st) => trialEngineState(st, CONFIG, clock));
    expect(ok.kind).toBe('ok');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

describe('config that changes numbers', () => {
  it('lists each differing setting', () => {
    const a = configKey(CONFIG);
    expect(diffConfig(a, configKey({ ...CONFIG }))).toEqual([]);
    const b = configKey({
      ...CONFIG,
      nowPolicy: { kind: 'latest' },
      cluster: { failures: 5, windowMs: 600_000 },
      prices: { ...DEFAULT_PRICES, egressCentsPerGiB: rational(3n, 2n) },
    });
    expect(diffConfig(a, b)).toEqual([
      '--alert-failures: 3 → 5',
      '--egress-usd-per-gib (cents/GiB): 1 → 3/2',
      '--now: 2026-04-09T00:00:00Z → latest',
    ]);
  });
});
