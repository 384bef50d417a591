import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import * as z from 'zod';
import { onFile, UsageError } from '../core/io-error.js';
import { stateLayout, type StateLayout } from '../core/layout.js';
import { formatTs, parseDuration, parseTs, type NowPolicy } from '../core/time.js';
import { listAlertFiles } from '../../sinks/alert-files.js';
import { parseOpenAlert, renderAlert } from '../../sinks/render-alert.js';
import { readResolvedHistory, type ResolvedAlert } from '../../sinks/resolved-history.js';
import { CommonOptions, nowPolicyFrom, parseOrUsage } from './options.js';

/** One alert as the list shows it (the keys and order of `--format json`). */
interface ListedAlert {
  readonly file: string;
  readonly tenant_id: string;
  readonly repo: string;
  readonly opened_at: number;
  readonly last_failure_at: number;
  /** null while open. */
  readonly resolved_at: number | null;
  readonly failures: number;
}

const warn = (text: string): void => {
  process.stderr.write(`syncscope: ${text}\n`);
};

function listed(file: string, c: ResolvedAlert['cluster']): ListedAlert {
  return { file, tenant_id: c.tenant_id, repo: c.repo, opened_at: c.opened_at, last_failure_at: c.last_failure_at, resolved_at: c.resolved_at, failures: c.failures.length };
}

/** The open alert files' text by name; a file removed while we list (it resolved) is left out. */
function readOpenFile(layout: StateLayout, name: string): string | null {
  const path = join(layout.alertsDir, name);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw onFile(err, 'read', path);
  }
}

/**
 * Every alert: the open files first, then the history, so one that resolves while we read is
 * still seen (as resolved: its history line is final, a file left beside it is not). A file or
 * line that cannot be read is reported on stderr and skipped. `keep` picks the resolved alerts
 * whose whole cluster the caller needs (show); the list needs only their facts.
 */
async function readAlerts(layout: StateLayout, keep: (file: string) => boolean = () => false) {
  const open = new Map<string, { alert: ListedAlert; text: string }>();
  for (const name of [...listAlertFiles(layout.alertsDir)].sort()) {
    const text = readOpenFile(layout, name);
    if (text === null) continue;
    try {
      const f = parseOpenAlert(text);
      open.set(name, { alert: { file: name, tenant_id: f.tenant_id, repo: f.repo, opened_at: f.opened_at, last_failure_at: f.last_failure_at, resolved_at: null, failures: f.failures }, text });
    } catch (err) {
      warn(`${join(layout.alertsDir, name)}: not an open alert file (${(err as Error).message}): skipped`);
    }
  }
  const resolved = new Map<string, ListedAlert>();
  const kept = new Map<string, ResolvedAlert>();
  for await (const r of readResolvedHistory(layout.resolvedHistory)) {
    if ('problem' in r) {
      warn(`${layout.resolvedHistory} line ${r.line}: not a resolved alert (${r.problem}): skipped`);
      continue;
    }
    resolved.set(r.alert.file, listed(r.alert.file, r.alert.cluster));
    open.delete(r.alert.file);
    if (keep(r.alert.file)) kept.set(r.alert.file, r.alert);
  }
  return { open, resolved, kept };
}

/** Open ones first, newest opened first; then resolved ones, newest resolved first; ties by file name. */
function byNewest(a: ListedAlert, b: ListedAlert): number {
  if ((a.resolved_at === null) !== (b.resolved_at === null)) return a.resolved_at === null ? -1 : 1;
  const d = a.resolved_at === null || b.resolved_at === null ? b.opened_at - a.opened_at : b.resolved_at - a.resolved_at;
  return d || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0);
}

/** The newest instant the alerts know: NOW for `--now latest`, as a run's NOW is its newest row. */
function newestInstant(alerts: readonly ListedAlert[]): number {
  let newest = -Infinity;
  for (const a of alerts) newest = Math.max(newest, a.resolved_at ?? a.last_failure_at);
  return newest;
}

/** `--since`: a duration before NOW, or an instant. */
function sinceCutoff(text: string, now: () => number): number {
  const d = parseDuration(text);
  if (Number.isFinite(d)) return now() - d;
  const t = parseTs(text);
  if (!Number.isNaN(t)) return t;
  throw new UsageError(`--since: must be a duration before NOW like 24h or 7d (a bare number has no unit), or an RFC 3339 timestamp; got "${text}"`);
}

function nowMs(policy: NowPolicy, alerts: readonly ListedAlert[]): number {
  return policy.kind === 'fixed' ? policy.ms : policy.kind === 'latest' ? newestInstant(alerts) : Date.now();
}

/** Tenant and repo names may hold control characters: quoted then, so an alert stays one line. */
const oneLine = (s: string): string => (/[\u0000-\u001f\u007f]/.test(s) ? JSON.stringify(s) : s);

function textList(alerts: readonly ListedAlert[]): string {
  const rows = alerts.map((a) => [
    a.resolved_at === null ? 'open' : 'resolved',
    formatTs(a.opened_at),
    a.resolved_at === null ? 'open' : formatTs(a.resolved_at),
    `${oneLine(a.tenant_id)}/${oneLine(a.repo)}`,
    `${a.failures} failure${a.failures === 1 ? '' : 's'}`,
    a.file,
  ]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i < r.length - 1 ? cell.padEnd(widths[i]!) : cell)).join('  ')).join('\n') + '\n';
}

