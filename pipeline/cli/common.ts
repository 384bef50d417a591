import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { UsageError } from './options.js';

/** Flags every command takes: --state and --now. */
export function commonFlags(cmd: Command): Command {
  return cmd
    .option('--state <dir>', 'state folder: outputs under DIR/log, KV under DIR/kv', './state')
    .option('--now <time>', 'NOW: an RFC 3339 timestamp, or "latest" (the newest row\'s ts); default: the wall clock');
}

/** A missing or unreadable input is a usage error (exit 2), stated plainly. */
export function checkInput(path: string): void {
  if (path === '-') return;
  if (!existsSync(path)) throw new UsageError(`input file not found: ${path}`);
  const st = statSync(path);
  if (!st.isFile()) throw new UsageError(`input is not a regular file: ${path}`);
}
