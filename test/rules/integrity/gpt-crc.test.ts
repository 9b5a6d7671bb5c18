import { ruleTester } from '../harness';
import { buildGptDisk, buildGptDump, consecutive, type GptPartitionSpec } from '../../../fixtures/builders/gpt';
import { buildZip } from '../../../fixtures/builders/zip';

const PARTS: GptPartitionSpec[] = consecutive(['xbl_a', 'boot_a', 'boot_b', 'super'], [64, 2048, 2048, 3000], 34);
const SS = 512;

ruleTester('integrity/gpt-crc', {
  valid: [
    { name: 'a whole disk with correct headers and entry arrays', file: 'disk.img', build: () => buildGptDisk(PARTS) },
    { name: 'a 4096-byte-sector disk', file: 'lun0.img', build: () => buildGptDisk(consecutive(['a', 'b'], [10, 20], 6), { sectorSize: 4096, sectors: 1024 }) },
    { name: 'a Qualcomm gpt_main0.bin', file: 'gpt_main0.bin', build: () => buildGptDump('gpt_main', PARTS) },
    { name: 'a Qualcomm gpt_backup0.bin with ptool placeholders (its CRC covers them)', file: 'gpt_backup0.bin', build: () => buildGptDump('gpt_backup', PARTS) },
    { name: 'a Qualcomm gpt_both0.bin as patched on a device', file: 'gpt_both0.bin', build: () => buildGptDump('gpt_both', PARTS, { placeholders: false, sectors: 1 << 20 }) },
    { name: 'a disk in a zip', file: 'pkg.zip', build: () => buildZip([{ name: 'disk.img', data: buildGptDisk(PARTS), method: 'deflate' }]) },
  ],
  invalid: [
    {
      name: 'a wrong primary header CRC (the backup is still read)',
      file: 'disk.img',
      build: () => buildGptDisk(PARTS, { primary: { headerCrc: 0xdeadbeef } }),
      errors: [{ path: '', message: /^primary GPT header \(LBA 1\): header CRC32 is [0-9a-f]{8}, the header says deadbeef$/ }],
    },
    {
      name: 'a flipped byte in the primary entry array',
      file: 'disk.img',
      build: () => {
        const b = buildGptDisk(PARTS);
        b[2 * SS + 128 + 60] ^= 0x01;
        return b;
      },
      errors: [{ path: '', message: 'primary GPT header (LBA 1): partition entry array CRC32' }],
    },
    {
      name: 'a wrong entry-array CRC in the backup header',
      file: 'disk.img',
      build: () => buildGptDisk(PARTS, { backup: { entriesCrc: 0x12345678 } }),
      errors: [{ path: '', message: /backup GPT header \(LBA 8191\): partition entry array CRC32 is [0-9a-f]{8}, the header says 12345678/ }],
    },
    {
      name: 'both header CRCs wrong: one finding each',
      file: 'disk.img',
      build: () => buildGptDisk(PARTS, { primary: { headerCrc: 1 }, backup: { headerCrc: 2 } }),
      errors: [
        { path: '', message: 'primary GPT header' },
        { path: '', message: 'backup GPT header' },
      ],
    },
    {
      name: 'a flipped byte in the entries of a gpt_backup0.bin',
      file: 'gpt_backup0.bin',
      build: () => {
        const b = buildGptDump('gpt_backup', PARTS);
        b[57] ^= 0x10;
        return b;
      },
      errors: [{ path: '', message: 'backup GPT header: partition entry array CRC32' }],
    },
    {
      name: 'a wrong header CRC in a disk inside a zip: on the member',
      file: 'pkg.zip',
      build: () => buildZip([{ name: 'images/disk.img', data: buildGptDisk(PARTS, { primary: { headerCrc: 0xcafef00d } }) }]),
      errors: [{ path: 'images/disk.img', message: 'cafef00d' }],
    },
  ],
});
