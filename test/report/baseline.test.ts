/**
 * Baselines (docs/baselines.md): a finding's fingerprint is its rule, its
 * artifact path and its subject, never its message, order or the input's
 * path; with `--baseline`, findings in it are `unchanged` and do not count,
 * new ones do; a baseline that cannot be read is an error (exit 2), never an
 * empty baseline. SARIF carries the fingerprints and `baselineState`, and
 * still validates against the SARIF 2.1.0 schema.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { buildZip } from '../../fixtures/builders/zip';
import { ROOT, runCli, tempDir } from '../helpers';

const CORRUPT = join(ROOT, 'fixtures', 'demo', 'demo-corrupt.zip');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A zip whose SHA256SUMS lists boot.img with a wrong digest (`wrong`), and optionally a listed file that is missing. */
function pkg(wrong: string, missing = false, boot = Buffer.from('boot image bytes')): Buffer {
  const sums = `${wrong}  boot.img\n${missing ? `${sha256(Buffer.from('x'))}  vendor.img\n` : ''}`;
  return buildZip([
    { name: 'boot.img', data: boot },
    { name: 'SHA256SUMS', data: Buffer.from(sums) },
  ]);
}

interface JsonFinding {
  ruleId: string;
  path: string;
  message: string;
  fingerprint: string;
  baselineState?: string;
}
const findingsOf = (stdout: string) => (JSON.parse(stdout) as { findings: JsonFinding[] }).findings;

test('fingerprints: the same problem with another message (other digests) in another file name keeps its fingerprint', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a.zip'), pkg('1'.repeat(64)));
  writeFileSync(join(dir, 'renamed-build-2.zip'), pkg('2'.repeat(64), false, Buffer.from('another boot image')));
  const a = findingsOf(runCli(['check', join(dir, 'a.zip'), '-f', 'json']).stdout);
  const b = findingsOf(runCli(['check', join(dir, 'renamed-build-2.zip'), '-f', 'json']).stdout);
  assert.equal(a.length, 1);
  assert.equal(a[0].ruleId, 'integrity/checksum-file');
  assert.notEqual(a[0].message, b[0].message, 'the messages differ (the digests do)');
  assert.match(a[0].fingerprint, /^[0-9a-f]{32}$/);
  assert.equal(a[0].fingerprint, b[0].fingerprint);
});

test('fingerprints: every finding of a report has its own', () => {
  const r = findingsOf(runCli(['check', CORRUPT, '-f', 'json']).stdout);
  assert.ok(r.length >= 10);
  // Two findings of one rule on one artifact differ by their subject or their order.
  assert.equal(new Set(r.map((f) => f.fingerprint)).size, r.length);
});

test('--baseline: known findings are unchanged and do not count, a new one fails the check; --write-baseline round-trips', (t) => {
  const dir = tempDir(t);
  const old = join(dir, 'old.zip');
  const next = join(dir, 'next.zip');
  const bl = join(dir, '.romscope-baseline.json');
  writeFileSync(old, pkg('1'.repeat(64)));
  writeFileSync(next, pkg('3'.repeat(64), true));
  const first = runCli(['check', old, '--write-baseline', bl]);
  assert.equal(first.code, 1, 'without a baseline the error counts');
  const written = JSON.parse(readFileSync(bl, 'utf8')) as { romscopeBaseline: number; findings: JsonFinding[] };
  assert.equal(written.romscopeBaseline, 1);
  assert.deepEqual(
    written.findings.map((f) => f.ruleId),
    ['integrity/checksum-file'],
  );

  const same = runCli(['check', old, '--baseline', bl]);
  assert.equal(same.code, 0, same.stdout + same.stderr);
  assert.match(same.stdout, /No new findings\./);
  assert.match(same.stdout, /1 finding in the baseline \(.*\) not shown/);
  assert.match(same.stdout, /0 errors, 0 warnings/);

  const json = runCli(['check', next, '--baseline', bl, '-f', 'json']);
  assert.equal(json.code, 0, 'the new finding is a warning; the old error stays suppressed');
  const r = JSON.parse(json.stdout) as { findings: JsonFinding[]; summary: { errors: number; warnings: number; baseline: Record<string, unknown> } };
  assert.deepEqual(
    r.findings.map((f) => [f.ruleId, f.baselineState]),
    [
      ['integrity/checksum-file', 'unchanged'],
      ['integrity/listed-file-missing', 'new'],
    ],
  );
  assert.deepEqual(r.summary.baseline, { file: bl, entries: 1, suppressed: 1, new: 1 });
  assert.equal(r.summary.errors, 0);
  assert.equal(r.summary.warnings, 1);
  assert.equal(runCli(['check', next, '--baseline', bl, '--fail-on', 'warning']).code, 1, 'the new warning counts');
  assert.equal(runCli(['check', next, '--baseline', bl, '--max-warnings', '0']).code, 1);
  // A JSON report is a baseline too.
  const report = join(dir, 'report.json');
  assert.equal(runCli(['check', next, '-f', 'json', '-o', report]).code, 1);
  assert.equal(runCli(['check', next, '--baseline', report, '--fail-on', 'info']).code, 0);
});

test('--baseline that cannot be read or is not a baseline: exit 2 and one line, never an empty baseline', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'p.zip');
  copyFileSync(CORRUPT, file);
  const cases: [string, string | null, RegExp][] = [
    ['missing.json', null, /cannot read it \(ENOENT\)/],
    ['broken.json', '{"romscopeBaseline": 1, "findings": [', /not JSON/],
    ['other.json', '{"findings": []}', /neither a romscope baseline/],
    ['future.json', '{"romscopeBaseline": 9, "findings": []}', /baseline format 9/],
    ['old-report.json', JSON.stringify({ schemaVersion: 1, tool: { name: 'romscope' }, findings: [{ ruleId: 'a/b', path: '', message: 'm' }] }), /no fingerprint/],
  ];
  for (const [name, body, want] of cases) {
    if (body !== null) writeFileSync(join(dir, name), body);
    const r = runCli(['check', file, '--baseline', join(dir, name)]);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, want);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('SARIF with a baseline: fingerprints under romscopeFinding/v2, baselineState, valid SARIF 2.1.0, and a SARIF log is a baseline too', (t) => {
  const dir = tempDir(t);
  const schema = JSON.parse(readFileSync(join(ROOT, 'test', 'schemas', 'sarif-2.1.0-rtm.5.json'), 'utf8'));
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  const sarifFile = join(dir, 'old.sarif');
  assert.equal(runCli(['check', CORRUPT, '-f', 'sarif', '-o', sarifFile]).code, 1);
  const r = runCli(['check', CORRUPT, '--baseline', sarifFile, '-f', 'sarif']);
  assert.equal(r.code, 0, r.stderr);
  const log = JSON.parse(r.stdout) as { runs: { results: { partialFingerprints: Record<string, string>; baselineState: string }[] }[] };
  assert.ok(validate(log), JSON.stringify(validate.errors?.slice(0, 3)));
  const results = log.runs[0].results;
  assert.ok(results.length >= 10);
  for (const x of results) {
    assert.match(x.partialFingerprints['romscopeFinding/v2'], /^[0-9a-f]{32}$/);
    assert.equal(x.baselineState, 'unchanged');
  }
});
