import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, HOUR, MIN, REPO_ROOT, childEnv, ensureBuilt, iso, line, rawRow, readSnapshot, tempDir } from './core-helpers.js';

/**
 * The ready-made ways to run syncscope unattended (examples/): the sync client's tick script, the
 * cron line and the systemd unit, each run for real against the built CLI. Each must be silent
 * while all is well and speak up when something is wrong.
 */

const EXAMPLES = join(REPO_ROOT, 'examples');

beforeAll(() => ensureBuilt());

/** A folder laid out as the sync client has it: ROOT/state/{bin/sync,log}, and a `syncscope` on PATH. */
function syncInstall(): { root: string; state: string; log: string; env: NodeJS.ProcessEnv } {
  const root = tempDir('examples');
  const state = join(root, 'state');
  mkdirSync(join(state, 'bin', 'sync'), { recursive: true });
  mkdirSync(join(state, 'log'), { recursive: true });
  copyFileSync(join(EXAMPLES, 'sync-summary.sh'), join(state, 'bin', 'sync', 'sync-summary.sh'));
  chmodSync(join(state, 'bin', 'sync', 'sync-summary.sh'), 0o755);
  const bin = join(root, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'syncscope'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  chmodSync(join(bin, 'syncscope'), 0o755);
  const env = childEnv({ PATH: `${bin}:${process.env.PATH ?? ''}` });
  return { root, state, log: join(state, 'log', 'sync-events.ndjson'), env };
}

/** A healthy last hour by the wall clock: two machines pushing and pulling successfully. */
function healthyRows(end: number): string {
  let out = '';
  for (let t = end - HOUR; t < end; t += 5 * MIN) {
    for (const machine of ['mbpro-rb', 'nuc-1']) {
      out += line(rawRow({ ts: iso(t), op: 'push', repo: 'web', machine, ok: true, dur_ms: 700 })) + '\n';
      out += line(rawRow({ ts: iso(t + 1000), op: 'pull', repo: 'web', machine, ok: true, dur_ms: 300 })) + '\n';
    }
  }
  return out;
}

function burst(end: number): string {
  let out = '';
  for (let i = 3; i >= 1; i--) out += line(rawRow({ ts: iso(end - i * 1000), op: 'push', repo: 'web', machine: 'nuc-1', ok: false, error: 'access denied', dur_ms: 50 })) + '\n';
  return out;
}

function sh(command: string, cwd: string, env: NodeJS.ProcessEnv): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('sh', ['-c', command], { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('examples/sync-summary.sh (the sync client tick script)', () => {
  it('is silent while all is well, and still writes every output', () => {
    const inst = syncInstall();
    writeFileSync(inst.log, healthyRows(Date.now() - MIN));
    const r = sh('state/bin/sync/sync-summary.sh', inst.root, inst.env);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(readSnapshot(inst.state).health.level).toBe('ok');
    expect(existsSync(join(inst.state, 'log', 'sync-summary.md'))).toBe(true);
    expect(readFileSync(join(inst.state, 'log', 'sync-summary.md'), 'utf8')).toContain('generated_at:');
  });

  it('says what is wrong when an alert opens, and exits 1 under SYNC_SUMMARY_STRICT=1', () => {
    const inst = syncInstall();
    const end = Date.now() - MIN;
    writeFileSync(inst.log, healthyRows(end));
    expect(sh('state/bin/sync/sync-summary.sh', inst.root, inst.env).stderr).toBe('');
    appendFileSync(inst.log, burst(end));
    const r = sh('state/bin/sync/sync-summary.sh', inst.root, inst.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^syncscope: critical: .*alert/m);
    const strict = sh('SYNC_SUMMARY_STRICT=1 state/bin/sync/sync-summary.sh', inst.root, inst.env);
    expect(strict.code).toBe(1);
  });

  it('says so when the log has had nothing new for a day', () => {
    const inst = syncInstall();
    writeFileSync(inst.log, healthyRows(Date.now() - 3 * 24 * HOUR));
    const r = sh('state/bin/sync/sync-summary.sh', inst.root, inst.env);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^syncscope: warn: .*--now latest/m);
  });

  it('passes a failing run through: its error and its exit code', () => {
    const inst = syncInstall();
    const r = sh('state/bin/sync/sync-summary.sh', inst.root, inst.env); // no log yet
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^syncscope: .*sync-events\.ndjson/m);
  });

  it('answers --help, and refuses an unknown argument with exit 2', () => {
    const inst = syncInstall();
    const help = sh('state/bin/sync/sync-summary.sh --help', inst.root, inst.env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('state/bin/sync/sync-summary.sh');
    const bad = sh('state/bin/sync/sync-summary.sh --bogus', inst.root, inst.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--bogus');
  });
});

describe('examples/cron/syncscope.crontab', () => {
  const cronLine = (): { schedule: string[]; command: string } => {
    const lines = readFileSync(join(EXAMPLES, 'cron', 'syncscope.crontab'), 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(lines).toHaveLength(1);
    const fields = lines[0]!.trim().split(/\s+/);
    return { schedule: fields.slice(0, 5), command: fields.slice(5).join(' ') };
  };

  it('is one crontab line with a valid schedule', () => {
    const { schedule } = cronLine();
    for (const f of schedule) expect(f).toMatch(/^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/);
  });

  it('runs the tick script silently on a healthy install (as cron would, with sh -c)', () => {
    const inst = syncInstall();
    writeFileSync(inst.log, healthyRows(Date.now() - MIN));
    // cron runs the line with sh in $HOME; the example's /srv/sync stands for the install folder
    // and its PATH for where syncscope and node are installed.
    const command = cronLine().command.replace('/srv/sync', inst.root).replace(/^PATH=[^;]*;/, `PATH=${inst.env.PATH ?? ''};`);
    const r = sh(command, inst.root, inst.env);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(readSnapshot(inst.state).rows.valid).toBeGreaterThan(0);
  });
});

describe('examples/systemd/syncscope-follow.service', () => {
  const unit = readFileSync(join(EXAMPLES, 'systemd', 'syncscope-follow.service'), 'utf8');
  const key = (name: string): string => {
    const m = new RegExp(`^${name}=(.*)$`, 'm').exec(unit);
    expect(m, name).not.toBeNull();
    return m![1]!;
  };

  it('has the sections and keys a user service needs', () => {
    for (const section of ['[Unit]', '[Service]', '[Install]']) expect(unit).toContain(section);
    expect(key('KillSignal')).toBe('SIGTERM');
    expect(key('Restart')).toBe('on-failure');
    expect(key('WantedBy')).toBe('default.target');
  });

  it('its ExecStart follows the log, prints only its start line while all is well, and stops cleanly on SIGTERM with a summary', async () => {
    const inst = syncInstall();
    writeFileSync(inst.log, healthyRows(Date.now() - MIN));
    const cwd = key('WorkingDirectory').replace('%h/sync', inst.root);
    expect(cwd).toBe(inst.root);
    const [, ...args] = key('ExecStart').split(' '); // systemd's own word splitting: no quotes used
    expect(args.slice(0, 2)).toEqual(['run', '--follow']);
    const child = spawn(process.execPath, [CLI, ...args, '--tick', '1s'], { cwd, env: inst.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const dashboard = join(inst.state, 'log', 'sync-summary.json');
    for (let i = 0; i < 300 && !existsSync(dashboard); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(dashboard)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    // While it runs and all is well: the start line alone, however many ticks pass.
    expect(stderr).toMatch(/^syncscope: following state\/log\/sync-events\.ndjson; outputs every 1s in .*\n$/);
    const code = await new Promise<number | null>((res) => {
      child.on('close', res);
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(stdout).toBe('');
    // On stop: the summary of what it read (what a journal shows for a clean stop).
    expect(stderr.trim().split('\n').slice(1).join('\n')).toMatch(/^syncscope: \d+ rows read, .* \(stopped; outputs and checkpoint flushed\)\nsyncscope: dashboard /);
    expect(readSnapshot(inst.state).health.level).toBe('ok');
  }, 60_000);
});
