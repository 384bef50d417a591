/**
 * Time for the generator: a diurnal arrival clock that places exactly N rows over the span,
 * and a small buffer that emits a few rows late (merged logs, clock skew).
 */
const DAY_MS = 86_400_000;
const TWO_PI = 2 * Math.PI;

/**
 * Row i of N lands where the cumulative intensity Λ(t) reaches (i + u)/N of its total, with
 * u uniform in [0, 1): stratified sampling, so the span is filled exactly and times never
 * decrease. Intensity λ(t) = 1 + A·cos(2π(t − peak)/day): busiest at `peakHourUtc`, quietest
 * twelve hours later (λ ranges over [1 − A, 1 + A]).
 */
export class DiurnalClock {
  private readonly span: number;
  private readonly total: number;
  private readonly phase: number;
  private t = 0;

  constructor(
    private readonly startMs: number,
    days: number,
    private readonly rows: number,
    private readonly amplitude = 0.65,
    peakHourUtc = 15,
  ) {
    this.span = days * DAY_MS;
    const startOfDay = ((startMs % DAY_MS) + DAY_MS) % DAY_MS;
    this.phase = peakHourUtc * 3_600_000 - startOfDay;
    this.total = this.cumulative(this.span);
  }

  /** Epoch ms of slot i (0-based); `u` in [0, 1) places it inside its stratum. Call with increasing i. */
  at(i: number, u: number): number {
    const target = ((i + u) / this.rows) * this.total;
    // Newton on the monotone Λ from the previous solution: 1–3 steps, since slots are close.
    let t = this.t;
    for (let k = 0; k < 30; k++) {
      const step = (this.cumulative(t) - target) / this.intensity(t);
      t = Math.min(this.span, Math.max(0, t - step));
      if (Math.abs(step) < 0.5) break;
    }
    this.t = t;
    return this.startMs + t;
  }

  private intensity(t: number): number {
    return 1 + this.amplitude * Math.cos((TWO_PI * (t - this.phase)) / DAY_MS);
  }

  /** Λ(t) = ∫₀ᵗ λ. */
  private cumulative(t: number): number {
    const k = (this.amplitude * DAY_MS) / TWO_PI;
    return t + k * (Math.sin((TWO_PI * (t - this.phase)) / DAY_MS) - Math.sin((TWO_PI * -this.phase) / DAY_MS));
  }
}

/**
 * Holds a few lines back until the in-order stream has moved `delay` past their ts, so each
 * comes out at most `delay` behind the newest ts before it. Holds only rows currently delayed,
 * a handful at any time. An item is a line, or a line with what goes with it (its machine, in
 * a fleet).
 */
export class DelayBuffer<T = string> {
  private held: Array<{ releaseAt: number; item: T }> = [];

  hold(item: T, releaseAt: number): void {
    // Insert sorted by release time (the buffer is tiny; a linear scan is fine).
    let i = this.held.length;
    while (i > 0 && (this.held[i - 1] as { releaseAt: number }).releaseAt > releaseAt) i--;
    this.held.splice(i, 0, { releaseAt, item });
  }

  /** Items due once the stream reaches `t`, oldest due first. */
  *release(t: number): Generator<T> {
    while (this.held.length > 0 && (this.held[0] as { releaseAt: number }).releaseAt <= t) {
      yield (this.held.shift() as { item: T }).item;
    }
  }

  *drain(): Generator<T> {
    yield* this.release(Infinity);
  }
}
