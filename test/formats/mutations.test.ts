/**
 * Bad input is normal input, format by format: well-formed packages and
 * images from the project's builders, damaged the ways downloads and hostile
 * uploads are (cut short, bits flipped, bytes overwritten, length and count
 * fields set to 0, 1, 2^31 and 2^32 - 2), must each give a report: no throw,
 * no internal error, no stack trace in a message. The mutations come from a
 * fixed seed, so a failure names a case that can be run again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { inspect } from '../../src/pipeline/inspect';
import { compressible, pseudoRandom } from '../../fixtures/builders/data';
import { newRsaKeyPair } from '../../fixtures/builders/keys';
import { buildSparse } from '../../fixtures/builders/sparse';
import { buildBootImage, buildVendorBootImage } from '../../fixtures/builders/bootimg';
import { addHashFooter, addHashtreeFooter, buildVbmeta, hashDescriptor, hashTree } from '../../fixtures/builders/avb';
import { buildSuperImage } from '../../fixtures/builders/super';
import { buildGptDisk } from '../../fixtures/builders/gpt';
import { buildPit } from '../../fixtures/builders/pit';
import { buildCpio } from '../../fixtures/builders/cpio';
import { buildBlockOta } from '../../fixtures/builders/block-ota';
import { buildZip } from '../../fixtures/builders/zip';
import { buildTar, buildTarMd5 } from '../../fixtures/builders/tar';
import { buildLz4Frame, buildLz4Legacy } from '../../fixtures/builders/lz4';
import { buildPayload } from '../../fixtures/builders/payload';
import { buildAbOtaZip } from '../../fixtures/builders/ota-zip';
import { tempDir } from '../helpers';

const BS = 4096;
const MUTATIONS_PER_SEED = 24;

async function seeds(): Promise<{ name: string; data: Buffer }[]> {
  const key = newRsaKeyPair(2048).privateKey;
  const data = Buffer.concat([pseudoRandom(3 * BS, 1), compressible(3 * BS, 2)]);
  const ramdisk = gzipSync(
    buildCpio([
      { name: 'init', data: Buffer.from('#!/bin/sh\n') },
      { name: 'etc', type: 'dir' },
    ]),
  );
  const boot = buildBootImage({ headerVersion: 2, kernel: pseudoRandom(5000, 3), ramdisk, dtb: pseudoRandom(300, 4) });
  const salt = pseudoRandom(32, 5);
  const vbmeta = buildVbmeta({
    algorithm: 'SHA256_RSA2048',
    key,
    descriptors: [hashDescriptor(boot, 'boot', salt), { type: 'hashtree', partition: 'system', imageSize: data.length, treeOffset: data.length, treeSize: 8192, salt, rootDigest: hashTree(data, salt).rootDigest }],
  });
  const sparse = buildSparse([{ type: 'raw', data }, { type: 'fill', pattern: 0xdeadbeef, blocks: 3 }, { type: 'dontcare', blocks: 2 }, { type: 'crc32' }]);
  const blockOta = buildBlockOta(data);
  const lz4 = await buildLz4Frame(boot, { contentChecksum: true, blockChecksums: true });
  const payload = buildPayload(
    [
      { name: 'system', data, type: 'REPLACE_XZ', chunkBlocks: 2 },
      { name: 'boot', data: pseudoRandom(3 * BS, 9), type: 'REPLACE_BZ' },
      { name: 'vendor', data: compressible(2 * BS, 10), type: 'REPLACE_ZSTD' },
    ],
    { key },
  );
  return [
    { name: 'boot.img', data: boot },
    { name: 'boot.img', data: buildBootImage({ headerVersion: 4, kernel: pseudoRandom(5000, 3), ramdisk }) },
    { name: 'vendor_boot.img', data: buildVendorBootImage({}) },
    { name: 'vbmeta.img', data: vbmeta },
    { name: 'boot.img', data: addHashFooter(boot, { partitionName: 'boot', partitionSize: 128 * 1024, salt }).image },
    { name: 'system.img', data: addHashtreeFooter(data, { partitionName: 'system', partitionSize: data.length + 64 * 1024, salt }).image },
    { name: 'system.img', data: sparse },
    { name: 'super.img', data: buildSuperImage({ partitions: [{ name: 'system_a', data }] }, { metadataMaxSize: 4096, slotCount: 2 }).image },
    {
      name: 'gpt.bin',
      data: buildGptDisk([
        { name: 'boot', firstLba: 34, lastLba: 100 },
        { name: 'system', firstLba: 101, lastLba: 300 },
      ]),
    },
    {
      name: 'x.pit',
      data: buildPit([
        { identifier: 1, name: 'BOOT', flashFilename: 'boot.img', blockCount: 100 },
        { identifier: 2, name: 'SYSTEM', flashFilename: 'system.img', blockSizeOrOffset: 100, blockCount: 1000 },
      ]),
    },
    { name: 'ramdisk.cpio.gz', data: ramdisk },
    { name: 'boot.img.lz4', data: lz4 },
    { name: 'boot.img.lz4', data: buildLz4Legacy(boot) },
    {
      name: 'AP_X.tar.md5',
      data: buildTarMd5(
        buildTar([
          { name: 'boot.img.lz4', data: lz4 },
          { name: 'vbmeta.img', data: vbmeta },
        ]),
        'AP_X.tar',
      ),
    },
    {
      name: 'factory.zip',
      data: buildZip([
        { name: 'boot.img', data: boot, method: 'deflate' },
        { name: 'vbmeta.img', data: vbmeta },
        { name: 'system.img', data: sparse },
        { name: 'android-info.txt', data: Buffer.from('require board=x\n') },
      ]),
    },
    {
      name: 'ota.zip',
      data: buildZip([
        { name: 'system.transfer.list', data: Buffer.from(blockOta.transferList) },
        { name: 'system.new.dat', data: blockOta.newDat },
        { name: 'META-INF/com/google/android/updater-script', data: Buffer.from('assert(getprop("ro.product.device") == "x");\n') },
      ]),
    },
    { name: 'payload.bin', data: payload.payload },
    { name: 'ota.zip', data: buildAbOtaZip({ payload: payload.payload, properties: payload.properties }).zip },
  ];
}

/** A small deterministic generator (LCG) so every case can be replayed from its index. */
function lcg(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s % n;
  };
}

