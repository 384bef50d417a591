import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { z } from 'zod';
import { engineConfigFrom, parseOrUsage } from './options.js';
import { parseDuration } from '../core/time.js';
import { renderChecks, runDoctor } from './doctor-checks.js';
import { commonFlags } from './common.js';

const DoctorFlags = z.object({
  log: z.string().min(1).optional(),
  maxAge: z.string().optional().transform((v, ctx) => {
    if (v === undefined) return undefined;
    const ms = parseDuration(v);
    if (!Number.isFinite(ms) || ms < 1000) {
      ctx.addIssue({ code: 'custom', message: `--max-age must be a duration like 90s, 10m or 2h (at least 1s); got "${v}"` });
      return z.NEVER;
    }
    return ms;
  }),
  simulate: z.boolean().default(false),
  format: z.enum(['text', 'json']),
});

export function registerDoctor(program: Command): void {
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
    .action(async (raw: Record<string, unknown>) => {
      const flags = parseOrUsage(DoctorFlags, raw);
      const { cli, engine } = engineConfigFrom(raw);
      const started = Date.now();
      const nowPolicy = engine.nowPolicy.kind === 'wall' ? { kind: 'fixed' as const, ms: started } : engine.nowPolicy;
      const results = await runDoctor({
        stateDir: cli.state,
        log: flags.log ?? resolve(cli.state, 'log', 'sync-events.ndjson'),
        engine: { ...engine, nowPolicy },
        maxAgeMs: flags.maxAge ?? 2 * cli.tick,
        tenant: typeof raw.tenant === 'string' ? cli.tenant : null,
        simulate: flags.simulate,
        ...(cli.kvUrl !== undefined ? { kvUrl: cli.kvUrl } : {}),
      });
      if (flags.format === 'json') process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      else process.stdout.write(renderChecks(results));
      process.exitCode = results.every((r) => r.ok !== false) ? 0 : 1;
    });
}
