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

const h = 'a'.repeat(40);
const incremental = ['4', '8', '1', '4', `bsdiff 0 300 ${h} ${'b'.repeat(40)} 2,0,4 4 2,4,8`, ''].join('\n');
ruleTester('integrity/blockota-short-data', {
  valid: [
    {
      name: 'incremental OTA whose patch.dat holds every patch',
      file: 'inc.zip',
      build: () =>
        buildZip([
          { name: 'system.transfer.list', data: Buffer.from(incremental) },
          { name: 'system.patch.dat', data: Buffer.alloc(300) },
        ]),
    },
  ],
  invalid: [
    {
      name: 'incremental OTA whose patch.dat is shorter than a patch it addresses',
      file: 'inc.zip',
      build: () =>
        buildZip([
          { name: 'system.transfer.list', data: Buffer.from(incremental) },
          { name: 'system.patch.dat', data: Buffer.alloc(299) },
        ]),
      errors: [{ path: 'system.transfer.list', message: 'up to 300' }],
    },
    {
      name: 'incremental OTA without its patch.dat',
      file: 'inc.zip',
      build: () => buildZip([{ name: 'system.transfer.list', data: Buffer.from(incremental) }]),
      errors: [{ path: 'system.transfer.list', message: 'missing' }],
    },
  ],
});
