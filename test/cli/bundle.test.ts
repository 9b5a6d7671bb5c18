/**
 * The CLI bundle (scripts/bundle.ts): bin/romscope.js runs from it when it is
 * current, and from the separate modules when it is missing or older than
 * them; its code cache is one this Node.js accepts; and the worker scripts
 * and rule pages it starts or reads by path are found from inside it.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from '../helpers';
import { asciiOnly, bundleLoader } from '../../scripts/bundle';

const DIST = join(ROOT, 'dist', 'src');
const BUNDLE = join(DIST, 'cli.bundle.js');
const CACHE = join(DIST, 'cli.bundle.cache');

/** Preloaded into the bin: prints how many of dist/src's modules were loaded one by one. */
const COUNT_MODULES = `process.on('exit', () => process.stderr.write('MODULES ' + Object.keys(require.cache).filter((k) => k.includes('/dist/src/')).length + '\\n'));`;

function run(t: TestContext, root: string, args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; modules: number } {
  const dir = tempDir(t);
  const hook = join(dir, 'count.js');
  writeFileSync(hook, COUNT_MODULES);
  const r = spawnSync(process.execPath, ['--require', hook, join(root, 'bin', 'romscope.js'), ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  const m = /MODULES (\d+)/.exec(r.stderr);
  assert.ok(m, r.stderr);
  return { status: r.status, stdout: r.stdout, modules: Number(m[1]) };
}

test('npm run build writes the bundle and its code cache, and this Node.js accepts the cache', () => {
  assert.ok(existsSync(BUNDLE) && existsSync(CACHE), 'no bundle: run npm run build');
  // The bin reads it as latin1: the same string only when every byte is ASCII.
  assert.equal(readFileSync(BUNDLE, 'latin1'), readFileSync(BUNDLE, 'utf8'));
  const { compileBundle } = bundleLoader();
  const script = compileBundle(BUNDLE, readFileSync(BUNDLE, 'latin1'), readFileSync(CACHE));
  assert.equal(script.cachedDataRejected, false);
  // A cache made for other source (an edited bundle, a cache left from an earlier build) is rejected by V8, not run.
  const edited = compileBundle(BUNDLE, readFileSync(BUNDLE, 'latin1') + '\n// edited\n', readFileSync(CACHE));
  assert.equal(edited.cachedDataRejected, true);
});

test('asciiOnly: characters outside ASCII in comments become ?, anywhere else they fail the build', () => {
  assert.equal(asciiOnly('a = 1;\n  // FORMATS.md \u00a75 \u00d7 2\nb = 2;'), 'a = 1;\n  // FORMATS.md ?5 ? 2\nb = 2;');
  assert.throws(() => asciiOnly('s = "\u00e9";'), /outside ASCII outside a comment/);
});

test('the bin runs from the bundle, with the same output as from the modules', (t) => {
  const args = ['check', '--format', 'json', join(ROOT, 'fixtures', 'demo', 'demo-rom.zip')];
  const bundled = run(t, ROOT, args);
  const plain = run(t, ROOT, args, { ROMSCOPE_NO_BUNDLE: '1' });
  assert.equal(bundled.modules, 0, 'the bundle was not used');
  assert.ok(plain.modules > 100, `only ${plain.modules} modules loaded without the bundle`);
  assert.equal(bundled.status, plain.status);
  assert.equal(bundled.stdout, plain.stdout);
});

test('from inside the bundle, the worker scripts and rule pages are where the code looks for them', () => {
  const r = spawnSync(process.execPath, ['-e', `const m = require(${JSON.stringify(BUNDLE)}); process.stdout.write(m.SRC_DIR)`], { encoding: 'utf8' });
  assert.equal(r.stdout, DIST);
  for (const f of ['io/hash-worker.js', 'formats/ota-payload/decode-worker.js', 'crypto/fec-worker.js', 'batch/worker.js', 'queue/check-child.js']) assert.ok(existsSync(join(r.stdout, f)), f);
  assert.ok(existsSync(join(r.stdout, '..', '..', 'docs', 'rules', 'integrity', 'zip-crc.md')));
});

test('a bundle older than the compiled modules (tsc run since the last build) is not used; a missing one neither', (t) => {
  const root = tempDir(t);
  cpSync(join(ROOT, 'bin'), join(root, 'bin'), { recursive: true });
  cpSync(join(ROOT, 'dist', 'src'), join(root, 'dist', 'src'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  assert.equal(run(t, root, ['--version']).modules, 0);
  const later = new Date(Date.now() + 60_000);
  utimesSync(join(root, 'dist', 'src', 'cli', 'entry.js'), later, later);
  const stale = run(t, root, ['--version']);
  assert.ok(stale.modules > 100, 'a stale bundle was used');
  assert.equal(stale.stdout.trim(), readFileSync(join(ROOT, 'package.json'), 'utf8').match(/"version": "([^"]+)"/)![1]);
});
