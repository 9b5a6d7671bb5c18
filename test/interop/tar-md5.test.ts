/**
 * Interop: a Samsung Odin style AP.tar.md5 made exactly as the firmware
 * tooling does it (GNU tar in ustar format, then `md5sum -t` appended) is
 * verified, and a single flipped byte in the tar part fails the check.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect, extract } from '../../src/index';
import { tempDir, runTool, requireTools, runCli, ofFormat } from '../helpers';
import { compressible, pseudoRandom } from '../../fixtures/builders/data';
import { artifactAt, describe, errors, md5, sha256 } from './util';

interface Built {
  file: string;
  boot: Buffer;
  vbmeta: Buffer;
  bootLz4: Buffer;
  tarLength: number;
}

/** AP.tar.md5 with boot.img.lz4 and vbmeta.img, made by tar, lz4 and md5sum. */
function buildApTarMd5(t: TestContext): Built {
  const dir = tempDir(t);
  const boot = Buffer.concat([compressible(800_000, 41), pseudoRandom(400_000, 42)]);
  const vbmeta = pseudoRandom(65_536, 43);
  writeFileSync(join(dir, 'boot.img'), boot);
  writeFileSync(join(dir, 'vbmeta.img'), vbmeta);
  runTool('lz4', ['-q', '-f', '-B6', '--content-size', 'boot.img', 'boot.img.lz4'], { cwd: dir });
  runTool('sh', ['-c', 'tar -H ustar -cf AP.tar boot.img.lz4 vbmeta.img && md5sum -t AP.tar >> AP.tar && mv AP.tar AP.tar.md5'], { cwd: dir });
  const file = join(dir, 'AP.tar.md5');
  const raw = readFileSync(file);
  const tail = raw.subarray(raw.lastIndexOf(0) + 1).toString('latin1');
  assert.match(tail, /^[0-9a-f]{32} {2}AP\.tar\n$/, 'premise: md5sum -t line appended');
  return { file, boot, vbmeta, bootLz4: readFileSync(join(dir, 'boot.img.lz4')), tarLength: raw.length - tail.length };
}

test('AP.tar.md5 made by tar + md5sum -t: verified, members decoded', async (t) => {
  if (!requireTools(t, 'tar', 'md5sum', 'lz4')) return;
  const b = buildApTarMd5(t);
  const raw = readFileSync(b.file);
  const md5sum = runTool('md5sum', [b.file]).stdout.toString('latin1');
  assert.notEqual(md5sum.slice(0, 32), md5(raw.subarray(0, b.tarLength)), 'premise: the md5 line is not part of its own digest');

  const r = await inspect(b.file);
  assert.deepEqual(errors(r), [], describe(r.findings));
  assert.equal(r.root.format, 'samsung-tar-md5');
  assert.equal(r.summary.integrity.status, 'verified');
  assert.equal(r.summary.integrity.failed, 0);
  assert.equal(r.root.info.md5Expected, md5(raw.subarray(0, b.tarLength)));
  assert.equal(r.root.info.md5Name, 'AP.tar');
  assert.equal(r.root.hashes.sha256, sha256(raw));

  assert.deepEqual(
    r.root.children.map((c) => c.name),
    runTool('tar', ['-tf', b.file]).stdout.toString('utf8').trim().split('\n'),
  );
  const lz4 = artifactAt(r.root, 'boot.img.lz4');
  assert.equal(lz4.format, 'lz4');
  assert.equal(lz4.hashes.sha256, sha256(b.bootLz4));
  const boot = artifactAt(r.root, 'boot.img.lz4/boot.img');
  assert.equal(boot.size, b.boot.length);
  assert.equal(boot.hashes.sha256, sha256(b.boot));
  assert.equal(artifactAt(r.root, 'vbmeta.img').hashes.sha256, sha256(b.vbmeta));

  const out = join(tempDir(t), 'out');
  mkdirSync(out);
  const res = await extract(b.file, 'boot.img.lz4/boot.img', out);
  assert.ok(readFileSync(res.output).equals(b.boot));

  const cli = runCli(['check', b.file, '--json']);
  assert.equal(cli.code, 0, cli.stderr + cli.stdout);
  const json = JSON.parse(cli.stdout);
  assert.equal(json.root.format, 'samsung-tar-md5');
  assert.equal(json.summary.integrity.status, 'verified');
  assert.deepEqual(
    json.findings.filter((f: { severity: string }) => f.severity === 'error'),
    [],
  );
  // The computed digest is reported next to the expected one (last: a missing field should not hide the rest).
  assert.equal(ofFormat(r.root, 'samsung-tar-md5').info.md5Actual, r.root.info.md5Expected, 'root.info.md5Actual');
});

