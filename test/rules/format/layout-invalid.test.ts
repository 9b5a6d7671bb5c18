import { ruleTester } from '../harness';
import { buildPit } from '../../../fixtures/builders/pit';
import { buildScatterYaml, buildScatterLegacy } from '../../../fixtures/builders/scatter';
import { buildRawprogram, buildPatchXml } from '../../../fixtures/builders/rawprogram';
import { buildZip } from '../../../fixtures/builders/zip';

const PIT = [
  { deviceType: 2, identifier: 1, blockSizeOrOffset: 8192, blockCount: 40960, name: 'EFS', flashFilename: 'efs.img' },
  { deviceType: 2, identifier: 2, blockSizeOrOffset: 49152, blockCount: 2560, name: 'CACHE', flashFilename: '' },
];
const SCATTER = [
  { name: 'pgpt', start: 0, size: 0x8000 },
  { name: 'misc', start: 0x8000, size: 0x80000 },
];
const PROGRAMS = [
  { label: 'PrimaryGPT', filename: 'gpt_main0.bin', startSector: 0, sectors: 6 },
  { label: 'misc', startSector: 6, sectors: 256 },
  { label: 'BackupGPT', filename: 'gpt_backup0.bin', startSector: 'NUM_DISK_SECTORS-5.', sectors: 5 },
];
const text = (s: string) => () => Buffer.from(s);

ruleTester('format/layout-invalid', {
  valid: [
    { name: 'a Samsung PIT padded to 4096 bytes', file: 'demo.pit', build: () => buildPit(PIT, { pad: true }) },
    { name: 'a YAML-like MTK scatter file', file: 'MT6765_Android_scatter.txt', build: text(buildScatterYaml(SCATTER)) },
    {
      name: 'a legacy MTK scatter file',
      file: 'MT6589_Android_scatter.txt',
      build: text(
        buildScatterLegacy([
          { name: 'PRELOADER', start: 0 },
          { name: 'MBR', start: 0x600000 },
        ]),
      ),
    },
    { name: 'a rawprogram with an expression for the backup GPT', file: 'rawprogram0.xml', build: text(buildRawprogram(PROGRAMS)) },
    {
      name: 'a patch list',
      file: 'patch0.xml',
      build: text(buildPatchXml([{ filename: 'DISK', byteOffset: 48, sizeInBytes: 8, startSector: 'NUM_DISK_SECTORS-1.', value: 'NUM_DISK_SECTORS-6.', what: 'Update Backup Header with LastUseableLBA.' }])),
    },
  ],
  invalid: [
    {
      name: 'a PIT whose entry count runs past the file',
      file: 'demo.pit',
      build: () => buildPit(PIT, { entryCount: 1000 }),
      errors: [{ path: '', message: 'header says 1000 entries' }],
    },
    {
      name: 'a rawprogram with a DTD (entity bomb), inside a package',
      file: 'edl.zip',
      build: () => buildZip([{ name: 'rawprogram0.xml', data: Buffer.from('<?xml version="1.0"?>\n<!DOCTYPE data [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n<data><program label="&b;"/></data>\n') }]),
      errors: [{ path: 'rawprogram0.xml', message: 'DTD or entity declaration' }],
    },
    {
      name: 'a scatter file naming a partition twice',
      file: 'MT6765_Android_scatter.txt',
      build: text(buildScatterYaml([...SCATTER, { name: 'misc', start: 0x88000, size: 0x1000 }])),
      errors: [{ path: '', message: 'partition_name "misc" is already used' }],
    },
  ],
});
