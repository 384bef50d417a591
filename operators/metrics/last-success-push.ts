import type { Batch } from '../../pipeline/core/batch.js';
import { FAILED, NAMES, PUSH } from '../../pipeline/core/columns.js';
import { seeded, foldBatches, dict } from '../fold.js';

/** Per machine, the newest successful push's ts (ms), or null when it has none yet. */
export interface LastSuccessPushState {
  machines: Record<string, number | null>;
}

export const initLastSuccessPush = (): LastSuccessPushState => ({ machines: dict() });

export function foldLastSuccessPush(s: LastSuccessPushState, b: Batch): void {
  const { flags, machine, t, length } = b.rows;
  const names = NAMES.list;
  const m = s.machines;
  for (let i = 0; i < length; i++) {
    const name = names[machine[i]!]!;
    const prev = m[name];
    if ((flags[i]! & (PUSH | FAILED)) === PUSH) {
      if (prev === undefined || prev === null || t[i]! > prev) m[name] = t[i]!;
    } else if (prev === undefined) m[name] = null;
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
