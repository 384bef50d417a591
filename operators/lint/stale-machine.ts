import { formatTs, STALE_MACHINE_MS, humanDuration } from '../../pipeline/core/time.js';
import { initTally, q, report, type LintBatch, type LintContext, type LintOperator, type LintTally } from './common.js';
import { foldBatches } from '../fold.js';
import { FAILED, NAMES, PUSH } from '../../pipeline/core/columns.js';

/**
 * stale-machine (SPEC §7): a machine whose last successful push is older than 24h before NOW,
 * or that never had one. Machines are those with a row at or before NOW (as in the snapshot);
 * rows after NOW are future-ts's business. State: one entry per machine.
 */
interface Machine {
  /** Newest successful push: ts (null: none yet), file id, line. */
  last: number | null;
  lastFile: number;
  lastLine: number;
  /** Newest row: ts, file id, line. */
  newest: number;
  newestFile: number;
  newestLine: number;
}

export interface StaleMachineState {
  readonly out: LintTally;
  /** By machine name id (pipeline/core/columns.ts). */
  machines: (Machine | undefined)[];
  /** The ids that have an entry in `machines`. */
  seen: number[];
}

export function foldStaleMachine(s: StaleMachineState, b: LintBatch, ctx: LintContext): void {
  const { t: ts, flags, machine, file, line, length } = b.rows;
  const cut = ctx.nowCut;
  const machines = s.machines;
  for (let i = 0; i < length; i++) {
    const t = ts[i]!;
    if (t > cut) continue;
    const id = machine[i]!;
    let m = machines[id];
    if (m === undefined) {
      machines[id] = m = { last: null, lastFile: 0, lastLine: 0, newest: t, newestFile: file[i]!, newestLine: line[i]! };
      s.seen.push(id);
    } else if (t >= m.newest) {
      m.newest = t;
      m.newestFile = file[i]!;
      m.newestLine = line[i]!;
    }
    if ((flags[i]! & (PUSH | FAILED)) === PUSH && (m.last === null || t > m.last)) {
      m.last = t;
      m.lastFile = file[i]!;
      m.lastLine = line[i]!;
    }
  }
  if (!b.end || b.now === null) return;
  const now = b.now;
  const names = NAMES.list;
  const byName = [...s.seen].sort((x, y) => (names[x]! < names[y]! ? -1 : 1));
  for (const id of byName) {
    const m = machines[id]!;
    if (m.last !== null && now - m.last <= STALE_MACHINE_MS) continue;
    const last = m.last;
    const name = names[id]!;
    report(s.out, ctx, null, () => last === null
      ? {
        lines: [m.newestLine],
        files: [names[m.newestFile]!],
        ts: null,
        message: `machine ${q(name)} has no successful push in the log (newest row on line ${m.newestLine}): check its sync client runs and can reach the bucket, or retire the machine`,
      }
      : {
        lines: [m.lastLine],
        files: [names[m.lastFile]!],
        ts: formatTs(last),
        message: `machine ${q(name)} last pushed successfully ${humanDuration(now - last)} before NOW (more than 24h): check its sync client (stop hook installed? credentials valid?) or retire the machine`,
      });
  }
}

export const lintStaleMachine = (ctx: LintContext): LintOperator =>
  foldBatches((): StaleMachineState => ({ out: initTally('stale-machine'), machines: [], seen: [] }), (s, b) => foldStaleMachine(s, b, ctx));
