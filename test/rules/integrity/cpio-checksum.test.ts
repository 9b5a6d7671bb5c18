import { gzipSync } from 'node:zlib';
import { ruleTester } from '../harness';
import { buildCpio, type CpioEntryInput } from '../../../fixtures/builders/cpio';
import { buildLz4Legacy } from '../../../fixtures/builders/lz4';
import { compressible, pseudoRandom } from '../../../fixtures/builders/data';

const entries: CpioEntryInput[] = [
  { name: 'system', type: 'dir' },
  { name: 'init', type: 'symlink', target: '/system/bin/init' },
  { name: 'init.rc', data: compressible(30000, 51) },
  { name: 'system/bin/init', data: pseudoRandom(20001, 52), mode: 0o750 },
  { name: 'empty', data: Buffer.alloc(0) },
];

/** Offset of the header of the entry named `name` (its 110-byte header precedes the name). */
function headerOf(img: Buffer, name: string): number {
  return img.indexOf(`${name}\0`, 0, 'latin1') - 110;
}

ruleTester('integrity/cpio-checksum', {
  valid: [
    { name: 'correct 070702 checksums', file: 'ramdisk.cpio', build: () => buildCpio(entries, { checksum: true }) },
    { name: '070701 archive (no checksums to check)', file: 'ramdisk.cpio', build: () => buildCpio(entries) },
    { name: 'correct 070702 checksums inside gzip', file: 'ramdisk.cpio.gz', build: () => gzipSync(buildCpio(entries, { checksum: true })) },
    {
      name: 'a symlink with a zero check field in a 070702 archive (GNU cpio writes 0; the kernel does not check symlinks)',
      file: 'r.cpio',
      build: () => buildCpio([{ name: 'link', type: 'symlink', target: 'somewhere/else' }], { checksum: true }),
    },
  ],
  invalid: [
    {
      name: 'a flipped data byte in a 070702 archive',
      file: 'ramdisk.cpio',
      build: () => {
        const img = buildCpio(entries, { checksum: true });
        img[headerOf(img, 'system/bin/init') + 128 + 500] ^= 0x20;
        return img;
      },
      errors: [{ path: 'system/bin/init', message: 'the 070702 header at offset' }],
    },
    {
      name: 'a wrong check field, inside an LZ4 legacy stream',
      file: 'ramdisk.lz4',
      build: () => {
        const img = buildCpio(entries, { checksum: true });
        img.write('deadbeef', headerOf(img, 'init.rc') + 102, 'latin1');
        return buildLz4Legacy(img);
      },
      errors: [{ path: 'ramdisk/init.rc', message: 'says deadbeef' }],
    },
    {
      name: 'two bad files in the second of two concatenated archives',
      file: 'ramdisk.cpio',
      build: () => {
        const second = buildCpio(entries, { checksum: true });
        second.write('00000001', headerOf(second, 'init.rc') + 102, 'latin1');
        second.write('00000001', headerOf(second, 'empty') + 102, 'latin1');
        return Buffer.concat([buildCpio([{ name: 'a', data: Buffer.from('a') }], { checksum: true }), second]);
      },
      errors: [
        { path: 'init.rc', message: 'says 00000001' },
        { path: 'empty', message: 'is 00000000' },
      ],
    },
  ],
});
