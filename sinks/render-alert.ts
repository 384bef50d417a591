import * as z from 'zod';
import { formatTs, instantMs } from '../pipeline/core/time.js';
import { cell, table } from './format.js';
import { type Cluster } from '../pipeline/core/alerts.js';

const YAML_NON_STRINGS = /^(true|false|null|yes|no|on|off|y|n|~)$/i;

/** Plain when YAML would read it back as the same string; JSON-quoted otherwise. */
function yamlValue(v: string): string {
  return /^[A-Za-z_][A-Za-z0-9._\/-]*$/.test(v) && !YAML_NON_STRINGS.test(v) ? v : JSON.stringify(v);
}

/**
 * An alert file for a person at 3 a.m.: front matter (SPEC §4), what is failing and since when,
 * the distinct errors with counts, then every failure's full error chain. Pure: the same
 * cluster always renders the same bytes, so re-runs rewrite identical files.
 */
export function renderAlert(c: Cluster): string {
  const resolved = c.resolved_at !== null;
  const fm = [
    '---',
    `tenant_id: ${yamlValue(c.tenant_id)}`,
    `repo: ${yamlValue(c.repo)}`,
    `opened_at: ${formatTs(c.opened_at)}`,
    `last_failure_at: ${formatTs(c.last_failure_at)}`,
    `failures: ${c.failures.length}`,
    `status: ${resolved ? 'resolved' : 'open'}`,
  ];
  if (c.resolved_at !== null) fm.push(`resolved_at: ${formatTs(c.resolved_at)}`);
  fm.push('---', '');

  const machines = [...new Set(c.failures.map((f) => f.machine))].sort();
  const distinct = new Map<string, number>();
  for (const f of c.failures) {
    const key = f.errors.length > 0 ? f.errors.join(' ← ') : '(no error text)';
    distinct.set(key, (distinct.get(key) ?? 0) + 1);
  }
  const ranked = [...distinct].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));

  const body = [
    `# Sync degraded: ${c.tenant_id} / ${c.repo}`,
    '',
    resolved
      ? `**Resolved** at ${formatTs(c.resolved_at!)}. It was failing from ${formatTs(c.opened_at)} to ${formatTs(c.last_failure_at)}.`
      : `**Failing since ${formatTs(c.opened_at)}**; last failure at ${formatTs(c.last_failure_at)}.`,
    '',
    `${c.failures.length} failures from ${machines.length} machine${machines.length === 1 ? '' : 's'}: ${machines.join(', ')}.`,
    '',
    '## Distinct errors',
    '',
    table(['count', 'error (outermost first)'], ranked.map(([e, n]) => [String(n), cell(e)])),
    '',
    '## Error chain',
    '',
  ];
  c.failures.forEach((f, i) => {
    body.push(`${i + 1}. ${formatTs(f.t)} · machine ${f.machine} · ${f.op} · scope ${f.scope} · trigger ${f.trigger} · ${f.file} line ${f.line}`);
    if (f.errors.length === 0) body.push('   - (no error text)');
    f.errors.forEach((e, depth) => body.push(`   ${'  '.repeat(depth)}- ${e.replace(/\r?\n/g, ' ')}`));
  });
  body.push('');
  return fm.join('\n') + body.join('\n');
}

/** What an open alert file's front matter says (renderAlert writes it). */
const OpenFrontMatter = z.object({
  tenant_id: z.string(),
  repo: z.string(),
  opened_at: instantMs,
  last_failure_at: instantMs,
  failures: z.string().regex(/^[1-9]\d*$/, 'not a whole number ≥ 1').transform(Number),
  status: z.literal('open'),
});

export type OpenAlertFacts = z.output<typeof OpenFrontMatter>;

/**
 * Reads back the front matter renderAlert wrote for an open cluster: values are plain, or
 * JSON-quoted when YAML would read them otherwise. Throws an Error saying what is wrong.
 */
export function parseOpenAlert(text: string): OpenAlertFacts {
  const lines = text.split('\n');
  const end = lines.indexOf('---', 1);
  if (lines[0] !== '---' || end < 0) throw new Error('no front matter block between --- lines at the top');
  const fields: Record<string, string> = {};
  for (const line of lines.slice(1, end)) {
    const m = /^([a-z_]+): (.*)$/.exec(line);
    if (m === null) throw new Error(`front matter line is not "key: value": ${JSON.stringify(line)}`);
    const value = m[2]!;
    fields[m[1]!] = value.startsWith('"') ? unquote(value) : value;
  }
  const r = OpenFrontMatter.safeParse(fields);
  if (!r.success) throw new Error(r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return r.data;
}

function unquote(value: string): string {
  try {
    const v: unknown = JSON.parse(value);
    if (typeof v === 'string') return v;
  } catch {
    // reported below as the value it is
  }
  throw new Error(`front matter value is not a JSON string: ${value}`);
}
