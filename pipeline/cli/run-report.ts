import { resolve } from 'node:path';
import type { PipelineEvent } from '../core/events.js';
import type { Snapshot } from '../core/snapshot.js';
import type { RunResult } from '../engine/run.js';
import { audienceOf, renderEvent } from '../../sinks/notices.js';

/**
 * How `syncscope run` talks to whoever runs it: the typed pipeline events as they happen and the
 * summary at the end, through one of three renderers chosen in one place (`runReporter`):
 *
 * - text: notices on stderr, alert lines when the run follows, a summary on stderr;
 * - json: the same on stderr, and one JSON object on stdout at the end (`jsonSummary`);
 * - quiet: errors only, no summary.
 */
export type RunFormat = 'text' | 'json';

/** The end of a run, with the alerts announced while it ran. */
export interface RunSummary {
  readonly result: RunResult;
  readonly secs: number;
  /** `alert-opened` events of this run. */
  readonly opened: number;
  /** `alert-resolved` events of this run. */
  readonly resolved: number;
}

export interface Health {
  readonly level: 'ok' | 'warn' | 'critical';
  readonly reasons: readonly string[];
}

/**
 * The run's health. Until the snapshot carries its own `health`, derived from the open alerts
 * alone (critical with any open alert, else ok); then this body becomes `return snapshot.health`.
 */
export function healthOf(snapshot: Snapshot): Health {
  return { level: snapshot.alerts.open.length > 0 ? 'critical' : 'ok', reasons: [] };
}

/** What `run --format json` prints (docs-drafts/run-output.md says what each field means). */
export interface RunJson {
  readonly now: string;
  readonly generated_at: string;
  readonly rows: { read: number; valid: number; rejected: number; late: number; duplicate: number };
  readonly health: { level: Health['level']; reasons: string[] };
  readonly alerts: { open: number; opened: number; resolved: number };
  /** Absolute path of the dashboard. */
  readonly dashboard: string;
}

/** The object `run --format json` prints, field for field and in this order. */
export function jsonSummary(s: RunSummary): RunJson {
  const snap = s.result.snapshot;
  const { read, valid, rejected, late, duplicate } = snap.rows;
  const health = healthOf(snap);
  return {
    now: snap.now,
    generated_at: snap.generated_at,
    rows: { read, valid, rejected, late, duplicate },
    health: { level: health.level, reasons: [...health.reasons] },
    alerts: { open: snap.alerts.open.length, opened: s.opened, resolved: s.resolved },
    dashboard: resolve(s.result.layout.summaryMd),
  };
}

/** The text summary: rows and time, the dashboard's path, and the first rejected lines. */
export function textSummary(s: RunSummary): string {
  const { result } = s;
  const { rows } = result.snapshot;
  const how = result.stopped ? 'stopped; outputs and checkpoint flushed' : result.resumed ? 'totals; resumed from checkpoint' : 'full scan';
  return (
    `syncscope: ${rows.read} rows read, ${rows.valid} valid, ${rows.rejected} rejected, ${rows.duplicate} duplicate, ${rows.late} late in ${s.secs.toFixed(2)}s (${how})\n` +
    `syncscope: dashboard ${result.layout.summaryMd}\n` +
    rejectsSummary(result)
  );
}

function rejectsSummary(result: RunResult): string {
  const { rejected } = result.snapshot.rows;
  if (rejected === 0 || result.firstRejects.length === 0) return '';
  const shown = result.firstRejects.map((r) => `  line ${r.line}: ${r.reason}`).join('\n');
  return `syncscope: ${rejected} line(s) rejected, written to ${result.layout.rejects}; first ${result.firstRejects.length} this run:\n${shown}\n`;
}

/** Where a renderer writes: whole lines, each ending in a newline. */
export interface Streams {
  /** stderr (above the progress line, when one is drawn). */
  readonly err: (text: string) => void;
  /** stdout; resolves once written (a stopped run exits right after). */
  readonly out: (text: string) => Promise<void>;
}

interface Renderer {
  event(e: PipelineEvent): void;
  summary(s: RunSummary): Promise<void>;
}

/** Notices and errors always; alert lines only while following (a batch counts them in its summary). */
function eventsOnStderr(streams: Streams, live: boolean): (e: PipelineEvent) => void {
  return (e) => {
    if (audienceOf(e) !== 'alert' || live) streams.err(`syncscope: ${renderEvent(e)}\n`);
  };
}

const RENDERERS: Readonly<Record<RunFormat | 'quiet', (streams: Streams, live: boolean) => Renderer>> = {
  text: (streams, live) => ({
    event: eventsOnStderr(streams, live),
    summary: async (s) => streams.err(textSummary(s)),
  }),
  json: (streams, live) => ({
    event: eventsOnStderr(streams, live),
    summary: async (s) => {
      streams.err(rejectsSummary(s.result));
      await streams.out(`${JSON.stringify(jsonSummary(s))}\n`);
    },
  }),
  quiet: (streams) => ({
    event: (e) => {
      if (audienceOf(e) === 'error') streams.err(`syncscope: ${renderEvent(e)}\n`);
    },
    summary: async () => {},
  }),
};

export interface RunReporter {
  /** Every typed event of the run, as it happens (the run's EventSink). */
  readonly emit: (e: PipelineEvent) => void;
  /** The end of a run that finished or was stopped and flushed. */
  finish(result: RunResult, secs: number): Promise<void>;
}

/**
 * The renderer for `--quiet` / `--format`, with the alert count the summary needs. `live`: the
 * run follows (`--follow`, or stdin until it ends), so alert lines are printed as they happen.
 */
export function runReporter(o: { quiet: boolean; format: RunFormat; live: boolean }, streams: Streams): RunReporter {
  const renderer = RENDERERS[o.quiet ? 'quiet' : o.format](streams, o.live);
  let opened = 0;
  let resolved = 0;
  return {
    emit(e) {
      if (e.kind === 'alert-opened') opened++;
      else if (e.kind === 'alert-resolved') resolved++;
      renderer.event(e);
    },
    finish: (result, secs) => renderer.summary({ result, secs, opened, resolved }),
  };
}
