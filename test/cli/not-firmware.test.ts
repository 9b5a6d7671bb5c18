/**
 * End to end: what a failed download leaves behind, checked with the built
 * CLI (bin/romscope.js). An HTML page saved as rom.zip, a 0-byte rom.zip and a
 * Git LFS pointer saved as system.img exit 1 with a format/not-firmware error
 * saying what the bytes are; random bytes as firmware.bin are a warning
 * (exit 0, exit 1 with --fail-on warning). Never "No findings.".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers';
import { pseudoRandom } from '../../fixtures/builders/data';

const CASES: { name: string; file: string; bytes: Buffer; code: number; severity: string; message: RegExp }[] = [
  {
    name: 'an HTML error page saved as rom.zip',
    file: 'rom.zip',
    bytes: Buffer.from("<!doctype html>\r\n<HTML>\r\n<HEAD><TITLE>403 Forbidden</TITLE></HEAD>\r\n<BODY><H1>Forbidden</H1>You don't have permission.</BODY></HTML>\r\n"),
    code: 1,
    severity: 'error',
    message: /^rom\.zip is an HTML document \(403 Forbidden\), not a zip$/,
  },
  { name: 'a 0-byte rom.zip', file: 'rom.zip', bytes: Buffer.alloc(0), code: 1, severity: 'error', message: /^rom\.zip is 0 bytes \(an empty file\), not a zip$/ },
  {
    name: 'a Git LFS pointer saved as system.img',
    file: 'system.img',
    bytes: Buffer.from('version https://git-lfs.github.com/spec/v1\noid sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\nsize 2147483648\n'),
    code: 1,
    severity: 'error',
    message: /^system\.img is a Git LFS pointer \(oid sha256:9f86d081884c…, 2147483648 bytes\), not the file it stands for, not a partition image$/,
  },
  { name: 'random bytes as firmware.bin', file: 'firmware.bin', bytes: pseudoRandom(200_000, 42), code: 0, severity: 'warning', message: /^firmware\.bin is unrecognised binary data \(random-looking/ },
];

for (const c of CASES) {
  test(`check on ${c.name}: exit ${c.code}, a format/not-firmware ${c.severity}`, (t) => {
    const dir = tempDir(t);
    const f = join(dir, c.file);
    writeFileSync(f, c.bytes);
    const r = runCli(['check', f]);
    assert.equal(r.code, c.code, r.stdout + r.stderr);
    assert.equal(r.stderr, '');
    assert.doesNotMatch(r.stdout, /No findings/);
    assert.match(r.stdout, /format\/not-firmware/);
    const json = runCli(['check', '--json', f]);
    assert.equal(json.code, c.code);
    const report = JSON.parse(json.stdout);
    assert.equal(report.root.format, 'data');
    const found = report.findings.filter((x: { ruleId: string }) => x.ruleId === 'format/not-firmware');
    assert.equal(found.length, 1, json.stdout);
    assert.equal(found[0].severity, c.severity);
    assert.equal(found[0].path, '');
    assert.match(found[0].message, c.message);
    if (c.severity === 'warning') assert.equal(runCli(['check', '--fail-on', 'warning', f]).code, 1);
  });
}

test('check: a hostile page title cannot reach the terminal as an escape sequence', (t) => {
  const dir = tempDir(t);
  const f = join(dir, 'download.zip');
  writeFileSync(f, `<html><head><title>\x1b]2;owned\x07\x1b[2J\u202eevil</title></head></html>`);
  const r = runCli(['check', f]);
  assert.equal(r.code, 1);
  assert.doesNotMatch(r.stdout, /[\x1b\x07\u202e]/);
  const report = JSON.parse(runCli(['check', '--json', f]).stdout);
  assert.doesNotMatch(report.findings[0].message, /[\x00-\x1f\u202e]/, 'the JSON message is clean too');
});
