/** End to end: spawn bin/romscope.js as a user would and check output and exit codes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, runTool, requireTools, tempDir, ROOT } from '../helpers';
import { RULES } from '../../src/rules/registry';

const DEMO = join(ROOT, 'fixtures', 'demo', 'demo-rom.zip');
const CORRUPT = join(ROOT, 'fixtures', 'demo', 'demo-corrupt.zip');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function noStackTrace(s: string): void {
  assert.doesNotMatch(s, /\n\s+at .+\(.*:\d+:\d+\)/, 'stack trace printed');
}

test('check on the demo package passes with exit 0', () => {
  const r = runCli(['check', DEMO]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /No findings/);
  assert.match(r.stdout, /integrity: verified/);
  assert.doesNotMatch(r.stdout, /\x1b\[/, 'no colour when stdout is not a terminal');
});

test('check --json on the demo package: every artifact path is extractable', (t) => {
  const r = runCli(['check', DEMO, '--json']);
  assert.equal(r.code, 0);
  const report = JSON.parse(r.stdout);
  assert.equal(report.schemaVersion, 1);
  assert.equal(report.summary.integrity.status, 'verified');
  // Without --key: vbmeta.img verifies with its own key, the OTA with its embedded certificate.
  assert.equal(report.summary.signature.status, 'verified');
  assert.ok(report.summary.signature.reason.length > 0);
  const paths: string[] = [];
  const walk = (a: { path: string; children: unknown[] }) => {
    if (a.path) paths.push(a.path);
    a.children.forEach((c) => walk(c as typeof a));
  };
  walk(report.root);
  assert.ok(paths.includes('AP_DEMO.tar.md5/boot.img.lz4/boot.img'));
  const out = tempDir(t);
  for (const [i, p] of paths.entries()) {
    const dir = join(out, String(i));
    mkdirSync(dir);
    const x = runCli(['extract', DEMO, p, '-o', dir, '--json']);
    assert.equal(x.code, 0, `${p}: ${x.stderr}`);
    const res = JSON.parse(x.stdout);
    const art = findArtifact(report.root, p);
    assert.equal(res.hashes.sha256, art.hashes.sha256, p);
    assert.equal(sha256(readFileSync(res.output)), art.hashes.sha256, p);
  }
});

function findArtifact(a: { path: string; children: unknown[]; hashes: Record<string, string> }, p: string): typeof a {
  if (a.path === p) return a;
  for (const c of a.children) {
    const f = findArtifact(c as typeof a, p);
    if (f) return f;
  }
  return undefined as unknown as typeof a;
}

test('check on the corrupt demo: exit 1, each finding named; --fail-on and --severity change the verdict', () => {
  const r = runCli(['check', CORRUPT, '--json']);
  assert.equal(r.code, 1);
  const ids = new Set(JSON.parse(r.stdout).findings.map((f: { ruleId: string }) => f.ruleId));
  for (const id of [
    'integrity/zip-crc',
    'integrity/tar-md5',
    'integrity/checksum-file',
    'integrity/listed-file-missing',
    'format/unsafe-path',
    'integrity/avb-hash',
    'signature/avb-invalid',
    'integrity/payload-operation-hash',
    'compat/declarations-disagree',
  ])
    assert.ok(ids.has(id), id);
  assert.equal(runCli(['check', CORRUPT, '--fail-on', 'none']).code, 0);
  const errors = ['integrity/zip-crc', 'integrity/tar-md5', 'integrity/checksum-file', 'format/unsafe-path', 'format/unreadable', 'integrity/lz4-checksum'];
  errors.push('integrity/avb-hash', 'signature/avb-invalid', 'integrity/payload-operation-hash', 'integrity/payload-partition-hash');
  const off = errors.flatMap((id) => ['--severity', `${id}=off`]);
  assert.equal(runCli(['check', CORRUPT, ...off]).code, 0);
  assert.equal(runCli(['check', CORRUPT, ...off, '--fail-on', 'warning']).code, 1);
});

test('check --max-seconds 0: out of time at once, a budget finding and a partial report (exit 1)', () => {
  const r = runCli(['check', DEMO, '--json', '--max-seconds', '0']);
  assert.equal(r.code, 1, r.stderr);
  const report = JSON.parse(r.stdout) as { findings: { ruleId: string; message: string }[] };
  assert.ok(
    report.findings.some((f) => f.ruleId === 'format/budget-exceeded' && f.message.includes('--max-seconds')),
    r.stdout,
  );
});

test('unreadable input and bad arguments: one line on stderr, exit 2', (t) => {
  const dir = tempDir(t);
  const cases: string[][] = [
    ['check', join(dir, 'missing.zip')],
    ['check', dir],
    ['inspect', DEMO, '--hash', 'sha3'],
    ['check', DEMO, '--severity', 'no/such-rule=off'],
    ['check', DEMO, '--fail-on', 'sometimes'],
    ['check', DEMO, '--max-seconds', '-1'],
    ['frobnicate'],
    [],
  ];
  for (const args of cases) {
    const r = runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout} ${r.stderr}`);
    noStackTrace(r.stderr);
    assert.ok(r.stderr.trim().length > 0);
  }
  const missing = runCli(['check', join(dir, 'missing.zip')]);
  assert.equal(missing.stderr.trim().split('\n').length, 1);
  assert.match(missing.stderr, /no such file/);
});

test('garbage input is inspected, not crashed on', (t) => {
  const dir = tempDir(t);
  const f = join(dir, 'firmware.zip');
  writeFileSync(f, Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(3000, 0x41)]));
  const r = runCli(['check', f]);
  assert.equal(r.code, 1);
  noStackTrace(r.stdout + r.stderr);
  assert.match(r.stdout, /integrity\/truncated|format\/unreadable/);
});

test('extract: temp name then rename, no overwrite without --force, never outside -o, never the input', (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'out');
  mkdirSync(out);
  const a = runCli(['extract', DEMO, 'AP_DEMO.tar.md5/boot.img.lz4/boot.img', '-o', out]);
  assert.equal(a.code, 0, a.stderr);
  assert.deepEqual(readdirSync(out), ['boot.img']);
  const again = runCli(['extract', DEMO, 'AP_DEMO.tar.md5/boot.img.lz4/boot.img', '-o', out]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /exists/);
  assert.equal(runCli(['extract', DEMO, 'AP_DEMO.tar.md5/boot.img.lz4/boot.img', '-o', out, '--force']).code, 0);
  // A member named ../../outside.txt lands inside -o under its base name.
  const ev = runCli(['extract', CORRUPT, '../../outside.txt', '-o', out]);
  assert.equal(ev.code, 0, ev.stderr);
  assert.ok(existsSync(join(out, 'outside.txt')));
  assert.ok(!existsSync(join(dir, 'outside.txt')) && !existsSync(join(ROOT, 'outside.txt')));
  // Output onto the input is refused.
  const copy = join(dir, 'copy.zip');
  copyFileSync(DEMO, copy);
  const before = statSync(copy).mtimeMs;
  const self = runCli(['extract', copy, 'images/boot.img', '-o', copy, '--force']);
  assert.equal(self.code, 2);
  assert.equal(statSync(copy).mtimeMs, before);
  // Unknown path.
  const none = runCli(['extract', DEMO, 'no/such.img', '-o', out]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no artifact/);
  assert.ok(
    readdirSync(out).every((n) => !n.includes('.part')),
    'no temp files left',
  );
});

test('extract of bytes that fail verification exits 1 and writes nothing', (t) => {
  const out = tempDir(t);
  const r = runCli(['extract', CORRUPT, 'android-info.txt', '-o', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /crc32/);
  assert.deepEqual(readdirSync(out), []);
});

test('rules lists every registered rule', () => {
  const r = runCli(['rules']);
  assert.equal(r.code, 0);
  for (const rule of RULES) assert.ok(r.stdout.includes(rule.id), rule.id);
  const j = JSON.parse(runCli(['rules', '--json']).stdout);
  assert.deepEqual(
    j.map((x: { id: string }) => x.id),
    RULES.map((x) => x.id),
  );
});

test('--hash computes every algorithm; md5/sha1/sha256 agree with coreutils', (t) => {
  if (!requireTools(t, 'md5sum', 'sha1sum', 'sha256sum')) return;
  const r = runCli(['inspect', DEMO, '--json', '--hash', 'md5,sha1,sha256,crc32,xxh64']);
  assert.equal(r.code, 0);
  const root = JSON.parse(r.stdout).root;
  for (const algo of ['md5', 'sha1', 'sha256']) {
    const ref = runTool(`${algo}sum`, [DEMO]).stdout.toString().split(' ')[0];
    assert.equal(root.hashes[algo], ref, algo);
  }
  assert.match(root.hashes.crc32, /^[0-9a-f]{8}$/);
  assert.match(root.hashes.xxh64, /^[0-9a-f]{16}$/);
});

test('a sidecar checksum next to the input is checked', (t) => {
  const dir = tempDir(t);
  const f = join(dir, 'rom.zip');
  copyFileSync(DEMO, f);
  writeFileSync(join(dir, 'rom.zip.sha256'), `${sha256(readFileSync(DEMO))}  rom.zip\n`);
  const ok = runCli(['check', f, '--json']);
  assert.equal(ok.code, 0);
  assert.deepEqual(JSON.parse(ok.stdout).root.info.sidecarChecksumFiles, ['rom.zip.sha256']);
  writeFileSync(join(dir, 'rom.zip.sha256'), `${'0'.repeat(64)}  rom.zip\n`);
  const bad = runCli(['check', f, '--json']);
  assert.equal(bad.code, 1);
  assert.equal(JSON.parse(bad.stdout).findings[0].ruleId, 'integrity/checksum-file');
});

test('--quiet leaves out the artifact table', () => {
  const r = runCli(['inspect', DEMO, '--quiet']);
  assert.equal(r.code, 0);
  assert.doesNotMatch(r.stdout, /boot\.img\.lz4/);
  assert.match(r.stdout, /integrity: verified/);
});
