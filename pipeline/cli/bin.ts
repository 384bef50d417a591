#!/usr/bin/env node
// The bin entry: catch SIGINT/SIGTERM before anything else, then load the CLI. Loading its
// modules takes a while and ESM loads every static import before any module body runs, so the
// handlers must come from this tiny module, and the rest by a dynamic import.
import { catchStopSignals } from './stop-signals.js';

catchStopSignals();
await import('./program.js');
