// Bundles the CLI for Node with esbuild: dist/cli/syncscope.mjs (the package's bin) and its
// chunks beside it. Code splitting turns each dynamic import() into its own chunk, so a command
// loads only its own module graph (commands.ts) and `--help` loads almost nothing. Dependencies
// are bundled in; Node's built-ins stay imports. `npm run build` runs this after tsc (which
// typechecks); `node pipeline/cli/bundle.mjs` bundles alone, from the TypeScript sources.
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUNDLE_DIR = join(ROOT, 'dist', 'cli');

/**
 * One file in BUNDLE_DIR per entry, named `<out>.mjs`; modules shared by entries go to common
 * chunks. A worker thread's script is one more line here; code in any chunk finds a sibling
 * entry as `new URL('./<out>.mjs', import.meta.url)`, since every file lands in BUNDLE_DIR.
 */
export const ENTRIES = [
  { in: 'pipeline/cli/bin.ts', out: 'syncscope' },
  // The scan worker of `run --threads` (pipeline/engine/run-loop.ts finds it beside its chunk).
  { in: 'pipeline/engine/scan-worker.ts', out: 'scan-worker' },
];

/** The bin: what package.json's `bin` and the tests run. */
export const CLI_BUNDLE = join(BUNDLE_DIR, 'syncscope.mjs');

/**
 * Packages whose `node` export condition is CommonJS although they ship ES modules: rxjs's
 * CommonJS build costs ~0.1 s at every start and cannot be tree-shaken. esbuild always applies
 * the `node` condition on platform node, so these imports are resolved here to the ESM file.
 */
const ESM_INSTEAD = { rxjs: 'dist/esm/index.js' };

const esmInstead = {
  name: 'esm-instead',
  setup(build) {
    const require = createRequire(import.meta.url);
    const filter = new RegExp(`^(${Object.keys(ESM_INSTEAD).join('|')})$`);
    build.onResolve({ filter }, ({ path }) => ({ path: join(dirname(require.resolve(`${path}/package.json`)), ESM_INSTEAD[path]) }));
  },
};

/**
 * Files that must not get into the bundle, each a start-up cost paid by every command that loads
 * it; the build fails, saying how to keep it out.
 */
const KEEP_OUT = [
  { input: /node_modules\/rxjs\/dist\/(cjs|esm5)\//, fix: 'rxjs outside its ES2015 build: import it by its bare name, `rxjs`' },
  { input: /node_modules\/zod\/v4\/locales\/(?!en\.js)/, fix: "every zod locale: import zod as `import * as z from 'zod'`, not `import { z }`" },
];

/**
 * What `--help` loads: the bin and the command definitions (program.ts, commands.ts), with every
 * chunk they import statically. The modules each command loads on its own must stay out of it.
 */
const HELP_LOADS = ['pipeline/cli/bin.ts', 'pipeline/cli/program.ts'];
const HELP_KEEP_OUT = /(^|\/)(node_modules\/(zod|rxjs)|pipeline\/engine|pipeline\/state)\//;

function loadedForHelp(metafile) {
  const { outputs } = metafile;
  const todo = Object.keys(outputs).filter((o) => HELP_LOADS.includes(outputs[o].entryPoint));
  const seen = new Set();
  while (todo.length > 0) {
    const o = todo.pop();
    if (seen.has(o)) continue;
    seen.add(o);
    for (const i of outputs[o].imports) if (i.kind === 'import-statement' && i.path in outputs) todo.push(i.path);
  }
  return [...seen].flatMap((o) => Object.keys(outputs[o].inputs));
}

// Bundled CommonJS packages (commander, picomatch, cli-progress) require() Node's built-ins;
// an ES module has no `require`, so every file gets one.
const BANNER = "import { createRequire as __syncscopeRequire } from 'node:module'; const require = __syncscopeRequire(import.meta.url);";

/** Builds every entry into BUNDLE_DIR; returns the esbuild metafile (which inputs went into which file). */
export async function bundleCli(outdir = BUNDLE_DIR) {
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: ENTRIES,
    outdir,
    bundle: true,
    splitting: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    banner: { js: BANNER },
    plugins: [esmInstead],
    legalComments: 'none',
    logLevel: 'warning',
  });
  // metafile.inputs lists every file read, tree-shaken or not: look at what the outputs hold.
  const inputs = Object.values(result.metafile.outputs).flatMap((o) => Object.entries(o.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([f]) => f));
  for (const { input, fix } of KEEP_OUT) {
    const found = inputs.filter((f) => input.test(f));
    if (found.length > 0) throw new Error(`bundle: ${fix} (${found.length} files, e.g. ${found[0]})`);
  }
  const heavy = loadedForHelp(result.metafile).filter((f) => HELP_KEEP_OUT.test(f));
  if (heavy.length > 0) throw new Error(`bundle: --help would load ${heavy.length} files such as ${heavy[0]}: import it in a command's own module, not in commands.ts or program.ts`);
  await writeAtomically(outdir, result.outputFiles);
  return result.metafile;
}

/**
 * Chunks first (their names carry a content hash, so a running CLI never sees one change), then
 * the entries, each by temp + rename; last, the chunks no entry uses any more are removed.
 */
async function writeAtomically(outdir, files) {
  await mkdir(outdir, { recursive: true });
  const entryNames = new Set(ENTRIES.map((e) => `${e.out}.mjs`));
  const ordered = [...files].sort((a, b) => Number(entryNames.has(basename(a.path))) - Number(entryNames.has(basename(b.path))));
  for (const file of ordered) {
    const tmp = `${file.path}.${process.pid}.tmp`;
    await writeFile(tmp, file.contents, { mode: entryNames.has(basename(file.path)) ? 0o755 : 0o644 });
    await rename(tmp, file.path);
  }
  const kept = new Set(files.map((f) => basename(f.path)));
  for (const name of await readdir(outdir)) if (!kept.has(name)) await rm(join(outdir, name), { force: true });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await bundleCli();
    console.log(`cli bundle: ${CLI_BUNDLE}`);
  } catch (err) {
    // esbuild printed its own diagnostics.
    if (!(err && typeof err === 'object' && 'errors' in err)) console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
