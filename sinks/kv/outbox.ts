import { readFile, rename, unlink } from 'node:fs/promises';
import { writeFileAtomic } from '../../pipeline/core/atomic-write.js';
import { leftByPowerCut } from './file-kv.js';

/** A tally the Worker has not acknowledged yet. */
export interface OutboxEntry {
  readonly value: string;
  readonly metadata?: unknown;
}

interface OutboxFile {
  version: 1;
  entries: Record<string, OutboxEntry>;
}

/** An outbox file that could not be read as one, and where it was moved. */
export interface DiscardedOutbox {
  readonly reason: string;
  readonly movedTo: string;
}

/**
 * Unsent tallies, in memory and in one JSON file, so a run that ends while the Worker is down
 * hands them to the next run. Saves are write-behind and coalesced: many changes while a write
 * is in flight cost one more write, not one each. Each write is atomic (temp + rename) without
 * fsync (SPEC §8 keeps fsync for the checkpoint only): a power cut may take back the last saves
 * or leave the file empty, and nothing is lost by it, since every tally derives from the
 * checkpointed state and a new process, knowing of no delivery, reports each tenant again.
 */
export class Outbox {
  private readonly entries = new Map<string, OutboxEntry>();
  private loaded: Promise<void> | null = null;
  private saving: Promise<void> | null = null;
  private dirty = false;
  private saveError: unknown = null;
  private discarded: DiscardedOutbox | null = null;

  constructor(readonly path: string) {}

  /** The unreadable file the load set aside, once (for one notice). */
  takeDiscarded(): DiscardedOutbox | null {
    const d = this.discarded;
    this.discarded = null;
    return d;
  }

  /** Reads the file once; later calls reuse the first read. A missing file is an empty outbox. */
  load(): Promise<void> {
    this.loaded ??= this.read();
    return this.loaded;
  }

  get size(): number {
    return this.entries.size;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  get(key: string): OutboxEntry | undefined {
    return this.entries.get(key);
  }

  set(key: string, entry: OutboxEntry): void {
    this.entries.set(key, entry);
    this.scheduleSave();
  }

  delete(key: string): void {
    if (this.entries.delete(key)) this.scheduleSave();
  }

  /** Waits until the file matches memory; throws if a save failed since the last settle. */
  async settle(): Promise<void> {
    if (this.dirty && this.saving === null) this.scheduleSave();
    while (this.saving !== null) await this.saving;
    const err = this.saveError;
    this.saveError = null;
    if (err !== null) throw err;
  }

  private async read(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    if (leftByPowerCut(text)) return; // its tallies derive from the checkpointed state: the run reports them again
    const file = parseOutbox(text);
    if (typeof file === 'string') {
      // Like an empty file: every tally derives from the checkpointed state and is reported
      // again. Kept aside for a look, never in the way of the next run.
      const movedTo = `${this.path}.corrupt`;
      await rename(this.path, movedTo);
      this.discarded = { reason: file, movedTo };
      return;
    }
    // Entries set in this process before the read finished are newer: keep them.
    for (const [key, entry] of Object.entries(file.entries)) {
      if (!this.entries.has(key) && typeof entry?.value === 'string') this.entries.set(key, entry);
    }
  }

  private scheduleSave(): void {
    this.dirty = true;
    this.saving ??= this.drain().finally(() => {
      this.saving = null;
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.dirty) {
        // The write itself is synchronous: first let the changes made in this turn land, so a burst
        // of them (one per tenant while the Worker is down) costs one write, not one each.
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.dirty = false;
        await this.write();
      }
    } catch (err) {
      this.saveError = err;
    }
  }

  private async write(): Promise<void> {
    if (this.entries.size === 0) {
      await unlink(this.path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      return;
    }
    const file: OutboxFile = { version: 1, entries: Object.fromEntries(this.entries) };
    writeFileAtomic(this.path, `${JSON.stringify(file, null, 1)}\n`);
  }
}

/** The outbox in `text`, or why it is not one. */
function parseOutbox(text: string): OutboxFile | string {
  let file: Partial<OutboxFile>;
  try {
    file = JSON.parse(text) as Partial<OutboxFile>;
  } catch {
    return 'not valid JSON';
  }
  if (typeof file !== 'object' || file === null || file.version !== 1 || typeof file.entries !== 'object' || file.entries === null) {
    return 'not a syncscope KV outbox (expected {"version":1,"entries":{...}})';
  }
  return file as OutboxFile;
}
