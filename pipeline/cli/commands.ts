import { Option, type Command } from 'commander';
import { LINT_IDS } from '../../operators/lint/common.js';
import { TABLES } from './export-tables.js';

/**
 * What each command accepts, for parsing and --help: commander definitions only. Each action
 * imports its command's module when that command runs, so `--help` or `status` never load the
 * engine, RxJS or the other commands (in the bundle every such import is its own chunk). Keep
 * this module's imports light for the same reason.
 */
export function defineCommands(program: Command): void {
  commonFlags(program.command('run'))
    .description(
      'Read the log in one scan and write the dashboard, snapshot, alerts, KV tallies and cost aggregates. ' +
      'Several files (one per machine) are one input, merged by ts. ' +
      'Resumes from the checkpoint in STATE/.syncscope; follows with --follow FILE, or while stdin (-) stays open.',
    )
    .argument('[files...]', 'log files or quoted globs (\'logs/*.ndjson\'), read as one input; - for stdin (default: STATE/log/sync-events.ndjson)')
    .option('--follow <file>', 'follow FILE like tail -F (appends, rotation, truncation), rebuilding outputs every --tick; a quoted glob follows every file it matches, new ones too')
    .option('--tenant <id>', 'tenant_id for rows without one (default "default")')
    .option('--max-lateness <dur>', 'how far behind the newest row a row may arrive and still be ordered (default 5m)')
    .option('--alert-failures <n>', 'failures within the window that open an alert, N (default 3)')
    .option('--alert-window <dur>', 'alert window W (default 10m)')
    .option('--tick <dur>', 'follow mode: rebuild outputs this often, at least 1s (default 30s)')
    .option('--threads <n>', 'threads for a batch over a file larger than 8 MiB: this one plus N-1 scan workers; 1 = no workers (default: the cores there are, at most 4)')
    .option('--rebuild', 'discard the checkpoint in STATE/.syncscope and recompute everything from the input')
    .option('--price-base-usd <usd>', 'Spaces subscription per month in USD (default 5.00)')
    .option('--egress-included <bytes>', 'outbound transfer included per month, e.g. 1TiB (default)')
    .option('--egress-usd-per-gib <usd>', 'outbound transfer beyond the allowance, USD per GiB (default 0.01)')
    .option('--config <file>', 'JSON file with price_base_usd, egress_included, egress_usd_per_gib, alert_failures, alert_window, max_lateness, tenant')
    .option('--kv-url <url>', 'report tenant tallies to the status Worker at URL instead of the embedded KV (token from SYNCSCOPE_REPORT_TOKEN or SYNCSCOPE_REPORT_SECRET)')
    .option('--metrics-port <port>', 'while following (--follow, or stdin): serve GET /metrics in the Prometheus text format on PORT, answered from the last tick; 0 picks a free port (the start line names it)')
    .option('--metrics-host <host>', 'the address --metrics-port listens on (default 127.0.0.1: this machine only; 0.0.0.0 for every interface)')
    .addOption(new Option('--no-progress', 'never draw the progress line (it is drawn only when stderr is a terminal, and not with TERM=dumb)'))
    .option('--quiet', 'print nothing but errors (on stderr): no summary, no notices, no progress, no alert lines', false)
    .addOption(new Option('--format <format>', 'the summary at the end: text (on stderr), or json (one object on stdout)').choices(['text', 'json']).default('text'))
    .action(async (files: string[], raw: Record<string, unknown>) => (await import('./run.js')).runCommand(files, raw));

  commonFlags(program.command('status'))
    .description('Print the tenant status from the embedded KV, or from the status Worker with --kv-url: ok, degraded, or no_data when no tenant reported within 24h.')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--strict', 'exit 1 when degraded or no_data', false)
    .option('--kv-url <url>', 'ask the status Worker at URL (its public GET /_status, no token needed) instead of the embedded KV; the Worker judges by its own clock, so --now does not apply')
    .action(async (raw: Record<string, unknown>) => (await import('./status.js')).statusCommand(raw));

  commonFlags(program.command('lint'))
    .description(`Check the log and the sync setup for drift in one scan. Lints: ${LINT_IDS.join(', ')}. Exit 0 clean, 1 findings (--fail-on error: only error findings), 2 on usage or I/O error. Writes nothing.`)
    .argument('[files...]', 'log files or quoted globs, read as one input as run does; - for stdin (default: STATE/log/sync-events.ndjson)')
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
    .option('--since <dur>', 'row lints report only rows newer than NOW minus DUR (e.g. 24h, 7d), or "all" for the whole log; stale-machine, privacy and alert-threshold are judged at NOW', '24h')
    .addHelpText('after', `
Severities: errors: manifest-break, rejects, privacy.
            warnings: stale-machine, mass-change, future-ts, alert-threshold.
Exit 1 on any finding; with --fail-on error, warnings alone exit 0.
A rejected line counts at the ts of the valid row before it in its file (always reported when there is none).
Privacy reads STATE/bin/sync/SYNC_ALLOW and SYNC_DENY, or env SYNC_ALLOW / SYNC_DENY (the env wins);
with neither list anywhere it prints a notice on stderr and finds nothing.`)
    .action(async (files: string[], raw: Record<string, unknown>) => (await import('./lint.js')).lintCommand(files, raw));

  commonFlags(program.command('doctor'))
    .description('Is it working? Checks a live install: recent rows carry dur_ms, the dashboard is fresh, no alert is open, lint exits 0, and with --simulate a synthetic failure burst raises an alert and a failing tenant. Exit 0 only when every check passes. Writes nothing under STATE.')
    .option('--log <file>', 'the log to check (default: STATE/log/sync-events.ndjson)')
    .option('--tick <dur>', 'the tick of the running `syncscope run --follow` (default 30s)')
    .option('--max-age <dur>', 'how old the dashboard may be, by the wall clock (default: 2 × --tick, so 60s; for a cron/batch install use at least the interval, e.g. 70m)')
    .option('--simulate', 'also run a synthetic failure burst on a temporary copy of STATE (the real state is untouched)', false)
    .option('--kv-url <url>', 'with --simulate: check the Worker\'s /_status instead of the embedded KV (needs SYNCSCOPE_REPORT_SECRET; reports tenant "doctor-simulated", then clears it)')
    .option('--tenant <id>', 'lint only this tenant; also the tenant of rows without tenant_id')
    .option('--max-lateness <dur>', 'as for run (default 5m)')
    .option('--alert-failures <n>', 'the alert rule\'s N, as given to run (default 3)')
    .option('--alert-window <dur>', 'the alert rule\'s W, as given to run (default 10m)')
    .option('--config <file>', 'the same JSON config file as run')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (raw: Record<string, unknown>) => (await import('./doctor.js')).doctorCommand(raw));

  const alerts = commonFlags(program.command('alerts'))
    .description('List open alerts (files in STATE/log/alerts) and resolved ones (lines of STATE/log/alerts-resolved.ndjson); `alerts show FILE` prints one. Writes nothing.')
    .enablePositionalOptions()
    .option('--since <when>', 'only alerts still open, or resolved at or after WHEN: a duration before NOW (24h, 7d) or an RFC 3339 timestamp (default: all)')
    .option('--tenant <id>', 'only alerts of this tenant_id (exact)')
    .option('--repo <name>', 'only alerts of this repo (exact)')
    .addOption(new Option('--open', 'only open alerts').conflicts('resolved'))
    .addOption(new Option('--resolved', 'only resolved alerts'))
    .addOption(new Option('--format <format>', 'text: one line per alert; json: an array of objects').choices(['text', 'json']).default('text'))
    .addHelpText('after', `
Order: open alerts first, newest opened first; then resolved ones, newest resolved first.
With --now latest, NOW is the newest time the alerts know (a resolved_at, or an open alert's last failure).
Exit 0 (also when none match), 1 when a file cannot be read, 2 on usage or a FILE for show that names no alert or several.`)
    .action(async (raw: Record<string, unknown>) => (await import('./alerts.js')).alertsCommand(raw));
  commonFlags(alerts.command('show'))
    .description('Print one alert, open or resolved, as the markdown of an open alert file (a resolved one says status: resolved and resolved_at).')
    .argument('<file>', 'the alert file name as listed (the .md may be left off, a path to it works), or a prefix that names exactly one alert')
    .action(async (file: string, raw: Record<string, unknown>, cmd: Command) => (await import('./alerts.js')).alertShowCommand(file, raw, cmd));

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
Tables and columns (the snapshot's JSON names; times RFC 3339 UTC; null = empty cell):
  hourly      hour,pushes,failed                  (pushes_per_hour, 24 rows)
  daily       day,pushed_bytes,pulled_bytes       (bytes_per_day, 7 rows)
  repos       repo,ops_24h,failed_24h,ops_7d,failed_7d
  machines    machine,last_success_push
  aggregates  day,tenant_id,ops,push_bytes,pull_bytes,billable_egress_bytes,cost_usd_cents`)
    .action(async (file: string | undefined, raw: Record<string, unknown>) => (await import('./export.js')).exportCommand(file, raw));
}

/** Flags every command takes: --state and --now. */
function commonFlags(cmd: Command): Command {
  return cmd
    .option('--state <dir>', 'state folder: outputs under DIR/log, KV under DIR/kv', './state')
    .option('--now <time>', 'NOW: an RFC 3339 timestamp, or "latest" (the newest row\'s ts); default: the wall clock');
}
