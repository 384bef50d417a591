import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { z } from 'zod';
import { engineConfigFrom, parseOrUsage, UsageError } from './options.js';
import { lintFails, lintScan, renderText, printed, selectLints, summaryLine } from './lint-run.js';
import { loadSyncLists, noSyncLists, noSyncListsNotice } from '../core/sync-lists.js';
import { LINT_IDS } from '../../operators/lint/common.js';
import { checkInput, commonFlags } from './common.js';

const LintFlags = z.object({
  format: z.enum(['text', 'json']),
  failOn: z.enum(['warning', 'error']),
  only: z.string().optional(),
  skip: z.string().optional(),
  maxFindings: z.string().optional().transform((v, ctx) => {
    if (v === undefined) return Infinity;
    if (!/^\d+$/.test(v.trim())) {
      ctx.addIssue({ code: 'custom', message: `--max-findings must be a whole number ≥ 0; got "${v}"` });
      return z.NEVER;
    }
    return Number(v);
  }),
});

export function registerLint(program: Command): void {
  commonFlags(program.command('lint'))
    .description(`Check the log and the sync setup for drift in one scan. Lints: ${LINT_IDS.join(', ')}. Exit 0 clean, 1 findings (--fail-on error: only error findings), 2 on usage or I/O error. Writes nothing.`)
    .argument('[file]', 'log file, or - for stdin (default: STATE/log/sync-events.ndjson)')
    .option('--tenant <id>', 'lint only this tenant\'s rows (rows without tenant_id belong to it); rejects are always reported')
    .option('--max-lateness <dur>', 'how far behind the newest row a row may arrive and still be ordered (default 5m)')
    .option('--alert-failures <n>', 'the alert rule\'s N, judged by alert-threshold (default 3)')
    .option('--alert-window <dur>', 'the alert rule\'s W, judged by alert-threshold (default 10m)')
    .option('--config <file>', 'the same JSON config file as run (alert_failures, alert_window, max_lateness, tenant, prices)')
    .addOption(new Option('--format <format>', 'output format: text, or json (an array of findings; counts on stderr)').choices(['text', 'json']).default('text'))
    .addOption(new Option('--fail-on <severity>', 'exit 1 on any finding (warning), or only on error findings (error)').choices(['warning', 'error']).default('warning'))
    .option('--only <ids>', 'run only these lints, comma-separated')
    .option('--skip <ids>', 'skip these lints, comma-separated')
    .option('--max-findings <n>', 'print at most N findings (exact counts are still reported)')
    .addHelpText('after', `
Severities: errors: manifest-break, rejects, privacy.
            warnings: stale-machine, mass-change, future-ts, alert-threshold.
Exit 1 on any finding; with --fail-on error, warnings alone exit 0.
Privacy reads STATE/bin/sync/SYNC_ALLOW and SYNC_DENY, or env SYNC_ALLOW / SYNC_DENY (the env wins);
with neither list anywhere it prints a notice on stderr and finds nothing.`)
    .action(async (file: string | undefined, raw: Record<string, unknown>) => {
      const flags = parseOrUsage(LintFlags, raw);
      const { cli, engine } = engineConfigFrom(raw);
      let lints;
      try {
        lints = selectLints(flags.only, flags.skip);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const input = file ?? resolve(cli.state, 'log', 'sync-events.ndjson');
      checkInput(input);
      const lists = loadSyncLists(cli.state);
      if (lints.includes('privacy') && noSyncLists(lists)) process.stderr.write(`${noSyncListsNotice(lists)}\n`);
      const report = await lintScan({
        input,
        engine,
        tenant: typeof raw.tenant === 'string' ? cli.tenant : null,
        lints,
        keep: flags.maxFindings,
        lists,
      });
      if (flags.format === 'json') {
        const shown = printed(report, flags.maxFindings);
        process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
        process.stderr.write(`${summaryLine(report, shown.length)}\n`);
      } else {
        process.stdout.write(renderText(report, flags.maxFindings));
      }
      process.exitCode = lintFails(report, flags.failOn) ? 1 : 0;
    });
}
