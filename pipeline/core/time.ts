import { DAY_MS, HOUR_MS, parseTs } from '../engine/row-parser.js';

/** RFC 3339 in UTC, seconds precision unless the instant has milliseconds. */
export function formatTs(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, 19)}Z` : iso;
}

/** `YYYY-MM-DD` of a day index (days since the epoch). */
export function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function formatHour(hour: number): string {
  return formatTs(hour * HOUR_MS);
}

/** Compact UTC stamp for file names: `YYYYMMDDTHHMMSSZ`. */
export function compactTs(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: HOUR_MS, d: DAY_MS };

/** Parses `500ms`, `30s`, `10m`, `1h`, `2d` (or a bare number of seconds) to ms; NaN when malformed. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return NaN;
  const unit = UNIT_MS[m[2] ?? 's'] as number;
  return Math.round(Number(m[1]) * unit);
}

/** How NOW is decided (SPEC §2): a fixed instant, the newest row's ts, or the wall clock. */
export type NowPolicy =
  | { readonly kind: 'fixed'; readonly ms: number }
  | { readonly kind: 'latest' }
  | { readonly kind: 'wall' };

/** `--now` value to a policy; undefined means the wall clock. Throws on a malformed value. */
export function parseNowOption(text: string | undefined): NowPolicy {
  if (text === undefined) return { kind: 'wall' };
  if (text === 'latest') return { kind: 'latest' };
  const ms = parseTs(text);
  if (Number.isNaN(ms)) throw new Error(`--now must be an RFC 3339 timestamp with Z or an offset, or "latest"; got "${text}"`);
  return { kind: 'fixed', ms };
}
