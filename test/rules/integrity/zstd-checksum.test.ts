import { ruleTester } from '../harness';
import { compressible } from '../../../fixtures/builders/data';
import { flipped, missingTools, squeeze } from '../../codec-tools';

const data = compressible(200000, 42);
const skip = missingTools('zstd');
const zst = (...args: string[]) => squeeze('zstd', ['-c', '-q', ...args], data);

ruleTester('integrity/zstd-checksum', {
  valid: [
    { name: 'intact zstd with its checksum', file: 'super.img.zst', skip, build: () => zst() },
    { name: 'two frames, one without checksum', file: 'two.zst', skip, build: () => Buffer.concat([zst('-19'), zst('--no-check')]) },
  ],
  invalid: [
    { name: 'content checksum flipped', file: 'bad.zst', skip, build: () => flipped(zst(), -1), errors: [{ path: '', message: 'content checksum' }] },
    {
      name: 'declared content size wrong',
      file: 'size.zst',
      skip,
      build: () => {
        // 1000 bytes: a 2-byte content size field (value - 256) after a single-segment header.
        const z = squeeze('zstd', ['-c', '-q', '--no-check', '--stream-size=1000'], data.subarray(0, 1000));
        z[5] += 1;
        return z;
      },
      errors: [{ path: '', message: 'declares 1001 bytes' }],
    },
  ],
});
