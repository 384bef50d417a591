#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { engineConfigFrom, nowPolicyFrom, parseOrUsage, CommonOptions, UsageError } from './options.js';
import { runBatch } from './run.js';
import { statusFromFileKv } from './status-command.js';
import { createProgress } from './progress.js';

/**
 * The thin bin entry: parse args with commander, validate with zod, call run(); one error
 * handler prints a clear message and exits non-zero (2 for usage and I/O errors).
 */
const program = new Command();
program
  .name('syncscope')
  .description('One-scan stream processor for file-sync event logs: dashboard, alerts, tenant status, exact cost, lints.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

function commonFlags(cmd: Command): Command {
  return cmd
    .option('--state <dir>', 'state folder: outputs under DIR/log, KV under DIR/kv', './state')
    .option('--now <time>', 'NOW: an RFC 3339 timestamp, or "latest" (the newest row\'s ts); default: the wall clock');
}

function checkInput(path: string): void {
  if (path === '-') return;
  if (!existsSync(path)) throw new UsageError(`input file not found: ${path}`);
  const st = statSync(path);
  if (!st.isFile()) throw new UsageError(`input is not a regular file: ${path}`);
}

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

commonFlags(program.command('status'))
  .description('Print the tenant status (SPEC §5) from the embedded KV: ok or degraded.')
  .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
  .option('--strict', 'exit 1 when degraded', false)
  .action(async (raw: Record<string, unknown>) => {
    const o = parseOrUsage(CommonOptions.extend({ format: z.enum(['text', 'json']), strict: z.boolean() }), raw);
    const policy = nowPolicyFrom(o.now);
    const checkedAt = policy.kind === 'fixed' ? policy.ms : Date.now();
    const status = await statusFromFileKv(o.state, checkedAt);
    if (o.format === 'json') process.stdout.write(`${JSON.stringify(status)}\n`);
    else {
      process.stdout.write(`status: ${status.status}\nfailing: ${status.failing} of ${status.total} active tenants (ratio ${status.ratio.toFixed(4)}, degraded above ${status.threshold})\nchecked_at: ${status.checked_at}\n`);
    }
    if (o.strict && status.status === 'degraded') process.exitCode = 1;
  });

async function main(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; parse errors were already printed.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`syncscope: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    const e = err as NodeJS.ErrnoException;
    if (e && typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) {
      process.stderr.write(`syncscope: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`syncscope: internal error: ${e?.stack ?? String(err)}\n`);
    process.exitCode = 70;
  }
}

await main(process.argv);
