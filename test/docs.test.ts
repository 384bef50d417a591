import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, ensureBuilt, runCliSync, tempDir } from './core-helpers.js';
import { DOC as CLI_DOC, renderCliDoc } from '../pipeline/cli/cli-docs.mjs';

/**
 * The user documentation: a README short enough to read (the rest in docs/), whose quick start
 * stays true, with links that all resolve and nothing that points outside the repo.
 */
const README = join(REPO_ROOT, 'README.md');
const DOCS = join(REPO_ROOT, 'docs');
const docFiles = readdirSync(DOCS).filter((f) => f.endsWith('.md')).map((f) => join(DOCS, f));
/** Every markdown file a user reads. */
const userFiles = [README, join(REPO_ROOT, 'worker', 'README.md'), ...docFiles];
const rel = (p: string): string => relative(REPO_ROOT, p);

/** The text outside fenced code blocks (links and headings inside them are examples). */
function prose(md: string): string {
  return md.replace(/^```[^\n]*\n[\s\S]*?^```[^\n]*$/gm, '');
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes; repeats get -1, -2…. */
function anchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of prose(md).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = (m[1] ?? '').toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** The targets of the markdown links `[text](target)` in the prose, inline code removed. */
function linkTargets(md: string): string[] {
  const text = prose(md).replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1] ?? '');
}

describe('README', () => {
  const readme = readFileSync(README, 'utf8');

  it('is at most 10 KiB', () => {
    expect(statSync(README).size).toBeLessThanOrEqual(10_240);
  });

  it('has the two quick-start commands verbatim', () => {
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm ci && npm test');
  });

  it('links every file in docs/', () => {
    const linked = new Set(linkTargets(readme).map((t) => resolve(REPO_ROOT, t.split('#')[0] ?? '')));
    expect(docFiles.filter((f) => !linked.has(f)).map(rel)).toEqual([]);
  });
});

describe('user docs', () => {
  it('every relative link resolves to a file in the repo, and its anchor to a heading', () => {
    const broken: string[] = [];
    for (const file of userFiles) {
      for (const target of linkTargets(readFileSync(file, 'utf8'))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [path = '', anchor] = target.split('#');
        const dest = path === '' ? file : resolve(dirname(file), path);
        if (relative(REPO_ROOT, dest).startsWith('..') || !existsSync(dest)) {
          broken.push(`${rel(file)}: ${target} (no such file in the repo)`);
        } else if (anchor !== undefined && dest.endsWith('.md') && !anchors(readFileSync(dest, 'utf8')).has(anchor)) {
          broken.push(`${rel(file)}: ${target} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('never points outside the repo: no SPEC, no shared folder, no path of this machine', () => {
    const leaks: string[] = [];
    for (const file of userFiles) {
      readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
        if (/\bSPEC\b|shared\/|\/work\/|\/home\//i.test(line)) leaks.push(`${rel(file)}:${i + 1}: ${line}`);
      });
    }
    expect(leaks).toEqual([]);
  });

  it('has no placeholder left for text still to be written', () => {
    const placeholders: string[] = [];
    for (const file of userFiles) {
      readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
        if (line.includes('<!-- filled from')) placeholders.push(`${rel(file)}:${i + 1}: ${line}`);
      });
    }
    expect(placeholders).toEqual([]);
  });
});

describe('docs generated or checked against the CLI', () => {
  beforeAll(() => ensureBuilt());

  it('docs/cli.md is the built CLI\'s --help (run `npm run docs:cli` after changing a command)', () => {
    expect(readFileSync(CLI_DOC, 'utf8')).toBe(renderCliDoc());
  });

  it('the README\'s dashboard sample is what `npm run demo` writes (same run: the sample log, --now latest)', () => {
    const sample = /^## A sample of the dashboard\n[\s\S]*?^```markdown\n([\s\S]*?)^```$/m.exec(readFileSync(README, 'utf8'))?.[1];
    expect(sample).toBeDefined();
    const dir = tempDir('docs-demo');
    const r = runCliSync(['run', join(REPO_ROOT, 'examples', 'sample-sync-events.ndjson'), '--now', 'latest', '--state', join(dir, 'state'), '--no-progress']);
    expect(r.code).toBe(0);
    const dashboard = readFileSync(join(dir, 'state', 'log', 'sync-summary.md'), 'utf8').split('\n');
    const shown = (sample ?? '').split('\n');
    const headlineLine = shown.find((l) => /^\*\*(OK|WARN|CRITICAL)\*\*/.test(l));
    expect(headlineLine).toBeDefined();
    expect(dashboard).toContain(headlineLine);
    // Every other line too, in the same order; "…" stands for lines left out, generated_at is the wall clock.
    let at = 0;
    const missing: string[] = [];
    for (const line of shown.filter((l) => l !== '…' && !l.startsWith('generated_at: '))) {
      const found = dashboard.indexOf(line, at);
      if (found < 0) missing.push(line);
      else at = found + 1;
    }
    expect(missing).toEqual([]);
  });

  it('the worked example in docs/cost.md gives the aggregates it shows', () => {
    const blocks = [...readFileSync(join(DOCS, 'cost.md'), 'utf8').matchAll(/^```json\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
    const [log, aggregates] = blocks;
    expect(blocks).toHaveLength(2);
    const dir = tempDir('docs-cost');
    writeFileSync(join(dir, 'log.ndjson'), log ?? '');
    const r = runCliSync(['run', 'log.ndjson', '--now', '2026-04-17T23:00:00Z', '--egress-included', '1GiB', '--state', 'state', '--no-progress'], { cwd: dir });
    expect(r.stderr).not.toMatch(/rejected, written/);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'state', 'log', 'evals.aggregate.ndjson'), 'utf8')).toBe(aggregates);
    expect(readFileSync(join(dir, 'state', 'log', 'sync-summary.md'), 'utf8')).toContain('Weekly total: **$0.34**');
  });
});
