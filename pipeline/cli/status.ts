import { type TallyMetadata, TENANT_KEY_PREFIX } from '../core/kv-store.js';
import { computeStatus, type StatusBody, type StatusInput } from '../core/status.js';
import { stateLayout } from '../core/layout.js';
import { FileKv, listAll } from '../../sinks/kv/file-kv.js';
import { fetchStatus, StatusFetchError } from '../../sinks/kv/http-kv.js';
import { UsageError } from '../core/io-error.js';
import * as z from 'zod';
import { CommonOptions, nowPolicyFrom, parseOrUsage } from './options.js';

function isTallyMetadata(m: unknown): m is TallyMetadata {
  return typeof m === 'object' && m !== null && typeof (m as TallyMetadata).updated_at === 'string' &&
    typeof (m as TallyMetadata).failing === 'boolean';
}

/** The tenant status (SPEC §5) from the embedded KV, reading only list() metadata like the Worker does. */
export async function statusFromFileKv(stateDir: string, checkedAt: number): Promise<StatusBody> {
  const kv = new FileKv(stateLayout(stateDir).kvDir);
  const keys = await listAll(kv, TENANT_KEY_PREFIX);
  const inputs: StatusInput[] = [];
  for (const k of keys) if (isTallyMetadata(k.metadata)) inputs.push(k.metadata);
  return computeStatus(inputs, checkedAt);
}

const StatusFlags = CommonOptions.extend({
  format: z.enum(['text', 'json']),
  strict: z.boolean(),
  kvUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL like https://status.example.com' }).optional(),
});

/** `syncscope status`: commander has parsed the flags (commands.ts). */
export async function statusCommand(raw: Record<string, unknown>): Promise<void> {
  const o = parseOrUsage(StatusFlags, raw);
  if (o.kvUrl !== undefined && o.now !== undefined) throw new UsageError('status: --now does not apply with --kv-url: the Worker judges by its own clock');
  const status = o.kvUrl === undefined ? await statusFromFileKv(o.state, checkedAtOf(o.now)) : await statusFromWorker(o.kvUrl);
  if (o.format === 'json') process.stdout.write(`${JSON.stringify(status)}\n`);
  else {
    process.stdout.write(`status: ${status.status}\nfailing: ${status.failing} of ${status.total} active tenants (ratio ${status.ratio.toFixed(4)}, degraded above ${status.threshold})\nchecked_at: ${status.checked_at}\n`);
    if (status.status === 'no_data') {
      const where = o.kvUrl === undefined ? `in ${o.state} was written within the 24h before checked_at: check --state (and --now)` : `reached ${o.kvUrl} within the 24h before checked_at: check --kv-url and that runs report to it`;
      process.stdout.write(`no tenant tally ${where}\n`);
    }
  }
  if (o.strict && status.status !== 'ok') process.exitCode = 1;
}

function checkedAtOf(now: string | undefined): number {
  const policy = nowPolicyFrom(now);
  return policy.kind === 'fixed' ? policy.ms : Date.now();
}

/** The Worker's own answer, computed there by the same computeStatus. Unreachable or garbled: exit 2, never a status. */
async function statusFromWorker(kvUrl: string): Promise<StatusBody> {
  try {
    return await fetchStatus(kvUrl);
  } catch (err) {
    if (err instanceof StatusFetchError) throw new UsageError(`status --kv-url: ${err.message}`);
    throw err;
  }
}
