import { statSync, existsSync, readFileSync } from 'node:fs';
import * as z from 'zod';
import { UsageError } from '../core/io-error.js';
import { usdToCents, DEFAULT_PRICES, type Prices } from '../core/money.js';
import { parseDuration, parseNowOption, type NowPolicy } from '../core/time.js';
import { type EngineConfig } from '../state/engine-state.js';

/** A missing or unreadable input is a usage error (exit 2), stated plainly. */
export function checkInput(path: string): void {
  if (path === '-') return;
  if (!existsSync(path)) throw new UsageError(`input file not found: ${path}`);
  const st = statSync(path);
  if (!st.isFile()) throw new UsageError(`input is not a regular file: ${path}`);
}

const duration = (flag: string, minMs: number) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (!Number.isFinite(ms) || ms < minMs) {
      ctx.addIssue({ code: 'custom', message: `${flag} must be a duration like 30s, 5m or 1h (at least ${minMs / 1000}s); got "${text}"` });
      return z.NEVER;
    }
    return ms;
  });

const positiveInt = (flag: string) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const n = typeof v === 'number' ? v : /^\d+$/.test(v.trim()) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) {
      ctx.addIssue({ code: 'custom', message: `${flag} must be a whole number ≥ 1; got "${v}"` });
      return z.NEVER;
    }
    return n;
  });

const BYTE_UNITS: Record<string, number> = { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 };

export function parseBytes(text: string): number {
  const m = /^(\d+)\s*(B|KiB|MiB|GiB|TiB)?$/.exec(text.trim());
  if (!m) return NaN;
  const n = Number(m[1]) * (BYTE_UNITS[m[2] ?? 'B'] as number);
  return Number.isSafeInteger(n) ? n : NaN;
}

/** Options shared by every command. */
export const CommonOptions = z.object({
  state: z.string().min(1).default('./state'),
  now: z.string().optional(),
});

/** `run` options after commander, validated strictly; flags override the config file. */
export const RunOptionsSchema = CommonOptions.extend({
  tenant: z.string().min(1, '--tenant must not be empty').default('default'),
  maxLateness: duration('--max-lateness', 0).default(5 * 60_000),
  alertFailures: positiveInt('--alert-failures').default(3),
  alertWindow: duration('--alert-window', 1000).default(10 * 60_000),
  tick: duration('--tick', 1000).default(30_000),
  priceBaseUsd: z.string().optional(),
  egressIncluded: z.string().optional(),
  egressUsdPerGib: z.string().optional(),
  config: z.string().optional(),
  follow: z.string().optional(),
  kvUrl: z.url({ message: '--kv-url must be an http(s) URL' }).optional(),
  rebuild: z.boolean().default(false),
  threads: positiveInt('--threads').optional(),
  progress: z.boolean().default(true),
});

export type RunCliOptions = z.output<typeof RunOptionsSchema>;

const ConfigFile = z.strictObject({
  price_base_usd: z.union([z.string(), z.number()]).optional(),
  egress_included: z.union([z.string(), z.number()]).optional(),
  egress_usd_per_gib: z.union([z.string(), z.number()]).optional(),
  alert_failures: z.number().optional(),
  alert_window: z.string().optional(),
  max_lateness: z.string().optional(),
  tenant: z.string().optional(),
});

/** Formats zod issues as one line per problem, flag first. */
export function describeIssues(err: z.ZodError): string {
  return err.issues.map((i) => (i.path.length > 0 && !i.message.startsWith('-') ? `--${String(i.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${i.message}` : i.message)).join('\n');
}

export function parseOrUsage<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (!r.success) throw new UsageError(describeIssues(r.error));
  return r.data;
}

function readConfig(path: string): z.output<typeof ConfigFile> {
  if (!existsSync(path)) throw new UsageError(`--config: no such file: ${path}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`--config: ${path} is not valid JSON (${(err as Error).message})`);
  }
  const r = ConfigFile.safeParse(raw);
  if (!r.success) throw new UsageError(`--config: ${path}: ${r.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

function pricesFrom(o: RunCliOptions, cfg: z.output<typeof ConfigFile>): Prices {
  const base = o.priceBaseUsd ?? (cfg.price_base_usd === undefined ? undefined : String(cfg.price_base_usd));
  const included = o.egressIncluded ?? (cfg.egress_included === undefined ? undefined : String(cfg.egress_included));
  const perGib = o.egressUsdPerGib ?? (cfg.egress_usd_per_gib === undefined ? undefined : String(cfg.egress_usd_per_gib));
  const money = (flag: string, text: string) => {
    try {
      return usdToCents(text);
    } catch {
      throw new UsageError(`${flag} must be a non-negative decimal amount in USD like 5.00; got "${text}"`);
    }
  };
  let includedBytes = DEFAULT_PRICES.includedEgressBytes;
  if (included !== undefined) {
    includedBytes = parseBytes(included);
    if (Number.isNaN(includedBytes)) throw new UsageError(`--egress-included must be bytes, optionally with a unit (B, KiB, MiB, GiB, TiB), like 1TiB; got "${included}"`);
  }
  return {
    baseCentsPerMonth: base === undefined ? DEFAULT_PRICES.baseCentsPerMonth : money('--price-base-usd', base),
    includedEgressBytes: includedBytes,
    egressCentsPerGiB: perGib === undefined ? DEFAULT_PRICES.egressCentsPerGiB : money('--egress-usd-per-gib', perGib),
  };
}

export function nowPolicyFrom(now: string | undefined): NowPolicy {
  try {
    return parseNowOption(now);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Merges the config file under the flags and builds the engine config. */
export function engineConfigFrom(raw: Record<string, unknown>): { cli: RunCliOptions; engine: EngineConfig } {
  const first = parseOrUsage(RunOptionsSchema, raw);
  const cfg = first.config !== undefined ? readConfig(first.config) : {};
  const merged = {
    ...raw,
    tenant: raw.tenant ?? cfg.tenant,
    alertFailures: raw.alertFailures ?? cfg.alert_failures,
    alertWindow: raw.alertWindow ?? cfg.alert_window,
    maxLateness: raw.maxLateness ?? cfg.max_lateness,
  };
  const cli = parseOrUsage(RunOptionsSchema, merged);
  return {
    cli,
    engine: {
      nowPolicy: nowPolicyFrom(cli.now),
      maxLatenessMs: cli.maxLateness,
      defaultTenant: cli.tenant,
      cluster: { failures: cli.alertFailures, windowMs: cli.alertWindow },
      prices: pricesFrom(cli, cfg),
    },
  };
}
