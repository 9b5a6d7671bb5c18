/**
 * The library as a user gets it: `npm pack`, unpacked into a new
 * TypeScript project's node_modules (one CommonJS, one ES module), the README's snippet
 * compiled with `tsc --strict` against the shipped types and run far enough
 * to show the exports resolve; internals are not importable. Plus the
 * functions the snippet uses, on the demo packages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT, tempDir } from './helpers';
import { inspect, format, verdict, passes, AbortError, RomscopeError, UsageError, TruncatedError, FormatError, BudgetError, MemoryBudgetError, ExtractVerifyError } from '../src/index';

const DEMO = join(ROOT, 'fixtures', 'demo', 'demo-rom.zip');
const CORRUPT = join(ROOT, 'fixtures', 'demo', 'demo-corrupt.zip');

function readmeSnippet(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const lib = readme.slice(readme.indexOf('## Library'));
  const m = /```ts\n([\s\S]*?)```/.exec(lib);
  assert.ok(m, 'README has a ts snippet under ## Library');
  return m[1];
}

function run(cmd: string, args: string[], cwd: string): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

test('the packed package installs, and the README snippet compiles under --strict in CommonJS and ESM', (t) => {
  const dir = tempDir(t);
  const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
  assert.equal(pack.status, 0, pack.out);
  const info = JSON.parse(pack.out.slice(pack.out.indexOf('['), pack.out.lastIndexOf(']') + 1)) as { filename: string; files: { path: string }[] }[];
  const files = info[0].files.map((f) => f.path);
  for (const f of ['dist/src/index.js', 'dist/src/index.d.ts', 'man/romscope.1', 'docs/rules/integrity/zip-crc.md', 'LICENSE', 'bin/romscope.js']) assert.ok(files.includes(f), f);
  assert.ok(!files.some((f) => f.startsWith('dist/test/') || f.startsWith('fixtures/') || f.startsWith('src/')), 'no tests, fixtures or sources in the package');
  const tarball = join(dir, info[0].filename);
  const snippet = readmeSnippet();
  for (const type of ['module', 'commonjs'] as const) {
    const app = join(dir, type);
    mkdirSync(join(app, 'node_modules', '@types'), { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: `consumer-${type}`, version: '1.0.0', private: true, ...(type === 'module' ? { type: 'module' } : {}) }));
    // What `npm install <tarball>` does to the package itself: unpack it as node_modules/romscope. Its
    // dependencies come from this checkout's node_modules (npm cannot resolve them offline without a
    // registry cache; the file set, the exports map and the types under test are the tarball's).
    const pkgDir = join(app, 'node_modules', 'romscope');
    mkdirSync(pkgDir, { recursive: true });
    const untar = run('tar', ['-xzf', tarball, '-C', pkgDir, '--strip-components=1'], app);
    assert.equal(untar.status, 0, untar.out);
    // Only the runtime dependencies: a type that needs a devDependency (@types/yauzl...) would fail to compile.
    const deps = Object.keys((JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
    for (const dep of deps) {
      mkdirSync(dirname(join(pkgDir, 'node_modules', dep)), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', dep), join(pkgDir, 'node_modules', dep), 'dir');
    }
    // The compiler and Node's types from this checkout (the consumer's own dev tools).
    symlinkSync(join(ROOT, 'node_modules', 'typescript'), join(app, 'node_modules', 'typescript'), 'dir');
    symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(app, 'node_modules', '@types', 'node'), 'dir');
    writeFileSync(join(app, 'snippet.ts'), snippet);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: ['node'], outDir: 'out', skipLibCheck: false }, files: ['snippet.ts'] }),
    );
    const tsc = run(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app);
    assert.equal(tsc.status, 0, `${type}: ${tsc.out}`);
    // The compiled module loads the package (named exports resolve), and internals stay private.
    const probe = type === 'module' ? 'probe.mjs' : 'probe.cjs';
    writeFileSync(
      join(app, probe),
      type === 'module'
        ? `import { inspect, format, verdict, RULES } from 'romscope';\nif (typeof inspect !== 'function' || typeof format !== 'function' || typeof verdict !== 'function' || !RULES.length) process.exit(3);\ntry { await import('romscope/dist/src/cli/main.js'); process.exit(4); } catch (e) { if (e.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') process.exit(5); }\n`
        : `const { inspect, format, verdict, RULES } = require('romscope');\nif (typeof inspect !== 'function' || typeof format !== 'function' || typeof verdict !== 'function' || !RULES.length) process.exit(3);\ntry { require('romscope/dist/src/cli/main.js'); process.exit(4); } catch (e) { if (e.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') process.exit(5); }\n`,
    );
    const probeRun = run(process.execPath, [probe], app);
    assert.equal(probeRun.status, 0, `${type}: ${probeRun.out}`);
  }
});

test('inspect takes a path, a Buffer or a stream and gives the same report', async () => {
  const byPath = await inspect(DEMO);
  const byBuffer = await inspect(readFileSync(DEMO), { name: 'demo-rom.zip' });
  const byStream = await inspect(createReadStream(DEMO), { name: 'demo-rom.zip' });
  for (const r of [byBuffer, byStream]) {
    assert.equal(r.input.path, 'demo-rom.zip');
    assert.equal(r.root.hashes.sha256, byPath.root.hashes.sha256);
    assert.deepEqual(r.findings, byPath.findings);
    assert.equal(r.summary.artifacts, byPath.summary.artifacts);
  }
});

test('an AbortSignal stops inspect with an AbortError (code ROMSCOPE_ABORTED)', async () => {
  await assert.rejects(inspect(DEMO, { signal: AbortSignal.abort() }), (e: unknown) => e instanceof AbortError && e.code === 'ROMSCOPE_ABORTED' && e.name === 'AbortError');
  const ac = new AbortController();
  const p = inspect(DEMO, { signal: ac.signal });
  ac.abort();
  await assert.rejects(p, AbortError);
  await assert.rejects(inspect(join(ROOT, 'no-such.zip')), (e: unknown) => e instanceof UsageError && e.code === 'ROMSCOPE_USAGE');
});

test('error classes carry stable codes', () => {
  const codes = [new RomscopeError('x'), new UsageError('x'), new TruncatedError('x'), new FormatError('x'), new BudgetError('x'), new MemoryBudgetError('x'), new AbortError(), new ExtractVerifyError('x')].map(
    (e) => e.code,
  );
  assert.deepEqual(codes, ['ROMSCOPE_ERROR', 'ROMSCOPE_USAGE', 'ROMSCOPE_TRUNCATED', 'ROMSCOPE_FORMAT', 'ROMSCOPE_BUDGET', 'ROMSCOPE_MEMORY_BUDGET', 'ROMSCOPE_ABORTED', 'ROMSCOPE_EXTRACT_VERIFY']);
});

test('format by name, and verdict with the CLI semantics of --fail-on and --max-warnings', async () => {
  const report = await inspect(CORRUPT);
  assert.equal(JSON.parse(format(report, 'json')).schemaVersion, 1);
  assert.equal(JSON.parse(format(report, 'sarif')).version, '2.1.0');
  assert.match(format(report, 'html'), /^<!DOCTYPE html>\n[^]*<section class="verdict bad" id="verdict"/);
  const table = format(report);
  assert.match(table, /integrity\/zip-crc/);
  assert.doesNotMatch(table, /\x1b\[/);
  assert.match(format(report, 'table', { color: true }), /\x1b\[/);
  const errors = report.findings.filter((f) => f.severity === 'error').length;
  const warnings = report.findings.filter((f) => f.severity === 'warning').length;
  assert.ok(errors > 0 && warnings > 0);
  assert.deepEqual(verdict(report), { ok: false, exitCode: 1, reasons: [`${errors} findings at or above error`] });
  assert.equal(passes(report, { failOn: 'none' }), true);
  assert.equal(passes(report, { failOn: 'none', maxWarnings: warnings }), true);
  assert.equal(passes(report, { failOn: 'none', maxWarnings: warnings - 1 }), false);
  // The CLI agrees: exit 1 on errors, 0 with --fail-on none.
  const clean = await inspect(DEMO);
  assert.deepEqual(verdict(clean, { failOn: 'info', maxWarnings: 0 }), { ok: true, exitCode: 0, reasons: [] });
  assert.throws(() => verdict(clean, { maxWarnings: -1 }), UsageError);
});
