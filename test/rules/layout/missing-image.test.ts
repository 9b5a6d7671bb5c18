import { ruleTester } from '../harness';
import { buildZip } from '../../../fixtures/builders/zip';
import { buildSparse } from '../../../fixtures/builders/sparse';
import { buildLz4Frame } from '../../../fixtures/builders/lz4';
import { buildPit } from '../../../fixtures/builders/pit';
import { buildScatterYaml, type ScatterPartitionSpec } from '../../../fixtures/builders/scatter';
import { buildRawprogram } from '../../../fixtures/builders/rawprogram';
import { buildSuperEmpty } from '../../../fixtures/builders/super';
import { pseudoRandom } from '../../../fixtures/builders/data';

const MiB = 1 << 20;
const SCATTER = 'MT6765_Android_scatter.txt';

/** An MTK scatter (FORMATS.md §10.1): preloader and boot and system downloaded from files, nvram not downloaded. */
function scatter(extra: ScatterPartitionSpec[] = []): Buffer {
  return Buffer.from(
    buildScatterYaml([
      { name: 'preloader', file: 'preloader_demo.bin', start: 0, size: 4 * MiB, region: 'EMMC_BOOT1_BOOT2' },
      { name: 'nvram', file: 'NONE', isDownload: false, start: 4 * MiB, size: 4 * MiB },
      { name: 'boot', file: 'boot.img', start: 8 * MiB, size: 32 * MiB },
      { name: 'system', file: 'system.img', start: 40 * MiB, size: 256 * MiB },
      ...extra,
    ]),
  );
}

const img = (seed: number) => pseudoRandom(8192, seed);
const files = (names: string[], dir = '') => names.map((n, i) => ({ name: dir + n, data: img(i + 1) }));

ruleTester('layout/missing-image', {
  valid: [
    { name: 'a lone scatter file (the input itself) names files it cannot contain', file: SCATTER, build: () => scatter() },
    {
      name: 'a zip with the scatter and every file it downloads',
      file: 'rom.zip',
      build: () => buildZip([{ name: SCATTER, data: scatter() }, ...files(['preloader_demo.bin', 'boot.img', 'system.img'])]),
    },
    {
      name: 'files in another directory of the package, or shipped as system.img_sparsechunk.N / boot.img.lz4',
      file: 'rom.zip',
      build: async () =>
        buildZip([
          { name: `rom/${SCATTER}`, data: scatter() },
          { name: 'rom/images/preloader_demo.bin', data: img(1) },
          { name: 'rom/images/boot.img.lz4', data: await buildLz4Frame(img(2)) },
          { name: 'rom/images/system.img_sparsechunk.0', data: buildSparse([{ type: 'raw', data: img(3) }]) },
        ]),
    },
    {
      name: 'an entry that is not downloaded (is_download: false) may name a missing file',
      file: 'rom.zip',
      build: () =>
        buildZip([{ name: SCATTER, data: scatter([{ name: 'userdata', file: 'userdata.img', isDownload: false, start: 296 * MiB, size: 64 * MiB }]) }, ...files(['preloader_demo.bin', 'boot.img', 'system.img'])]),
    },
    {
      name: 'layouts that do not flash files (super_empty.img, a Samsung PIT) are not manifests',
      file: 'rom.zip',
      build: () =>
        buildZip([
          { name: 'super_empty.img', data: buildSuperEmpty({ version: '10.2', groups: [{ name: 'main', maximumSize: MiB }], partitions: [{ name: 'system', group: 'main' }] }) },
          { name: 'demo.pit', data: buildPit([{ name: 'SYSTEM', flashFilename: 'system.img', blockCount: 2048, deviceType: 2 }]) },
        ]),
    },
  ],
  invalid: [
    {
      name: 'a zip with a scatter naming boot.img and system.img, without system.img',
      file: 'rom.zip',
      build: () => buildZip([{ name: SCATTER, data: scatter() }, ...files(['preloader_demo.bin', 'boot.img'])]),
      errors: [{ path: SCATTER, message: 'system is flashed from "system.img", which is not in the package' }],
    },
    {
      name: 'two entries naming the same missing file are one finding; a nested scatter is reported at its path',
      file: 'rom.zip',
      build: () => buildZip([{ name: `fw/${SCATTER}`, data: scatter([{ name: 'system_b', file: 'system.img', start: 296 * MiB, size: 256 * MiB }]) }, ...files(['preloader_demo.bin'], 'fw/')]),
      errors: [
        { path: `fw/${SCATTER}`, message: 'boot is flashed from "boot.img"' },
        { path: `fw/${SCATTER}`, message: 'system is flashed from "system.img"' },
      ],
    },
    {
      name: 'a Qualcomm rawprogram0.xml naming a file the package lacks',
      file: 'edl.zip',
      build: () =>
        buildZip([
          {
            name: 'rawprogram0.xml',
            data: Buffer.from(
              buildRawprogram([
                { label: 'boot_a', filename: 'boot.img', startSector: 6, sectors: 16384 },
                { label: 'vbmeta_a', filename: 'vbmeta.img', startSector: 16390, sectors: 16 },
                { label: 'misc', startSector: 16406, sectors: 256 },
              ]),
            ),
          },
          ...files(['boot.img']),
        ]),
      errors: [{ path: 'rawprogram0.xml', message: 'vbmeta_a is flashed from "vbmeta.img", which is not in the package' }],
    },
  ],
});
