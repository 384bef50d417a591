import { Command, CommanderError } from 'commander';
import { restoreStopSignals } from './stop-signals.js';
import { describeOsError, isOsError, UsageError } from '../core/io-error.js';
import { defineCommands } from './commands.js';

/**
 * The CLI behind the bin entry (bin.ts): parse args with commander, validate with zod, call
 * run(); one error handler prints a clear message and exits non-zero: 2 for usage, 1 for an OS
 * error after the start (2 for lint and status, whose contracts say so).
 * commands.ts defines the commands; each one's module (<name>.ts) loads only when it runs.
 */
const OS_ERROR_IS_USAGE = new Set(['lint', 'status']);

let command = '';
const program = new Command();
program
  .name('syncscope')
  .description('One-scan stream processor for file-sync event logs: dashboard, alerts, tenant status, exact cost, lints.')
  .version('0.1.0')
  .exitOverride()
  .hook('preAction', (_program, action) => {
    command = action.name();
    if (command !== 'run') restoreStopSignals(); // only run flushes on a signal
  });

defineCommands(program);
sayParseErrorsInOneLine(program);

/**
 * Commander's own parse errors (unknown option, missing argument, bad choice, unknown command)
 * in the one message style: `syncscope: run: unknown option '--bogus' (see syncscope run --help)`.
 * Set on each command after they are all defined, so each line names its command.
 */
function sayParseErrorsInOneLine(root: Command): void {
  const configure = (cmd: Command, path: string): void => {
    cmd.configureOutput({
      outputError: (text, write) => {
        const why = text.replace(/^error: /, '').trim().split('\n').map((l) => l.trim()).filter((l) => l !== '').join(' ');
        write(`syncscope: ${path === '' ? '' : `${path}: `}${why} (see syncscope ${path === '' ? '' : `${path} `}--help)\n`);
      },
    });
    for (const sub of cmd.commands) configure(sub, path === '' ? sub.name() : `${path} ${sub.name()}`);
  };
  configure(root, '');
}

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
      // Several problems at once (zod issues) are one line each, every line in the one style.
      process.stderr.write(err.message.split('\n').map((l) => `syncscope: ${l}\n`).join(''));
      process.exitCode = 2;
      return;
    }
    if (err instanceof Error && (err.name === 'KvReportError' || err instanceof AggregateError)) {
      // The Worker refused a report (bad token, bad tally): local outputs are written; say why.
      process.stderr.write(`syncscope: the status Worker refused the report: ${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    if (isOsError(err)) {
      process.stderr.write(`syncscope: ${describeOsError(err)}\n`);
      process.exitCode = OS_ERROR_IS_USAGE.has(command) ? 2 : 1;
      return;
    }
    process.stderr.write(`syncscope: internal error: ${(err as Error | undefined)?.stack ?? String(err)}\n`);
    process.exitCode = 70;
  }
}

await main(process.argv);