const FIELD_VALUES = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe];

function mutate(seed: Buffer, r: (n: number) => number): { bytes: Buffer; how: string } {
  const s = Buffer.from(seed);
  switch (r(5)) {
    case 0: {
      const at = r(s.length);
      return { bytes: s.subarray(0, at), how: `cut at ${at}` };
    }
    case 1: {
      const flips: number[] = [];
      for (let k = 1 + r(8); k > 0; k--) {
        const at = r(s.length);
        s[at] ^= 1 << r(8);
        flips.push(at);
      }
      return { bytes: s, how: `bits flipped at ${flips.join(',')}` };
    }
    case 2: {
      const at = r(Math.min(4096, s.length));
      for (let k = 0; k < 8 && at + k < s.length; k++) s[at + k] = r(2) ? 0xff : r(256);
      return { bytes: s, how: `8 bytes overwritten at ${at}` };
    }
    default: {
      // Headers are at the front: most field overwrites land there.
      const at = r(4) ? r(Math.max(1, Math.min(4096, s.length - 4))) : r(Math.max(1, s.length - 4));
      const v = FIELD_VALUES[r(FIELD_VALUES.length)];
      if (r(2)) s.writeUInt32LE(v, at);
      else s.writeUInt32BE(v, at);
      return { bytes: s, how: `u32 ${v} written at ${at}` };
    }
  }
}

test('damaged images and packages of every format give a report, never a throw or an internal error', async (t) => {
  const dir = tempDir(t);
  const all = await seeds();
  const r = lcg(0x5eed);
  let n = 0;
  for (const [si, seed] of all.entries()) {
    for (let k = 0; k < MUTATIONS_PER_SEED; k++, n++) {
      const { bytes, how } = mutate(seed.data, r);
      const what = `case ${n}: ${seed.name} (seed ${si}), ${how}`;
      const file = join(dir, `${n}-${seed.name}`);
      writeFileSync(file, bytes);
      const report = await inspect(file, { sidecars: false }).catch((e: Error) => assert.fail(`${what}: threw ${e?.stack ?? e}`));
      assert.equal(report.root.path, '', what);
      assert.equal(report.input.size, bytes.length, what);
      for (const f of report.findings) assert.doesNotMatch(f.message, /internal error|\n\s+at /, `${what}: ${f.ruleId}: ${f.message}`);
    }
  }
  assert.equal(n, all.length * MUTATIONS_PER_SEED);
});
