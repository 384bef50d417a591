import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Reject } from '../pipeline/core/row.js';

/**
 * Appends rejected lines as `{"file","line","reason","raw"}` ndjson, in input order. A fresh scan (not resuming from a
 * checkpoint) starts the file over, so re-running never duplicates a reject.
 */
export class RejectsFile {
  constructor(private readonly path: string, fresh: boolean) {
    mkdirSync(dirname(path), { recursive: true });
    if (fresh) writeFileSync(path, '');
  }

  append(rejects: readonly Reject[]): void {
    if (rejects.length === 0) return;
    let text = '';
    for (const r of rejects) text += `${JSON.stringify({ file: r.file, line: r.line, reason: r.reason, raw: r.raw })}\n`;
    appendFileSync(this.path, text);
  }
}