test('AP.tar.md5 with one flipped byte in the tar part: integrity/tar-md5 error, check exits 1', async (t) => {
  if (!requireTools(t, 'tar', 'md5sum', 'lz4')) return;
  const b = buildApTarMd5(t);
  const raw = readFileSync(b.file);
  // Inside vbmeta.img's data: nothing but the md5 line covers it.
  const at = raw.indexOf(b.vbmeta.subarray(0, 64)) + 1000;
  assert.ok(at > 1000 && at < b.tarLength);
  raw[at] ^= 0x01;
  writeFileSync(b.file, raw);
  // Reference: md5sum -c on the tar part now fails too.
  const line = raw.subarray(b.tarLength).toString('latin1');
  const check = runTool('sh', ['-c', `head -c ${b.tarLength} AP.tar.md5 > AP.tar && md5sum -c --status - || echo BAD`], {
    cwd: join(b.file, '..'),
    input: Buffer.from(line),
  });
  assert.equal(check.stdout.toString().trim(), 'BAD', 'premise: md5sum -c rejects the damaged tar');

  const r = await inspect(b.file);
  const md5f = r.findings.filter((f) => f.ruleId === 'integrity/tar-md5');
  assert.equal(md5f.length, 1, describe(r.findings));
  assert.equal(md5f[0].severity, 'error');
  assert.equal(md5f[0].path, '');
  assert.deepEqual(errors(r), md5f, 'only the md5 line can see this damage');
  assert.equal(r.summary.integrity.status, 'failed');
  // The members are still listed; the damaged one hashes to the damaged bytes.
  assert.notEqual(artifactAt(r.root, 'vbmeta.img').hashes.sha256, sha256(b.vbmeta));
  assert.equal(artifactAt(r.root, 'boot.img.lz4/boot.img').hashes.sha256, sha256(b.boot));

  const cli = runCli(['check', b.file, '--json']);
  assert.equal(cli.code, 1, cli.stderr);
  const json = JSON.parse(cli.stdout);
  assert.equal(json.summary.integrity.status, 'failed');
  assert.ok(json.findings.some((f: { ruleId: string }) => f.ruleId === 'integrity/tar-md5'));
  assert.equal(ofFormat(r.root, 'samsung-tar-md5').info.md5Actual, md5(raw.subarray(0, b.tarLength)), 'root.info.md5Actual');
});

test('AP.tar.md5 with a flipped byte inside boot.img.lz4: both the lz4 checksum and the md5 line fail', async (t) => {
  if (!requireTools(t, 'tar', 'md5sum', 'lz4')) return;
  const b = buildApTarMd5(t);
  const raw = readFileSync(b.file);
  const lz4At = raw.indexOf(b.bootLz4.subarray(0, 64));
  assert.ok(lz4At > 0);
  // Frame header is 4 magic + FLG + BD + 8 content size + HC = 15 bytes, then the first block's size word.
  raw[lz4At + 15 + 4 + 2000] ^= 0x10;
  writeFileSync(b.file, raw);
  const r = await inspect(b.file);
  const ids = new Set(errors(r).map((f) => `${f.ruleId}@${f.path}`));
  assert.ok(ids.has('integrity/tar-md5@'), describe(r.findings));
  assert.ok(ids.has('integrity/lz4-checksum@boot.img.lz4') || ids.has('format/unreadable@boot.img.lz4'), describe(r.findings));
  const cli = runCli(['check', b.file, '--json']);
  assert.equal(cli.code, 1);
});
