/**
 * Whole-package bench inputs, each shaped as vendors ship them and verified
 * by hand with the tools a careful user has:
 *
 * - a Samsung `AP_*.tar.md5`: a sparse super image (an ext4 image holding
 *   files from /usr/lib, img2simg), a boot image (mkbootimg) and a vbmeta
 *   (the project's AVB builder, signing hash descriptors of boot and
 *   vendor_boot: avbtool is not packaged), each `.lz4`, in a tar with the
 *   md5 trailer Odin checks;
 * - a Pixel factory zip: bootloader and radio images, flash-all.sh, and a
 *   nested `image-*.zip` holding boot, vendor_boot, vbmeta and sparse
 *   system and vendor images.
 *
 * Sizes follow environment variables (BENCH_AP_SUPER_MB, BENCH_FACTORY_MB),
 * so a small smoke run is possible. Everything is written to files under
 * the bench's temp dir; no image is held in memory whole except boot,
 * vendor_boot and vbmeta (a few MiB).
 */
import { spawn } from 'node:child_process';
import { closeSync, createReadStream, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { buildVbmeta, hashDescriptor } from '../fixtures/builders/avb';
import { buildVendorBootImage } from '../fixtures/builders/bootimg';
import { newRsaKeyPair } from '../fixtures/builders/keys';
import { MiB, writeData } from './generate';
import { stage } from './payload';
import { x25 } from '../fixtures/builders/vendor';

/** A size in MiB from `name`, else `fallback` MiB; in bytes. */
export function mibFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback * MiB;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 16) throw new Error(`${name} must be a whole number of MiB, at least 16, got "${raw}"`);
  return n * MiB;
}

function run(argv: string[], cwd?: string, stdout?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = stdout ? openSync(stdout, 'w') : 'ignore';
    const c = spawn(argv[0], argv.slice(1), { cwd, stdio: ['ignore', out, 'pipe'] });
    let err = '';
    c.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    c.on('error', reject);
    c.on('close', (code) => {
      if (typeof out === 'number') closeSync(out);
      code === 0 ? resolve() : reject(new Error(`${argv.join(' ')} failed (${code}): ${err}`));
    });
  });
}

const mb = (n: number) => `${(n / MiB).toFixed(1)} MiB`;

/** An ext4 image of `bytes` (mkfs.ext4 -d) holding files from `source` up to `fill` of it, the rest free. */
async function ext4Image(dir: string, name: string, bytes: number, fill: number, source = '/usr/lib'): Promise<{ file: string; info: string }> {
  const root = join(dir, `${name}-root`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root);
  const used = stage(source, root, Math.floor(bytes * fill));
  const file = join(dir, `${name}.raw`);
  await run(['mkfs.ext4', '-q', '-F', '-b', '4096', '-L', name, '-d', root, file, `${bytes / 1024}k`]);
  rmSync(root, { recursive: true, force: true });
  return { file, info: `${mb(bytes)} ext4 with ${mb(used)} of files from ${source}` };
}

/** img2simg of an ext4 image of `bytes`, as `<name>.img`; the raw image is removed. */
async function sparseExt4(dir: string, name: string, bytes: number, fill: number): Promise<{ file: string; info: string }> {
  const raw = await ext4Image(dir, name, bytes, fill);
  const file = join(dir, `${name}.img`);
  await run(['img2simg', raw.file, file]);
  rmSync(raw.file);
  return { file, info: `${name}.img: sparse (img2simg) ${raw.info}, ${mb(statSync(file).size)} on disk` };
}

/** A gzip'd newc cpio of a few small files, as ramdisks are (cpio -o -H newc | gzip). */
async function ramdisk(dir: string, name: string, bytes: number): Promise<string> {
  const root = join(dir, `${name}-root`);
  mkdirSync(join(root, 'system', 'bin'), { recursive: true });
  writeFileSync(join(root, 'init.rc'), 'on init\n    mkdir /dev/romscope 0755 root root\n');
  await writeData(join(root, 'system', 'bin', 'init'), bytes, 'mixed');
  const file = join(dir, `${name}.cpio.gz`);
  await run(['sh', '-c', 'cd "$1" && find . | sort | cpio -o -H newc --quiet | gzip -6', 'sh', root], undefined, file);
  rmSync(root, { recursive: true, force: true });
  return file;
}

