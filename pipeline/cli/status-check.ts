import type { TallyMetadata } from '../core/kv-store.js';
import { TENANT_KEY_PREFIX } from '../core/kv-store.js';
import { computeStatus, type StatusBody, type StatusInput } from '../core/status.js';
import { stateLayout } from '../core/layout.js';
import { FileKv, listAll } from '../../sinks/kv/file-kv.js';

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
