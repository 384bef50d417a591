import { type TallyMetadata, TENANT_KEY_PREFIX } from '../core/kv-store.js';
import { computeStatus, type StatusBody, type StatusInput } from '../core/status.js';
import { stateLayout } from '../core/layout.js';
import { FileKv, listAll } from '../../sinks/kv/file-kv.js';
import * as z from 'zod';
import { CommonOptions, nowPolicyFrom, parseOrUsage } from './options.js';

function isTallyMetadata(m: unknown): m is TallyMetadata {
  return typeof m === 'object' && m !== null && typeof (m as TallyMetadata).updated_at === 'string' &&
    typeof (m as TallyMetadata).failing === 'boolean';
}

/** SPEC §5 status from the embedded KV, reading only list() metadata like the Worker does. */
export async function statusFromFileKv(stateDir: string, checkedAt: number): Promise<StatusBody> {
  const kv = new FileKv(stateLayout(stateDir).kvDir);
  const keys = await listAll(kv, TENANT_KEY_PREFIX);
  const inputs: StatusInput[] = [];
  for (const k of keys) if (isTallyMetadata(k.metadata)) inputs.push(k.metadata);
  return computeStatus(inputs, checkedAt);
}

/** `syncscope status`: commander has parsed the flags (commands.ts). */
export async function statusCommand(raw: Record<string, unknown>): Promise<void> {
  const o = parseOrUsage(CommonOptions.extend({ format: z.enum(['text', 'json']), strict: z.boolean() }), raw);
  const policy = nowPolicyFrom(o.now);
  const checkedAt = policy.kind === 'fixed' ? policy.ms : Date.now();
  const status = await statusFromFileKv(o.state, checkedAt);
  if (o.format === 'json') process.stdout.write(`${JSON.stringify(status)}\n`);
  else {
    process.stdout.write(`status: ${status.status}\nfailing: ${status.failing} of ${status.total} active tenants (ratio ${status.ratio.toFixed(4)}, degraded above ${status.threshold})\nchecked_at: ${status.checked_at}\n`);
    if (status.status === 'no_data') process.stdout.write(`no tenant tally in ${o.state} was written within the 24h before checked_at: check --state (and --now)\n`);
  }
  if (o.strict && status.status !== 'ok') process.exitCode = 1;
}
