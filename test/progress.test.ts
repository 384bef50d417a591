// The progress line's words (pipeline/cli/progress.ts): rows/s, ETA, the stdin variant, the
// sliding-window rate, and when a line is drawn at all. The drawing itself is tested on a
// pseudo-terminal in run-output.e2e.test.ts.
import { describe, expect, it } from 'vitest';
import { RateMeter, count, drawsProgress, etaText, progressText } from '../pipeline/cli/progress.js';

const MiB = 2 ** 20;

describe('progressText', () => {
  it('a file: %, MiB read of the size, rows, rows/s and ETA', () => {
    expect(progressText({ rows: 312_000, bytes: 120 * MiB, total: 286 * MiB, rowsPerSec: 95_123.6, bytesPerSec: 10 * MiB }))
      .toBe('41% | 120/286 MiB | 312,000 rows | 95,124 rows/s | ETA 0:17');
  });

  it('stdin (no size): rows read and rows/s, no % and no ETA', () => {
    expect(progressText({ rows: 12_345, bytes: 4 * MiB, total: null, rowsPerSec: 2100, bytesPerSec: MiB })).toBe('12,345 rows read | 2,100 rows/s');
  });

  it('an empty file is 100%; a run without a rate yet has no ETA', () => {
    expect(progressText({ rows: 0, bytes: 0, total: 0, rowsPerSec: 0, bytesPerSec: 0 })).toBe('100% | 0/0 MiB | 0 rows | 0 rows/s | ETA --:--');
  });
});

describe('etaText', () => {
  it('m:ss under an hour, h:mm:ss beyond, rounded up to the next second', () => {
    expect(etaText(0, 100)).toBe('0:00');
    expect(etaText(1, 100)).toBe('0:01');
    expect(etaText(4200, 100)).toBe('0:42');
    expect(etaText(72_500, 100)).toBe('12:05');
    expect(etaText(372_300, 100)).toBe('1:02:03');
  });

  it('no rate, or no size: --:--', () => {
    expect(etaText(100, 0)).toBe('--:--');
    expect(etaText(100, Number.NaN)).toBe('--:--');
    expect(etaText(Number.POSITIVE_INFINITY, 10)).toBe('--:--');
  });

  it('count: thousands separators whatever the locale', () => {
    expect(count(1_234_567.4)).toBe('1,234,567');
    expect(count(999)).toBe('999');
  });
});

describe('RateMeter', () => {
  it('rates since the start until the window fills, then over the last 5 s', () => {
    const m = new RateMeter(0);
    m.record(1000, { bytes: 1000, total: 10_000, rows: 100 });
    expect(m.view(1000)).toMatchObject({ rows: 100, rowsPerSec: 100, bytesPerSec: 1000 });
    for (let t = 2000; t <= 10_000; t += 1000) m.record(t, { bytes: t, total: 10_000, rows: t / 10 + (t > 5000 ? (t - 5000) / 5 : 0) });
    // From 5 s to 10 s: 500 rows of the steady 100/s plus 1000 more.
    expect(m.view(10_000).rowsPerSec).toBe(300);
  });

  it('a stream that goes quiet drops to 0 rows/s (the line keeps redrawing without new reads)', () => {
    const m = new RateMeter(0);
    m.record(500, { bytes: 10, total: null, rows: 50 });
    expect(m.view(1000).rowsPerSec).toBe(50);
    expect(m.view(60_000).rowsPerSec).toBe(0);
    expect(m.view(60_000).rows).toBe(50);
  });

  it('reads closer together than a sample keep the newest numbers without a new sample', () => {
    const m = new RateMeter(0);
    m.record(1000, { bytes: 1, total: null, rows: 10 });
    m.record(1100, { bytes: 2, total: null, rows: 20 });
    expect(m.view(2000)).toMatchObject({ rows: 20, rowsPerSec: 10 });
  });
});

describe('drawsProgress', () => {
  const base = { wanted: true, quiet: false, isTTY: true, term: 'xterm-256color' };
  it('only on a terminal that can redraw a line, when asked for and not quiet', () => {
    expect(drawsProgress(base)).toBe(true);
    expect(drawsProgress({ ...base, term: undefined })).toBe(true);
    expect(drawsProgress({ ...base, isTTY: false })).toBe(false);
    expect(drawsProgress({ ...base, term: 'dumb' })).toBe(false);
    expect(drawsProgress({ ...base, quiet: true })).toBe(false);
    expect(drawsProgress({ ...base, wanted: false })).toBe(false);
  });
});
