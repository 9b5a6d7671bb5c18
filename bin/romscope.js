#!/usr/bin/env node
'use strict';
const { readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

const DIST = join(__dirname, '..', 'dist', 'src');

/**
 * The CLI from its bundle (dist/src/cli.bundle.js, built by
 * scripts/bundle.ts with V8's code cache beside it): one file to read and,
 * with the cache, little to compile, where the separate modules cost some
 * 900 module loads per start. Null when there is no bundle, when it is older
 * than the compiled modules (a tsc run since the last build), or with
 * ROMSCOPE_NO_BUNDLE=1; the modules are loaded instead.
 */
function fromBundle() {
  if (process.env.ROMSCOPE_NO_BUNDLE === '1') return null;
  const file = join(DIST, 'cli.bundle.js');
  let source, built;
  try {
    built = statSync(file).mtimeMs;
    if (statSync(join(DIST, 'cli', 'entry.js')).mtimeMs > built) return null;
    // ASCII only (scripts/bundle.ts makes sure): latin1 is a plain copy, UTF-8 a slower decode.
    source = readFileSync(file, 'latin1');
  } catch {
    return null;
  }
  let cachedData;
  try {
    // Made after the bundle it belongs to (scripts/bundle.ts); an older one is another build's.
    const cache = join(DIST, 'cli.bundle.cache');
    if (statSync(cache).mtimeMs >= built) cachedData = readFileSync(cache);
  } catch {
    // Compiled without the cache.
  }
  const { compileBundle, runBundle } = require('./bundle-loader.js');
  // A cache V8 cannot use (another Node.js, another build's bundle) is rejected by V8 and the source compiled as usual.
  return runBundle(compileBundle(file, source, cachedData), file);
}

let api;
try {
  api = fromBundle();
} catch (e) {
  // A bundle that does not load is a build fault to see, not to hide behind the modules.
  process.stderr.write(`romscope: the CLI bundle does not load (${e && e.message ? e.message : e}); run \`npm run build\`, or set ROMSCOPE_NO_BUNDLE=1\n`);
  process.exit(2);
}
try {
  api ??= require('../dist/src/cli/entry.js');
} catch {
  process.stderr.write('romscope: not built yet; run `npm install` (or `npm run build`) in the romscope folder\n');
  process.exit(2);
}
const { main, finish, terminalSafe } = api;
// finish() waits until stdout and stderr have drained (a pipe takes them
// asynchronously) before exiting, and exits 2 when stdout could not be written.
main(process.argv.slice(2)).then(
  (code) => finish(code),
  (e) => {
    process.stderr.write(`romscope: ${terminalSafe(String(e && e.message ? e.message : e))}\n`);
    return finish(2);
  },
);
