/**
 * Where the time goes: `node dist/bench/run.js --phases` runs the pipeline once per size under
 * `node --cpu-prof` (one profile per thread: the main thread and each scan worker) and sums
 * each profile's self time by phase. A sample's phase is decided by its own frame or the
 * nearest caller that says something: a file of the pipeline (by its path under dist/), a
 * package (rxjs, zod, …) or a module body being evaluated (start-up). Shared helpers
 * (pipeline/core: columns, time, money) take their caller's phase, so `gatherFrom` called by the
 * reorder counts as reorder. Built-ins (JSON.parse, Buffer#toString, fs calls) count for
 * their caller too, since V8 inlines some of them into it anyway. It is a sampling profiler:
 * phases under ~2 samples (ms at the default interval) are noise. Files are mapped by their
 * path under dist/, so profile tsc's output (one file per module), not a bundle.
 */

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

/** The `.cpuprofile` format Node's --cpu-prof writes (times in µs). */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export const PHASES = [
  'start-up (module load and compile)',
  'CLI (options, progress, messages)',
  'read + split',
  'scan + validate (ingest, row-parser, JSON.parse, zod)',
  'hand-off between threads (post, transfer, re-key)',
  'engine + RxJS plumbing',
  'reorder by ts',
  'operators (metrics, lint)',
  'outputs (sinks, state, checkpoint, snapshot)',
  'GC',
  'idle (waiting for I/O or another thread)',
  'V8 / native, unattributed',
  'other (Node internals, unmapped files)',
] as const;
export type Phase = (typeof PHASES)[number];

const [START_UP, CLI, READ, SCAN, HAND_OFF, ENGINE, REORDER, OPERATORS, OUTPUTS, GC, IDLE, NATIVE, OTHER] = PHASES;

/** Paths under dist/, first match wins; `null`: a shared helper, the caller decides. */
const BY_PATH: [prefix: string, phase: Phase | null][] = [
  ['pipeline/source/', READ],
  ['pipeline/engine/ingest.', SCAN],
  ['pipeline/engine/row-parser.', SCAN],
  ['pipeline/engine/line-scanner.', SCAN],
  ['pipeline/engine/scan-chunk.', SCAN],
  ['pipeline/engine/scan-worker.', SCAN],
  ['pipeline/engine/parallel-scan.', HAND_OFF],
  ['pipeline/engine/scan-protocol.', HAND_OFF],
  ['pipeline/engine/outputs.', OUTPUTS],
  ['pipeline/engine/snapshot.', OUTPUTS],
  ['pipeline/engine/tallies.', OUTPUTS],
  ['pipeline/engine/', ENGINE],
  ['pipeline/state/', OUTPUTS],
  ['pipeline/core/atomic-write.', OUTPUTS],
  ['pipeline/core/kv-store.', OUTPUTS],
  ['pipeline/core/stale-temps.', OUTPUTS],
  ['pipeline/core/', null],
  ['pipeline/cli/', CLI],
  ['operators/metrics/reorder-by-ts.', REORDER],
  ['operators/', OPERATORS],
  ['sinks/', OUTPUTS],
];

const BY_PACKAGE: Record<string, Phase> = {
  rxjs: ENGINE,
  zod: SCAN,
  commander: CLI,
  'cli-progress': CLI,
  picomatch: CLI,
  'csv-stringify': OUTPUTS,
};

/** Node's own modules, used only when no caller in the stack says more. */
const BY_NODE_MODULE: [prefix: string, phase: Phase][] = [
  ['node:internal/worker', HAND_OFF],
  ['node:internal/per_context/messageport', HAND_OFF],
  ['node:internal/event_target', HAND_OFF],
  ['node:internal/fs/', READ],
  ['node:internal/streams/', READ],
  ['node:fs', READ],
  ['node:buffer', READ],
  ['node:internal/encoding', READ],
];

const SPECIAL: Record<string, Phase> = {
  '(garbage collector)': GC,
  '(idle)': IDLE,
  '(program)': NATIVE,
  '(root)': NATIVE,
};

/** What one frame says about the phase: a phase, or undefined (ask the caller). */
export function framePhase(frame: CallFrame): Phase | undefined {
  const { url, functionName } = frame;
  if (url === '') return undefined; // a built-in (JSON.parse, fs bindings, …): its caller decides
  if (url.startsWith('node:internal/modules/') || url.startsWith('node:internal/bootstrap/') || url.includes('cjs-module-lexer')) return START_UP;
  // A module's top-level code (an ES module body, or CommonJS's wrapper) starts at 0:0 and has no name.
  if (functionName === '' && frame.lineNumber === 0 && frame.columnNumber === 0) return START_UP;
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (pkg !== undefined) return BY_PACKAGE[pkg];
  const dist = url.lastIndexOf('/dist/');
  if (dist >= 0) {
    const path = url.slice(dist + '/dist/'.length);
    for (const [prefix, phase] of BY_PATH) if (path.startsWith(prefix)) return phase ?? undefined;
  }
  return undefined;
}

function nodeModulePhase(frame: CallFrame): Phase | undefined {
  return BY_NODE_MODULE.find(([prefix]) => frame.url.startsWith(prefix))?.[1];
}

