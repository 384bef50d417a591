import type { Batch } from '../../pipeline/core/batch.js';
import { seeded, foldBatches, dict } from '../fold.js';

/** Per machine, the newest successful push's ts (ms), or null when it has none yet. */
export interface LastSuccessPushState {
  machines: Record<string, number | null>;
}

export const initLastSuccessPush = (): LastSuccessPushState => ({ machines: dict() });

export function foldLastSuccessPush(s: LastSuccessPushState, b: Batch): void {
  const rows = b.rows;
  const m = s.machines;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const prev = m[r.machine];
    if (r.push && !r.failed) {
      if (prev === undefined || prev === null || r.t > prev) m[r.machine] = r.t;
    } else if (prev === undefined) m[r.machine] = null;
  }
}

export const lastSuccessPush = (seed?: LastSuccessPushState) =>
  foldBatches(seeded(seed, initLastSuccessPush), foldLastSuccessPush);

export interface MachineEntry {
  machine: string;
  last_success_push: number | null;
}

/** Every machine seen (rows reaching operators are all at or before NOW), sorted by name. */
export function lastSuccessPushView(s: LastSuccessPushState): MachineEntry[] {
  return Object.keys(s.machines)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((machine) => ({ machine, last_success_push: s.machines[machine] ?? null }));
}
