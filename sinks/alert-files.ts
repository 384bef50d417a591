import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster } from '../operators/failure-clusters.js';
import { alertFileName } from '../pipeline/alert-names.js';
import { writeFileAtomic } from './atomic-write.js';
import { renderAlert } from './render-alert.js';
import type { StateLayout } from './layout.js';

function writeIfChanged(path: string, text: string): void {
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
  writeFileAtomic(path, text);
}

/**
 * Materialises clusters as files: open ones in alerts/, resolved ones moved to
 * alerts-resolved/ with their final content. Open files that no longer match an open cluster
 * (resolved while we were away, or from a different run) are not left behind as strays.
 */
export class AlertFiles {
  constructor(private readonly layout: StateLayout) {}

  resolve(clusters: readonly Cluster[]): void {
    for (const c of clusters) {
      const name = alertFileName(c);
      writeIfChanged(join(this.layout.resolvedDir, name), renderAlert(c));
      rmSync(join(this.layout.alertsDir, name), { force: true });
    }
  }

  syncOpen(open: readonly Cluster[]): void {
    const keep = new Set<string>();
    for (const c of open) {
      const name = alertFileName(c);
      keep.add(name);
      writeIfChanged(join(this.layout.alertsDir, name), renderAlert(c));
    }
    if (!existsSync(this.layout.alertsDir)) return;
    for (const f of readdirSync(this.layout.alertsDir)) {
      if (f.startsWith('sync-degraded-') && f.endsWith('.md') && !keep.has(f)) rmSync(join(this.layout.alertsDir, f), { force: true });
    }
  }
}
