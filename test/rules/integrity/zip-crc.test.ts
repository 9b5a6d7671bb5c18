import { ruleTester } from '../harness';
import { buildZip } from '../../../fixtures/builders/zip';
import { compressible, pseudoRandom } from '../../../fixtures/builders/data';

const a = compressible(20000, 1);
const b = pseudoRandom(5000, 2);

ruleTester('integrity/zip-crc', {
  valid: [
    {
      name: 'stored and deflated members with their CRCs',
      file: 'ok.zip',
      build: () =>
        buildZip([
          { name: 'a.txt', data: a, method: 'deflate' },
          { name: 'b.bin', data: b },
        ]),
    },
    { name: 'zip64 records', file: 'z64.zip', build: () => buildZip([{ name: 'a.txt', data: a, method: 'deflate' }], { zip64: true }) },
  ],
  invalid: [
    {
      name: 'stored member with a wrong CRC',
      file: 'bad.zip',
      build: () =>
        buildZip([
          { name: 'a.txt', data: a, method: 'deflate' },
          { name: 'b.bin', data: b, crc: 0xdeadbeef },
        ]),
      errors: [{ path: 'b.bin', message: 'deadbeef' }],
    },
    {
      name: 'deflated member with a wrong CRC inside a nested zip',
      file: 'outer.zip',
      build: () => buildZip([{ name: 'inner.zip', data: buildZip([{ name: 'x/a.txt', data: a, method: 'deflate', crc: 1 }]), method: 'deflate' }]),
      errors: [{ path: 'inner.zip/x/a.txt', message: '00000001' }],
    },
    {
      name: 'a flipped byte in stored data',
      file: 'flip.zip',
      build: () => {
        const z = buildZip([{ name: 'b.bin', data: b }]);
        z[30 + 5 + 100] ^= 1;
        return z;
      },
      errors: [{ path: 'b.bin', message: 'zip central directory' }],
    },
  ],
});
