import { gzipSync } from 'node:zlib';
import { ruleTester } from '../harness';
import { compressible } from '../../../fixtures/builders/data';

const data = compressible(50000, 12);

ruleTester('integrity/gzip-checksum', {
  valid: [
    { name: 'intact gzip', file: 'ramdisk.cpio.gz', build: () => gzipSync(data) },
    { name: 'two concatenated members', file: 'two.gz', build: () => Buffer.concat([gzipSync(data), gzipSync(data)]) },
  ],
  invalid: [
    {
      name: 'CRC-32 trailer flipped',
      file: 'bad.gz',
      build: () => {
        const g = gzipSync(data);
        g[g.length - 8] ^= 0xff;
        return g;
      },
      errors: [{ path: '', message: 'trailer' }],
    },
    {
      name: 'length trailer wrong',
      file: 'len.gz',
      build: () => {
        const g = gzipSync(data);
        g[g.length - 1] ^= 0x01;
        return g;
      },
      errors: [{ path: '' }],
    },
  ],
});
