// The package as users install it: `npm pack` ships only what runs (the bundled CLI, docs,
// examples, README), and the tarball installed into a fresh global prefix runs without this
// clone or its devDependencies. The install fetches the runtime dependencies from the registry.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { childEnv, ensureBuilt, line, rawRow, REPO_ROOT, tempDir } from './core-helpers.js';

beforeAll(() => ensureBuilt());

interface PackedFile {
  readonly path: string;
}

describe('npm pack and a global install of the tarball', () => {
  it('ships dist/cli, docs, examples and README only; the installed bin prints help and runs a log', () => {
    const dir = tempDir('pack');
    const env = childEnv({ npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' });
    // --ignore-scripts: ensureBuilt has built dist already (a plain `npm pack` runs `prepare`, the build).
    const packed = JSON.parse(execFileSync('npm', ['pack', REPO_ROOT, '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: dir, env, encoding: 'utf8' })) as Array<{ filename: string; files: PackedFile[] }>;
    const { filename, files } = packed[0]!;
    const paths = files.map((f) => f.path);
    expect(paths).toContain('dist/cli/syncscope.mjs');
    expect(paths).toContain('dist/cli/scan-worker.mjs'); // the entry --threads starts for a large file
    expect(paths).toContain('README.md');
    expect(paths).toContain('LICENSE');
    expect(paths).toContain('package.json');
    for (const p of paths) expect(p, p).toMatch(/^(dist\/cli\/|docs\/|examples\/|README\.md$|LICENSE$|package\.json$)/);

    const prefix = join(dir, 'prefix');
    const install = spawnSync('npm', ['install', '-g', '--prefix', prefix, join(dir, filename)], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
    expect(install.status, install.stderr).toBe(0);
    const bin = join(prefix, 'bin', 'syncscope');
    expect(existsSync(bin)).toBe(true);
    const installed = join(prefix, 'lib', 'node_modules', 'syncscope');
    expect(existsSync(join(installed, 'node_modules', 'typescript'))).toBe(false);

    const help = spawnSync(bin, ['--help'], { cwd: dir, env, encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: syncscope /);

    const log = join(dir, 'in.ndjson');
    writeFileSync(log, `${line(rawRow({ ts: '2026-04-16T10:00:00Z', ok: true }))}\n${line(rawRow({ ts: '2026-04-16T10:05:00Z', ok: true, op: 'pull' }))}\n`);
    const run = spawnSync(bin, ['run', log, '--state', join(dir, 'state'), '--now', 'latest', '--no-progress'], { cwd: dir, env, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const snapshot = JSON.parse(readFileSync(join(dir, 'state', 'log', 'sync-summary.json'), 'utf8')) as { rows: { valid: number } };
    expect(snapshot.rows.valid).toBe(2);
  }, 180_000);
});
