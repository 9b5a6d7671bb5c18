/**
 * The mutation seeds: well-formed inputs, at least one per registered format.
 * `format` is what romscope detects the seed itself as (`data` where only a
 * child is of a format). test/formats/mutations.test.ts damages every seed;
 * test/formats/registry-coverage.test.ts checks that every handler in
 * HANDLERS has a seed detected as its format. Add new seeds at the end, so the
 * mutation cases already numbered keep their numbers.
 */
import { execFileSync } from 'node:child_process';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { compressible, pseudoRandom } from '../../fixtures/builders/data';
import { newRsaKeyPair } from '../../fixtures/builders/keys';
import { buildSparse } from '../../fixtures/builders/sparse';
import { buildBootImage, buildVendorBootImage } from '../../fixtures/builders/bootimg';
import { addHashFooter, addHashtreeFooter, buildVbmeta, hashDescriptor, hashTree } from '../../fixtures/builders/avb';
import { buildSuperImage } from '../../fixtures/builders/super';
import { buildGptDisk, buildMbrDisk } from '../../fixtures/builders/gpt';
import { buildPit } from '../../fixtures/builders/pit';
import { buildCpio } from '../../fixtures/builders/cpio';
import { buildBlockOta } from '../../fixtures/builders/block-ota';
import { buildZip } from '../../fixtures/builders/zip';
import { buildTar, buildTarMd5 } from '../../fixtures/builders/tar';
import { buildLz4Frame, buildLz4Legacy } from '../../fixtures/builders/lz4';
import { buildPayload, xzStored, zstdStored } from '../../fixtures/builders/payload';
import { buildAbOtaZip } from '../../fixtures/builders/ota-zip';
import { smallDelta } from '../../fixtures/builders/delta-payload';
import { smallZucchiniDelta } from '../../fixtures/builders/zucchini';

import { buildScatterYaml } from '../../fixtures/builders/scatter';
import { buildRawprogram } from '../../fixtures/builders/rawprogram';
import { androidInfo, buildProp, careMapPb, otaMetadata, updaterScript, xiaomiFlashAll } from '../../fixtures/builders/rom';
import { makeTestSigner } from '../../fixtures/builders/ota-sign';
import { buildDtTable, buildFdt } from '../../fixtures/builders/fdt';
import { mke2fs } from '../../fixtures/builders/ext4';
import { buildErofs, buildF2fsSuperblock } from '../../fixtures/builders/erofs';
import { buildFlashfile } from '../../fixtures/builders/moto-flashfile';
import { buildMbn } from '../../fixtures/builders/mbn';
import { buildDz, buildKdz, dzChunksOf } from '../../fixtures/builders/kdz';
import {
  buildAmlMultiDtb,
  buildAmlRes,
  buildAmlSecure,
  buildDhtb,
  buildKeystorage,
  buildKrnl,
  buildParameter,
  buildParm,
  buildQcdt,
  buildRkLoader,
  buildRsce,
  buildUh,
  buildUpdateApp,
} from '../../fixtures/builders/vendor';
import { buildBootPreloader, buildGfhPreloader, buildMtkEfuse, buildMtkImage } from '../../fixtures/builders/mtk';
import { buildPac } from '../../fixtures/builders/pac';
import { buildRkaf, buildRkfw } from '../../fixtures/builders/rkfw';
import { buildAmlUpgrade } from '../../fixtures/builders/amlogic-upgrade';
import { buildNb0, buildOfpMtk, buildOfpQc, buildOps, buildOzip } from '../../fixtures/builders/oppo';
import { buildFtf, buildSinTar, buildSinV3, sinBlockMap } from '../../fixtures/builders/sony';

const BS = 4096;

export interface FormatSeed {
  /** The format id romscope detects the seed itself as (`data`: none). */
  format: string;
  name: string;
  data: Buffer;
}

