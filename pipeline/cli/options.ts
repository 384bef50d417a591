import { statSync, existsSync, readFileSync } from 'node:fs';
import * as z from 'zod';
import { inWords, isOsError, singleLine, UsageError } from '../core/io-error.js';
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

/**
 * A duration flag or config value: a number with a unit (500ms, 30s, 10m, 1h, 2d). A bare number
 * is refused with a hint, never guessed to be seconds. The message leaves out where the value came
 * from: the caller names the flag or the config file's key.
 */
export function durationProblem(text: string, minMs: number): string | null {
  if (/^\s*\d+(\.\d+)?\s*$/.test(text)) return `"${text}" has no unit: add one, like ${text.trim()}s (units: ms, s, m, h, d)`;
  const ms = parseDuration(text);
  if (!Number.isFinite(ms)) return `must be a duration like 30s, 5m or 1h (units: ms, s, m, h, d); got "${text}"`;
  if (ms < minMs) return `must be at least ${minMs / 1000}s; got "${text}"`;
  return null;
}

const duration = (minMs: number) =>
  z.string().transform((text, ctx) => {
    const problem = durationProblem(text, minMs);
    if (problem !== null) {
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    return parseDuration(text);
  });

const positiveInt = () =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const n = typeof v === 'number' ? v : /^\d+$/.test(v.trim()) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) {
      ctx.addIssue({ code: 'custom', message: `must be a whole number ≥ 1; got "${v}"` });
      return z.NEVER;
    }
    return n;
  });

/** A TCP port to listen on; 0 lets the system pick a free one. */
const port = () =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const n = typeof v === 'number' ? v : /^\d+$/.test(v.trim()) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      ctx.addIssue({ code: 'custom', message: `must be a port number from 1 to 65535 (or 0: any free port); got "${v}"` });
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
  tenant: z.string().min(1, 'must not be empty').default('default'),
  maxLateness: duration(0).default(5 * 60_000),
  alertFailures: positiveInt().default(3),
  alertWindow: duration(1000).default(10 * 60_000),
  tick: duration(1000).default(30_000),
  priceBaseUsd: z.string().optional(),
  egressIncluded: z.string().optional(),
  egressUsdPerGib: z.string().optional(),
  config: z.string().optional(),
  follow: z.string().optional(),
  kvUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL like https://status.example.com' }).optional(),
  rebuild: z.boolean().default(false),
  threads: positiveInt().optional(),
  progress: z.boolean().default(true),
  metricsPort: port().optional(),
  metricsHost: z.string().min(1, 'must not be empty').optional(),
});

export type RunCliOptions = z.output<typeof RunOptionsSchema>;

/** The config file's keys and JSON types; values are checked by ConfigValues, naming the key. */
const ConfigFile = z.strictObject({
  price_base_usd: z.union([z.string(), z.number()]).optional(),
  egress_included: z.union([z.string(), z.number()]).optional(),
  egress_usd_per_gib: z.union([z.string(), z.number()]).optional(),
  alert_failures: z.number().optional(),
  alert_window: z.string().optional(),
  max_lateness: z.string().optional(),
  tenant: z.string().optional(),
});

const ConfigValues = z.object({
  alert_failures: positiveInt().optional(),
  alert_window: duration(1000).optional(),
  max_lateness: duration(0).optional(),
  tenant: z.string().min(1, 'must not be empty').optional(),
});

interface Config {
  readonly path: string;
  readonly values: z.output<typeof ConfigFile>;
}

/** "--alert-window" for the path ["alertWindow"]. */
const flagOf = (key: PropertyKey): string => `--${String(key).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Formats zod issues as one line per problem, each `--flag: why`. */
export function describeIssues(err: z.ZodError): string {
  return err.issues.map((i) => (i.path.length > 0 && !i.message.startsWith('-') ? `${flagOf(i.path[0] as PropertyKey)}: ${i.message}` : i.message)).join('\n');
}

export function parseOrUsage<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (!r.success) throw new UsageError(describeIssues(r.error));
  return r.data;
}

/** Where a config file's problems are told: `config ./x.json: alert_window: …`. */
const inConfig = (path: string, key?: string): string => `config ${path}${key === undefined ? '' : `: ${key}`}`;

function readConfig(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (isOsError(err)) throw new UsageError(`${inConfig(path)}: ${inWords(err)}`);
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${inConfig(path)}: not valid JSON (${singleLine((err as Error).message)})`);
  }
  const r = ConfigFile.safeParse(raw);
  if (!r.success) throw new UsageError(configIssues(path, r.error));
  const checked = ConfigValues.safeParse(r.data);
  if (!checked.success) throw new UsageError(configIssues(path, checked.error));
  return { path, values: r.data };
}

function configIssues(path: string, err: z.ZodError): string {
  return err.issues.map((i) => `${inConfig(path, i.path.length > 0 ? i.path.join('.') : undefined)}: ${i.message}`).join('\n');
}

function pricesFrom(o: RunCliOptions, cfg: Config | null): Prices {
  /** The flag's value if given, else the config file's; `label` says which, for messages. */
  const pick = (flagValue: string | undefined, flag: string, key: 'price_base_usd' | 'egress_included' | 'egress_usd_per_gib') => {
    if (flagValue !== undefined) return { text: flagValue, label: flag };
    const v = cfg?.values[key];
    return v === undefined || cfg === null ? undefined : { text: String(v), label: inConfig(cfg.path, key) };
  };
  const base = pick(o.priceBaseUsd, '--price-base-usd', 'price_base_usd');
  const included = pick(o.egressIncluded, '--egress-included', 'egress_included');
  const perGib = pick(o.egressUsdPerGib, '--egress-usd-per-gib', 'egress_usd_per_gib');
  const money = (v: { text: string; label: string }) => {
    try {
      return usdToCents(v.text);
    } catch {
      throw new UsageError(`${v.label}: must be a non-negative decimal amount in USD like 5.00; got "${v.text}"`);
    }
  };
  let includedBytes = DEFAULT_PRICES.includedEgressBytes;
  if (included !== undefined) {
    includedBytes = parseBytes(included.text);
    if (Number.isNaN(includedBytes)) throw new UsageError(`${included.label}: must be a number of bytes, or a size with a unit (B, KiB, MiB, GiB, TiB) like 1TiB; got "${included.text}"`);
  }
  return {
    baseCentsPerMonth: base === undefined ? DEFAULT_PRICES.baseCentsPerMonth : money(base),
    includedEgressBytes: includedBytes,
    egressCentsPerGiB: perGib === undefined ? DEFAULT_PRICES.egressCentsPerGiB : money(perGib),
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
  const cfg = first.config !== undefined ? readConfig(first.config) : null;
  const merged = {
    ...raw,
    tenant: raw.tenant ?? cfg?.values.tenant,
    alertFailures: raw.alertFailures ?? cfg?.values.alert_failures,
    alertWindow: raw.alertWindow ?? cfg?.values.alert_window,
    maxLateness: raw.maxLateness ?? cfg?.values.max_lateness,
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
