import { ruleTester } from '../harness';
import { compressible } from '../../../fixtures/builders/data';
import { flipped, missingTools, squeeze } from '../../codec-tools';

const data = compressible(250000, 43);
const skip = missingTools('bzip2');
/** "BZh1", the 6-byte block magic, then the first block's CRC: byte-aligned, at offset 10. */
const bz = (...args: string[]) => squeeze('bzip2', ['-c', ...args], data);

ruleTester('integrity/bzip2-checksum', {
  valid: [
    { name: 'intact bzip2, two blocks', file: 'x.tar.bz2', skip, build: () => bz('-1') },
    { name: 'two concatenated streams', file: 'two.bz2', skip, build: () => Buffer.concat([bz('-9'), bz('-2')]) },
  ],
  invalid: [
    { name: 'block CRC flipped', file: 'b.bz2', skip, build: () => flipped(bz('-1'), 10), errors: [{ path: '', message: 'bzip2 block at offset' }] },
    { name: 'stream CRC flipped', file: 's.bz2', skip, build: () => flipped(bz('-1'), -2), errors: [{ path: '', message: 'combined CRC' }] },
  ],
});
