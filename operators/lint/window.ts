import { type RowBatch } from '../../pipeline/core/columns.js';

/**
 * The row lints' window (`lint --since`): only findings about rows with ts > NOW − since are
 * reported (future rows included). State lints report with no row time and are never cut.
 *
 * With a fixed NOW the start is known before the scan. With `--now latest` NOW is the newest
 * row, known only at the end; the newest row seen so far gives a start that can only grow, so a
 * finding at or before it is out for good and the rest wait (see `report` in common.ts) until
 * the scan settles them against the final start.
 */
export class RowWindow {
  private newest = -Infinity;

  /** `sinceMs` Infinity = the whole input; `fixedNow` null = NOW is the newest row. */
  constructor(readonly sinceMs: number, private readonly fixedNow: number | null) {}

  /** Called with every batch of valid rows before the lints see it (--now latest). */
  see(rows: RowBatch): void {
    if (this.fixedNow !== null) return;
    const t = rows.t;
    for (let i = 0; i < t.length; i++) if (t[i]! > this.newest) this.newest = t[i]!;
  }

  /** Rows at or before this are out of the window: final when `settled`, else a lower bound. */
  get start(): number {
    if (this.sinceMs === Infinity) return -Infinity;
    return (this.fixedNow ?? this.newest) - this.sinceMs;
  }

  get settled(): boolean {
    return this.sinceMs === Infinity || this.fixedNow !== null;
  }

  /** The window's start for the final NOW. */
  startAt(now: number): number {
    return this.sinceMs === Infinity ? -Infinity : now - this.sinceMs;
  }
}

/** Every row: what in-process callers that judge the whole input pass. */
export const WHOLE_INPUT = new RowWindow(Infinity, null);
