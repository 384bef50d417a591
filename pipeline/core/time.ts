import * as z from 'zod';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(year: number, month1: number): number {
  return month1 === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month1 - 1] as number);
}

const isoDatetime = z.iso.datetime({ offset: true });

/** RFC 3339 §5.6 allows a lowercase `t` and `z`; zod's ISO check wants them upper-case. */
function upperTz(s: string): string {
  return s.replace(/[tz]/g, (c) => c.toUpperCase());
}

/** True when zod's RFC 3339 check (offset allowed, lowercase t/z too) accepts `s`. */
export function isRfc3339(s: string): boolean {
  return isoDatetime.safeParse(upperTz(s)).success;
}

/** The digit at i, or NaN: NaN poisons every sum and fails every range check after it. */
function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
}

function two(s: string, i: number): number {
  return digit(s, i) * 10 + digit(s, i + 1);
}

/** A string holding an RFC 3339 timestamp, read as epoch ms (for files syncscope wrote). */
export const instantMs = z.string().transform((s, ctx) => {
  const ms = parseTs(s);
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: 'custom', message: `not an RFC 3339 timestamp: ${JSON.stringify(s)}` });
    return z.NEVER;
  }
  return ms;
});

/**
 * Parses RFC 3339 (as zod's `iso.datetime({ offset: true })` accepts it) to epoch ms, or NaN.
 * The common `YYYY-MM-DDTHH:MM:SS[.fff]Z` layout is parsed by hand; anything else goes through
 * zod and Date.parse, so the two agree by construction on the unusual cases.
 */
export function parseTs(s: string): number {
  const n = s.length;
  if (n >= 20 && n <= 30 && s.charCodeAt(n - 1) === 90 /* Z */ && s.charCodeAt(16) === 58) {
    // Rows come in bursts within the same minute: reuse the parsed `YYYY-MM-DDTHH:MM` prefix.
    let base: number;
    if (s.startsWith(lastMinutePrefix)) base = lastMinuteMs;
    else {
      base = parseMinutePrefix(s);
      if (base === base) {
        lastMinutePrefix = s.slice(0, 16);
        lastMinuteMs = base;
      }
    }
    if (base === base) {
      const se = two(s, 17);
      let ms = 0;
      let ok = se >= 0 && se <= 59;
      if (ok && n > 20) {
        // Fraction: '.' then at least one digit; milliseconds are its first three digits.
        ok = s.charCodeAt(19) === 46 && n > 21;
        for (let i = 20; ok && i < n - 1; i++) {
          const c = digit(s, i);
          if (c !== c) ok = false;
          else if (i < 23) ms += c * (i === 20 ? 100 : i === 21 ? 10 : 1);
        }
      }
      if (ok) return base + se * 1000 + ms;
    }
  }
  if (!isRfc3339(s)) return NaN;
  return Date.parse(upperTz(s));
}

let lastMinutePrefix = '\u0000never';
let lastMinuteMs = 0;

/** `YYYY-MM-DDTHH:MM` (validated, years from 1970) to epoch ms, or NaN. */
function parseMinutePrefix(s: string): number {
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58) return NaN;
  const y = two(s, 0) * 100 + two(s, 2);
  const mo = two(s, 5);
  const d = two(s, 8);
  const h = two(s, 11);
  const mi = two(s, 14);
  const ok = y >= 1970 && mo >= 1 && mo <= 12 && d >= 1 && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 &&
    d <= daysInMonth(y, mo);
  return ok ? Date.UTC(y, mo - 1, d, h, mi, 0, 0) : NaN;
}

/** RFC 3339 in UTC, seconds precision unless the instant has milliseconds. */
export function formatTs(ms: number): string {
  // Timestamps come in bursts within a minute (a cluster's entries, a day's buckets): format
  // `YYYY-MM-DDTHH:MM:` once per minute; only years 0000–9999 and whole milliseconds take this way.
  if (!Number.isInteger(ms)) return isoSeconds(new Date(ms).toISOString());
  const minute = Math.floor(ms / 60_000);
  if (minute !== formattedMinute) {
    const iso = new Date(ms).toISOString();
    if (iso.length !== 24) return isoSeconds(iso);
    formattedMinute = minute;
    minutePrefix = iso.slice(0, 17);
  }
  const inMinute = ms - minute * 60_000;
  const sec = Math.floor(inMinute / 1000);
  const milli = inMinute - sec * 1000;
  const ss = sec < 10 ? `0${sec}` : `${sec}`;
  if (milli === 0) return `${minutePrefix}${ss}Z`;
  return `${minutePrefix}${ss}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

let formattedMinute = NaN;
let minutePrefix = '';

/** An ISO string without `.000` when the milliseconds are zero. */
function isoSeconds(iso: string): string {
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
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

/** Parses `500ms`, `30s`, `10m`, `1h`, `2d` to ms; NaN when malformed or without a unit (`5` could mean anything). */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return NaN;
  const unit = UNIT_MS[m[2] as string] as number;
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
  if (Number.isNaN(ms)) throw new Error(`--now: must be an RFC 3339 timestamp with Z or an offset, or "latest"; got "${text}"`);
  return { kind: 'fixed', ms };
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A machine whose last successful push is older than this before NOW is stale (SPEC §3, §7). */
export const STALE_MACHINE_MS = DAY;

/** `3d 4h`, `2h 5m`, `7m`, `12s`: a short human duration. */
export function humanDuration(ms: number): string {
  const a = Math.abs(ms);
  if (a >= DAY) {
    const d = Math.floor(a / DAY);
    const h = Math.floor((a % DAY) / HOUR);
    return h > 0 ? `${d}d ${h}h` : `${d}d`;
  }
  if (a >= HOUR) {
    const h = Math.floor(a / HOUR);
    const m = Math.floor((a % HOUR) / MINUTE);
    return m > 0 ? `${h}h ${m}m` : `${h}h`;
  }
  if (a >= MINUTE) return `${Math.floor(a / MINUTE)}m`;
  return `${Math.floor(a / 1000)}s`;
}
