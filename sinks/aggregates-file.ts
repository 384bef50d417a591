import { existsSync, readFileSync } from 'node:fs';
import { stringifyExact } from '../pipeline/core/exact.js';
import { writeFileAtomic } from '../pipeline/core/atomic-write.js';
import { type AggregateRow } from '../pipeline/core/snapshot.js';

/**
 * evals.aggregate.ndjson: one row per (day, tenant_id). Rows computed now replace rows with the
 * same key; rows of days no longer in the input (rotated away) are kept, never deleted.
 * Lines of the existing file that do not parse are kept verbatim rather than lost.
 */
export function writeAggregates(path: string, rows: readonly AggregateRow[]): void {
  const byKey = new Map<string, string>();
  const foreign: string[] = [];
  const before = existsSync(path) ? readFileSync(path, 'utf8') : null;
  if (before !== null) {
    for (const line of before.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const o = JSON.parse(line) as { day?: unknown; tenant_id?: unknown };
        if (typeof o.day === 'string' && typeof o.tenant_id === 'string') byKey.set(`${o.day}\u0000${o.tenant_id}`, line);
        else foreign.push(line);
      } catch {
        foreign.push(line);
      }
    }
  }
  for (const r of rows) {
    const line = stringifyExact({
      day: r.day,
      tenant_id: r.tenant_id,
      ops: r.ops,
      push_bytes: r.push_bytes,
      pull_bytes: r.pull_bytes,
      billable_egress_bytes: r.billable_egress_bytes,
      cost_usd_cents: r.cost_usd_cents,
    });
    byKey.set(`${r.day}\u0000${r.tenant_id}`, line);
  }
  const keys = [...byKey.keys()].sort();
  const text = [...keys.map((k) => byKey.get(k)!), ...foreign].join('\n');
  const out = text.length > 0 ? `${text}\n` : '';
  if (out === before) return; // unchanged: not written again (read once, for the merge above)
  writeFileAtomic(path, out);
}
