// `npm run <script> -- --help` prints usage and exits 0 for every script a user may run; an
// unknown flag is one line `<script>: unknown option '--bogus' (see npm run <script> -- --help)`
// and exit 2. Runs node on the files package.json's scripts run.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { childEnv, ensureBuilt, REPO_ROOT } from './core-helpers.js';

beforeAll(() => ensureBuilt());

const SCRIPTS: ReadonlyArray<{ npm: string; name: string; file: string }> = [
  { npm: 'gen', name: 'gen', file: 'dist/bench/gen.js' },
  { npm: 'bench', name: 'bench', file: 'dist/bench/run.js' },
  { npm: 'bench:soak', name: 'soak', file: 'dist/bench/soak.js' },
  { npm: 'bench:follow-soak', name: 'follow-soak', file: 'dist/bench/follow-soak.js' },
  { npm: 'demo', name: 'demo', file: 'dist/examples/demo.js' },
  { npm: 'worker:dev', name: 'worker:dev', file: 'worker/dev.mjs' },
  { npm: 'docs:cli', name: 'docs:cli', file: 'pipeline/cli/cli-docs.mjs' },
];

function runNode(file: string, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, file), ...args], { cwd: REPO_ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('--help on every npm script', () => {
  it('the list covers the scripts a user runs, each as package.json runs it', () => {
    const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const s of SCRIPTS) expect(scripts[s.npm], s.npm).toBe(`node ${s.file}`);
  });

  for (const s of SCRIPTS) {
    it(`npm run ${s.npm} -- --help / -h: usage on stdout, exit 0; --bogus: one line, exit 2`, async () => {
      const [help, short, bogus] = await Promise.all([runNode(s.file, ['--help']), runNode(s.file, ['-h']), runNode(s.file, ['--bogus'])]);
      expect(help.code, help.stderr).toBe(0);
      expect(help.stdout).toMatch(/^usage: /);
      expect(help.stdout).toContain(`npm run ${s.npm}`);
      expect(help.stdout).not.toMatch(/SPEC|§/);
      expect(help.stderr).toBe('');
      expect(short).toEqual(help);
      expect(bogus.code).toBe(2);
      expect(bogus.stdout).toBe('');
      expect(bogus.stderr).toBe(`${s.name}: unknown option '--bogus' (see npm run ${s.npm} -- --help)\n`);
    });
  }
});
