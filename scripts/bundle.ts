/**
 * Builds the CLI bundle: dist/src/cli.bundle.js, the CLI and the libraries it
 * loads in one file, and dist/src/cli.bundle.cache, V8's code cache for it.
 * `bin/romscope.js` loads them when they are newer than the compiled modules
 * and falls back to the modules otherwise.
 *
 * Why: Node.js resolves, reads and compiles each module of the unbundled CLI
 * on every start (about 900 of them, 200 to 270 ms on the bench machine);
 * the bundle with its code cache starts in about a third of that
 * (docs/bench.md, "Start-up"). It runs in `npm run build`, `npm test` and
 * `npm install` (the prepare script), after tsc.
 *
 * Left outside the bundle, loaded from node_modules as before: native
 * modules (lz4-napi, zstd-napi, node-liblzma, better-sqlite3), the queue and
 * store servers' clients (bullmq, ioredis, pg; loaded only by their
 * commands), and xz-decompress (src/codecs/xz.ts reaches into its module).
 * The worker scripts stay separate files, found through src/paths.ts.
 *
 * Without esbuild (installed without dev dependencies) nothing is built and
 * the CLI runs from the modules.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Script } from 'node:vm';

/** Compiled to dist/scripts/bundle.js, so dist/src is ../src. */
const SRC = resolve(__dirname, '..', 'src');
export const BUNDLE = join(SRC, 'cli.bundle.js');
export const CACHE = join(SRC, 'cli.bundle.cache');

export const EXTERNAL = ['lz4-napi', 'zstd-napi', 'zstd-napi/*', 'node-liblzma', 'better-sqlite3', 'bullmq', 'ioredis', 'pg', 'xz-decompress', 'xz-decompress/*'];

/** bin/bundle-loader.js: how the bin compiles and runs the bundle. */
export interface BundleLoader {
  compileBundle(file: string, source: string, cachedData?: Buffer): Script;
  runBundle(script: Script, file: string): unknown;
}

export function bundleLoader(): BundleLoader {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(SRC, '..', '..', 'bin', 'bundle-loader.js')) as BundleLoader;
}

interface Esbuild {
  buildSync(o: Record<string, unknown>): { errors: unknown[]; warnings: { text: string }[] };
}

function loadEsbuild(): Esbuild | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('esbuild') as Esbuild;
  } catch {
    return null;
  }
}

/**
 * V8's code cache for the bundle, made after its top level has run (so the
 * functions start-up compiles are in it). The code cache is only a hint:
 * V8 rejects one made by another V8 version or with other flags, and the
 * bundle is then compiled as usual.
 */
function codeCache(file: string): Buffer {
  // Compiled and run as the bin does (the same wrapper source, or V8 would reject the cache).
  const { compileBundle, runBundle } = bundleLoader();
  const script = compileBundle(file, readFileSync(file, 'latin1'));
  runBundle(script, file);
  return script.createCachedData();
}

/**
 * The bundle with the characters outside ASCII in its `//` comments made
 * `?`, so the bin can read it as latin1: a plain copy into a one-byte string
 * (under 1 ms for 3 MB), where decoding it as UTF-8 takes 20 to 35 ms.
 * esbuild already writes strings, regular expressions and names in ASCII
 * (its default charset); anything outside ASCII left elsewhere fails the build.
 */
export function asciiOnly(source: string): string {
  const out = source
    .split('\n')
    .map((line) => (/^\s*\/\//.test(line) ? line.replace(/[^\x00-\x7f]/g, '?') : line))
    .join('\n');
  const at = out.search(/[^\x00-\x7f]/);
  if (at >= 0) throw new Error(`the bundle holds a character outside ASCII outside a comment, at offset ${at}: ${JSON.stringify(out.slice(Math.max(0, at - 40), at + 10))}`);
  return out;
}

export function bundle(): 'built' | 'skipped' {
  const esbuild = loadEsbuild();
  if (!esbuild) {
    // A stale bundle must not outlive the modules it was built from.
    rmSync(BUNDLE, { force: true });
    rmSync(CACHE, { force: true });
    return 'skipped';
  }
  // The cache is made for one bundle's source: never left beside another one.
  rmSync(CACHE, { force: true });
  const r = esbuild.buildSync({
    entryPoints: [join(SRC, 'cli', 'entry.js')],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: EXTERNAL,
    logLevel: 'silent',
    charset: 'ascii',
    legalComments: 'inline',
  });
  for (const w of r.warnings) process.stderr.write(`bundle: ${w.text}\n`);
  writeFileSync(BUNDLE, asciiOnly(readFileSync(BUNDLE, 'utf8')));
  writeFileSync(CACHE, codeCache(BUNDLE));
  return 'built';
}

// esbuild's errors, and a bundle that is not ASCII, throw: the build fails.
if (require.main === module && bundle() === 'skipped') process.stderr.write('bundle: esbuild is not installed; the CLI runs from the separate modules\n');
