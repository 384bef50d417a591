#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { UsageError } from './options.js';
import { registerRun } from './commands/run.js';
import { registerStatus } from './commands/status.js';
import { registerLint } from './commands/lint.js';
import { registerDoctor } from './commands/doctor.js';
import { registerExport } from './commands/export.js';

/**
 * The thin bin entry: parse args with commander, validate with zod, call run(); one error
 * handler prints a clear message and exits non-zero (2 for usage and I/O errors).
 * Each command lives in commands/<name>.ts and registers itself here.
 */
const program = new Command();
program
  .name('syncscope')
  .description('One-scan stream processor for file-sync event logs: dashboard, alerts, tenant status, exact cost, lints.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerRun(program);
registerStatus(program);
registerLint(program);
registerDoctor(program);
registerExport(program);

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
    if (err instanceof Error && (err.name === 'KvReportError' || err instanceof AggregateError)) {
      // The Worker refused a report (bad token, bad tally): local outputs are written; say why.
      process.stderr.write(`syncscope: the status Worker refused the report: ${err.message}\n`);
      process.exitCode = 1;
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