function jsonList(alerts: readonly ListedAlert[]): string {
  const objects = alerts.map((a) => ({
    file: a.file,
    tenant_id: a.tenant_id,
    repo: a.repo,
    opened_at: formatTs(a.opened_at),
    last_failure_at: formatTs(a.last_failure_at),
    resolved_at: a.resolved_at === null ? null : formatTs(a.resolved_at),
    failures: a.failures,
    status: a.resolved_at === null ? 'open' : 'resolved',
  }));
  return `${JSON.stringify(objects, null, 2)}\n`;
}

const ListOptions = CommonOptions.extend({
  since: z.string().optional(),
  tenant: z.string().optional(),
  repo: z.string().optional(),
  open: z.boolean().default(false),
  resolved: z.boolean().default(false),
  format: z.enum(['text', 'json']).default('text'),
});

/** `syncscope alerts`: commander has parsed the flags (commands.ts). */
export async function alertsCommand(raw: Record<string, unknown>): Promise<void> {
  const o = parseOrUsage(ListOptions, raw);
  const policy = nowPolicyFrom(o.now);
  const layout = stateLayout(o.state);
  const { open, resolved } = await readAlerts(layout);
  const all = [...[...open.values()].map((o) => o.alert), ...resolved.values()];
  const cutoff = o.since === undefined ? -Infinity : sinceCutoff(o.since, () => nowMs(policy, all));
  const shown = all
    .filter((a) => (a.resolved_at === null ? !o.resolved : !o.open && a.resolved_at >= cutoff))
    .filter((a) => (o.tenant === undefined || a.tenant_id === o.tenant) && (o.repo === undefined || a.repo === o.repo))
    .sort(byNewest);
  if (o.format === 'json') process.stdout.write(jsonList(shown));
  else if (shown.length === 0) {
    const log = dirname(layout.resolvedHistory);
    // A mistyped --state must not look like a quiet fleet.
    process.stdout.write(existsSync(log) ? `no alerts match (${open.size} open, ${resolved.size} resolved in ${log})\n` : `no alerts: ${log} does not exist (check --state)\n`);
  } else process.stdout.write(textList(shown));
}

/** A flag counts as given when it did not come from its default. */
const given = (cmd: Command, key: string): boolean => {
  const source = cmd.getOptionValueSource(key);
  return source !== undefined && source !== 'default';
};

/**
 * `syncscope alerts show <file>`: --state and --now may stand before `show` (the list's) or after
 * it; the list's filters do not apply to one alert, so giving them is a usage error.
 */
export async function alertShowCommand(name: string, raw: Record<string, unknown>, cmd: Command): Promise<void> {
  const list = cmd.parent;
  const merged: Record<string, unknown> = { ...raw };
  if (list !== null) {
    const misplaced = list.options.find((opt) => !['state', 'now'].includes(opt.attributeName()) && given(list, opt.attributeName()));
    if (misplaced !== undefined) throw new UsageError(`alerts show: ${misplaced.long ?? misplaced.flags} filters the list; show prints one alert`);
    for (const key of ['state', 'now']) if (!given(cmd, key) && given(list, key)) merged[key] = list.getOptionValue(key);
  }
  const o = parseOrUsage(CommonOptions, merged);
  nowPolicyFrom(o.now); // checked like every command's; one alert does not depend on NOW
  const layout = stateLayout(o.state);

  // A path to the file works too (tab completion in STATE/log/alerts); `.md` may be left off.
  const wanted = basename(name);
  if (wanted === '') throw new UsageError('alerts show: FILE must name an alert: `syncscope alerts` lists them');
  const isExact = (file: string): boolean => file === wanted || file === `${wanted}.md`;
  // Two prefix matches without an exact one are an error, so one prefix match's cluster is enough.
  let prefixKept = 0;
  const { open, resolved, kept } = await readAlerts(layout, (file) => isExact(file) || (file.startsWith(wanted) && prefixKept++ === 0));
  const names = [...open.keys(), ...resolved.keys()];
  const exact = names.filter(isExact);
  const matches = exact.length > 0 ? exact : names.filter((file) => file.startsWith(wanted)).sort();
  if (matches.length === 0) {
    throw new UsageError(`alerts show: no alert named "${name}" (${open.size} open in ${layout.alertsDir}, ${resolved.size} resolved in ${layout.resolvedHistory}); \`syncscope alerts\` lists them`);
  }
  if (matches.length > 1) {
    const some = matches.slice(0, 3).join(', ');
    throw new UsageError(`alerts show: "${name}" starts ${matches.length} alert names (${some}${matches.length > 3 ? ', …' : ''}): give more of the name`);
  }
  const file = matches[0]!;
  const openAlert = open.get(file);
  if (openAlert !== undefined) {
    process.stdout.write(openAlert.text);
    return;
  }
  process.stdout.write(renderAlert(kept.get(file)!.cluster));
}
