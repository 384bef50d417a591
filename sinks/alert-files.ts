import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../pipeline/core/atomic-write.js';
import { renderAlert } from './render-alert.js';
import { type Cluster, alertFileName } from '../pipeline/core/alerts.js';

/** The alert files in `dir` (none when it is missing). */
export function listAlertFiles(dir: string): Set<string> {
  if (!existsSync(dir)) return new Set();
  return new Set(readdirSync(dir).filter((f) => f.startsWith('sync-degraded-') && f.endsWith('.md')));
}

/**
 * The open clusters as files in alerts/ (SPEC §4), which exists even when empty. A resolved
 * cluster's file is removed (its line goes to alerts-resolved.ndjson); files that no longer match
 * an open cluster (resolved while we were away, or from a different run) are not left behind as
 * strays. The folder is listed once; after that the sink knows what is on disk.
 */
export class AlertFiles {
  private readonly onDisk: Set<string>;

  constructor(private readonly dir: string) {
    this.onDisk = listAlertFiles(dir);
  }

  /** The alert files there are now (at start: what the previous run left). */
  names(): string[] {
    return [...this.onDisk];
  }

  /** Removes the files of clusters that resolved. */
  close(names: readonly string[]): void {
    if (this.onDisk.size === 0) return;
    for (const name of names) if (this.onDisk.delete(name)) rmSync(join(this.dir, name), { force: true });
  }

  syncOpen(open: readonly Cluster[]): void {
    mkdirSync(this.dir, { recursive: true });
    const keep = new Set<string>();
    for (const c of open) {
      const name = alertFileName(c);
      keep.add(name);
      // Rewritten at every tick: unchanged bytes cost a stat, not a read and a write.
      writeFileAtomic(join(this.dir, name), renderAlert(c), { skipUnchanged: true });
      this.onDisk.add(name);
    }
    for (const name of [...this.onDisk]) {
      if (keep.has(name)) continue;
      this.onDisk.delete(name);
      rmSync(join(this.dir, name), { force: true });
    }
  }
}
