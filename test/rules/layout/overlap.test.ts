import { ruleTester } from '../harness';
import { buildGptDisk, buildGptDump, buildMbrDisk, consecutive, type GptPartitionSpec } from '../../../fixtures/builders/gpt';
import { buildScatterYaml } from '../../../fixtures/builders/scatter';

const PARTS: GptPartitionSpec[] = consecutive(['xbl_a', 'boot_a', 'boot_b', 'super'], [64, 2048, 2048, 3000], 34);
/** A 4 MiB disk of 512-byte sectors: usable LBAs 34..8158. */
const with_ =
  (...extra: GptPartitionSpec[]) =>
  () =>
    buildGptDisk([...PARTS, ...extra]);

ruleTester('layout/overlap', {
  valid: [
    {
      name: 'an MTK scatter with partitions end to end',
      file: 'MT6765_Android_scatter.txt',
      build: () =>
        Buffer.from(
          buildScatterYaml([
            { name: 'boot', file: 'boot.img', isDownload: true, start: 0x100000, size: 0x2000000 },
            { name: 'recovery', file: 'recovery.img', isDownload: true, start: 0x2100000, size: 0x2000000 },
          ]),
        ),
    },
    { name: 'partitions end to end across the whole usable range', file: 'disk.img', build: () => buildGptDisk(consecutive(['a', 'b', 'c'], [1000, 1000, 8158 - 34 + 1 - 2000], 34)) },
    { name: 'partitions with gaps between them', file: 'disk.img', build: with_({ name: 'misc', firstLba: 7300, lastLba: 7400 }) },
    {
      name: 'a gpt_main0.bin whose last partition has no sectors yet (patch0.xml sizes it)',
      file: 'gpt_main0.bin',
      build: () => buildGptDump('gpt_main', [...PARTS, { name: 'userdata', firstLba: 7194, lastLba: 7193 }]),
    },
    {
      name: 'an MBR disk with logical partitions inside the extended partition',
      file: 'sd.img',
      build: () =>
        buildMbrDisk(
          [
            { type: 0x0c, startLba: 2048, sectors: 1000, boot: true },
            { type: 0x05, startLba: 4096, sectors: 3000 },
          ],
          [
            { type: 0x83, startLba: 4097, sectors: 100 },
            { type: 0x83, startLba: 4300, sectors: 500 },
          ],
        ),
    },
  ],
  invalid: [
    {
      name: 'an MTK scatter whose boot partition runs into recovery',
      file: 'MT6765_Android_scatter.txt',
      build: () =>
        Buffer.from(
          buildScatterYaml([
            { name: 'boot', file: 'boot.img', isDownload: true, start: 0x100000, size: 0x2000000 },
            { name: 'recovery', file: 'recovery.img', isDownload: true, start: 0x1100000, size: 0x2000000 },
          ]),
        ),
      errors: [{ path: '', message: 'recovery' }],
    },
    {
      name: 'two partitions sharing sectors',
      file: 'disk.img',
      build: with_({ name: 'dup', firstLba: 2000, lastLba: 2100 }),
      errors: [{ path: '', message: 'partition 5 (dup) overlaps partition 2 (boot_a): LBAs 2000..2100 (51712 bytes) belong to both' }],
    },
    {
      name: 'a partition starting in the primary entry array',
      file: 'disk.img',
      build: with_({ name: 'early', firstLba: 10, lastLba: 20 }),
      errors: [{ path: '', message: 'partition 5 (early): LBAs 10..20 start before the first usable LBA 34' }],
    },
    {
      name: 'a partition running into the backup entry array',
      file: 'disk.img',
      build: with_({ name: 'late', firstLba: 8000, lastLba: 8170 }),
      errors: [{ path: '', message: 'partition 5 (late): LBAs 8000..8170 end after the last usable LBA 8158' }],
    },
    {
      name: 'twenty-five copies of one partition: 20 findings, then a count',
      file: 'disk.img',
      build: () => buildGptDisk(Array.from({ length: 25 }, (_, i) => ({ name: `p${i}`, firstLba: 100, lastLba: 200 }))),
      errors: [...Array.from({ length: 20 }, (_, i) => ({ path: '', message: `partition ${i + 2} (p${i + 1}) overlaps partition 1 (p0)` })), { path: '', message: '4 more overlapping partitions' }],
    },
    {
      name: 'an MBR logical partition running past the end of its extended partition',
      file: 'sd.img',
      build: () =>
        buildMbrDisk(
          [
            { type: 0x83, startLba: 2048, sectors: 1000 },
            { type: 0x05, startLba: 4096, sectors: 2000 },
          ],
          [{ type: 0x83, startLba: 4097, sectors: 3000 }],
        ),
      errors: [{ path: '', message: 'logical partition 5 (LBAs 4097..7096) lies outside its extended partition (4096..6095)' }],
    },
  ],
});
