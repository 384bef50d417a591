import { resolve } from 'node:path';
import type { PipelineEvent } from '../core/events.js';
import type { Snapshot } from '../core/snapshot.js';
import type { RunResult } from '../engine/run.js';
import { audienceOf, renderEvent } from '../../sinks/notices.js';

/**
 * How `syncscope run` talks to whoever runs it: the typed pipeline events as they happen and the
 * summary at the end, rendered in one place (`runReporter`) along two independent choices:
 *
 * - stderr: notices, alert lines when the run follows, the text summary; with --quiet errors only;
 * - --format: the text summary on stderr, or one JSON object on stdout at the end (`jsonSummary`),
 *   which --quiet keeps.
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

/** What `run --format json` prints (docs/run-output.md says what each field means). */
export interface RunJson {
  readonly now: string;
  readonly generated_at: string;
  readonly rows: { read: number; valid: number; rejected: number; late: number; duplicate: number };
  readonly health: { level: Snapshot['health']['level']; reasons: string[] };
  readonly alerts: { open: number; opened: number; resolved: number };
  /** Absolute path of the dashboard. */
  readonly dashboard: string;
}

/** The object `run --format json` prints, field for field and in this order. */
export function jsonSummary(s: RunSummary): RunJson {
  const snap = s.result.snapshot;
  const { read, valid, rejected, late, duplicate } = snap.rows;
  const { health } = snap;
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
  const how = result.stopped
    ? 'stopped; outputs and checkpoint flushed'
    : result.resumed ? `totals; resumed from checkpoint, ${result.readThisRun} read this run` : 'full scan';
  return (
    `syncscope: ${rows.read} rows read, ${rows.valid} valid, ${rows.rejected} rejected, ${rows.duplicate} duplicate, ${rows.late} late in ${s.secs.toFixed(2)}s (${how})\n` +
    `syncscope: dashboard ${result.layout.summaryMd}\n` +
    rejectsSummary(result)
  );
}

function rejectsSummary(result: RunResult): string {
  const { rejected } = result.snapshot.rows;
  if (rejected === 0 || result.firstRejects.length === 0) return '';
  // Several files: each line says which file it is in.
  const where = (r: RunResult['firstRejects'][number]): string => (result.files > 1 ? `${r.file} line ${r.line}` : `line ${r.line}`);
  const shown = result.firstRejects.map((r) => `  ${where(r)}: ${r.reason}`).join('\n');
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

/**
 * What goes to stderr: everything (notices, errors, alert lines while following, the summary's
 * text), or with --quiet errors alone. Alert lines only while following: a batch counts them.
 */
const STDERR: Readonly<Record<'verbose' | 'quiet', (err: Streams['err'], live: boolean) => (e: PipelineEvent) => void>> = {
  verbose: (err, live) => (e) => {
    if (audienceOf(e) !== 'alert' || live) err(`syncscope: ${renderEvent(e)}\n`);
  },
  quiet: (err) => (e) => {
    if (audienceOf(e) === 'error') err(`syncscope: ${renderEvent(e)}\n`);
  },
};

/**
 * The end of the run: the text summary on stderr, or the JSON object on stdout. The JSON was
 * asked for by name, so --quiet keeps it and drops only the stderr lines around it.
 */
const SUMMARY: Readonly<Record<RunFormat, (streams: Streams, quiet: boolean) => (s: RunSummary) => Promise<void>>> = {
  text: (streams, quiet) => async (s) => {
    if (!quiet) streams.err(textSummary(s));
  },
  json: (streams, quiet) => async (s) => {
    if (!quiet) streams.err(rejectsSummary(s.result));
    await streams.out(`${JSON.stringify(jsonSummary(s))}\n`);
  },
};

function renderer(o: { quiet: boolean; format: RunFormat; live: boolean }, streams: Streams): Renderer {
  return {
    event: STDERR[o.quiet ? 'quiet' : 'verbose'](streams.err, o.live),
    summary: SUMMARY[o.format](streams, o.quiet),
  };
}

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
  const render = renderer(o, streams);
  let opened = 0;
  let resolved = 0;
  return {
    emit(e) {
      if (e.kind === 'alert-opened') opened++;
      else if (e.kind === 'alert-resolved') resolved++;
      render.event(e);
    },
    finish: (result, secs) => render.summary({ result, secs, opened, resolved }),
  };
}
