/**
 * SIGINT/SIGTERM end `run` with every output flushed and exit 0, even when they land while the
 * CLI is still loading its modules: until a listener exists, the default action kills the
 * process. So the bin entry catches them first (this module imports nothing); `run` then takes
 * them over (a signal that came earlier is handed on at once), and every other command gives
 * them back to the default action.
 */
export type StopHandler = (signal: NodeJS.Signals) => void;

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
let early: NodeJS.Signals | null = null;
let handler: StopHandler | null = null;

function dispatch(signal: NodeJS.Signals): void {
  if (handler !== null) handler(signal);
  else early ??= signal;
}

/** The CLI's first statement. */
export function catchStopSignals(): void {
  for (const s of STOP_SIGNALS) process.on(s, dispatch);
}

/** `run`: `onStop` handles every SIGINT/SIGTERM from now on, and one that arrived before. */
export function onStopSignal(onStop: StopHandler): void {
  handler = onStop;
  if (early !== null) onStop(early);
  early = null;
}

/** Commands with nothing to flush: the default action again (a signal that already came ends the process now). */
export function restoreStopSignals(): void {
  for (const s of STOP_SIGNALS) process.off(s, dispatch);
  if (early !== null) process.kill(process.pid, early);
}
