// Builds the Worker: typecheck worker/ (its own tsconfig, Workers types), then bundle
// worker/index.ts with zod and pipeline/status.ts into one ES module, dist/worker/worker.js,
// the file `wrangler deploy` uploads and Miniflare runs. `node worker/build.mjs --no-typecheck`
// bundles only (worker:dev and tests use that path through bundleWorker()).
import { execFileSync } from 'node:child_process';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
export const WORKER_ENTRY = join(here, 'index.ts');
export const WORKER_BUNDLE = resolve(here, '..', 'dist', 'worker', 'worker.js');

/** tsc -p worker/tsconfig.json; throws (non-zero exit) on type errors, printing them. */
export function typecheckWorker() {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(here, 'tsconfig.json')], { stdio: 'inherit' });
}

/** Bundles to WORKER_BUNDLE, written atomically (temp + rename) so a concurrent reader never sees half a file. */
export async function bundleWorker(outfile = WORKER_BUNDLE) {
  const result = await esbuild.build({
    entryPoints: [WORKER_ENTRY],
    outfile,
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    legalComments: 'none',
    logLevel: 'warning',
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error('esbuild produced no output');
  await mkdir(dirname(outfile), { recursive: true });
  const tmp = `${outfile}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, file.contents);
  await rename(tmp, outfile);
  return outfile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    if (!process.argv.includes('--no-typecheck')) typecheckWorker();
    const out = await bundleWorker();
    console.log(`worker bundle: ${out}`);
  } catch (err) {
    // tsc already printed its diagnostics; esbuild printed its own.
    if (!(err && typeof err === 'object' && 'status' in err)) console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
