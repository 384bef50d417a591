import type { Batch } from '../../pipeline/core/batch.js';
import { FAILED, NAMES, PUSH } from '../../pipeline/core/columns.js';
import { seeded, foldBatches, dict } from '../fold.js';

/** Per machine, the newest successful push's ts (ms), or null when it has none yet. */
export interface LastSuccessPushState {
  machines: Record<string, number | null>;
}

export const initLastSuccessPush = (): LastSuccessPushState => ({ machines: dict() });

/** Scratch of foldLastSuccessPush, by machine id; NaN between batches. */
let newest = new Float64Array(0);

export function foldLastSuccessPush(s: LastSuccessPushState, b: Batch): void {
  const { flags, machine, t, length } = b.rows;
  const names = NAMES.list;
  const m = s.machines;
  // The batch's newest successful push per machine id (-Infinity: seen, none yet; NaN: not seen),
  // merged into the keyed state once per machine.
  if (newest.length < names.length) {
    const grown = new Float64Array(Math.max(names.length, newest.length * 2)).fill(NaN);
    grown.set(newest);
    newest = grown;
  }
  const seen: number[] = [];
  for (let i = 0; i < length; i++) {
    const id = machine[i]!;
    let v = newest[id]!;
    if (v !== v) {
      seen.push(id);
      v = -Infinity;
    }
    if ((flags[i]! & (PUSH | FAILED)) === PUSH && t[i]! > v) v = t[i]!;
    newest[id] = v;
  }
  for (let k = 0; k < seen.length; k++) {
    const id = seen[k]!;
    const v = newest[id]!;
    newest[id] = NaN;
    const name = names[id]!;
    const prev = m[name];
    if (v > -Infinity) {
      if (prev === undefined || prev === null || v > prev) m[name] = v;
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
