/**
 * What the npm package says about itself: where the project lives (one
 * constant, src/project.ts), a man page generated from --help and kept
 * current, and a lockfile `npm install` leaves as it is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPOSITORY_URL, RULE_DOCS_BASE_URI } from '../src/project';
import { VERSION } from '../src/version';
import { renderManPage } from '../scripts/man';
import { ROOT, requireTools, tempDir } from './helpers';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

test('package.json: repository, homepage, bugs and keywords, all from the one repository address', () => {
  assert.equal(pkg.repository.type, 'git');
  assert.equal(pkg.repository.url, `git+${REPOSITORY_URL}.git`);
  assert.equal(pkg.homepage, `${REPOSITORY_URL}#readme`);
  assert.equal(pkg.bugs.url, `${REPOSITORY_URL}/issues`);
  assert.ok(Array.isArray(pkg.keywords) && pkg.keywords.includes('firmware'));
  assert.ok(RULE_DOCS_BASE_URI.startsWith(`${REPOSITORY_URL}/blob/v${VERSION}/`));
  for (const f of ['docs', 'man', 'dist/src', 'bin']) assert.ok(pkg.files.includes(f), f);
  assert.deepEqual(pkg.man, ['man/romscope.1']);
});

test('man/romscope.1 is what npm run man makes from --help now', () => {
  const page = renderManPage();
  assert.equal(readFileSync(join(ROOT, 'man', 'romscope.1'), 'utf8'), page, 'man/romscope.1 is stale: run npm run man');
  // Every command and every option --help shows is on the page.
  for (const opt of ['check', 'extract', '\\-\\-fail\\-on', '\\-\\-key', '\\-\\-severity', '\\-\\-force']) assert.ok(page.includes(opt), opt);
});

test('man/romscope.1 is valid man(7) roff (groff -man -ww: no warnings)', (t) => {
  if (!requireTools(t, 'groff')) return;
  const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', join(ROOT, 'man', 'romscope.1')], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.equal(r.stderr, '');
});

test('npm install leaves package-lock.json as it is (name, version and dependencies agree with package.json)', (t) => {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
  assert.equal(lock.name, pkg.name);
  assert.equal(lock.version, pkg.version);
  assert.equal(lock.packages[''].version, pkg.version);
  assert.deepEqual(lock.packages[''].dependencies, pkg.dependencies);
  assert.deepEqual(lock.packages[''].devDependencies, pkg.devDependencies);
  assert.deepEqual(lock.packages[''].optionalDependencies, pkg.optionalDependencies);
  const dir = tempDir(t);
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  copyFileSync(join(ROOT, 'package-lock.json'), join(dir, 'package-lock.json'));
  const npm = spawnSync('npm', ['install', '--package-lock-only', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8', shell: process.platform === 'win32' });
  if (npm.status !== 0) {
    t.skip(`npm cannot resolve offline here (no npm cache): ${npm.stderr.split('\n')[0]}`);
    return;
  }
  assert.equal(readFileSync(join(dir, 'package-lock.json'), 'utf8'), readFileSync(join(ROOT, 'package-lock.json'), 'utf8'), 'npm install would rewrite package-lock.json');
});
