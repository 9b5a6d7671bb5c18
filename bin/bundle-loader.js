'use strict';
/**
 * The CLI bundle (dist/src/cli.bundle.js) loaded as a CommonJS module through
 * vm.Script, which is what lets V8's code cache be given to it and made from
 * it. One implementation for bin/romscope.js, which runs the bundle with its
 * cache, and scripts/bundle.ts, which runs it once to make the cache.
 */
const { dirname } = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

/** The bundle's source compiled as a module's wrapper; `cachedData`, a code cache V8 uses or rejects (`cachedDataRejected`). */
function compileBundle(file, source, cachedData) {
  return new vm.Script(Module.wrap(source), { filename: file, cachedData });
}

/** Runs a compiled bundle as the module `file` (its requires resolve from there); returns its exports. */
function runBundle(script, file) {
  const m = new Module(file, module);
  m.filename = file;
  m.paths = Module._nodeModulePaths(dirname(file));
  script.runInThisContext().call(m.exports, m.exports, Module.createRequire(file), m, file, dirname(file));
  return m.exports;
}

module.exports = { compileBundle, runBundle };
