import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Snapshot } from '../pipeline/core/snapshot.js';
import { scriptArgs } from '../bench/script-args.js';

/**
 * `npm run demo`: the main job on the bundled sample log, into a scratch state folder, then
 * where the dashboard is and its headline numbers.
 */
scriptArgs(
  {
    name: 'demo',
    npm: 'demo',
    usage: `usage: npm run demo   (node dist/examples/demo.js)

Runs syncscope on the bundled sample log (examples/sample-sync-events.ndjson) into a scratch
state folder (.tmp/demo-state), then prints where the dashboard is and its headline numbers.
Takes no options.

  -h, --help   this text
`,
  },
  process.argv.slice(2),
  {},
);

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const log = join(root, 'examples', 'sample-sync-events.ndjson');
const state = join(root, '.tmp', 'demo-state');
rmSync(state, { recursive: true, force: true });

const cli = join(root, 'dist', 'cli', 'syncscope.mjs');
const res = spawnSync(process.execPath, [cli, 'run', log, '--now', 'latest', '--state', state, '--no-progress'], {
  stdio: ['ignore', 'inherit', 'inherit'],
});
if (res.status !== 0) {
  process.stderr.write(`demo: syncscope run exited with ${res.status}\n`);
  process.exit(res.status ?? 1);
}

const snap = JSON.parse(readFileSync(join(state, 'log', 'sync-summary.json'), 'utf8')) as Snapshot;
const pushes = snap.pushes_per_hour.reduce((n, h) => n + h.pushes, 0);
const failedPushes = snap.pushes_per_hour.reduce((n, h) => n + h.failed, 0);
const worst = [...snap.repos].sort((a, b) => b.failed_7d / Math.max(1, b.ops_7d) - a.failed_7d / Math.max(1, a.ops_7d))[0];
const rel = (p: string) => relative(process.cwd(), p) || '.';
const cents = snap.cost.week_usd_cents;

process.stdout.write(`
Dashboard: ${rel(join(state, 'log', 'sync-summary.md'))}
Snapshot:  ${rel(join(state, 'log', 'sync-summary.json'))}

now ${snap.now}
rows: ${snap.rows.read} read, ${snap.rows.valid} valid, ${snap.rows.rejected} rejected (see ${rel(join(state, 'log', 'sync-events.rejects.ndjson'))})
last 24h: ${pushes} pushes, ${failedPushes} failed
repos: ${snap.repos.length}${worst ? `, highest 7d failure rate: ${worst.repo} (${worst.failed_7d}/${worst.ops_7d})` : ''}
machines: ${snap.machines.length}, ${snap.machines.filter((m) => m.last_success_push === null).length} without a successful push
cost, last 7 days: $${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}
alerts: ${snap.alerts.open.length} open (files in ${rel(join(state, 'log', 'alerts'))}), ${snap.alerts.resolved} resolved (lines of ${rel(join(state, 'log', 'alerts-resolved.ndjson'))})
`);
