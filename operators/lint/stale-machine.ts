import { formatTs, STALE_MACHINE_MS, humanDuration } from '../../pipeline/core/time.js';
import { initTally, q, report, type LintBatch, type LintContext, type LintOperator, type LintTally } from './common.js';
import { foldBatches } from '../fold.js';

/**
 * stale-machine (SPEC §7): a machine whose last successful push is older than 24h before NOW,
 * or that never had one. Machines are those with a row at or before NOW (as in the snapshot);
 * rows after NOW are future-ts's business. State: one entry per machine.
 */
export interface StaleMachineState {
  readonly out: LintTally;
  /**
   * machine → newest successful push (ts, line), and the line of its newest row. A
   * null-prototype record: a machine named "__proto__" or "constructor" is just a key.
   */
  machines: Record<string, { last: number | null; lastFile: string; lastLine: number; newest: number; newestFile: string; newestLine: number }>;
}


export function foldStaleMachine(s: StaleMachineState, b: LintBatch, ctx: LintContext): void {
  const rows = b.rows;
  const cut = ctx.nowCut;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r.t > cut) continue;
    const name = r.machine;
    let m = s.machines[name];
    if (m === undefined) s.machines[name] = m = { last: null, lastFile: '', lastLine: 0, newest: r.t, newestFile: r.file, newestLine: r.line };
    else if (r.t >= m.newest) {
      m.newest = r.t;
      m.newestFile = r.file;
      m.newestLine = r.line;
    }
    if (r.push && !r.failed && (m.last === null || r.t > m.last)) {
      m.last = r.t;
      m.lastFile = r.file;
      m.lastLine = r.line;
    }
  }
  if (!b.end || b.now === null) return;
  const now = b.now;
  for (const name of Object.keys(s.machines).sort()) {
    const m = s.machines[name]!;
    if (m.last !== null && now - m.last <= STALE_MACHINE_MS) continue;
    const last = m.last;
    report(s.out, ctx.keep, () => last === null
      ? {
        lines: [m.newestLine],
        files: [m.newestFile],
        ts: null,
        message: `machine ${q(name)} has no successful push in the log (newest row on line ${m.newestLine}): check its sync client runs and can reach the bucket, or retire the machine`,
      }
      : {
        lines: [m.lastLine],
        files: [m.lastFile],
        ts: formatTs(last),
        message: `machine ${q(name)} last pushed successfully ${humanDuration(now - last)} before NOW (more than 24h): check its sync client (stop hook installed? credentials valid?) or retire the machine`,
      });
  }
}

export const lintStaleMachine = (ctx: LintContext): LintOperator =>
  foldBatches((): StaleMachineState => ({ out: initTally('stale-machine'), machines: Object.create(null) as StaleMachineState['machines'] }), (s, b) => foldStaleMachine(s, b, ctx));
