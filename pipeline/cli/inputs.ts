import { existsSync, readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { fileInputs } from '../engine/run.js';
import type { FileInputs } from '../engine/run-loop.js';
import { describeError, UsageError } from '../core/io-error.js';
import { checkInput } from './options.js';
import { stateLayout } from '../core/layout.js';

/** How deep a `**` glob looks under its base folder. */
const MAX_DEPTH = 16;
/** Folder entries looked at per glob at most (a glob on `/` must not walk the whole disk). */
const MAX_ENTRIES = 200_000;

/**
 * The argument is a pattern (quoted, so the shell left it to us), not a path. A name that exists
 * is a path whatever it holds (`logs/a?.ndjson`, or a name the shell's own expansion gave).
 */
export function isGlob(arg: string): boolean {
  return picomatch.scan(arg).isGlob && !existsSync(arg);
}

/**
 * The regular files a glob matches, as a shell would name them (`logs/a.ndjson` for
 * `logs/*.ndjson`), in code-unit order of those names. Dot files match only a pattern that names
 * the dot, as in a shell.
 */
export function matchGlob(pattern: string): string[] {
  const scan = picomatch.scan(pattern);
  const base = scan.prefix + scan.base;
  const test = picomatch(scan.glob, { dot: false });
  const depth = scan.glob.includes('**') ? MAX_DEPTH : scan.glob.split('/').length;
  const out: string[] = [];
  let seen = 0;
  const walk = (dir: string, rel: string, level: number): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir === '' ? '.' : dir, { withFileTypes: true });
    } catch {
      return; // a folder that is missing or unreadable matches nothing
    }
    for (const e of entries) {
      if (++seen > MAX_ENTRIES) return;
      const path = dir === '' ? e.name : join(dir, e.name);
      const relPath = rel === '' ? e.name : `${rel}/${e.name}`;
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const st = statSync(path);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          continue; // a dangling link
        }
      }
      if (isFile && test(relPath)) out.push(path);
      else if (isDir && level < depth && !e.name.startsWith('.')) walk(path, relPath, level + 1);
    }
  };
  walk(base, '', 1);
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A path with its links resolved, or as an absolute path when it does not exist (yet). */
function realOrAbsolute(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/**
 * The files `run --state DIR` writes: never an input. A glob like `state/log/*.ndjson` would
 * otherwise read the rejects file back, reject its lines again and append them (a follow fills
 * the disk). Resolved when asked: the state folder may appear only once the run writes it.
 */
function ownOutputs(stateDir: string): (path: string) => boolean {
  const l = stateLayout(stateDir);
  const files = [l.summaryMd, l.summaryJson, l.resolvedHistory, l.aggregates, l.rejects].map(realOrAbsolute);
  const dirs = [l.alertsDir, dirname(l.kvDir), l.internalDir].map((d) => realOrAbsolute(d) + sep);
  return (path) => {
    const real = realOrAbsolute(path);
    return files.includes(real) || dirs.some((d) => real.startsWith(d));
  };
}

/** A glob's matches without the run's own outputs; a path that names one of them is a usage error. */
function withoutOutputs(stateDir: string | undefined): { matches: (paths: string[]) => string[]; check: (path: string) => void } {
  if (stateDir === undefined) return { matches: (paths) => paths, check: () => {} };
  return {
    matches: (paths) => {
      const isOutput = ownOutputs(stateDir);
      return paths.filter((p) => !isOutput(p));
    },
    check: (path) => {
      if (ownOutputs(stateDir)(path)) throw new UsageError(`${path}: an output of this run (--state ${stateDir}), not an input`);
    },
  };
}

/**
 * `run FILE…` / `lint FILE…`: each argument a path or a glob, expanded in argument order (a
 * glob's matches in code-unit order), the same file named twice read once. A glob that matches
 * nothing is a usage error; so is a missing or unreadable file when it is the only input. With
 * several files, one that cannot be read is the run's to report (it reads the others); only
 * when none can be read does the command not start.
 */
export function batchInputs(args: readonly string[], stateDir?: string): FileInputs {
  const outputs = withoutOutputs(stateDir);
  const paths: string[] = [];
  for (const arg of args) {
    if (!isGlob(arg)) {
      outputs.check(arg);
      paths.push(arg);
      continue;
    }
    const matched = outputs.matches(matchGlob(arg));
    if (matched.length === 0) throw new UsageError(`no file matches ${arg}`);
    paths.push(...matched);
  }
  const inputs = { ...fileInputs(paths), glob: args.some(isGlob) };
  if (inputs.files.length === 1) {
    checkInput(inputs.files[0]!.label);
    return inputs;
  }
  const problems: string[] = [];
  for (const f of inputs.files) {
    try {
      checkInput(f.label);
    } catch (err) {
      problems.push(describeError(err));
    }
  }
  if (problems.length === inputs.files.length) throw new UsageError(`none of the ${inputs.files.length} input files can be read (${problems[0]})`);
  return inputs;
}

/** `--follow PATH|GLOB`: a path is followed like tail -F; a glob is matched again while following. */
export function followInputs(arg: string, stateDir?: string): FileInputs {
  const outputs = withoutOutputs(stateDir);
  if (!isGlob(arg)) {
    outputs.check(arg);
    return fileInputs([arg]);
  }
  const match = (): FileInputs['files'] => fileInputs(outputs.matches(matchGlob(arg))).files;
  return { files: match(), name: arg, rescan: match };
}
