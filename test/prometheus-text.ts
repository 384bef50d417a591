// A strict reader of the Prometheus text exposition format (version 0.0.4), written from the
// format's rules rather than from prom-client, so the tests check what a scraper would read:
// `# HELP name text` (\\ and \n escaped), `# TYPE name type` before the family's samples, and
// samples `name{label="value",…} value` with \\, \" and \n escaped in label values.

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  help: string | null;
  type: string | null;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function unescapeHelp(s: string): string {
  return s.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`not a sample value: ${text}`);
  return Number(text);
}

/** Labels from just after `{`; returns them and the index after the closing `}`. */
function parseLabels(line: string, at: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = at;
  for (;;) {
    if (line[i] === '}') return { labels, end: i + 1 };
    const eq = line.indexOf('=', i);
    if (eq < 0) throw new Error(`label without "=": ${line}`);
    const name = line.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`bad label name "${name}": ${line}`);
    if (name in labels) throw new Error(`label ${name} twice: ${line}`);
    if (line[eq + 1] !== '"') throw new Error(`label value not quoted: ${line}`);
    let value = '';
    let j = eq + 2;
    for (;; j++) {
      const c = line[j];
      if (c === undefined) throw new Error(`unterminated label value: ${line}`);
      if (c === '"') break;
      if (c === '\\') {
        const e = line[++j];
        if (e === 'n') value += '\n';
        else if (e === '\\' || e === '"') value += e;
        else throw new Error(`bad escape \\${e ?? ''} in a label value: ${line}`);
      } else value += c;
    }
    labels[name] = value;
    i = j + 1;
    if (line[i] === ',') i++;
    else if (line[i] !== '}') throw new Error(`expected , or } after a label: ${line}`);
  }
}

/** Every family by name; throws on anything the format does not allow. */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (f === undefined) families.set(name, (f = { name, help: null, type: null, samples: [] }));
    return f;
  };
  if (!text.endsWith('\n')) throw new Error('the text must end with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (m === null) continue; // a plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`bad metric name: ${line}`);
      const f = family(name);
      if (kind === 'HELP') {
        if (f.help !== null) throw new Error(`HELP twice for ${name}`);
        f.help = unescapeHelp(rest);
      } else {
        if (f.type !== null || f.samples.length > 0) throw new Error(`TYPE for ${name} twice or after its samples`);
        if (!TYPES.has(rest)) throw new Error(`bad type: ${line}`);
        f.type = rest;
      }
      continue;
    }
    const nameEnd = line.search(/[{ ]/);
    if (nameEnd <= 0) throw new Error(`not a sample: ${line}`);
    const name = line.slice(0, nameEnd);
    if (!NAME.test(name)) throw new Error(`bad metric name: ${line}`);
    let labels: Record<string, string> = {};
    let rest = line.slice(nameEnd);
    if (rest.startsWith('{')) {
      const parsed = parseLabels(line, nameEnd + 1);
      labels = parsed.labels;
      rest = line.slice(parsed.end);
    }
    const parts = rest.trim().split(/ +/);
    if (!rest.startsWith(' ') || parts.length < 1 || parts.length > 2) throw new Error(`not a sample: ${line}`);
    const value = parseValue(parts[0]!);
    const f = families.get(name);
    if (f === undefined || f.type === null) throw new Error(`sample before the TYPE of its family: ${line}`);
    f.samples.push({ name, labels, value });
  }
  return families;
}

/** The value of the one sample of `name` whose labels are exactly `labels`; undefined if none. */
export function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  const hits = (families.get(name)?.samples ?? []).filter((s) => JSON.stringify(Object.entries(s.labels).sort()) === want);
  if (hits.length > 1) throw new Error(`${name} ${want}: ${hits.length} samples`);
  return hits[0]?.value;
}
