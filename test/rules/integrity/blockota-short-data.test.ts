import { brotliCompressSync } from 'node:zlib';
import { ruleTester } from '../harness';
import { buildZip } from '../../../fixtures/builders/zip';
import { buildBlockOta } from '../../../fixtures/builders/block-ota';
import { pseudoRandom } from '../../../fixtures/builders/data';

const raw = Buffer.concat([pseudoRandom(8 * 4096, 3), Buffer.alloc(4 * 4096), pseudoRandom(20 * 4096, 4)]);
const ota = buildBlockOta(raw);
const list = { name: 'vendor.transfer.list', data: Buffer.from(ota.transferList) };

ruleTester('integrity/blockota-short-data', {
  valid: [
    { name: 'stored new.dat of the right size', file: 'ota.zip', build: () => buildZip([list, { name: 'vendor.new.dat', data: ota.newDat }]) },
    { name: 'brotli new.dat.br', file: 'ota.zip', build: () => buildZip([list, { name: 'vendor.new.dat.br', data: brotliCompressSync(ota.newDat) }]) },
    { name: 'deflated new.dat', file: 'ota.zip', build: () => buildZip([list, { name: 'vendor.new.dat', data: ota.newDat, method: 'deflate' }]) },
  ],
  invalid: [
    {
      name: 'stored new.dat one block short',
      file: 'ota.zip',
      build: () => buildZip([list, { name: 'vendor.new.dat', data: ota.newDat.subarray(0, ota.newDat.length - 4096) }]),
      errors: [{ path: 'vendor.img', message: 'needs' }],
    },
    {
      name: 'brotli new.dat.br that decodes short',
      file: 'ota.zip',
      build: () => buildZip([list, { name: 'vendor.new.dat.br', data: brotliCompressSync(ota.newDat.subarray(0, 10 * 4096)) }]),
      errors: [{ path: 'vendor.img', message: 'inside the data of line' }],
    },
    { name: 'new.dat missing altogether', file: 'ota.zip', build: () => buildZip([list]), errors: [{ path: 'vendor.img', message: 'missing' }] },
  ],
});
