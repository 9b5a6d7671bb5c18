/** `.romscope.json` / `--config` (ESLint shape), merged under `--severity`; `--format table|json|sarif` with `--json` as its alias. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootWithProps, zipOf } from '../../fixtures/builders/rom';
import { runCli, tempDir } from '../helpers';
import type { TestContext } from 'node:test';

/** A fastboot zip whose boot image names no device: its only finding is one compat/no-device-declared warning. */
function setup(t: TestContext): { dir: string; file: string } {
  const dir = tempDir(t);
  const file = join(dir, 'fastboot.zip');
  writeFileSync(file, zipOf({ 'boot.img': bootWithProps({}), 'system.img': Buffer.alloc(4096, 1) }));
  return { dir, file };
}

const findings = (stdout: string) => JSON.parse(stdout).findings.map((f: { ruleId: string; severity: string }) => `${f.ruleId}=${f.severity}`);

test('without a config the warning is there; .romscope.json in the current directory turns it off', (t) => {
  const { dir, file } = setup(t);
  const plain = runCli(['check', file, '--json', '--fail-on', 'warning'], { cwd: dir });
  assert.equal(plain.code, 1);
  assert.deepEqual(findings(plain.stdout), ['compat/no-device-declared=warning']);
  writeFileSync(join(dir, '.romscope.json'), JSON.stringify({ rules: { 'compat/no-device-declared': 'off' } }));
  const off = runCli(['check', file, '--json', '--fail-on', 'warning'], { cwd: dir });
  assert.equal(off.code, 0, off.stderr);
  assert.deepEqual(findings(off.stdout), []);
  const inspected = runCli(['inspect', file, '--json'], { cwd: dir });
  assert.deepEqual(findings(inspected.stdout), [], 'inspect reads it too');
});

test('a config can raise a severity (ESLint "warn" is accepted); --severity on the command line wins over it', (t) => {
  const { dir, file } = setup(t);
  writeFileSync(join(dir, '.romscope.json'), JSON.stringify({ $schema: 'x', rules: { 'compat/no-device-declared': 'error', 'integrity/zip-crc': 'warn' } }));
  const raised = runCli(['check', file, '--json'], { cwd: dir });
  assert.equal(raised.code, 1);
  assert.deepEqual(findings(raised.stdout), ['compat/no-device-declared=error']);
  const cli = runCli(['check', file, '--json', '--severity', 'compat/no-device-declared=info'], { cwd: dir });
  assert.equal(cli.code, 0);
  assert.deepEqual(findings(cli.stdout), ['compat/no-device-declared=info']);
});

test('--config names another file, instead of the one in the current directory', (t) => {
  const { dir, file } = setup(t);
  writeFileSync(join(dir, '.romscope.json'), JSON.stringify({ rules: { 'compat/no-device-declared': 'error' } }));
  mkdirSync(join(dir, 'ci'));
  writeFileSync(join(dir, 'ci', 'romscope.json'), JSON.stringify({ rules: { 'compat/no-device-declared': 'off' } }));
  const r = runCli(['check', file, '--json', '--config', 'ci/romscope.json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(findings(r.stdout), []);
});

test('a bad config is a usage error (exit 2, one line on stderr): unknown rule, bad level, bad JSON, unknown key, missing file', (t) => {
  const { dir, file } = setup(t);
  const cases: [string, RegExp][] = [
    [JSON.stringify({ rules: { 'compat/no-such-rule': 'off' } }), /unknown rule "compat\/no-such-rule"/],
    [JSON.stringify({ rules: { 'signature/ota-test-key-typo': 'error' } }), /unknown rule/],
    [JSON.stringify({ rules: { 'compat/no-device-declared': 'fatal' } }), /wants "error", "warning", "info" or "off"/],
    [JSON.stringify({ rules: { 'compat/no-device-declared': 3 } }), /wants "error"/],
    ['{ "rules": ', /not valid JSON/],
    [JSON.stringify({ rules: {}, extends: 'x' }), /unknown key "extends"/],
    [JSON.stringify(['compat/no-device-declared']), /must be a JSON object/],
    [JSON.stringify({ rules: ['x'] }), /"rules" must be an object/],
  ];
  for (const [text, re] of cases) {
    writeFileSync(join(dir, '.romscope.json'), text);
    const r = runCli(['check', file], { cwd: dir });
    assert.equal(r.code, 2, `${text}: ${r.stdout}`);
    assert.match(r.stderr, re);
    assert.match(r.stderr, /\.romscope\.json/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
  const missing = runCli(['check', file, '--config', join(dir, 'nope.json')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no such config file/);
});

test('--format json is --json; --format sarif is SARIF; --json with another --format is a usage error', (t) => {
  const { file } = setup(t);
  const a = JSON.parse(runCli(['inspect', file, '--json']).stdout);
  const b = JSON.parse(runCli(['inspect', file, '--format', 'json']).stdout);
  assert.deepEqual(a, b);
  const both = runCli(['inspect', file, '--format', 'json', '--json']);
  assert.equal(both.code, 0);
  const sarif = runCli(['check', file, '--format', 'sarif', '--fail-on', 'warning']);
  assert.equal(sarif.code, 1, 'the exit code does not depend on the format');
  assert.equal(JSON.parse(sarif.stdout).version, '2.1.0');
  const table = runCli(['inspect', file, '--format', 'table']);
  assert.match(table.stdout, /^compatibility: unknown/);
  for (const args of [
    ['--json', '--format', 'sarif'],
    ['--json', '--format', 'table'],
    ['--format', 'xml'],
  ]) {
    const r = runCli(['check', file, ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /^romscope: /);
  }
});
