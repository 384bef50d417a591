import { Option, type Command } from 'commander';
import { z } from 'zod';
import { CommonOptions, nowPolicyFrom, parseOrUsage } from './options.js';
import { statusFromFileKv } from './status-check.js';
import { commonFlags } from './common.js';

export function registerStatus(program: Command): void {
  commonFlags(program.command('status'))
    .description('Print the tenant status from the embedded KV: ok, degraded, or no_data when no tenant reported within 24h.')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--strict', 'exit 1 when degraded or no_data', false)
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOrUsage(CommonOptions.extend({ format: z.enum(['text', 'json']), strict: z.boolean() }), raw);
      const policy = nowPolicyFrom(o.now);
      const checkedAt = policy.kind === 'fixed' ? policy.ms : Date.now();
      const status = await statusFromFileKv(o.state, checkedAt);
      if (o.format === 'json') process.stdout.write(`${JSON.stringify(status)}\n`);
      else {
        process.stdout.write(`status: ${status.status}\nfailing: ${status.failing} of ${status.total} active tenants (ratio ${status.ratio.toFixed(4)}, degraded above ${status.threshold})\nchecked_at: ${status.checked_at}\n`);
        if (status.status === 'no_data') process.stdout.write(`no tenant tally in ${o.state} was written within the 24h before checked_at: check --state (and --now)\n`);
      }
      if (o.strict && status.status !== 'ok') process.exitCode = 1;
    });
}
