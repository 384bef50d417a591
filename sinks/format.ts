import type { Exact } from '../pipeline/core/exact.js';

/** Presentation helpers shared by the renderers. Formatting only: no numbers are derived here. */
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

export function humanBytes(n: Exact): string {
  let v = Number(n);
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${UNITS[u]}`;
}

/** An exact integer with thousands separators: 12,483. */
export function grouped(n: Exact): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Exact bytes with separators, then human units: `12,483 B (12.2 KiB)`. */
export function bytesBoth(n: Exact): string {
  const human = humanBytes(n);
  return human.endsWith(' B') ? human : `${grouped(n)} B (${human})`;
}

/** Relative change from `prev` to `cur`: `+12.5%`, `-3.0%`, `0.0%`, or `new` when prev is 0. */
export function change(cur: Exact, prev: Exact): string {
  const c = Number(cur);
  const p = Number(prev);
  if (p === 0) return c === 0 ? '–' : 'new';
  const pct = ((c - p) * 100) / p;
  return `${pct > 0 ? '+' : ''}${pct.toFixed(1)}%`;
}

export function usd(cents: number): string {
  const whole = Math.floor(cents / 100);
  const rest = String(cents % 100).padStart(2, '0');
  return `$${whole.toLocaleString('en-US')}.${rest}`;
}

export function percent(part: number, whole: number): string {
  return whole === 0 ? '–' : `${((part * 100) / whole).toFixed(1)}%`;
}

/** A markdown table cell: pipes and newlines would break the table. */
export function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function table(header: string[], rows: string[][]): string {
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

const BARS = '▁▂▃▄▅▆▇█';

/** One-line unicode sparkline, scaled to the largest value. */
export function sparkline(values: number[]): string {
  const max = Math.max(0, ...values);
  return values
    .map((v) => (max === 0 ? BARS[0] : BARS[Math.min(BARS.length - 1, Math.floor((v / max) * (BARS.length - 1)))]))
    .join('');
}