/** boot.img (mkbootimg, header v2: kernel, ramdisk, dtb) and vendor_boot.img (v4: vendor ramdisk and dtb); and a vbmeta signing both. */
async function bootImages(dir: string): Promise<{ boot: string; vendorBoot: string; vbmeta: string; info: string[] }> {
  const kernel = join(dir, 'kernel');
  await writeData(kernel, 24 * MiB, 'mixed');
  const rd = await ramdisk(dir, 'ramdisk', 4 * MiB);
  const dtb = join(dir, 'dtb');
  await writeData(dtb, 1 * MiB, 'mixed');
  const boot = join(dir, 'boot.img');
  await run(['mkbootimg', '--header_version', '2', '--kernel', kernel, '--ramdisk', rd, '--dtb', dtb, '--os_version', '14.0.0', '--os_patch_level', '2024-01', '--cmdline', 'console=ttyMSM0', '-o', boot]);
  const vrd = await ramdisk(dir, 'vendor-ramdisk', 8 * MiB);
  // vendor_boot v4 by the project's builder: Debian's mkbootimg 29 writes a v3 header_size of 2108, not bootimg.h's 2112 (test/interop/bootimg.test.ts).
  const vendorBoot = join(dir, 'vendor_boot.img');
  writeFileSync(vendorBoot, buildVendorBootImage({ headerVersion: 4, ramdisk: readFileSync(vrd), dtb: readFileSync(dtb), cmdline: 'androidboot.hardware=bench', board: 'bench' }));
  for (const f of [kernel, rd, vrd, dtb]) rmSync(f);
  const key = newRsaKeyPair(4096).privateKey;
  const vb = buildVbmeta({
    algorithm: 'SHA256_RSA4096',
    key,
    descriptors: [hashDescriptor(readFileSync(boot), 'boot', randomBytes(32)), hashDescriptor(readFileSync(vendorBoot), 'vendor_boot', randomBytes(32))],
  });
  const vbmeta = join(dir, 'vbmeta.img');
  writeFileSync(vbmeta, vb);
  return {
    boot,
    vendorBoot,
    vbmeta,
    info: [
      `boot.img: mkbootimg header v2, ${mb(statSync(boot).size)}; vendor_boot.img: header v4 (romscope's builder), ${mb(statSync(vendorBoot).size)}`,
      `vbmeta.img: SHA256_RSA4096, hash descriptors of boot and vendor_boot (romscope's own AVB builder: avbtool is not packaged)`,
    ],
  };
}

/**
 * `AP_BENCH.tar.md5`: super.img.lz4 (sparse), boot.img.lz4, vbmeta.img.lz4
 * (lz4 -B6 --content-size, as Samsung's are) in a ustar archive, then the
 * md5 trailer Odin checks: the hex MD5 of the tar, two spaces, its name.
 */
export async function samsungAp(dir: string, superBytes: number): Promise<{ input: string; info: string[] }> {
  const work = join(dir, 'ap');
  mkdirSync(work);
  const sup = await sparseExt4(work, 'super', superBytes, 0.6);
  const b = await bootImages(work);
  rmSync(b.vendorBoot);
  const names: string[] = [];
  for (const f of [sup.file, b.boot, b.vbmeta]) {
    await run(['lz4', '-q', '-f', '-B6', '--content-size', f, `${f}.lz4`]);
    rmSync(f);
    names.push(`${f.split('/').pop()}.lz4`);
  }
  const tar = join(dir, 'AP_BENCH.tar');
  await run(['tar', '--format=ustar', '-cf', tar, '-C', work, ...names]);
  rmSync(work, { recursive: true, force: true });
  const md5 = await new Promise<string>((resolve, reject) => {
    const c = spawn('md5sum', [tar], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    c.stdout.on('data', (x: Buffer) => (out += x.toString()));
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve(out.split(' ')[0]) : reject(new Error('md5sum failed'))));
  });
  const fd = openSync(tar, 'a');
  writeSync(fd, `${md5}  AP_BENCH.tar\n`);
  closeSync(fd);
  const input = `${tar}.md5`;
  await run(['mv', tar, input]);
  return { input, info: [sup.info, ...b.info, `AP_BENCH.tar.md5: ${names.join(', ')} (lz4 -B6 --content-size) in a ustar tar with Odin's md5 trailer, ${mb(statSync(input).size)}`] };
}

