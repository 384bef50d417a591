import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { engineConfigFrom } from '../options.js';
import { runBatch } from '../run.js';
import { createProgress } from '../progress.js';
import { checkInput, commonFlags } from './common.js';

export function registerRun(program: Command): void {
  commonFlags(program.command('run'))
    .description('Read the log in one scan and write the dashboard, snapshot, alerts, KV tallies and cost aggregates.')
    .argument('[file]', 'log file, or - for stdin (default: STATE/log/sync-events.ndjson)')
    .option('--tenant <id>', 'tenant_id for rows without one (default "default")')
    .option('--max-lateness <dur>', 'how far behind the newest row a row may arrive and still be ordered (default 5m)')
    .option('--alert-failures <n>', 'failures within the window that open an alert, N (default 3)')
    .option('--alert-window <dur>', 'alert window W (default 10m)')
    .option('--tick <dur>', 'follow mode: rebuild outputs this often, at least 1s (default 30s)')
    .option('--price-base-usd <usd>', 'Spaces subscription per month in USD (default 5.00)')
    .option('--egress-included <bytes>', 'outbound transfer included per month, e.g. 1TiB (default)')
    .option('--egress-usd-per-gib <usd>', 'outbound transfer beyond the allowance, USD per GiB (default 0.01)')
    .option('--config <file>', 'JSON file with price_base_usd, egress_included, egress_usd_per_gib, alert_failures, alert_window, max_lateness, tenant')
    .addOption(new Option('--no-progress', 'never draw a progress bar (it is drawn only when stderr is a terminal)'))
    .action(async (file: string | undefined, raw: Record<string, unknown>) => {
      const { cli, engine } = engineConfigFrom(raw);
      const input = file ?? resolve(cli.state, 'log', 'sync-events.ndjson');
      checkInput(input);
      const progress = cli.progress && input !== '-' ? createProgress() : null;
      const started = Date.now();
      const result = await runBatch({
        input,
        stateDir: cli.state,
        engine,
        onProgress: progress?.update,
      });
      progress?.stop();
      const { rows } = result.snapshot;
      const secs = (Date.now() - started) / 1000;
      process.stderr.write(
        `syncscope: ${rows.read} rows read, ${rows.valid} valid, ${rows.rejected} rejected, ${rows.duplicate} duplicate, ${rows.late} late in ${secs.toFixed(2)}s\n` +
        `syncscope: dashboard ${result.layout.summaryMd}\n`,
      );
      if (rows.rejected > 0) {
        const shown = result.firstRejects.map((r) => `  line ${r.line}: ${r.reason}`).join('\n');
        process.stderr.write(`syncscope: ${rows.rejected} line(s) rejected, written to ${result.layout.rejects}; first ${result.firstRejects.length}:\n${shown}\n`);
      }
    });
}
