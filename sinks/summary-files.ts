import { stringifyExact } from '../pipeline/core/exact.js';
import { writeFileAtomic } from '../pipeline/core/atomic-write.js';
import { renderDashboard } from './render-dashboard.js';
import type { StateLayout } from '../pipeline/core/layout.js';
import { type Snapshot } from '../pipeline/core/snapshot.js';

/** sync-summary.json and sync-summary.md, both from the same snapshot, both atomic. */
export function writeSummary(layout: StateLayout, snap: Snapshot): void {
  writeFileAtomic(layout.summaryJson, `${stringifyExact(snap, 2)}\n`);
  writeFileAtomic(layout.summaryMd, renderDashboard(snap));
}
