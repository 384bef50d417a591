import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../pipeline/core/atomic-write.js';
import { renderAlert } from './render-alert.js';
import type { StateLayout } from '../pipeline/core/layout.js';
import { type Cluster, alertFileName } from '../pipeline/core/alerts.js';

function listAlertFiles(dir: string): Set<string> {
  if (!existsSync(dir)) return new Set();
  return new Set(readdirSync(dir).filter((f) => f.startsWith('sync-degraded-') && f.endsWith('.md')));
}

const RESOLVED_CACHE_MAX = 4096;

/**
 * Materialises clusters as files: open ones in alerts/, resolved ones moved to
 * alerts-resolved/ with their final content. Open files that no longer match an open cluster
 * (resolved while we were away, or from a different run) are not left behind as strays.
 * Each folder is listed once; after that the sink knows what is on disk, so a busy month of
 * resolved clusters costs one atomic write each and no probing.
 */
export class AlertFiles {
  private readonly openOnDisk: Set<string>;
  private readonly resolvedOnDisk: Set<string>;

  constructor(private readonly layout: StateLayout) {
    this.openOnDisk = listAlertFiles(layout.alertsDir);
    this.resolvedOnDisk = listAlertFiles(layout.resolvedDir);
  }

  resolve(clusters: readonly Cluster[]): void {
    for (const c of clusters) {
      const name = alertFileName(c);
      this.put(this.layout.resolvedDir, this.resolvedOnDisk, name, renderAlert(c));
      if (this.openOnDisk.delete(name)) rmSync(join(this.layout.alertsDir, name), { force: true });
    }
  }

  syncOpen(open: readonly Cluster[]): void {
    const keep = new Set<string>();
    for (const c of open) {
      const name = alertFileName(c);
      keep.add(name);
      // Rewritten at every tick: unchanged bytes cost a stat, not a read and a write.
      writeFileAtomic(join(this.layout.alertsDir, name), renderAlert(c), { skipUnchanged: true });
      this.openOnDisk.add(name);
    }
    for (const name of [...this.openOnDisk]) {
      if (keep.has(name)) continue;
      this.openOnDisk.delete(name);
      rmSync(join(this.layout.alertsDir, name), { force: true });
    }
  }

  /** Writes unless the file on disk already holds exactly this text. */
  private put(dir: string, onDisk: Set<string>, name: string, text: string): void {
    const path = join(dir, name);
    if (onDisk.has(name)) {
      try {
        if (readFileSync(path, 'utf8') === text) return;
      } catch {
        // gone since we listed it: write it again
      }
    }
    writeFileAtomic(path, text);
    onDisk.add(name);
    // The resolved set is only a cache (a name missing from it costs one rewrite of the same
    // bytes); cap it so a follow run of months does not hold every resolved name ever written.
    if (onDisk === this.resolvedOnDisk && onDisk.size > RESOLVED_CACHE_MAX) onDisk.clear();
  }
}
