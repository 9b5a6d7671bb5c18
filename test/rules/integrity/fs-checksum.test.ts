import { ruleTester } from '../harness';
import { buildErofs } from '../../../fixtures/builders/erofs';
import { buildProp } from '../../../fixtures/builders/rom';
import { buildZip } from '../../../fixtures/builders/zip';

const FILES = [{ name: 'build.prop', data: buildProp({ 'ro.product.device': 'x' }) }];

ruleTester('integrity/fs-checksum', {
  valid: [
    { name: 'an EROFS image with a correct superblock checksum', file: 'system.img', build: () => buildErofs(FILES).image },
    { name: 'an EROFS image without the sb_csum feature', file: 'system.img', build: () => buildErofs(FILES, { checksum: false }).image },
  ],
  invalid: [
    {
      name: 'an EROFS superblock edited after its checksum was computed',
      file: 'system.img',
      build: () => {
        const b = buildErofs(FILES).image;
        b[1024 + 64] ^= 0x01;
        return b;
      },
      errors: [{ path: '', message: /^the EROFS superblock's crc32c is [0-9a-f]+, the superblock says [0-9a-f]+$/ }],
    },
    {
      name: 'an EROFS image inside a zip: on the member',
      file: 'pkg.zip',
      build: () => {
        const b = buildErofs(FILES).image;
        b.writeUInt32LE(0x12345678, 1028);
        return buildZip([{ name: 'system.img', data: b, method: 'deflate' }]);
      },
      errors: [{ path: 'system.img', message: 'the superblock says 12345678' }],
    },
  ],
});
