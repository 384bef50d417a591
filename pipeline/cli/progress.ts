import type { ReadProgress } from '../engine/run-loop.js';

/**
 * The progress line on stderr: for a batch over a file, a bar with %, MiB, rows, rows/s and
 * ETA; for stdin and a followed file, rows read and rows/s. Drawn only on a terminal that can
 * redraw a line (not TERM=dumb), never with --quiet or --no-progress, and never in colour.
 * cli-progress is loaded only when a line is drawn: a run from cron or a pipe never pays for it.
 */

/** Rates are taken over the last few seconds, so a stream that goes quiet drops to 0 rows/s. */
const RATE_WINDOW_MS = 5000;
/** The run loop reports after every read step; a sample is kept at most this often. */
const SAMPLE_EVERY_MS = 250;
/** A run that is over sooner never draws (no flash of a bar for a small log). */
const SHOW_AFTER_MS = 1000;
const BAR_WIDTH = 20;

/** What one redraw shows. */
export interface ProgressView {
  readonly rows: number;
  readonly bytes: number;
  /** The file's size in a batch over a file; null for stdin and a followed file. */
  readonly total: number | null;
  readonly rowsPerSec: number;
  readonly bytesPerSec: number;
}

/** Whole numbers with thousands separators, whatever the locale: 1,234,567. */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Time left as m:ss or h:mm:ss; `--:--` while there is no rate to tell. */
export function etaText(remainingBytes: number, bytesPerSec: number): string {
  if (!(bytesPerSec > 0) || !Number.isFinite(remainingBytes)) return '--:--';
  const secs = Math.ceil(Math.max(0, remainingBytes) / bytesPerSec);
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = String(secs % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

const mib = (bytes: number): string => String(Math.round(bytes / 2 ** 20));

/** The words of the line (without the bar). */
export function progressText(v: ProgressView): string {
  const rate = `${count(v.rowsPerSec)} rows/s`;
  if (v.total === null) return `${count(v.rows)} rows read | ${rate}`;
  const pct = v.total === 0 ? 100 : Math.min(100, Math.floor((v.bytes * 100) / v.total));
  return `${pct}% | ${mib(v.bytes)}/${mib(v.total)} MiB | ${count(v.rows)} rows | ${rate} | ETA ${etaText(v.total - v.bytes, v.bytesPerSec)}`;
}

/** Rates over a sliding window of samples of (time, rows, bytes). */
export class RateMeter {
  private readonly samples: Array<{ t: number; rows: number; bytes: number }>;
  private latest: ReadProgress;

  constructor(startedAt: number) {
    this.latest = { bytes: 0, total: null, rows: 0 };
    this.samples = [{ t: startedAt, rows: 0, bytes: 0 }];
  }

  /** Cheap enough for every read step: most calls only keep the numbers. */
  record(t: number, p: ReadProgress): void {
    this.latest = p;
    if (t - (this.samples[this.samples.length - 1] as { t: number }).t < SAMPLE_EVERY_MS) return;
    this.samples.push({ t, rows: p.rows, bytes: p.bytes });
    // Keep one sample at or before the window's start as the baseline.
    while (this.samples.length > 2 && (this.samples[1] as { t: number }).t <= t - RATE_WINDOW_MS) this.samples.shift();
  }

  view(t: number): ProgressView {
    let base = this.samples[0] as { t: number; rows: number; bytes: number };
    for (const s of this.samples) if (s.t <= t - RATE_WINDOW_MS) base = s;
    const secs = (t - base.t) / 1000;
    const p = this.latest;
    return {
      rows: p.rows,
      bytes: p.bytes,
      total: p.total,
      rowsPerSec: secs > 0 ? Math.max(0, p.rows - base.rows) / secs : 0,
      bytesPerSec: secs > 0 ? Math.max(0, p.bytes - base.bytes) / secs : 0,
    };
  }
}

/** Whether a run draws the line: asked for, not quiet, on a terminal that can redraw a line. */
export function drawsProgress(o: { wanted: boolean; quiet: boolean; isTTY: boolean; term: string | undefined }): boolean {
  return o.wanted && !o.quiet && o.isTTY && o.term !== 'dumb';
}

export interface ProgressLine {
  update(p: ReadProgress): void;
  /** Writes a whole line of text (with its newline) above the progress line. */
  print(text: string): void;
  stop(): void;
}

export async function createProgress(): Promise<ProgressLine> {
  const { default: cliProgress } = await import('cli-progress');
  const started = Date.now();
  const meter = new RateMeter(started);
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    fps: 4,
    barsize: BAR_WIDTH,
    clearOnComplete: true,
    // The run handles its own signals and stops the line when it ends.
    gracefulExit: false,
    format: (options, params) => {
      const v = meter.view(Date.now());
      const text = progressText(v);
      return v.total === null ? `syncscope ${text}` : `syncscope ${cliProgress.Format.BarFormat(params.progress, options)} ${text}`;
    },
  }, cliProgress.Presets.shades_classic);
  let shown = false;
  let stopped = false;
  let fraction = 0;
  const show = (): void => {
    if (stopped) return;
    bar.start(1, fraction);
    shown = true;
  };
  const delay = setTimeout(show, SHOW_AFTER_MS);
  delay.unref();
  return {
    update(p) {
      const t = Date.now();
      meter.record(t, p);
      // The bar's own fraction; the words come from the meter at each redraw.
      if (p.total === null || p.total === 0) return;
      fraction = Math.min(1, p.bytes / p.total);
      if (shown) bar.update(fraction);
    },
    print(text) {
      if (!shown) {
        process.stderr.write(text);
        return;
      }
      bar.stop(); // clears the line
      process.stderr.write(text);
      show();
    },
    stop() {
      stopped = true;
      clearTimeout(delay);
      if (shown) bar.stop();
      shown = false;
    },
  };
}
