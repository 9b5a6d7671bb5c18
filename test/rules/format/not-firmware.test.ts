import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ruleTester } from '../harness';
import { inspect } from '../../../src/pipeline/inspect';
import { tempDir } from '../../helpers';
import { buildZip } from '../../../fixtures/builders/zip';
import { buildTar, buildTarMd5 } from '../../../fixtures/builders/tar';
import { buildBootImage } from '../../../fixtures/builders/bootimg';
import { compressible, pseudoRandom } from '../../../fixtures/builders/data';

const html = (title: string) => Buffer.from(`<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>Forbidden</h1></body></html>\n`);
const LFS_OID = '4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393';
const lfs = (size: number) => Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${LFS_OID}\nsize ${size}\n`);
const boot = () => buildBootImage({ kernel: pseudoRandom(5000, 1), ramdisk: gzipSync(compressible(3000, 2)) });

ruleTester('format/not-firmware', {
  valid: [
    { name: 'a zip with a boot image', file: 'rom.zip', build: () => buildZip([{ name: 'boot.img', data: boot() }]) },
    { name: 'a boot image', file: 'boot.img', build: boot },
    // Package members that are in no known format but look like nothing went wrong: counted in the summary instead.
    {
      name: 'zip members: a script, a README, vendor blobs, a blank image, an empty file without an image name',
      file: 'fastboot.zip',
      build: () =>
        buildZip([
          { name: 'flash.sh', data: Buffer.from('#!/bin/sh\nfastboot flash boot boot.img\n') },
          { name: 'README', data: Buffer.from('read me\n') },
          { name: 'images/NON-HLOS.bin', data: pseudoRandom(9000, 3) },
          { name: 'images/gsort.img', data: Buffer.alloc(16384) },
          { name: 'images/vendor_blob.bin', data: pseudoRandom(9000, 4) },
          { name: 'empty', data: Buffer.alloc(0) },
        ]),
    },
    { name: 'the files of a ramdisk are not package members', file: 'boot.img', build: boot },
  ],
  invalid: [
    {
      name: 'an HTML error page saved as download.zip (the title is quoted)',
      file: 'download.zip',
      build: () => html('403 Forbidden'),
      errors: [{ path: '', message: 'download.zip is an HTML document (403 Forbidden), not a zip' }],
    },
    {
      name: 'a hostile title: escape sequences, bidi overrides and length are cleaned',
      file: 'rom.zip',
      build: () => html(`\x1b]0;pwned\x07\x1b[31mred\u202e &lt;b&gt; ${'x'.repeat(300)}`),
      errors: [{ path: '', message: /^rom\.zip is an HTML document \(\]0;pwned \[31mred <b> x+…\), not a zip$/ }],
    },
    { name: 'a 0-byte rom.zip', file: 'rom.zip', build: () => Buffer.alloc(0), errors: [{ path: '', message: 'rom.zip is 0 bytes (an empty file), not a zip' }] },
    {
      name: 'a Git LFS pointer saved as system.img',
      file: 'system.img',
      build: () => lfs(123456789),
      errors: [{ path: '', message: 'system.img is a Git LFS pointer (oid sha256:4d7a214614ab…, 123456789 bytes), not the file it stands for, not a partition image' }],
    },
    { name: 'random bytes as firmware.bin (a warning)', file: 'firmware.bin', build: () => pseudoRandom(100_000, 5), errors: [{ path: '', message: 'firmware.bin is unrecognised binary data (random-looking' }] },
    { name: 'zeros as rom.zip', file: 'rom.zip', build: () => Buffer.alloc(8192), errors: [{ path: '', message: 'rom.zip is 8192 bytes, all zero (a blank image), not a zip' }] },
    {
      name: 'an S3 error saved as payload.bin',
      file: 'payload.bin',
      build: () => Buffer.from('<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>'),
      errors: [{ path: '', message: 'payload.bin is an XML document (root <Error>, code AccessDenied), not an A/B OTA payload' }],
    },
    { name: 'a gzip stream that decodes to an HTML page', file: 'rom.img.gz', build: () => gzipSync(html('Not Found')), errors: [{ path: 'rom.img', message: 'rom.img is an HTML document (Not Found)' }] },
    {
      name: 'members: an LFS pointer as boot.img, an HTML page under a plain name and as payload.bin; text as system.img is only counted',
      file: 'rom.zip',
      build: () =>
        buildZip([
          { name: 'boot.img', data: lfs(50_000_000) },
          { name: 'notes', data: html('Sign in') },
          { name: 'payload.bin', data: html('Error 404') },
          { name: 'system.img', data: Buffer.from('not an image\n') },
        ]),
      errors: [
        { path: 'boot.img', message: 'boot.img is a Git LFS pointer (oid sha256:4d7a214614ab…, 50000000 bytes), not the file it stands for, not an Android boot image' },
        { path: 'notes', message: 'notes is an HTML document (Sign in)' },
        { path: 'payload.bin', message: 'payload.bin is an HTML document (Error 404), not an A/B OTA payload' },
      ],
    },
    {
      name: 'an Odin archive whose member is 0 bytes (a damaged upload, with a correct md5 line)',
      file: 'AP_G973FXXU9FUCD.tar.md5',
      build: () =>
        buildTarMd5(
          buildTar([
            { name: 'boot.img.lz4', data: Buffer.alloc(0) },
            { name: 'cache', data: Buffer.alloc(0) },
          ]),
          'AP_G973FXXU9FUCD.tar',
        ),
      errors: [
        { path: 'boot.img.lz4', message: 'boot.img.lz4 is 0 bytes (an empty file)' },
        { path: 'cache', message: 'cache is 0 bytes (an empty file)' },
      ],
    },
  ],
});

async function check(t: import('node:test').TestContext, file: string, bytes: Buffer) {
  const dir = tempDir(t);
  const p = join(dir, file);
  writeFileSync(p, bytes);
  return inspect(p);
}

test('format/not-firmware: error when the name promises a format, warning otherwise; --severity overrides both', async (t) => {
  const cases: [string, Buffer, string][] = [
    ['rom.zip', Buffer.alloc(0), 'error'],
    ['firmware.bin', pseudoRandom(5000, 6), 'warning'],
    ['notes.txt', Buffer.from('hello\n'), 'warning'],
    // A vendor boot.img in a binary format romscope does not decode (as Rockchip's KRNL boot.img was before it did): a warning, not an error.
    ['boot.img', Buffer.concat([Buffer.from('QZXW'), pseudoRandom(5000, 7)]), 'warning'],
    ['boot.img', Buffer.from('hello\n'), 'error'],
    ['vbmeta.img', pseudoRandom(5000, 8), 'error'],
    ['gsort.img', Buffer.alloc(16384), 'warning'],
  ];
  for (const [name, bytes, severity] of cases) {
    const r = await check(t, name, bytes);
    const f = r.findings.filter((x) => x.ruleId === 'format/not-firmware');
    assert.deepEqual(
      f.map((x) => x.severity),
      [severity],
      `${name}: ${JSON.stringify(f)}`,
    );
  }
  const dir = tempDir(t);
  writeFileSync(join(dir, 'rom.zip'), Buffer.alloc(0));
  const r = await inspect(join(dir, 'rom.zip'), { severity: { 'format/not-firmware': 'info' } });
  assert.deepEqual(
    r.findings.map((x) => x.severity),
    ['info'],
  );
});

test('summary.notUnderstood counts package members in no known format, not known blobs, blanks, pictures or signature files', async (t) => {
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), pseudoRandom(500, 9)]);
  const r = await check(
    t,
    'rom.zip',
    buildZip([
      { name: 'boot.img', data: boot() },
      { name: 'flash.sh', data: Buffer.from('#!/bin/sh\n') },
      { name: 'images/mystery.bin', data: pseudoRandom(9000, 10) },
      { name: 'images/tz.mbn', data: pseudoRandom(9000, 11) },
      { name: 'images/blank.img', data: Buffer.alloc(4096) },
      { name: 'logo.jpg', data: jpeg },
      { name: 'META-INF/CERT.RSA', data: pseudoRandom(900, 12) },
      { name: 'empty.txt', data: Buffer.alloc(0) },
      { name: 'inner.gz', data: gzipSync(pseudoRandom(3000, 13)) },
    ]),
  );
  assert.deepEqual(r.summary.notUnderstood, { members: 3, paths: ['flash.sh', 'images/mystery.bin', 'inner.gz/inner'] });
  // A package whose members are all understood says 0.
  const ok = await check(t, 'ok.zip', buildZip([{ name: 'boot.img', data: boot() }]));
  assert.deepEqual(ok.summary.notUnderstood, { members: 0, paths: [] });
});
