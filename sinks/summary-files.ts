import type { Snapshot } from '../pipeline/snapshot.js';
import { stringifyExact } from '../pipeline/exact.js';
import { writeFileAtomic } from './atomic-write.js';
import { renderDashboard } from './render-dashboard.js';
import type { StateLayout } from './layout.js';

/** sync-summary.json and sync-summary.md, both from the same snapshot, both atomic. */
export function writeSummary(layout: StateLayout, snap: Snapshot): void {
  writeFileAtomic(layout.summaryJson, `${stringifyExact(snap, 2)}\n`);
  writeFileAtomic(layout.summaryMd, renderDashboard(snap));
}