export interface ProfileSummary {
  /** Profiled span in µs (first to last sample). */
  spanUs: number;
  /** Self time per phase, µs. */
  byPhase: Map<Phase, number>;
  /** Self time per function, µs, heaviest first. */
  functions: { label: string; phase: Phase; us: number }[];
}

export function summariseProfile(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map<number, Phase>();
  // Iterative walk to the root (stacks can be deep); memoised per node, since callers repeat.
  const phaseOf = (id: number): Phase => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const self = byId.get(id)?.callFrame;
    const special = self === undefined ? undefined : SPECIAL[self.functionName];
    if (special !== undefined && self?.url === '') return remember(id, special);
    let fallback: Phase | undefined;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (frame === undefined) break;
      const phase = framePhase(frame);
      if (phase !== undefined) return remember(id, phase);
      fallback ??= nodeModulePhase(frame);
    }
    return remember(id, fallback ?? OTHER);
  };
  const remember = (id: number, phase: Phase): Phase => {
    memo.set(id, phase);
    return phase;
  };

  const byPhase = new Map<Phase, number>(PHASES.map((p) => [p, 0]));
  const byFunction = new Map<string, { label: string; phase: Phase; us: number }>();
  const { samples, timeDeltas } = profile;
  // timeDeltas[i] is the gap before sample i, so sample i lasts until sample i + 1.
  let at = profile.startTime;
  const times = samples.map((_, i) => (at += timeDeltas[i] ?? 0));
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number;
    const us = Math.max(0, (i + 1 < samples.length ? (times[i + 1] as number) : profile.endTime) - (times[i] as number));
    const phase = phaseOf(id);
    byPhase.set(phase, (byPhase.get(phase) ?? 0) + us);
    const frame = byId.get(id)?.callFrame;
    const label = frame === undefined ? '?' : frameLabel(frame);
    // A helper called from two phases is listed once per phase.
    const key = `${label}\u0000${phase}`;
    const entry = byFunction.get(key) ?? { label, phase, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
  }
  const spanUs = samples.length === 0 ? 0 : profile.endTime - (times[0] as number);
  return { spanUs, byPhase, functions: [...byFunction.values()].sort((a, b) => b.us - a.us) };
}

function frameLabel(frame: CallFrame): string {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  if (frame.url === '') return name;
  const dist = frame.url.lastIndexOf('/dist/');
  const pkg = frame.url.lastIndexOf('/node_modules/');
  const file = dist >= 0 ? frame.url.slice(dist + 6) : pkg >= 0 ? frame.url.slice(pkg + 14) : frame.url;
  return `${name} (${file}:${frame.lineNumber + 1})`;
}

/** Adds summaries up (the workers of one run). */
export function mergeSummaries(all: ProfileSummary[]): ProfileSummary {
  const byPhase = new Map<Phase, number>(PHASES.map((p) => [p, 0]));
  const byFunction = new Map<string, { label: string; phase: Phase; us: number }>();
  let spanUs = 0;
  for (const s of all) {
    spanUs += s.spanUs;
    for (const [p, us] of s.byPhase) byPhase.set(p, (byPhase.get(p) ?? 0) + us);
    for (const f of s.functions) {
      const key = `${f.label}\u0000${f.phase}`;
      const entry = byFunction.get(key) ?? { ...f, us: 0 };
      entry.us += f.us;
      byFunction.set(key, entry);
    }
  }
  return { spanUs, byPhase, functions: [...byFunction.values()].sort((a, b) => b.us - a.us) };
}

/** Main thread (and workers, summed) per phase, in ms and % of the thread's profiled time. */
export function renderPhases(main: ProfileSummary, workers: ProfileSummary | null, workerCount: number): string {
  const ms = (us: number): string => (us / 1000).toLocaleString('en-US', { maximumFractionDigits: 0 });
  const pct = (us: number, of: number): string => (of === 0 ? '—' : `${((100 * us) / of).toFixed(1)}%`);
  const head = workers === null
    ? ['| phase | main thread ms | % |', '|---|---:|---:|']
    : [`| phase | main thread ms | % | ${workerCount} worker thread${workerCount === 1 ? '' : 's'}, ms (sum) | % |`, '|---|---:|---:|---:|---:|'];
  const rows = PHASES.map((p) => {
    const m = main.byPhase.get(p) ?? 0;
    const w = workers?.byPhase.get(p) ?? 0;
    return workers === null
      ? `| ${p} | ${ms(m)} | ${pct(m, main.spanUs)} |`
      : `| ${p} | ${ms(m)} | ${pct(m, main.spanUs)} | ${ms(w)} | ${pct(w, workers.spanUs)} |`;
  });
  const total = workers === null
    ? `| **profiled** | **${ms(main.spanUs)}** | |`
    : `| **profiled** | **${ms(main.spanUs)}** | | **${ms(workers.spanUs)}** | |`;
  return [...head, ...rows, total].join('\n');
}

/** The heaviest functions by self time, with the phase each was counted in. */
export function renderTopFunctions(summary: ProfileSummary, count: number): string {
  return summary.functions
    .slice(0, count)
    .map((f) => `  ${(f.us / 1000).toFixed(0).padStart(6)} ms  ${f.label}  → ${f.phase}`)
    .join('\n');
}
