import { ruleTester } from '../harness';
import { buildZip } from '../../../fixtures/builders/zip';
import { buildTar } from '../../../fixtures/builders/tar';
import { buildLz4Frame, buildLz4Legacy } from '../../../fixtures/builders/lz4';
import { compressible, pseudoRandom } from '../../../fixtures/builders/data';

const text = compressible(200000, 31);

ruleTester('format/unreadable', {
  valid: [
    { name: 'good zip, tar and lz4 nested', file: 'ok.zip', build: async () => buildZip([{ name: 'x.tar', data: buildTar([{ name: 'b.img.lz4', data: await buildLz4Frame(text) }]) }]) },
    { name: 'random bytes are just data', file: 'noise.bin', build: () => pseudoRandom(5000, 1) },
  ],
  invalid: [
    {
      name: 'corrupt deflate data in one member, the other still read',
      file: 'bad.zip',
      build: () => {
        const z = buildZip([
          { name: 'a.txt', data: text, method: 'deflate' },
          { name: 'b.txt', data: Buffer.from('fine\n') },
        ]);
        z.fill(0xff, 30 + 5 + 10, 30 + 5 + 60);
        return z;
      },
      errors: [{ path: 'a.txt', message: 'deflate' }],
    },
    {
      name: 'bad tar header checksum after the first member',
      file: 'x.tar',
      build: () => {
        const t = buildTar([
          { name: 'a', data: Buffer.from('a') },
          { name: 'b', data: Buffer.from('b') },
        ]);
        t[1024 + 10] ^= 0x55;
        return t;
      },
      errors: [{ path: '', message: 'offset 1024' }],
    },
    {
      name: 'LZ4 frame block claims more than the block maximum',
      file: 'lie.img.lz4',
      build: async () => {
        const b = await buildLz4Frame(text, { blockSizeId: 4 });
        b.writeUInt32LE(0x7ffffff0, 7);
        return b;
      },
      errors: [{ path: '', message: 'claims' }],
    },
    {
      name: 'LZ4 legacy block size that no 8 MiB block compresses to',
      file: 'lie.lz4',
      build: () => {
        const b = buildLz4Legacy(text);
        b.writeUInt32LE(0x7ffffff0, 4);
        return b;
      },
      errors: [{ path: '', message: 'claims' }],
    },
    {
      name: 'corrupt LZ4 block data',
      file: 'garbled.img.lz4',
      build: async () => {
        const b = await buildLz4Frame(text);
        b.fill(0xee, 20, 400);
        return b;
      },
      errors: [{ path: '', message: 'corrupt LZ4 block' }],
    },
  ],
});