export async function formatSeeds(): Promise<FormatSeed[]> {
  const key = newRsaKeyPair(2048).privateKey;
  const data = Buffer.concat([pseudoRandom(3 * BS, 1), compressible(3 * BS, 2)]);
  const cpio = buildCpio([
    { name: 'init', data: Buffer.from('#!/bin/sh\n') },
    { name: 'etc', type: 'dir' },
  ]);
  const ramdisk = gzipSync(cpio);
  const boot = buildBootImage({ headerVersion: 2, kernel: pseudoRandom(5000, 3), ramdisk, dtb: pseudoRandom(300, 4) });
  const salt = pseudoRandom(32, 5);
  const vbmeta = buildVbmeta({
    algorithm: 'SHA256_RSA2048',
    key,
    descriptors: [hashDescriptor(boot, 'boot', salt), { type: 'hashtree', partition: 'system', imageSize: data.length, treeOffset: data.length, treeSize: 8192, salt, rootDigest: hashTree(data, salt).rootDigest }],
  });
  const fdt = buildFdt({ name: '', props: { model: 'Seed Board', compatible: ['seed,board', 'qcom,sm8150'], 'qcom,msm-id': [339, 0x10000] }, children: [{ name: 'chosen', props: { bootargs: 'console=ttyS0' } }] });
  const overlay = buildFdt({ name: '', children: [{ name: 'fragment@0', props: { 'target-path': '/soc' }, children: [{ name: '__overlay__', props: { status: 'okay' } }] }] });
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
  const footed = addHashFooter(boot, { partitionName: 'boot', partitionSize: 128 * 1024, salt }).image;
  // An arm64 Image header: "ARM\x64" at offset 56.
  const kernel = Buffer.concat([Buffer.alloc(56), Buffer.from('ARM\x64', 'latin1'), pseudoRandom(4000, 13)]);
  const signer = await makeTestSigner();
  return [
    { format: 'android-boot', name: 'boot.img', data: boot },
    { format: 'android-boot', name: 'boot.img', data: buildBootImage({ headerVersion: 4, kernel: pseudoRandom(5000, 3), ramdisk }) },
    { format: 'android-boot', name: 'vendor_boot.img', data: buildVendorBootImage({}) },
    { format: 'avb-vbmeta', name: 'vbmeta.img', data: vbmeta },
    { format: 'android-boot', name: 'boot.img', data: addHashFooter(boot, { partitionName: 'boot', partitionSize: 128 * 1024, salt }).image },
    { format: 'data', name: 'system.img', data: addHashtreeFooter(data, { partitionName: 'system', partitionSize: data.length + 64 * 1024, salt }).image },
    { format: 'android-sparse', name: 'system.img', data: sparse },
    { format: 'lp-metadata', name: 'super.img', data: buildSuperImage({ partitions: [{ name: 'system_a', data }] }, { metadataMaxSize: 4096, slotCount: 2 }).image },
    {
      format: 'gpt',
      name: 'gpt.bin',
      data: buildGptDisk([
        { name: 'boot', firstLba: 34, lastLba: 100 },
        { name: 'system', firstLba: 101, lastLba: 300 },
      ]),
    },
    {
      format: 'samsung-pit',
      name: 'x.pit',
      data: buildPit([
        { identifier: 1, name: 'BOOT', flashFilename: 'boot.img', blockCount: 100 },
        { identifier: 2, name: 'SYSTEM', flashFilename: 'system.img', blockSizeOrOffset: 100, blockCount: 1000 },
      ]),
    },
    { format: 'gzip', name: 'ramdisk.cpio.gz', data: ramdisk },
    { format: 'lz4', name: 'boot.img.lz4', data: lz4 },
    { format: 'lz4', name: 'boot.img.lz4', data: buildLz4Legacy(boot) },
    {
      format: 'samsung-tar-md5',
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
      format: 'zip',
      name: 'factory.zip',
      data: buildZip([
        { name: 'boot.img', data: boot, method: 'deflate' },
        { name: 'vbmeta.img', data: vbmeta },
        { name: 'system.img', data: sparse },
        { name: 'android-info.txt', data: Buffer.from('require board=x\n') },
      ]),
    },
    {
      format: 'zip',
      name: 'ota.zip',
      data: buildZip([
        { name: 'system.transfer.list', data: Buffer.from(blockOta.transferList) },
        { name: 'system.new.dat', data: blockOta.newDat },
        { name: 'META-INF/com/google/android/updater-script', data: Buffer.from('assert(getprop("ro.product.device") == "x");\n') },
      ]),
    },
    { format: 'ota-payload', name: 'payload.bin', data: payload.payload },
    { format: 'zip', name: 'ota.zip', data: buildAbOtaZip({ payload: payload.payload, properties: payload.properties }).zip },
    // Every format not covered above, each on its own.
    {
      format: 'tar',
      name: 'x.tar',
      data: buildTar([
        { name: 'boot.img', data: boot },
        { name: 'system.img', data: sparse },
      ]),
    },
    { format: 'cpio', name: 'ramdisk.cpio', data: cpio },
    { format: 'xz', name: 'x.xz', data: xzStored(data, 'crc32') },
    { format: 'zstd', name: 'x.zst', data: zstdStored(data) },
    { format: 'bzip2', name: 'x.bz2', data: execFileSync('bzip2', ['-9', '-c'], { input: data }) },
    // No lzma or lzop encoder is at hand: a valid header and bytes behind it (both formats are only detected, not decoded).
    { format: 'lzma', name: 'x.lzma', data: Buffer.concat([Buffer.from([0x5d, 0x00, 0x00, 0x80, 0x00]), Buffer.alloc(8, 0xff), pseudoRandom(2000, 11)]) },
    { format: 'lzop', name: 'x.lzo', data: Buffer.concat([Buffer.from([0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a]), pseudoRandom(2000, 12)]) },
    { format: 'checksum-file', name: 'SHA256SUMS', data: Buffer.from(`${'ab'.repeat(32)}  boot.img\n${'cd'.repeat(32)} *system.img\n`) },
    { format: 'block-ota', name: 'system.transfer.list', data: Buffer.from(blockOta.transferList) },
    {
      format: 'mtk-scatter',
      name: 'MT6765_Android_scatter.txt',
      data: Buffer.from(
        buildScatterYaml([
          { name: 'boot', file: 'boot.img', start: 0x100000, size: 0x2000000 },
          { name: 'system', file: 'system.img', start: 0x2100000, size: 0x40000000 },
        ]),
      ),
    },
    {
      format: 'qcom-rawprogram',
      name: 'rawprogram0.xml',
      data: Buffer.from(
        buildRawprogram([
          { label: 'boot', filename: 'boot.img', startSector: 34, sectors: 8192 },
          { label: 'userdata', startSector: 'NUM_DISK_SECTORS-40.', sectors: 0 },
        ]),
      ),
    },
    { format: 'avb-footer', name: 'avb_footer', data: footed.subarray(footed.length - 64) },
    {
      format: 'mbr',
      name: 'disk.img',
      data: buildMbrDisk([
        { type: 0x83, startLba: 2048, sectors: 2048, boot: true },
        { type: 0x0c, startLba: 4096, sectors: 2048 },
      ]),
    },
    { format: 'linux-kernel', name: 'Image', data: kernel },
    { format: 'ota-metadata', name: 'META-INF/com/android/metadata', data: otaMetadata({ 'ota-type': 'AB', 'pre-device': 'x', 'post-build': 'a/x/x:14/AP1/1:user/release-keys', 'post-timestamp': '1700000000' }) },
    { format: 'care-map', name: 'care_map.pb', data: careMapPb([{ name: 'system', ranges: '4,0,10,20,30', id: 'ro.system.build.fingerprint', fingerprint: 'a/x/x:14/AP1/1:user/release-keys' }]) },
    { format: 'payload-properties', name: 'payload_properties.txt', data: Buffer.from(payload.properties) },
    { format: 'x509-certificate', name: 'META-INF/com/android/otacert', data: Buffer.from(signer.certPem) },
    { format: 'updater-script', name: 'META-INF/com/google/android/updater-script', data: updaterScript(['assert(getprop("ro.product.device") == "x");', 'ui_print("hello");']) },
    { format: 'android-info', name: 'android-info.txt', data: androidInfo(['require board=x', 'require version-bootloader=1.0|1.1']) },
    { format: 'fastboot-script', name: 'flash_all.sh', data: Buffer.from(xiaomiFlashAll('x', 3)) },
    { format: 'xiaomi-rom-info', name: 'misc.txt', data: Buffer.from('device=x\nbuild_number=V1.0.0\nuserdata_version=1\n') },
    {
      format: 'init-rc',
      name: 'system/etc/init/hw/init.rc',
      data: Buffer.from(
        'import /init.environ.rc\non early-init\n    start ueventd\n\nservice ueventd /system/bin/ueventd\n    class core\n    seclabel u:r:ueventd:s0\n\nservice console /system/bin/sh\n    user shell\n',
      ),
    },
    { format: 'build-prop', name: 'system/build.prop', data: buildProp({ 'ro.product.device': 'x', 'ro.build.fingerprint': 'a/x/x:14/AP1/1:user/release-keys' }) },
    { format: 'brotli', name: 'system.new.dat.br', data: brotliCompressSync(blockOta.newDat) },
    { format: 'block-ota-data', name: 'system.new.dat', data: blockOta.newDat },
    { format: 'fdt', name: 'board.dtb', data: fdt },
    { format: 'dtbo', name: 'dtbo.img', data: addHashFooter(buildDtTable([{ dtb: fdt, id: 7 }, { dtb: overlay }]), { partitionName: 'dtbo', partitionSize: 64 * 1024, salt }).image },
    // lk.img as the MTK build writes it: the code, its certificates, a device tree with its own; headers aligned to 16 bytes.
    {
      format: 'mtk-image',
      name: 'lk.img',
      data: buildMtkImage([
        { name: 'lk', data: pseudoRandom(3001, 71) },
        { name: 'cert1', data: pseudoRandom(301, 72), type: 0x2000000, loadAddress: 0x12345678 },
        { name: 'lk_main_dtb', data: fdt },
      ]),
    },
    { format: 'mtk-preloader', name: 'preloader_ufs.img', data: buildBootPreloader('UFS_BOOT', buildGfhPreloader(pseudoRandom(2000, 73), { customer: 'seed' })) },
    { format: 'mtk-preloader', name: 'preloader_x.bin', data: buildGfhPreloader(pseudoRandom(2000, 74)) },
    {
      format: 'mtk-efuse',
      name: 'efuse.img',
      data: buildMtkEfuse([
        { offset: 0x1c, data: pseudoRandom(32, 75) },
        { offset: 0x70, data: Buffer.from([0x4e]) },
      ]),
    },
    // A small ext4 (1 KiB blocks, metadata_csum, 128-byte inodes) made by mke2fs: superblock, descriptors and inode table in the first 8 KiB the mutations hit most.
    {
      format: 'ext4',
      name: 'system.img',
      data: mke2fs(
        {
          'system/build.prop': { type: 'file', data: buildProp({ 'ro.product.device': 'x' }) },
          'system/bin/sh': { type: 'file', data: pseudoRandom(20000, 13), mode: 0o755 },
          'system/etc/link': { type: 'symlink', target: '../build.prop' },
        },
        ['-t', 'ext4', '-b', '1024', '-I', '128', '-N', '32', '-O', 'metadata_csum,^has_journal,^resize_inode'],
        256,
      ),
    },
    {
      format: 'erofs',
      name: 'system.img',
      data: buildErofs([
        { name: 'build.prop', data: buildProp({ 'ro.product.device': 'x', 'ro.build.fingerprint': 'a/x/x:14/AP1/1:user/release-keys' }) },
        { name: 'default.prop', data: Buffer.from('ro.secure=1\n') },
      ]).image,
    },
    { format: 'f2fs', name: 'userdata.img', data: buildF2fsSuperblock() },
    {
      format: 'moto-flashfile',
      name: 'flashfile.xml',
      data: buildFlashfile({
        model: 'x',
        version: 'x-user 12 S1.1 abc release-keys',
        config: [{ element: 'cid_template_config', name: 'cid.dat', sha1: 'ab'.repeat(20) }],
        steps: [
          { operation: 'getvar', var: 'max-sparse-size' },
          { operation: 'flash', partition: 'boot_a', filename: 'boot.img', md5: 'cd'.repeat(16) },
          { operation: 'flash', partition: 'super', filename: 'super.img_sparsechunk.0', md5: 'ef'.repeat(16) },
          { operation: 'erase', partition: 'userdata' },
        ],
      }),
    },
    { format: 'qcom-mbn', name: 'tz.mbn', data: buildMbn({ version: 3, segments: [{ data: pseudoRandom(3000, 14) }, { data: Buffer.alloc(0), memsz: 4096, flags: 6 }, { data: compressible(2000, 15), flags: 6 }] }) },
    { format: 'qcom-mbn', name: 'xbl.elf', data: buildMbn({ version: 6, elfClass: 64, segments: [{ data: pseudoRandom(2000, 16) }] }) },
    {
      format: 'huawei-update-app',
      name: 'UPDATE.APP',
      data: buildUpdateApp([
        { name: 'BOOT', data: buildBootImage({ kernel: pseudoRandom(3000, 30) }) },
        { name: 'VERLIST', data: Buffer.from('1.0\n') },
      ]),
    },
    { format: 'sony-sin', name: 'boot.sin', data: buildSinV3({ payload: buildBootImage({ kernel: pseudoRandom(3000, 31) }), blockSize: 1024, cert: pseudoRandom(64, 32) }) },
    (() => {
      const map = sinBlockMap([
        { imageOffset: 0, data: pseudoRandom(700, 33) },
        { imageOffset: 4096, data: pseudoRandom(500, 34) },
        { imageOffset: 8192, data: compressible(1500, 39), lz4: true },
      ]);
      return { format: 'sony-sin', name: 'modem.sin', data: buildSinV3({ payload: map.payload, blockLengths: [map.mapLength], blockSize: 512 }) };
    })(),
    { format: 'sony-sin', name: 'vbmeta.sin', data: buildSinTar({ partition: 'vbmeta', cms: pseudoRandom(100, 35), pieces: [pseudoRandom(600, 36), compressible(900, 37)], gzip: false }) },
    {
      format: 'sony-ftf',
      name: 'fw.ftf',
      data: buildFtf({ device: 'F8331', version: '41.3.A.2.192', branding: 'Customized DE' }, [{ name: 'boot.sin', data: buildSinV3({ payload: pseudoRandom(2000, 38), blockSize: 512 }) }]),
    },
    {
      format: 'lg-dz',
      name: 'LMG900EM.dz',
      data: buildDz({
        chunks: [
          ...dzChunksOf('boot', buildBootImage({ kernel: pseudoRandom(3000, 31) }), { startSector: 0x100 }),
          { partition: 'persist', data: compressible(6000, 32), startSector: 0x400, sectorCount: 4 },
          { partition: 'persist', data: pseudoRandom(3000, 33), startSector: 0x404 },
        ],
      }),
    },
    {
      format: 'lg-kdz',
      name: 'LMG900EM.kdz',
      data: buildKdz({
        version: 3,
        files: [
          { name: 'LMG900EM.dz', data: buildDz({ chunks: [{ partition: 'boot', data: buildBootImage({ kernel: pseudoRandom(2000, 34) }), startSector: 0x100 }], compression: 'zstd', compress: zstdStored }) },
          { name: 'LGUP_c.dll', data: pseudoRandom(300, 35) },
        ],
        secure: { parts: [{ name: 'boot', startSector: 0x100, sectorCount: 2 }] },
        extendedMemId: Buffer.from('UFS\n'),
        suffixMap: Buffer.from('_a\n'),
      }),
    },
    {
      format: 'rockchip-loader',
      name: 'MiniLoaderAll.bin',
      data: buildRkLoader({
        e471: [{ name: 'ddr.bin', data: pseudoRandom(200, 20) }],
        e472: [{ name: 'usbplug.bin', data: pseudoRandom(150, 21) }],
        loader: [
          { name: 'FlashData', data: pseudoRandom(100, 22) },
          { name: 'FlashBoot', data: pseudoRandom(120, 23) },
        ],
      }),
    },
    { format: 'rockchip-krnl', name: 'boot.img', data: buildKrnl(ramdisk) },
    {
      format: 'rockchip-resource',
      name: 'resource.img',
      data: buildRsce([
        { path: 'rk-kernel.dtb', data: fdt },
        { path: 'logo.bmp', data: pseudoRandom(300, 24) },
      ]),
    },
    { format: 'rockchip-parameter', name: 'parameter.txt', data: buildParameter('0x00002000@0x00002000(uboot),0x00008000@0x00004000(boot),-@0x0000C000(userdata:grow)') },
    { format: 'rockchip-parameter', name: 'parameter.img', data: buildParm(buildParameter('0x00002000@0x00002000(uboot),-@0x00004000(userdata:grow)')) },
    {
      format: 'amlogic-res',
      name: 'logo.img',
      data: buildAmlRes([
        { name: 'bootup', data: pseudoRandom(500, 25) },
        { name: 'upgrade_bar', data: gzipSync(compressible(400, 26)) },
      ]),
    },
    { format: 'amlogic-secure', name: 'dt.img', data: buildAmlSecure(fdt) },
    ...([1, 2] as const).map((version) => ({
      format: 'amlogic-upgrade',
      name: 'aml_upgrade_package.img',
      data: buildAmlUpgrade(
        [
          { main: 'USB', sub: 'DDR', data: pseudoRandom(200, 40) },
          { main: 'conf', sub: 'platform', data: Buffer.from('Platform:0x0811\n') },
          { main: 'PARTITION', sub: 'boot', data: buildBootImage({ kernel: pseudoRandom(1500, 41) }) },
          {
            main: 'PARTITION',
            sub: 'system',
            data: buildSparse([
              { type: 'raw', data: pseudoRandom(BS, 42) },
              { type: 'dontcare', blocks: 2 },
            ]),
          },
        ],
        { version },
      ).bytes,
    })),
    { format: 'oppo-ozip', name: 'update.ozip', data: buildOzip(buildZip([{ name: 'boot.img', data: pseudoRandom(3000, 43) }])) },
    { format: 'oppo-ofp', name: 'CPH1921EX.ofp', data: buildOfpQc([pseudoRandom(1000, 44)], { page: 0x200 }) },
    {
      format: 'oppo-ofp',
      name: 'CPH1893EX.ofp',
      data: buildOfpMtk([
        { name: 'preloader', fileName: 'preloader.bin', data: pseudoRandom(500, 45), encrypted: 500 },
        { name: 'boot', fileName: 'boot.img', data: buildBootImage({ kernel: pseudoRandom(800, 46) }) },
      ]),
    },
    { format: 'oneplus-ops', name: 'fajita_41_J.42.ops', data: buildOps([pseudoRandom(700, 47)]) },
    {
      format: 'nokia-nb0',
      name: 'B2N-3060.nb0',
      data: buildNb0([
        { name: 'boot.img', data: buildBootImage({ kernel: pseudoRandom(900, 48) }) },
        { name: 'splash.img', data: pseudoRandom(300, 49) },
      ]),
    },
    {
      format: 'amlogic-dtb',
      name: 'dtb.img',
      data: buildAmlMultiDtb([
        { soc: 'gxl', platform: 'p212', variant: '2g', dtb: fdt },
        { soc: 'gxl', platform: 'p212', variant: '1g', dtb: overlay },
      ]),
    },
    {
      format: 'qcom-dtb',
      name: 'dt.img',
      data: buildQcdt(
        3,
        [
          { platformId: 246, variantId: 8, socRev: 0x10000, dtb: 0 },
          { platformId: 246, variantId: 11, subtypeId: 1, socRev: 0x20000, pmic: [1, 2, 3, 4], dtb: 1 },
        ],
        [fdt, overlay],
      ),
    },
    { format: 'unisoc-dhtb', name: 'u-boot-sign.bin', data: buildDhtb(pseudoRandom(700, 27), { hash: true, signature: pseudoRandom(64, 28) }) },
    { format: 'samsung-uh', name: 'uh.bin', data: buildUh(Buffer.concat([Buffer.from('\x7fELF', 'latin1'), pseudoRandom(600, 29)]), pseudoRandom(64, 30)) },
    { format: 'samsung-keystorage', name: 'keystorage.bin', data: buildKeystorage(['cp_key', 'vbmeta']) },
    {
      format: 'unisoc-pac',
      name: 'ums512.pac',
      data: buildPac([
        { id: 'FDL', name: 'fdl1-sign.bin', data: pseudoRandom(300, 40) },
        { id: 'BOOT', name: 'boot.img', data: buildBootImage({ kernel: pseudoRandom(2000, 41) }) },
        { id: 'FLASH', name: '' },
        { id: '', name: 'ums512.xml', data: Buffer.from('<BMAConfig/>\n'), fileFlag: 2, checkFlag: 0 },
      ]),
    },
    {
      format: 'rockchip-rkfw',
      name: 'update.img',
      data: buildRkfw(
        buildRkLoader({ e471: [{ name: 'ddr', data: pseudoRandom(100, 42) }], e472: [], loader: [{ name: 'FlashBoot', data: pseudoRandom(120, 43) }] }),
        buildRkaf([
          { name: 'parameter', fileName: 'Image/parameter.txt', data: buildParameter('0x00002000@0x00002000(uboot),-@0x00004000(userdata:grow)') },
          { name: 'boot', fileName: 'Image/boot.img', data: buildBootImage({ kernel: pseudoRandom(1500, 44) }), nandAddress: 0x2000, nandSize: 0x2000 },
          { name: 'backup', fileName: 'RESERVED' },
        ]),
      ),
    },
    {
      format: 'rockchip-rkaf',
      name: 'update.img',
      data: buildRkaf([
        { name: 'uboot_a', fileName: 'uboot.img', data: pseudoRandom(700, 45) },
        { name: 'uboot_b', fileName: 'uboot.img', sameAs: 0 },
        { name: 'misc', fileName: 'misc.img', data: pseudoRandom(300, 46) },
        { name: 'backup', fileName: 'SELF' },
      ]),
    },
    // An incremental payload (SOURCE_COPY and a BSDF2 SOURCE_BSDIFF): without --base it is described, not applied.
    { format: 'ota-payload', name: 'delta-payload.bin', data: smallDelta().payload },
    // An incremental payload with one ZUCCHINI operation (a brotli-compressed raw Zucchini patch).
    { format: 'ota-payload', name: 'zucchini-delta-payload.bin', data: smallZucchiniDelta().payload },
  ];
}
