import { join } from 'node:path';

/** Where every output lives under `--state DIR` (SPEC table of outputs). */
export interface StateLayout {
  readonly root: string;
  readonly summaryMd: string;
  readonly summaryJson: string;
  readonly alertsDir: string;
  /** alerts-resolved.ndjson: one line per resolved cluster. */
  readonly resolvedHistory: string;
  readonly aggregates: string;
  readonly rejects: string;
  readonly kvDir: string;
  readonly internalDir: string;
}

export function stateLayout(root: string): StateLayout {
  const log = join(root, 'log');
  return {
    root,
    summaryMd: join(log, 'sync-summary.md'),
    summaryJson: join(log, 'sync-summary.json'),
    alertsDir: join(log, 'alerts'),
    resolvedHistory: join(log, 'alerts-resolved.ndjson'),
    aggregates: join(log, 'evals.aggregate.ndjson'),
    rejects: join(log, 'sync-events.rejects.ndjson'),
    kvDir: join(root, 'kv', 'ALERTS'),
    internalDir: join(root, '.syncscope'),
  };
}
