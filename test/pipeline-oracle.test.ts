// The whole pipeline against bench/oracle.ts, an independent plain implementation of SPEC §1–§3,
// on generated logs (bad lines and slight disorder included). Every hot-path optimisation must
// leave this green: the snapshot is identical to the oracle's, field for field.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateLines } from '../bench/gen.js';
import { computeOracleFromFile, diffWithOracle } from '../bench/oracle.js';
import { ensureBuilt, readSnapshot, runCli, tempDir } from './core-helpers.js';

const dir = tempDir('oracle');
beforeAll(() => ensureBuilt(), 180_000);

describe('syncscope run equals the oracle on generated logs', () => {
  for (const [seed, rows, days] of [[11, 20_000, 9], [29, 8_000, 2]] as const) {
    it(`seed ${seed}: ${rows} rows over ${days} days`, async () => {
      const log = join(dir, `gen-${seed}.ndjson`);
      writeFileSync(log, `${[...generateLines({ rows, seed, start: '2026-03-27T00:00:00Z', days })].join('\n')}\n`);
      const state = join(dir, `state-${seed}`);
      const r = await runCli(['run', log, '--now', 'latest', '--state', state, '--no-progress']);
      expect(r.code, r.stderr).toBe(0);
      const snapshot = readSnapshot(state);
      const expected = await computeOracleFromFile(log);
      expect(diffWithOracle(expected, snapshot)).toEqual([]);
      expect(snapshot.rows.rejected).toBeGreaterThan(0);
    });
  }
});
