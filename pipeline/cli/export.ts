import { Option, type Command } from 'commander';
import { z } from 'zod';
import { engineConfigFrom, parseOrUsage, UsageError } from './options.js';
import { readAggregatesFile, readSnapshotTables, recompute, tableRecords, TABLES, toCsv } from './export-run.js';
import { stateLayout } from '../core/layout.js';
import { writeFileAtomic } from '../core/atomic-write.js';
import { checkInput, commonFlags } from './common.js';

const ExportFlags = z.object({
  format: z.literal('csv'),
  table: z.enum(TABLES, { message: `--table must be one of ${TABLES.join(', ')}` }),
  out: z.string().min(1).optional(),
});

export function registerExport(program: Command): void {
  commonFlags(program.command('export'))
    .description('Print a table as CSV: from the latest snapshot (STATE/log/sync-summary.json; aggregates from STATE/log/evals.aggregate.ndjson), or recomputed in memory from a log FILE (nothing is written to STATE).')
    .argument('[file]', 'recompute from this log (or - for stdin) instead of reading the snapshot; --now applies')
    .addOption(new Option('--format <format>', 'output format').choices(['csv']).default('csv'))
    .addOption(new Option('--table <table>', 'which table (required)').choices([...TABLES]))
    .option('--out <file>', 'write to FILE atomically instead of stdout')
    .option('--tenant <id>', 'with FILE: tenant_id for rows without one (default "default")')
    .option('--max-lateness <dur>', 'with FILE: lateness window for ordering (default 5m)')
    .option('--price-base-usd <usd>', 'with FILE: Spaces subscription per month in USD (default 5.00)')
    .option('--egress-included <bytes>', 'with FILE: outbound transfer included per month (default 1TiB)')
    .option('--egress-usd-per-gib <usd>', 'with FILE: outbound transfer beyond the allowance, USD per GiB (default 0.01)')
    .option('--config <file>', 'with FILE: the same JSON config file as run')
    .addHelpText('after', `
Tables and columns (the SPEC's JSON names; times RFC 3339 UTC; null = empty cell):
  hourly      hour,pushes,failed                  (pushes_per_hour, 24 rows)
  daily       day,pushed_bytes,pulled_bytes       (bytes_per_day, 7 rows)
  repos       repo,ops_24h,failed_24h,ops_7d,failed_7d
  machines    machine,last_success_push
  aggregates  day,tenant_id,ops,push_bytes,pull_bytes,billable_egress_bytes,cost_usd_cents`)
    .action(async (file: string | undefined, raw: Record<string, unknown>) => {
      if (raw.table === undefined) throw new UsageError(`--table is required: one of ${TABLES.join(', ')}`);
      const flags = parseOrUsage(ExportFlags, raw);
      const { cli, engine } = engineConfigFrom(raw);
      let csv: string;
      if (file !== undefined) {
        checkInput(file);
        const { snapshot, aggregates } = await recompute(file, engine);
        csv = toCsv(flags.table, tableRecords(flags.table, snapshot, aggregates));
      } else {
        const layout = stateLayout(cli.state);
        if (flags.table === 'aggregates') {
          const { rows, skipped } = readAggregatesFile(layout.aggregates);
          if (skipped > 0) process.stderr.write(`syncscope: skipped ${skipped} line(s) of ${layout.aggregates} that are not aggregates\n`);
          csv = toCsv('aggregates', tableRecords('aggregates', null, rows));
        } else {
          csv = toCsv(flags.table, tableRecords(flags.table, readSnapshotTables(layout.summaryJson), null));
        }
      }
      if (flags.out !== undefined) writeFileAtomic(flags.out, csv);
      else process.stdout.write(csv);
    });
}
