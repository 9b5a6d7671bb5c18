import { ruleTester } from '../harness';
import { compressible } from '../../../fixtures/builders/data';
import { flipped, missingTools, squeeze, xzCheckOffset } from '../../codec-tools';

const data = compressible(200000, 41);
const skip = missingTools('xz');
const xz = (...args: string[]) => squeeze('xz', ['-c', ...args], data);

ruleTester('integrity/xz-checksum', {
  valid: [
    { name: 'intact xz (CRC64)', file: 'boot.img.xz', skip, build: () => xz() },
    { name: 'two concatenated streams, SHA-256 and none', file: 'two.xz', skip, build: () => Buffer.concat([xz('--check=sha256'), xz('--check=none')]) },
  ],
  invalid: [
    {
      name: 'block CRC32 flipped',
      file: 'bad.img.xz',
      skip,
      build: () => {
        const z = xz('--check=crc32');
        return flipped(z, xzCheckOffset(z).at);
      },
      errors: [{ path: '', message: 'liblzma' }],
    },
    { name: 'index damaged', file: 'index.xz', skip, build: () => flipped(xz(), -14, 0x40), errors: [{ path: '' }] },
  ],
});