/**
 * `bench-factory.zip` as Google ships them: a top directory with
 * bootloader-*.img, radio-*.img, flash-all.sh and image-*.zip (deflated)
 * holding boot, vendor_boot, vbmeta and sparse system and vendor images.
 */
export async function factoryZip(dir: string, systemBytes: number): Promise<{ input: string; info: string[] }> {
  const top = join(dir, 'factory', 'bench-uq1a.240105.004');
  mkdirSync(top, { recursive: true });
  const inner = join(dir, 'factory', 'image');
  mkdirSync(inner);
  await writeData(join(top, 'bootloader-bench-1.0-1234567.img'), 12 * MiB, 'mixed');
  await writeData(join(top, 'radio-bench-g5300-1234567.img'), 80 * MiB, 'mixed');
  writeFileSync(
    join(top, 'flash-all.sh'),
    '#!/bin/sh\nfastboot flash bootloader bootloader-bench-1.0-1234567.img\nfastboot reboot-bootloader\nfastboot flash radio radio-bench-g5300-1234567.img\nfastboot reboot-bootloader\nfastboot -w update image-bench-uq1a.240105.004.zip\n',
  );
  const sys = await sparseExt4(inner, 'system', systemBytes, 0.6);
  const ven = await sparseExt4(inner, 'vendor', Math.max(16 * MiB, Math.round(systemBytes / 4 / MiB) * MiB), 0.6);
  const b = await bootImages(inner);
  writeFileSync(join(inner, 'android-info.txt'), 'require board=bench\nrequire version-bootloader=bench-1.0-1234567\nrequire version-baseband=g5300-1234567\n');
  const imageZip = join(top, 'image-bench-uq1a.240105.004.zip');
  await run(['zip', '-q', '-X', '-6', imageZip, 'android-info.txt', 'boot.img', 'vendor_boot.img', 'vbmeta.img', 'system.img', 'vendor.img'], inner);
  rmSync(inner, { recursive: true, force: true });
  const input = join(dir, 'bench-factory.zip');
  await run(['zip', '-q', '-X', '-r', '-0', input, 'bench-uq1a.240105.004'], join(dir, 'factory'));
  rmSync(join(dir, 'factory'), { recursive: true, force: true });
  return {
    input,
    info: [
      sys.info,
      ven.info,
      ...b.info,
      `bench-factory.zip: stored, bootloader (12 MiB), radio (80 MiB), flash-all.sh and image-*.zip (deflate -6 of boot, vendor_boot, vbmeta, system, vendor), ${mb(statSync(input).size)}`,
    ],
  };
}

/** An A/B OTA zip (stored) around `payload`: META-INF/com/android/metadata, payload.bin, payload_properties.txt. */
export async function abOtaZip(dir: string, payload: string): Promise<string> {
  const work = join(dir, 'ota-zip');
  mkdirSync(join(work, 'META-INF', 'com', 'android'), { recursive: true });
  await run(['mv', payload, join(work, 'payload.bin')]);
  // The metadata: the 24-byte header (magic, version, manifest size, metadata signature size) and the manifest.
  const fd = openSync(join(work, 'payload.bin'), 'r');
  const head = Buffer.alloc(24);
  readSyncAll(fd, head);
  closeSync(fd);
  const metadataSize = 24 + Number(head.readBigUInt64BE(12));
  const fileHash = createHash('sha256');
  const metaHash = createHash('sha256');
  let seen = 0;
  for await (const c of createReadStream(join(work, 'payload.bin'))) {
    const b = c as Buffer;
    fileHash.update(b);
    if (seen < metadataSize) metaHash.update(b.subarray(0, Math.min(b.length, metadataSize - seen)));
    seen += b.length;
  }
  const b64 = (b: Buffer) => b.toString('base64');
  writeFileSync(join(work, 'payload_properties.txt'), [`FILE_HASH=${b64(fileHash.digest())}`, `FILE_SIZE=${seen}`, `METADATA_HASH=${b64(metaHash.digest())}`, `METADATA_SIZE=${metadataSize}`, ''].join('\n'));
  writeFileSync(join(work, 'META-INF', 'com', 'android', 'metadata'), 'ota-type=AB\npre-device=bench\npost-build=romscope/bench/bench:14/UQ1A.240105.004/11206848:user/release-keys\npost-timestamp=1796299200\n');
  const input = join(dir, 'bench-ota.zip');
  await run(['zip', '-0', '-q', '-X', input, 'META-INF/com/android/metadata', 'payload.bin', 'payload_properties.txt'], work);
  rmSync(work, { recursive: true, force: true });
  return input;
}

