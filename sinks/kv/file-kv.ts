import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { KvListOptions, KvListResult, KvStore } from '../../pipeline/core/kv-store.js';
import { writeFileAtomic } from '../../pipeline/core/atomic-write.js';
import { onFile } from '../../pipeline/core/io-error.js';

interface Entry {
  value: string;
  metadata?: unknown;
}

/** What a file holds. `key` is absent in files written before hashed names existed. */
interface StoredEntry extends Entry {
  key?: string;
}

/** Most filesystems allow 255-byte names; 40 bytes stay free for an atomic write's temp suffix. */
const NAME_MAX = 255;
const MAX_FILE_NAME_BYTES = NAME_MAX - 40;
const HEX_NAME = /^([0-9a-f]{2})+\.json$/;
const HASHED_NAME = /^sha256-[0-9a-f]{64}\.json$/;

/**
 * Key → file name, safe on any filesystem and bounded for keys of any length: the hex of the key
 * (readable, and decodable without opening the file) when short enough, else `sha256-<hex>.json`.
 * `legacy` is the hex name such a long key may still have from before names were bounded.
 */
function fileNames(key: string): { readonly current: string; readonly legacy: string | null } {
  const hex = `${Buffer.from(key, 'utf8').toString('hex')}.json`;
  if (hex.length <= MAX_FILE_NAME_BYTES) return { current: hex, legacy: null };
  const hashed = `sha256-${createHash('sha256').update(key, 'utf8').digest('hex')}.json`;
  return { current: hashed, legacy: hex.length <= NAME_MAX ? hex : null };
}

/**
 * KV files and the outbox are written without fsync (only the checkpoint has one): after a power
 * cut such a file may hold no bytes, or zero bytes where its data never reached the disk.
 */
export function leftByPowerCut(text: string): boolean {
  return /^\0*$/.test(text);
}

const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/**
 * The embedded ALERTS backend: one JSON file per key under `state/kv/ALERTS/`, holding the key
 * itself too, so hashed names still list exact keys. Each put is a whole-file atomic rename, so
 * two writer processes can race without a torn or half file; the last rename wins, as in Workers
 * KV. Keys are listed in byte order with a cursor.
 */
export class FileKv implements KvStore {
  constructor(private readonly dir: string) {}

  async get(key: string): Promise<string | null> {
    return this.read(key)?.value ?? null;
  }

  async getWithMetadata(key: string): Promise<Entry | null> {
    const e = this.read(key);
    return e === null ? null : e.metadata === undefined ? { value: e.value } : { value: e.value, metadata: e.metadata };
  }

  async put(key: string, value: string, options?: { readonly metadata?: unknown }): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const entry: StoredEntry = options?.metadata === undefined ? { key, value } : { key, value, metadata: options.metadata };
    const { current, legacy } = fileNames(key);
    writeFileAtomic(join(this.dir, current), JSON.stringify(entry));
    if (legacy !== null) rmSync(join(this.dir, legacy), { force: true });
  }

  async list(options: KvListOptions = {}): Promise<KvListResult> {
    const prefix = options.prefix ?? '';
    const limit = Math.max(1, Math.min(options.limit ?? 1000, 1000));
    const fileByKey = new Map<string, string>();
    for (const file of this.files()) {
      const key = this.keyOfFile(file);
      if (key === null || !key.startsWith(prefix)) continue;
      // Between a put's rename and its removal of the legacy file, both exist: the current one wins.
      if (!fileByKey.has(key) || fileNames(key).current === file) fileByKey.set(key, file);
    }
    const names = [...fileByKey.keys()].sort(byteOrder);
    const after = options.cursor === undefined ? null : Buffer.from(options.cursor, 'base64url').toString('utf8');
    const start = after === null ? 0 : names.findIndex((n) => byteOrder(n, after) > 0);
    const page = start < 0 ? [] : names.slice(start, start + limit);
    const keys = page.map((name) => {
      const e = this.readFile(fileByKey.get(name) as string);
      return e?.metadata === undefined ? { name } : { name, metadata: e.metadata };
    });
    const complete = start < 0 || start + limit >= names.length;
    const last = page[page.length - 1];
    return complete || last === undefined
      ? { keys, list_complete: true }
      : { keys, list_complete: false, cursor: Buffer.from(last, 'utf8').toString('base64url') };
  }

  /**
   * The folder's files; none when it does not exist yet (no tally written). Any other failure
   * (a folder syncscope may not read) is an error, never an empty KV: `status` must not say
   * "no_data" about a state it could not look at.
   */
  private files(): string[] {
    try {
      return readdirSync(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw onFile(err, 'list', this.dir);
    }
  }

  private read(key: string): StoredEntry | null {
    const { current, legacy } = fileNames(key);
    return this.readFile(current) ?? (legacy === null ? null : this.readFile(legacy));
  }

  /** The key a file holds: decoded from a hex name, read from inside a hashed one; null for other files (temp files). */
  private keyOfFile(file: string): string | null {
    if (HEX_NAME.test(file)) return Buffer.from(file.slice(0, -5), 'hex').toString('utf8');
    if (HASHED_NAME.test(file)) return this.readFile(file)?.key ?? null;
    return null;
  }

  private readFile(file: string): StoredEntry | null {
    let text: string;
    try {
      text = readFileSync(join(this.dir, file), 'utf8');
    } catch (err) {
      // Gone between the listing and the read (a put replaced it): as if never listed.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw onFile(err, 'read', join(this.dir, file));
    }
    if (leftByPowerCut(text)) return null; // the next publish writes it again
    const o = JSON.parse(text) as StoredEntry;
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
