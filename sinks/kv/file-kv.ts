import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KvListOptions, KvListResult, KvStore } from '../../pipeline/kv-store.js';
import { writeFileAtomic } from '../atomic-write.js';

interface Entry {
  value: string;
  metadata?: unknown;
}

/** Key → file name that is safe on any filesystem and sorts like the key. */
function fileOf(key: string): string {
  return `${Buffer.from(key, 'utf8').toString('hex')}.json`;
}

function keyOf(file: string): string | null {
  if (!/^([0-9a-f]{2})+\.json$/.test(file)) return null;
  return Buffer.from(file.slice(0, -5), 'hex').toString('utf8');
}

/**
 * The embedded ALERTS backend: one JSON file per key under `state/kv/ALERTS/`. Each put is a
 * whole-file atomic rename, so two writer processes can race without a torn or half file;
 * the last rename wins, as in Workers KV. Keys are listed in byte order with a cursor.
 */
export class FileKv implements KvStore {
  constructor(private readonly dir: string) {}

  async get(key: string): Promise<string | null> {
    const e = this.read(key);
    return e === null ? null : e.value;
  }

  async getWithMetadata(key: string): Promise<Entry | null> {
    return this.read(key);
  }

  async put(key: string, value: string, options?: { readonly metadata?: unknown }): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const entry: Entry = options?.metadata === undefined ? { value } : { value, metadata: options.metadata };
    writeFileAtomic(join(this.dir, fileOf(key)), JSON.stringify(entry));
  }

  async list(options: KvListOptions = {}): Promise<KvListResult> {
    const prefix = options.prefix ?? '';
    const limit = Math.max(1, Math.min(options.limit ?? 1000, 1000));
    const names = existsSync(this.dir)
      ? readdirSync(this.dir).map(keyOf).filter((k): k is string => k !== null && k.startsWith(prefix))
      : [];
    names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const after = options.cursor === undefined ? null : Buffer.from(options.cursor, 'base64url').toString('utf8');
    const start = after === null ? 0 : names.findIndex((n) => Buffer.compare(Buffer.from(n), Buffer.from(after)) > 0);
    const page = start < 0 ? [] : names.slice(start, start + limit);
    const keys = page.map((name) => {
      const e = this.read(name);
      return e?.metadata === undefined ? { name } : { name, metadata: e.metadata };
    });
    const complete = start < 0 || start + limit >= names.length;
    const last = page[page.length - 1];
    return complete || last === undefined
      ? { keys, list_complete: true }
      : { keys, list_complete: false, cursor: Buffer.from(last, 'utf8').toString('base64url') };
  }

  private read(key: string): Entry | null {
    const path = join(this.dir, fileOf(key));
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return null;
    }
    const o = JSON.parse(text) as Entry;
    return typeof o.value === 'string' ? o : null;
  }
}

/** Every key with metadata under a prefix, following the cursor. */
export async function listAll(kv: KvStore, prefix: string): Promise<Array<{ name: string; metadata?: unknown }>> {
  const out: Array<{ name: string; metadata?: unknown }> = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await kv.list(cursor === undefined ? { prefix } : { prefix, cursor });
    out.push(...page.keys);
    if (page.list_complete || page.cursor === undefined) return out;
    cursor = page.cursor;
  }
}