function readSyncAll(fd: number, buf: Buffer): void {
  let n = 0;
  while (n < buf.length) {
    const r = readSync(fd, buf, n, buf.length - n, n);
    if (r === 0) throw new Error('payload.bin is shorter than its header');
    n += r;
  }
}

/**
 * A Huawei UPDATE.APP (src/formats/huawei-update-app): 92 zero bytes, then
 * records for a sparse ext4 SYSTEM image of `systemBytes`, BOOT, VENDOR_BOOT
 * and VBMETA, each with its CRC-16/X-25 list over 4 KiB blocks (computed by
 * the fixture builder's byte-at-a-time CRC, not romscope's). Record header
 * fields other than the name and sizes are fixed values.
 */
export async function updateApp(dir: string, systemBytes: number): Promise<{ input: string; info: string[] }> {
  const work = join(dir, 'app');
  mkdirSync(work);
  const sys = await sparseExt4(work, 'system', systemBytes, 0.6);
  const b = await bootImages(work);
  const input = join(dir, 'UPDATE.APP');
  const out = openSync(input, 'w');
  try {
    writeSync(out, Buffer.alloc(92));
    let at = 92;
    const records: [string, string][] = [
      ['SYSTEM', sys.file],
      ['BOOT', b.boot],
      ['VENDOR_BOOT', b.vendorBoot],
      ['VBMETA', b.vbmeta],
    ];
    for (const [name, file] of records) {
      const size = statSync(file).size;
      const blocks = Math.ceil(size / 4096);
      const list = Buffer.alloc(blocks * 2);
      const fd = openSync(file, 'r');
      const buf = Buffer.allocUnsafe(4096 * 256);
      try {
        for (let block = 0; block < blocks;) {
          const n = readSync(fd, buf, 0, buf.length, block * 4096);
          for (let o = 0; o < n; o += 4096, block++) list.writeUInt16LE(x25(buf.subarray(o, Math.min(o + 4096, n))), block * 2);
        }
        const h = Buffer.alloc(98);
        h.writeUInt32LE(0xa55aaa55, 0);
        h.writeUInt32LE(98 + list.length, 4);
        h.writeUInt32LE(1, 8);
        h.write('HW7x27xx', 12, 8, 'latin1');
        h.writeUInt32LE(0xfffffff0, 20);
        h.writeUInt32LE(size, 24);
        h.write('2026.12.04', 28, 16, 'latin1');
        h.write('12.00.00', 44, 16, 'latin1');
        h.write(name, 60, 16, 'latin1');
        h.writeUInt16LE(4096, 94);
        writeSync(out, h);
        writeSync(out, list);
        for (let pos = 0; pos < size;) {
          const n = readSync(fd, buf, 0, buf.length, pos);
          writeSync(out, buf, 0, n);
          pos += n;
        }
      } finally {
        closeSync(fd);
      }
      at += 98 + list.length + size;
      const pad = (4 - (at % 4)) % 4;
      if (pad) writeSync(out, Buffer.alloc(pad));
      at += pad;
    }
  } finally {
    closeSync(out);
  }
  rmSync(work, { recursive: true, force: true });
  return { input, info: [sys.info, ...b.info, `UPDATE.APP: SYSTEM (sparse), BOOT, VENDOR_BOOT and VBMETA records with their CRC-16 lists, ${mb(statSync(input).size)}`] };
}
